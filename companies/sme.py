"""SME classification under 中小企業基本法 (DOMAIN §4), from versioned rule tables.

A verdict names the rule version and explains itself in Japanese. Capital OR employees suffices;
sole proprietors have no capital and are judged on employees only."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class Industry:
    MANUFACTURING = "manufacturing"
    WHOLESALE = "wholesale"
    SERVICES = "services"
    RETAIL = "retail"
    RUBBER = "rubber"
    SOFTWARE = "software"
    INN = "inn"
    OTHER = "other"

    CHOICES = [
        (MANUFACTURING, _("製造業・建設業・運輸業")),
        (WHOLESALE, _("卸売業")),
        (SERVICES, _("サービス業")),
        (RETAIL, _("小売業（飲食店を含む）")),
        (RUBBER, _("ゴム製品製造業")),
        (SOFTWARE, _("ソフトウェア業・情報処理サービス業")),
        (INN, _("旅館業")),
        (OTHER, _("その他の業種")),
    ]
    LABELS = dict(CHOICES)


@dataclass(frozen=True)
class SmeLimit:
    capital_yen: int | None  # None: capital is not a test under this rule
    employees: int


@dataclass(frozen=True)
class SmeVerdict:
    is_sme: bool
    reason: str
    rule_version: str


MAN = 10_000  # 万円
SME_RULES: dict[str, dict[str, SmeLimit]] = {
    # 中小企業基本法 第2条 and its cabinet order (ゴム製品・ソフトウェア・旅館業).
    "kihonho-1999": {
        Industry.MANUFACTURING: SmeLimit(30_000 * MAN, 300),
        Industry.OTHER: SmeLimit(30_000 * MAN, 300),
        Industry.WHOLESALE: SmeLimit(10_000 * MAN, 100),
        Industry.SERVICES: SmeLimit(5_000 * MAN, 100),
        Industry.RETAIL: SmeLimit(5_000 * MAN, 50),
        Industry.RUBBER: SmeLimit(30_000 * MAN, 900),
        Industry.SOFTWARE: SmeLimit(30_000 * MAN, 300),
        Industry.INN: SmeLimit(5_000 * MAN, 200),
    },
    # The 2025 incentive's test: 300 regular employees or fewer, whatever the industry.
    "employees-300": {code: SmeLimit(None, 300) for code, _label in Industry.CHOICES},
}
SME_RULE_VERSION_CHOICES = [
    ("kihonho-1999", _("中小企業基本法（資本金または従業員数）")),
    ("employees-300", _("常時使用する従業員300人以下")),
]
DEFAULT_SME_RULE_VERSION = "kihonho-1999"


def _yen(amount: int) -> str:
    return _("%(amount)s円") % {"amount": f"{amount:,}"}


def sme_classify(
    *,
    industry: str,
    capital_yen: int | None,
    employees: int | None,
    sole_proprietor: bool = False,
    rule_version: str = DEFAULT_SME_RULE_VERSION,
) -> SmeVerdict:
    limits = SME_RULES[rule_version]
    limit = limits.get(industry or Industry.OTHER, limits[Industry.OTHER])
    label = Industry.LABELS.get(industry or Industry.OTHER, Industry.LABELS[Industry.OTHER])
    if employees is None and (capital_yen is None or sole_proprietor or limit.capital_yen is None):
        return SmeVerdict(
            False, str(_("従業員数（および資本金）が未入力のため判定できません。")), rule_version
        )
    if employees is not None and employees <= limit.employees:
        return SmeVerdict(
            True,
            str(
                _(
                    "%(industry)sで常時使用する従業員数が%(count)d人（上限%(limit)d人以下）のため中小企業に該当します。"
                )
                % {"industry": label, "count": employees, "limit": limit.employees}
            ),
            rule_version,
        )
    can_use_capital = limit.capital_yen is not None and not sole_proprietor
    if can_use_capital and capital_yen is not None and capital_yen <= limit.capital_yen:
        return SmeVerdict(
            True,
            str(
                _(
                    "%(industry)sで資本金が%(capital)s（上限%(limit)s以下）のため中小企業に該当します。"
                )
                % {
                    "industry": label,
                    "capital": _yen(capital_yen),
                    "limit": _yen(limit.capital_yen),
                }
            ),
            rule_version,
        )
    if sole_proprietor:
        reason = _(
            "個人事業主は従業員数のみで判定します。%(industry)sの上限%(limit)d人を超えているため中小企業に該当しません。"
        ) % {"industry": label, "limit": limit.employees}
    elif limit.capital_yen is None:
        reason = _("常時使用する従業員数が上限%(limit)d人を超えているため対象外です。") % {
            "limit": limit.employees
        }
    else:
        reason = _(
            "%(industry)sの基準（資本金%(capital)s以下または従業員%(limit)d人以下）のいずれにも該当しないため、中小企業に該当しません。"
        ) % {"industry": label, "capital": _yen(limit.capital_yen), "limit": limit.employees}
    return SmeVerdict(False, str(reason), rule_version)
