import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from companies.sme import DEFAULT_SME_RULE_VERSION, SME_RULE_VERSION_CHOICES
from kosha_portal.japan.deadlines import end_of_day
from kosha_portal.japan.fiscal import fiscal_year_label


class ProgramYear(models.Model):
    """One fiscal year (年度) of the dispatch program, with its configured window and cap."""

    class CapScope(models.TextChoices):
        FISCAL_YEAR = "fiscal_year", _("年度ごと")
        LIFETIME = "lifetime", _("通算（全年度）")

    fiscal_year = models.PositiveSmallIntegerField(
        _("年度（西暦）"), unique=True, help_text=_("例：令和5年度は2023")
    )
    application_opens_at = models.DateTimeField(_("申込受付開始日時"))
    application_closes_at = models.DateTimeField(
        _("申込受付終了日時"), help_text=_("日本時間の締切時刻です（例：2024-01-31 23:59:59）。")
    )
    dispatch_period_ends_on = models.DateField(_("派遣期間の終了日"))
    visit_cap = models.PositiveSmallIntegerField(
        _("派遣回数の上限"), default=4, validators=[MinValueValidator(1)]
    )
    cap_scope = models.CharField(
        _("上限の数え方"), max_length=20, choices=CapScope.choices, default=CapScope.FISCAL_YEAR
    )
    standard_visit_minutes = models.PositiveSmallIntegerField(
        _("標準の派遣時間（分）"), default=120
    )
    sme_rule_version = models.CharField(
        _("中小企業の判定基準"),
        max_length=30,
        choices=SME_RULE_VERSION_CHOICES,
        default=DEFAULT_SME_RULE_VERSION,
    )

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = _("派遣事業年度")
        verbose_name_plural = _("派遣事業年度")
        constraints = [
            models.CheckConstraint(
                condition=Q(cap_scope__in=["fiscal_year", "lifetime"]),
                name="program_year_cap_scope_valid",
            ),
            models.CheckConstraint(
                condition=Q(application_closes_at__gt=models.F("application_opens_at")),
                name="program_year_window_ordered",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def dispatch_period_ends_at(self) -> datetime.datetime:
        return end_of_day(self.dispatch_period_ends_on)

    def window_contains(self, at: datetime.datetime) -> bool:
        return self.application_opens_at <= at <= self.application_closes_at


class EligibilityItem(models.Model):
    """One 確認事項 the applicant attests to, versioned by program year."""

    program_year = models.ForeignKey(
        ProgramYear,
        verbose_name=_("年度"),
        on_delete=models.CASCADE,
        related_name="eligibility_items",
    )
    code = models.SlugField(_("コード"), max_length=50)
    label = models.TextField(_("確認事項"))
    required = models.BooleanField(_("必須"), default=True)
    evidence = models.CharField(
        _("確認方法"), max_length=200, blank=True, help_text=_("例：申込者の誓約、納税証明書")
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["program_year", "order", "pk"]
        verbose_name = _("確認事項")
        verbose_name_plural = _("確認事項")
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "code"], name="eligibility_item_code_unique_per_year"
            )
        ]

    def __str__(self):
        return self.label[:40]


class Qualification(models.TextChoices):
    SME_CONSULTANT = "sme_consultant", _("中小企業診断士")
    LAWYER = "lawyer", _("弁護士")
    LABOUR_CONSULTANT = "labour_consultant", _("社会保険労務士")
    COUNSELOR = "counselor", _("公認心理師・産業カウンセラー")
    OTHER = "other", _("その他")


