"""Every eligibility rule of expert dispatch in one place (DOMAIN §3–4).

``dispatch_eligibility`` returns each rule with pass/fail and a Japanese explanation, so staff see
the whole picture when reviewing and a refused applicant learns which rule failed and why."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from companies.sme import SME_RULES, Industry
from kosha_portal.japan.wareki import format_wareki

from .models import Dispatch, EligibilityItem, ProgramYear
from .selectors import (
    live_dispatches,
    organisation_name_duplicates,
    visits_used,
    visits_used_earlier_years,
)


@dataclass(frozen=True)
class RuleResult:
    code: str
    label: str
    passed: bool
    explanation: str
    # A non-blocking rule never refuses an application; when it does not pass, staff see it as a
    # warning to resolve before the decision.
    blocking: bool = True
    # Registry fields without which the rule cannot be judged: the application form asks for
    # them (and only them) instead of refusing.
    missing: tuple[str, ...] = ()


@dataclass
class EligibilityResult:
    rules: list[RuleResult]
    warnings: list[str] = field(default_factory=list)
    visits_remaining: int = 0

    @property
    def eligible(self) -> bool:
        return all(rule.passed for rule in self.rules if rule.blocking)

    @property
    def failed(self) -> list[RuleResult]:
        return [rule for rule in self.rules if rule.blocking and not rule.passed]

    @property
    def final(self) -> list[RuleResult]:
        """Failed rules the applicant cannot fix in the application form."""
        return [rule for rule in self.failed if not rule.missing]

    @property
    def missing(self) -> list[str]:
        """Registry fields the application form should ask for."""
        return [name for rule in self.failed for name in rule.missing]

    @property
    def notices(self) -> list[RuleResult]:
        """Non-blocking rules that did not pass: for staff, never shown to the applicant."""
        return [rule for rule in self.rules if not rule.blocking and not rule.passed]

    def rule(self, code: str) -> RuleResult:
        return next(rule for rule in self.rules if rule.code == code)

    def as_json(self) -> dict:
        return {
            "eligible": self.eligible,
            "warnings": self.warnings,
            "visits_remaining": self.visits_remaining,
            "rules": [
                {
                    "code": r.code,
                    "label": r.label,
                    "passed": r.passed,
                    "blocking": r.blocking,
                    "explanation": r.explanation,
                    **({"missing": list(r.missing)} if r.missing else {}),
                }
                for r in self.rules
            ],
        }


def sme_missing_fields(organisation, rule_version: str) -> list[str]:
    """The registry fields the SME rule needs but the company has not given, when no test it
    has data for passes: 従業員数 when blank, 資本金 when blank and the rule version and the
    company's form let capital decide (either test suffices; sole proprietors are judged on
    employees only), 業種 when blank. Empty when the rule can judge."""
    limits = SME_RULES[rule_version]
    limit = limits.get(organisation.industry or Industry.OTHER, limits[Industry.OTHER])
    employees = organisation.employees
    if employees is not None and employees <= limit.employees:
        return []
    capital_counts = (
        limit.capital_yen is not None and organisation.kind != organisation.Kind.SOLE_PROPRIETOR
    )
    if capital_counts and organisation.capital_yen is not None:
        return []
    fields = []
    if employees is None:
        fields.append("employees")
    if capital_counts:
        fields.append("capital_yen")
    if fields and not organisation.industry:
        fields.insert(0, "industry")
    return fields


def _jst(value: datetime.datetime) -> str:
    local = timezone.localtime(value)
    return f"{format_wareki(local)} {local:%H:%M:%S}"


def dispatch_eligibility(
    *,
    organisation,
    program_year: ProgramYear,
    consultation,
    attestations: dict[str, bool] | None,
    at: datetime.datetime,
    exclude_dispatch: Dispatch | None = None,
) -> EligibilityResult:
    """Judge an application (made, or to be made, at ``at``) against every rule.

    ``attestations`` maps 確認事項 codes to the applicant's answers; None skips that rule (for a
    preview before the applicant has answered)."""
    rules = []

    in_tokyo = organisation.in_tokyo
    if in_tokyo:
        where = _("所在地が%(place)sのため、都内の事業者に該当します。") % {
            "place": organisation.full_address or organisation.prefecture
        }
    elif organisation.kind == organisation.Kind.SOLE_PROPRIETOR:
        where = _(
            "個人事業主の方は、都内の税務署に開業の届出をしていることが条件です。登録された所在地（%(pref)s）は東京都外です。"
        ) % {"pref": organisation.prefecture or _("未入力")}
    else:
        where = _("本店（主たる事業所）の所在地が東京都外（%(pref)s）のため、対象外です。") % {
            "pref": organisation.prefecture or _("未入力")
        }
    rules.append(RuleResult("tokyo", _("都内の事業者であること"), in_tokyo, where))

    verdict = organisation.sme_verdict(program_year.sme_rule_version)
    missing = (
        () if verdict.is_sme else sme_missing_fields(organisation, program_year.sme_rule_version)
    )
    rules.append(
        RuleResult(
            "sme",
            _("中小企業者であること"),
            verdict.is_sme,
            verdict.reason,
            missing=tuple(missing),
        )
    )

    opens, closes = program_year.application_opens_at, program_year.application_closes_at
    if at < opens:
        window = (
            False,
            _("%(year)sの申込受付は%(opens)sからです。")
            % {"year": program_year.label, "opens": _jst(opens)},
        )
    elif at > closes:
        window = (
            False,
            _("%(year)sの申込受付は%(closes)sに終了しました。")
            % {"year": program_year.label, "closes": _jst(closes)},
        )
    else:
        window = (True, _("申込受付期間内（%(closes)sまで）です。") % {"closes": _jst(closes)})
    rules.append(RuleResult("window", _("申込受付期間内であること"), *window))

    need = (
        consultation is not None
        and consultation.dispatch_need is True
        and (consultation.organisation_id == organisation.pk)
    )
    rules.append(
        RuleResult(
            "need",
            _("特別相談窓口で派遣の必要性が確認されていること"),
            need,
            _("相談%(ref)sで専門家派遣の必要性が確認されています。")
            % {"ref": consultation.reference}
            if need
            else _(
                "特別相談窓口での相談により、専門家派遣の必要性が確認されていません。まず相談窓口にご相談ください。"
            ),
        )
    )

    used = visits_used(organisation=organisation, program_year=program_year)
    remaining = max(program_year.visit_cap - used, 0)
    scope = _("今年度") if program_year.cap_scope == ProgramYear.CapScope.FISCAL_YEAR else _("通算")
    rules.append(
        RuleResult(
            "cap",
            _("派遣回数の上限に達していないこと"),
            remaining > 0,
            (
                _(
                    "%(scope)sの派遣は%(used)d回で、上限%(cap)d回まであと%(remaining)d回利用できます。"
                )
                if remaining > 0
                else _("%(scope)sの派遣はすでに%(used)d回で、上限%(cap)d回に達しています。")
            )
            % {"scope": scope, "used": used, "cap": program_year.visit_cap, "remaining": remaining},
        )
    )

    others = live_dispatches(organisation=organisation, at=at)
    if exclude_dispatch is not None:
        others = others.exclude(pk=exclude_dispatch.pk)
    other = others.order_by("applied_at").first()
    rules.append(
        RuleResult(
            "no_open_dispatch",
            _("ほかに進行中の派遣がないこと"),
            other is None,
            _("進行中の派遣はありません。")
            if other is None
            else _(
                "申込番号%(ref)sの派遣が進行中（%(status)s）のため、新たに申し込むことはできません。"
            )
            % {"ref": other.reference, "status": other.get_status_display()},
        )
    )

    if attestations is not None:
        items = list(EligibilityItem.objects.filter(program_year=program_year, required=True))
        missing = [item for item in items if not attestations.get(item.code)]
        rules.append(
            RuleResult(
                "attestations",
                _("確認事項をすべて確認していること"),
                not missing,
                _("必須の確認事項%(count)d件すべてを確認済みです。") % {"count": len(items)}
                if not missing
                else _("次の確認事項が確認されていません：%(items)s")
                % {"items": _("、").join(item.label[:40] for item in missing)},
            )
        )

    duplicates = list(organisation_name_duplicates(organisation))
    confirmed = exclude_dispatch is not None and exclude_dispatch.duplicates_confirmed_distinct
    if not duplicates:
        explanation = _("同じ名称で登録された別の事業者はありません。")
    elif confirmed:
        explanation = _(
            "同じ名称の事業者（%(names)s）とは別の事業者であることを職員が確認済みです。"
        )
    else:
        explanation = _(
            "同じ名称の事業者（%(names)s）が統合されずに登録されています。同一の事業者であれば管理画面で統合し、別の事業者であれば派遣決定の際にその旨を確認してください。"
        )
    names = _("、").join(
        _("%(name)s（事業者ID %(pk)d）") % {"name": other.name, "pk": other.pk}
        for other in duplicates
    )
    rules.append(
        RuleResult(
            "duplicates",
            _("同じ事業者の重複登録がないこと"),
            not duplicates or confirmed,
            explanation % {"names": names} if duplicates else explanation,
            blocking=False,
        )
    )

    warnings = []
    if program_year.cap_scope == ProgramYear.CapScope.FISCAL_YEAR:
        earlier = visits_used_earlier_years(organisation=organisation, program_year=program_year)
        if earlier:
            warnings.append(
                _("この事業者は過年度に%(count)d回の派遣を利用しています。") % {"count": earlier}
            )
    return EligibilityResult(rules=rules, warnings=warnings, visits_remaining=remaining)
