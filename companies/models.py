from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosha_portal.japan.normalize import company_name_key
from kosha_portal.japan.postal import TOKYO_PREFECTURE_CODE

from .sme import DEFAULT_SME_RULE_VERSION, Industry, SmeVerdict, sme_classify


class DuplicateBasis(models.TextChoices):
    """Why a row a public form created may be the same company as an existing one."""

    PHONE_DIFFERS = "phone_differs", _("名称・郵便番号が同じで、電話番号が異なる")
    SEVERAL = "several", _("名称・郵便番号が同じ事業者が複数ある")
    OTHER_PLACE = "other_place", _("名称が同じで、郵便番号が異なる")
    NO_POSTAL = "no_postal", _("名称が同じで、郵便番号が入力されていない")
    SAME_PHONE = "same_phone", _("電話番号が同じで、名称が異なる")


class Organisation(models.Model):
    """One company (or sole proprietor, or association), shared by every app: a consultation,
    a seminar registration and a school application of the same 法人番号 point at one row."""

    DuplicateBasis = DuplicateBasis

    class Kind(models.TextChoices):
        CORPORATION = "corporation", _("法人")
        SOLE_PROPRIETOR = "sole_proprietor", _("個人事業主")
        ASSOCIATION = "association", _("団体・組合")

    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    kind = models.CharField(
        _("区分"), max_length=20, choices=Kind.choices, default=Kind.CORPORATION
    )
    name = models.CharField(_("事業者名"), max_length=200)
    name_kana = models.CharField(_("事業者名（フリガナ）"), max_length=200, blank=True)
    name_key = models.CharField(_("名寄せキー"), max_length=200, editable=False, db_index=True)
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True)
    representative = models.CharField(_("代表者名"), max_length=100, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2, blank=True)
    municipality = models.CharField(_("区市町村"), max_length=50, blank=True)
    address = models.CharField(_("町名・番地・建物名"), max_length=200, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    email = models.EmailField(_("代表メールアドレス"), blank=True)
    main_business = models.CharField(_("主な事業内容"), max_length=200, blank=True)
    industry = models.CharField(
        _("業種（中小企業基本法の区分）"),
        max_length=20,
        choices=Industry.CHOICES,
        default=Industry.OTHER,
    )
    capital_yen = models.BigIntegerField(
        _("資本金（円）"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    employees = models.PositiveIntegerField(_("常時使用する従業員数"), null=True, blank=True)

    # A public form that could not tell for sure whether the company is already registered
    # creates a row and flags it here; desk staff merge it or confirm it is another company.
    possible_duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("重複の可能性がある事業者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="possible_duplicates",
    )
    duplicate_basis = models.CharField(
        _("重複を疑う理由"), max_length=20, blank=True, choices=DuplicateBasis.choices
    )
    # Staff checked the legal name and 法人番号 against the registry (登記・法人番号公表サイト):
    # public forms no longer fill its blanks, and a merge prefers its values.
    registry_confirmed_at = models.DateTimeField(_("登記情報を確認した日時"), null=True, blank=True)
    registry_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登記情報を確認した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("事業者")
        verbose_name_plural = pgettext_lazy("plural", "事業者")
        constraints = [
            models.UniqueConstraint(
                fields=["corporate_number"],
                condition=~Q(corporate_number=""),
                name="organisation_corporate_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["corporation", "sole_proprietor", "association"]),
                name="organisation_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_basis__in=["", *DuplicateBasis.values]),
                name="organisation_duplicate_basis_valid",
            ),
        ]
        indexes = [
            # Public forms look a company up by its phone number when no name matches: the
            # first row of that number (ORDER BY id LIMIT 1) is the index's first entry, however
            # many companies share the number (a chain's head office).
            models.Index(fields=["phone", "id"], name="organisation_phone_id"),
            # The consultation list's 区市町村 filter lists the Tokyo municipalities from this
            # index alone; lookups by prefecture or by municipality need no LIKE twin.
            models.Index(fields=["prefecture", "municipality"], name="organisation_pref_muni"),
            models.Index(fields=["municipality"], name="organisation_municipality"),
            # The consultation admin's text search (icontains: UPPER(col::text) LIKE UPPER(%s));
            # PostgreSQL only (migration 0005 creates them there).
            *[
                GinIndex(
                    OpClass(Upper(name), name="gin_trgm_ops"), name=f"organisation_{name}_trgm"
                )
                for name in ("name", "name_kana", "name_key")
            ],
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Derived, not a side effect: the key is a pure function of the name.
        self.name_key = company_name_key(self.name)
        super().save(*args, **kwargs)

    @property
    def registry_confirmed(self) -> bool:
        return self.registry_confirmed_at is not None

    @property
    def in_tokyo(self) -> bool:
        return self.prefecture_code == TOKYO_PREFECTURE_CODE or self.prefecture == "東京都"

    def sme_verdict(self, rule_version: str = DEFAULT_SME_RULE_VERSION) -> SmeVerdict:
        return sme_classify(
            industry=self.industry,
            capital_yen=self.capital_yen,
            employees=self.employees,
            sole_proprietor=self.kind == self.Kind.SOLE_PROPRIETOR,
            rule_version=rule_version,
        )

    @property
    def full_address(self) -> str:
        return f"{self.prefecture}{self.municipality}{self.address}"