class Expert(models.Model):
    """A registered expert (登録専門家). Experts log in to the expert area, never to the admin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ログインユーザー"),
        on_delete=models.PROTECT,
        related_name="expert",
    )
    name = models.CharField(_("氏名"), max_length=100)
    kana = models.CharField(_("氏名（フリガナ）"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"))
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    qualifications = models.JSONField(_("資格"), default=list, blank=True)
    fields_of_expertise = models.TextField(_("専門分野"), blank=True)
    active = models.BooleanField(_("派遣可能"), default=True)
    conflicts = models.ManyToManyField(
        "companies.Organisation",
        verbose_name=_("派遣できない事業者"),
        blank=True,
        related_name="conflicted_experts",
        help_text=_("利害関係などにより派遣してはならない事業者です。"),
    )

    class Meta:
        ordering = ["kana", "name"]
        verbose_name = _("登録専門家")
        verbose_name_plural = _("登録専門家")

    def __str__(self):
        return self.name

    @property
    def qualification_labels(self) -> list[str]:
        labels = dict(Qualification.choices)
        return [str(labels.get(code, code)) for code in self.qualifications]


class Mode(models.TextChoices):
    ONSITE = "onsite", _("訪問（対面）")
    ONLINE = "online", _("オンライン")


class DispatchStatus(models.TextChoices):
    APPLIED = "applied", _("申込受付")
    DECIDED = "decided", _("派遣決定")
    REJECTED = "rejected", _("不採択")
    COMPLETED = "completed", _("完了報告済み")
    CLOSED = "closed", _("終了")
    WITHDRAWN = "withdrawn", _("取下げ")
    EXPIRED = "expired", _("期間満了")


class Dispatch(models.Model):
    """A company's application for expert dispatch (派遣申込) and its whole course."""

    Status = DispatchStatus
    TRANSITIONS = {
        Status.APPLIED: {Status.DECIDED, Status.REJECTED, Status.WITHDRAWN},
        Status.DECIDED: {Status.COMPLETED, Status.WITHDRAWN, Status.EXPIRED},
        Status.COMPLETED: {Status.CLOSED},
        Status.REJECTED: set(),
        Status.CLOSED: set(),
        Status.WITHDRAWN: set(),
        Status.EXPIRED: set(),
    }
    MILESTONES = {
        Status.DECIDED: "decided_at",
        Status.REJECTED: "rejected_at",
        Status.COMPLETED: "completed_at",
        Status.CLOSED: "closed_at",
        Status.WITHDRAWN: "withdrawn_at",
        Status.EXPIRED: "expired_at",
    }
    # 不採択 and 取下げ end the company's dispatch: each needs a reason. Expiry is the period's end.
    REASON_REQUIRED = {
        (Status.APPLIED, Status.REJECTED),
        (Status.APPLIED, Status.WITHDRAWN),
        (Status.DECIDED, Status.WITHDRAWN),
    }
    OPEN_STATUSES = (Status.APPLIED, Status.DECIDED)

    reference = models.CharField(_("申込番号"), max_length=20, unique=True, editable=False)
    program_year = models.ForeignKey(
        ProgramYear, verbose_name=_("年度"), on_delete=models.PROTECT, related_name="dispatches"
    )
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("相談"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.APPLIED, db_index=True
    )

    contact_name = models.CharField(_("ご担当者名"), max_length=100)
    contact_email = models.EmailField(_("メールアドレス"))
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    language = models.CharField(
        _("連絡に使う言語"), max_length=10, choices=settings.LANGUAGES, default="ja"
    )
    theme = models.CharField(_("相談したいテーマ"), max_length=200)
    goals = models.TextField(_("派遣で達成したいこと"))
    preferred_expert_type = models.CharField(
        _("希望する専門家の種類"), max_length=30, choices=Qualification.choices, blank=True
    )
    preferred_mode = models.CharField(
        _("希望する実施方法"), max_length=10, choices=Mode.choices, default=Mode.ONSITE
    )
    preferred_dates = models.TextField(_("希望日程"), blank=True)
    share_description_with_expert = models.BooleanField(
        _("ご相談内容を派遣専門家と共有することへの同意"),
        default=False,
        help_text=_(
            "同意がある場合に限り、相談時にご記入いただいた文章を派遣専門家の画面に表示します。"
        ),
    )
    company_data_supplied = models.JSONField(
        _("申込時に補っていただいた事業者情報"), default=dict, blank=True
    )
    company_data_supplied_by = models.CharField(
        _("事業者情報を補った方"), max_length=300, blank=True
    )
    company_data_supplied_at = models.DateTimeField(
        _("事業者情報を補った日時"), null=True, blank=True
    )
    consent_at = models.DateTimeField(_("同意日時"))
    privacy_notice_version = models.CharField(_("同意したプライバシー通知の版"), max_length=20)
    eligibility_snapshot = models.JSONField(_("申込時の要件判定"), default=dict, blank=True)

    decision_date = models.DateField(_("派遣決定日"), null=True, blank=True)
    decision_number = models.CharField(_("決定番号"), max_length=50, blank=True)
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("派遣専門家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    planned_visits = models.PositiveSmallIntegerField(_("予定派遣回数"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("決定した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejection_reason = models.TextField(_("不採択の理由"), blank=True)
    withdrawal_reason = models.TextField(_("取下げの理由"), blank=True)
    duplicates_confirmed_distinct = models.BooleanField(
        _("同名の事業者とは別の事業者であることを確認済み"),
        default=False,
        help_text=_(
            "名寄せキーが同じ事業者が統合されずに残っている場合、派遣決定の際に職員が確認します。"
        ),
    )

    completion_summary = models.TextField(_("支援の総括"), blank=True)
    completion_outcomes = models.TextField(_("成果・今後の課題"), blank=True)
    # Staff may accept the 完了報告 while a held visit still awaits the company's confirmation;
    # the reason is printed on the completion report.
    completion_override_reason = models.TextField(
        _("企業確認を待たずに完了報告を受け付ける理由"), blank=True
    )
    completion_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完了報告の受付を認めた職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completion_override_at = models.DateTimeField(
        _("完了報告の受付を認めた日時"), null=True, blank=True
    )

    applied_at = models.DateTimeField(_("申込日時"))
    decided_at = models.DateTimeField(_("派遣決定日時"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不採択日時"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完了報告日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("取下げ日時"), null=True, blank=True)
    expired_at = models.DateTimeField(_("期間満了日時"), null=True, blank=True)
    anonymised_at = models.DateTimeField(
        _("個人情報の消去日時"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("保存期間の経過または本人からの請求により、個人情報を消去した日時です。"),
    )

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = _("専門家派遣")
        verbose_name_plural = _("専門家派遣")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DispatchStatus.values),
                name="dispatch_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["applied", "rejected", "withdrawn"])
                | Q(
                    decision_date__isnull=False, expert__isnull=False, planned_visits__isnull=False
                ),
                name="dispatch_decided_has_decision",
            ),
        ]
        # The program report selects applications by when they were received.
        indexes = [models.Index(fields=["applied_at"], name="dispatch_applied_at")]

    def __str__(self):
        return f"{self.reference} {self.organisation}"

    def audit_label(self) -> str:
        return gettext("申込番号 %(reference)s") % {"reference": self.reference}

    def get_portal_url(self):
        return reverse("dispatch:company_dispatch", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Attestation(models.Model):
    """The applicant's answer to one 確認事項, and who checked it."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="attestations")
    item = models.ForeignKey(
        EligibilityItem, verbose_name=_("確認事項"), on_delete=models.PROTECT, related_name="+"
    )
    attested = models.BooleanField(_("申込者の回答"))
    attested_at = models.DateTimeField(_("回答日時"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("確認した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    class Meta:
        ordering = ["item__order", "pk"]
        verbose_name = _("確認事項への回答")
        verbose_name_plural = _("確認事項への回答")
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "item"], name="attestation_unique_per_item")
        ]

    def __str__(self):
        return f"{self.item.code}: {self.attested}"


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("予定")
    REPORTED = "reported", _("報告済み（企業確認待ち）")
    CONFIRMED = "confirmed", _("企業確認済み")
    DISPUTED = "disputed", _("企業から異議あり")
    CANCELLED = "cancelled", _("取消し")
    NO_SHOW = "no_show", _("不実施（企業不在）")


class Visit(models.Model):
    """One expert visit, on-site or online, and its 実施報告.

    A visit is addressed by its primary key (URLs, PDFs, mails). Its 第N回 is not stored: it is
    the position among the dispatch's visits that are not cancelled, in the order they are held
    (``selectors.visits_numbered``), so a cancellation or a new date renumbers the others. A
    filed report keeps the number it was filed with in ``report_number`` (printed on its PDF);
    the services keep the two equal by settling visits in date order."""

    Status = VisitStatus
    TRANSITIONS = {
        Status.SCHEDULED: {Status.REPORTED, Status.CANCELLED, Status.NO_SHOW},
        Status.REPORTED: {Status.CONFIRMED, Status.DISPUTED},
        Status.DISPUTED: {Status.REPORTED},
        Status.CONFIRMED: set(),
        Status.CANCELLED: set(),
        Status.NO_SHOW: set(),
    }
    MILESTONES = {
        Status.REPORTED: "reported_at",
        Status.CONFIRMED: "confirmed_at",
        Status.DISPUTED: "disputed_at",
        Status.CANCELLED: "cancelled_at",
        Status.NO_SHOW: "no_show_at",
    }
    # Cancelling a visit takes a date away from the company: it needs a reason.
    REASON_REQUIRED = {(Status.SCHEDULED, Status.CANCELLED)}
    # A cancelled visit frees its slot; a no-show used the expert's time and counts.
    COUNTED_STATUSES = (
        Status.SCHEDULED,
        Status.REPORTED,
        Status.CONFIRMED,
        Status.DISPUTED,
        Status.NO_SHOW,
    )
    DONE_STATUSES = (Status.REPORTED, Status.CONFIRMED, Status.DISPUTED, Status.NO_SHOW)
    # Held and reported: the company is asked to confirm these.
    HELD_STATUSES = (Status.REPORTED, Status.CONFIRMED, Status.DISPUTED)

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="visits")
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    date = models.DateField(_("実施日"))
    start_time = models.TimeField(_("開始時刻"), null=True, blank=True)
    mode = models.CharField(_("実施方法"), max_length=10, choices=Mode.choices, default=Mode.ONSITE)
    place = models.CharField(_("実施場所"), max_length=200, blank=True)
    online_url = models.URLField(_("オンライン会議のURL"), blank=True)

    report_number = models.PositiveSmallIntegerField(
        _("報告書の回"),
        null=True,
        blank=True,
        help_text=_("実施報告を提出した時点の回（第N回）です。報告書に印字されます。"),
    )
    report_date = models.DateField(_("実施日（報告）"), null=True, blank=True)
    report_start = models.TimeField(_("開始時刻（報告）"), null=True, blank=True)
    report_end = models.TimeField(_("終了時刻（報告）"), null=True, blank=True)
    attendees = models.TextField(_("出席者"), blank=True)
    topics = models.TextField(_("相談内容"), blank=True)
    advice = models.TextField(_("助言内容"), blank=True)
    next_steps = models.TextField(_("次回までの課題"), blank=True)
    dispute_comment = models.TextField(_("企業からの異議"), blank=True)
    cancel_reason = models.TextField(_("取消しの理由"), blank=True)

    scheduled_at = models.DateTimeField(_("登録日時"))
    reported_at = models.DateTimeField(_("報告日時"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("企業確認日時"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("異議日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    no_show_at = models.DateTimeField(_("不実施記録日時"), null=True, blank=True)

    class Meta:
        ordering = ["dispatch", "date", "start_time", "pk"]
        verbose_name = _("派遣（各回）")
        verbose_name_plural = _("派遣（各回）")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values),
                name="visit_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["onsite", "online"]), name="visit_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(report_number__isnull=True) | Q(report_number__gte=1),
                name="visit_report_number_positive",
            ),
        ]
        # The program report counts visits by the day they were held.
        indexes = [models.Index(fields=["date", "status"], name="visit_date_status")]

    def __str__(self):
        day = self.date.strftime("%Y-%m-%d") if self.date else ""
        if self.number is None:
            return gettext("%(reference)s %(date)s（取消し）") % {
                "reference": self.dispatch.reference,
                "date": day,
            }
        return gettext("%(reference)s 第%(number)s回（%(date)s）") % {
            "reference": self.dispatch.reference,
            "number": self.number,
            "date": day,
        }

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def number(self) -> int | None:
        """第N回 now: None for a cancelled visit. Lists get it from ``visits_numbered`` in the
        same query; a lone visit asks the database once."""
        if self.is_cancelled or self.pk is None:
            return None
        position = self.__dict__.get("position")
        if position is None:
            from .selectors import visit_position

            position = self.__dict__["position"] = visit_position(self)
        return position


class Survey(models.Model):
    """The company's survey after completion (アンケート)."""

    class Introduced(models.TextChoices):
        MANUAL = "manual", _("対応マニュアルの作成")
        POLICY = "policy", _("基本方針の策定・公表")
        CONTACT = "contact", _("社内相談窓口の設置")
        TRAINING = "training", _("従業員研修の実施")
        RECORDING = "recording", _("録音・録画機器の導入")
        CARE = "care", _("被害を受けた従業員へのケア体制")
        NONE = "none", _("まだ導入していない")

    dispatch = models.OneToOneField(Dispatch, on_delete=models.CASCADE, related_name="survey")
    satisfaction = models.PositiveSmallIntegerField(
        _("満足度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    introduced = models.JSONField(_("導入した取組"), default=list, blank=True)
    comment = models.TextField(_("ご意見・ご感想"), blank=True)
    submitted_at = models.DateTimeField(_("回答日時"))

    class Meta:
        verbose_name = _("派遣後アンケート")
        verbose_name_plural = _("派遣後アンケート")
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="survey_satisfaction_range",
            )
        ]

    def __str__(self):
        return f"{self.dispatch.reference} {self.satisfaction}"
