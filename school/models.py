from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from seminars.models import Seminar, SeminarKind


class CohortStatus(models.TextChoices):
    DRAFT = "draft", _("準備中")
    RECRUITING = "recruiting", _("募集中")
    IN_PROGRESS = "in_progress", _("開講中")
    FINISHED = "finished", _("修了")


class Cohort(models.Model):
    """第N期: one run of the school. Curriculum size and the completion rule are settings of the
    cohort because the program has not published them (DOMAIN §6)."""

    Status = CohortStatus
    TRANSITIONS = {
        Status.DRAFT: {Status.RECRUITING},
        Status.RECRUITING: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.FINISHED},
        Status.FINISHED: set(),
    }
    MILESTONES = {
        Status.RECRUITING: "recruiting_at",
        Status.IN_PROGRESS: "started_at",
        Status.FINISHED: "finished_at",
    }
    REASON_REQUIRED: set = set()  # a cohort only moves forward

    number = models.PositiveSmallIntegerField(
        _("期"), unique=True, validators=[MinValueValidator(1)]
    )
    title = models.CharField(_("名称"), max_length=200, default="東京都サービス生産性革新スクール")
    start_date = models.DateField(_("開講日"))
    end_date = models.DateField(_("修了日"))
    application_opens_on = models.DateField(_("申込受付開始日"), null=True, blank=True)
    application_closes_on = models.DateField(_("申込締切日"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("定員（社）"), default=12, validators=[MinValueValidator(1)]
    )
    max_participants_per_company = models.PositiveSmallIntegerField(
        _("1社あたりの参加者数の上限"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    planned_sessions = models.PositiveSmallIntegerField(_("集合研修の予定回数"), default=6)
    planned_hours = models.DecimalField(
        _("集合研修の予定時間数"), max_digits=5, decimal_places=1, default=18
    )
    coaching_visits_per_company = models.PositiveSmallIntegerField(
        _("個別支援の上限回数（1社あたり）"), default=3
    )
    completion_threshold_percent = models.PositiveSmallIntegerField(
        _("修了に必要な出席率（％）"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    venue = models.CharField(_("会場"), max_length=200, blank=True)
    description = models.TextField(_("概要"), blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    recruiting_at = models.DateTimeField(_("募集開始日時"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("開講日時"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("修了日時"), null=True, blank=True, editable=False)
    instructors = models.ManyToManyField(
        "Instructor", verbose_name=_("講師"), blank=True, related_name="cohorts"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("スクール（期）")
        verbose_name_plural = _("スクール（期）")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CohortStatus.values),
                name="school_cohort_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="school_cohort_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    completion_threshold_percent__gte=1, completion_threshold_percent__lte=100
                ),
                name="school_cohort_threshold_range",
            ),
        ]

    def __str__(self):
        return f"{self.label} {self.title}"

    @property
    def label(self) -> str:
        return gettext("第%(number)s期") % {"number": self.number}


class Instructor(models.Model):
    """専任講師."""

    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("フリガナ"), max_length=100, blank=True)
    qualification = models.CharField(_("資格・肩書"), max_length=200, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("講師")
        verbose_name_plural = _("講師")

    def __str__(self):
        return self.name


class CurriculumSession(models.Model):
    """One group lecture or workshop of a cohort (集合研修)."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("講義")
        WORKSHOP = "workshop", _("ワークショップ")

    cohort = models.ForeignKey(
        Cohort, verbose_name=_("期"), on_delete=models.CASCADE, related_name="sessions"
    )
    number = models.PositiveSmallIntegerField(_("回"), validators=[MinValueValidator(1)])
    kind = models.CharField(_("形式"), max_length=20, choices=Kind.choices, default=Kind.LECTURE)
    date = models.DateField(_("日付"))
    start_time = models.TimeField(_("開始時刻"))
    end_time = models.TimeField(_("終了時刻"))
    topic = models.CharField(_("テーマ"), max_length=200)
    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("講師"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )

    class Meta:
        ordering = ["cohort", "number"]
        verbose_name = _("集合研修")
        verbose_name_plural = _("集合研修")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="school_session_unique"),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="school_session_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["lecture", "workshop"]), name="school_session_kind_valid"
            ),
        ]

    def __str__(self):
        return gettext("第%(number)s回 %(topic)s") % {"number": self.number, "topic": self.topic}


class InfoSessionManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=SeminarKind.INFO_SESSION)


class InfoSession(Seminar):
    """A 説明会 as the school side of the admin shows it: a row of the seminars' table with
    ``kind`` INFO_SESSION, registered through the seminars' services."""

    objects = InfoSessionManager()

    class Meta:
        proxy = True
        ordering = ["starts_at"]
        verbose_name = _("説明会")
        verbose_name_plural = _("説明会")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("選考中")
    ACCEPTED = "accepted", _("受講決定")
    WAITING = "waiting", _("補欠（順番待ち）")
    DECLINED = "declined", _("見送り")


class Application(models.Model):
    """A company's application for a cohort; once accepted it is the company's line in the roster."""

    Status = ApplicationStatus
    TRANSITIONS = {
        Status.SUBMITTED: {Status.ACCEPTED, Status.WAITING, Status.DECLINED},
        Status.WAITING: {Status.ACCEPTED, Status.DECLINED},
        # An accepted company that drops out (or is withdrawn by the desk) frees its seat.
        Status.ACCEPTED: {Status.DECLINED},
        Status.DECLINED: set(),
    }
    MILESTONES = {
        Status.ACCEPTED: "accepted_at",
        Status.WAITING: "waitlisted_at",
        Status.DECLINED: "declined_at",
    }
    # Declining after acceptance takes a seat away: it needs a reason.
    REASON_REQUIRED = {(Status.ACCEPTED, Status.DECLINED)}

    class Concern(models.TextChoices):
        SCATTERED_SYSTEMS = (
            "scattered_systems",
            _("アプリやシステムが散在していて、情報を一元化できない"),
        )
        PAPER_HABIT = "paper_habit", _("何でも紙にする習慣から抜け出せない")
        WHERE_TO_START = "where_to_start", _("何から手をつければよいかわからない")
        SPECIAL_INDUSTRY = "special_industry", _("特殊な業界のため、合う解決策が見つからない")
        BOTTLENECK = "bottleneck", _("業務の工程でボトルネックが発生している")
        RELUCTANCE = "reluctance", _("経営者や社員が生産性向上に消極的である")

    cohort = models.ForeignKey(
        Cohort, verbose_name=_("期"), on_delete=models.PROTECT, related_name="applications"
    )
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        on_delete=models.PROTECT,
        related_name="school_applications",
    )
    main_business = models.CharField(_("主な事業内容"), max_length=200)
    contact_name = models.CharField(_("ご担当者氏名"), max_length=100)
    contact_name_kana = models.CharField(_("ご担当者氏名（フリガナ）"), max_length=100, blank=True)
    contact_email = models.EmailField(_("ご担当者メールアドレス"))
    contact_phone = models.CharField(_("ご担当者電話番号"), max_length=20, blank=True)
    concerns = models.JSONField(_("現在のお悩み"), default=list, blank=True)
    info_session = models.ForeignKey(
        "seminars.Seminar",
        verbose_name=_("参加した説明会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="school_applications",
        limit_choices_to={"kind": SeminarKind.INFO_SESSION},
        help_text=_("お申込みの際に、参加したと答えた説明会です。"),
    )
    concerns_other = models.TextField(_("その他のお悩み・受講の目的"), blank=True)
    language = models.CharField(
        _("連絡に使う言語"), max_length=10, choices=settings.LANGUAGES, default="ja"
    )
    consent_version = models.CharField(_("同意した個人情報の取扱いの版"), max_length=20)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    roster_number = models.PositiveSmallIntegerField(
        _("名簿番号（№）"), null=True, blank=True, editable=False
    )
    decision_note = models.TextField(_("選考メモ（社内用）"), blank=True)
    submitted_at = models.DateTimeField(_("申込日時"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("受講決定日時"), null=True, blank=True, editable=False)
    waitlisted_at = models.DateTimeField(_("補欠登録日時"), null=True, blank=True, editable=False)
    declined_at = models.DateTimeField(_("見送り日時"), null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(
        _("個人情報の消去日時"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("保存期間の経過または本人からの請求により、個人情報を消去した日時です。"),
    )

    class Meta:
        ordering = ["cohort", "roster_number", "submitted_at"]
        verbose_name = _("スクール申込")
        verbose_name_plural = _("スクール申込")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values),
                name="school_application_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted", roster_number__isnull=False)
                | (~Q(status="accepted") & Q(roster_number__isnull=True)),
                name="school_application_roster_number_iff_accepted",
            ),
            models.UniqueConstraint(
                fields=["cohort", "roster_number"], name="school_application_roster_number_unique"
            ),
            models.UniqueConstraint(
                fields=["cohort", "organisation"],
                condition=~Q(status="declined"),
                name="school_application_one_per_company",
            ),
        ]

    def __str__(self):
        return f"{self.cohort.label} {self.organisation}"

    def get_portal_url(self) -> str:
        return reverse("school:application_status", args=[self.pk])

    @property
    def concern_labels(self) -> list[str]:
        labels = dict(self.Concern.choices)
        return [str(labels[c]) for c in self.concerns if c in labels]


class Participant(models.Model):
    """A person a company sends to the school (1–3 per company)."""

    application = models.ForeignKey(
        Application, verbose_name=_("申込"), on_delete=models.CASCADE, related_name="participants"
    )
    position = models.PositiveSmallIntegerField(_("順"), default=1)
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("フリガナ"), max_length=100, blank=True)
    department = models.CharField(_("所属"), max_length=100, blank=True)
    role = models.CharField(_("役職"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)

    class Meta:
        ordering = ["application", "position", "pk"]
        verbose_name = _("参加者")
        verbose_name_plural = _("参加者")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "position"], name="school_participant_position_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def affiliation(self) -> str:
        """所属・役職 as the roster prints it."""
        return " ".join(part for part in (self.department, self.role) if part)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    LATE = "late", _("遅刻・早退")
    ABSENT = "absent", _("欠席")


class Attendance(models.Model):
    """A participant's attendance at one session."""

    Status = AttendanceStatus
    # A mark, not a course: staff correct any mark to any other.
    TRANSITIONS = {
        Status.PRESENT: {Status.LATE, Status.ABSENT},
        Status.LATE: {Status.PRESENT, Status.ABSENT},
        Status.ABSENT: {Status.PRESENT, Status.LATE},
    }
    MILESTONES: dict = {}  # recorded_at is stamped on every save
    REASON_REQUIRED: set = set()
    ATTENDED = (Status.PRESENT, Status.LATE)

    participant = models.ForeignKey(
        Participant, verbose_name=_("参加者"), on_delete=models.CASCADE, related_name="attendances"
    )
    session = models.ForeignKey(
        CurriculumSession,
        verbose_name=_("集合研修"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    status = models.CharField(_("出欠"), max_length=10, choices=Status.choices)
    recorded_at = models.DateTimeField(_("記録日時"), auto_now=True)

    class Meta:
        verbose_name = _("出欠")
        verbose_name_plural = _("出欠")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "session"], name="school_attendance_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values),
                name="school_attendance_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.participant} / {self.session}: {self.get_status_display()}"


class CoachingVisit(models.Model):
    """個別支援: an instructor's visit (on site or online) to one company of the cohort."""

    class Mode(models.TextChoices):
        ONSITE = "onsite", _("訪問")
        ONLINE = "online", _("オンライン")

    application = models.ForeignKey(
        Application,
        verbose_name=_("受講企業"),
        on_delete=models.CASCADE,
        related_name="coaching_visits",
    )
    sequence = models.PositiveSmallIntegerField(_("回"))
    date = models.DateField(_("実施日"))
    start_time = models.TimeField(_("開始時刻"))
    end_time = models.TimeField(_("終了時刻"))
    mode = models.CharField(_("実施方法"), max_length=10, choices=Mode.choices, default=Mode.ONSITE)
    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("講師"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coaching_visits",
    )
    topics = models.CharField(_("テーマ"), max_length=200)
    notes = models.TextField(_("支援内容・次回までの課題"), blank=True)
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        ordering = ["application", "sequence"]
        verbose_name = _("個別支援")
        verbose_name_plural = _("個別支援")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sequence"], name="school_coaching_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="school_coaching_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["onsite", "online"]), name="school_coaching_mode_valid"
            ),
        ]

    def __str__(self):
        return gettext("%(application)s 個別支援 第%(number)s回") % {
            "application": self.application,
            "number": self.sequence,
        }


class Certificate(models.Model):
    """修了証: issued once per participant who met the cohort's attendance threshold."""

    participant = models.OneToOneField(
        Participant, verbose_name=_("参加者"), on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("修了証番号"), max_length=30, unique=True)
    issued_on = models.DateField(_("交付日"))
    attendance_percent = models.DecimalField(_("出席率（％）"), max_digits=5, decimal_places=1)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("修了証")
        verbose_name_plural = _("修了証")

    def __str__(self):
        return self.number

    def audit_label(self) -> str:
        return gettext("修了証番号 %(number)s") % {"number": self.number}
