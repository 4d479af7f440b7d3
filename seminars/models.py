import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.deadlines import jst_date
from kosha_portal.japan.wareki import format_gregorian, format_wareki


class SeminarStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    PUBLISHED = "published", _("公開中")
    CANCELLED = "cancelled", _("中止")
    FINISHED = "finished", _("終了")


class SeminarKind(models.TextChoices):
    SEMINAR = "seminar", _("セミナー")
    INFO_SESSION = "info_session", _("説明会")


class Seminar(models.Model):
    """One seminar session (第N回) with its own registration window and seats per format. The
    school's information sessions (説明会) are rows of the same table with ``kind`` INFO_SESSION
    and their cohort: one registration engine (seats, waiting list, cancellation, reminders)
    serves both kinds; only the wording, the pages and the sign-off differ."""

    Status = SeminarStatus
    Kind = SeminarKind

    class Format(models.TextChoices):
        VENUE = "venue", _("会場開催")
        ONLINE = "online", _("オンライン開催")
        HYBRID = "hybrid", _("会場・オンライン併用")

    TRANSITIONS = {
        Status.DRAFT: {Status.PUBLISHED, Status.CANCELLED},
        Status.PUBLISHED: {Status.CANCELLED, Status.FINISHED},
        Status.CANCELLED: set(),
        Status.FINISHED: set(),
    }
    MILESTONES = {
        Status.PUBLISHED: "published_at",
        Status.CANCELLED: "cancelled_at",
        Status.FINISHED: "finished_at",
    }
    # 中止 always needs a reason (registrants are told it).
    REASON_REQUIRED = {
        (Status.DRAFT, Status.CANCELLED),
        (Status.PUBLISHED, Status.CANCELLED),
    }

    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    kind = models.CharField(
        _("種別"), max_length=20, choices=SeminarKind.choices, default=SeminarKind.SEMINAR
    )
    cohort = models.ForeignKey(
        "school.Cohort",
        verbose_name=_("スクールの期"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="info_sessions",
        help_text=_("説明会の対象となるスクールの期です。"),
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"),
        validators=[MinValueValidator(2019), MaxValueValidator(2100)],
        help_text=_("西暦の年度です（例：令和5年度なら 2023）。"),
    )
    number = models.PositiveSmallIntegerField(_("回"), help_text=_("第何回かを数字で入力します。"))
    part = models.CharField(_("編"), max_length=100, blank=True, help_text=_("例：社内体制構築編"))
    title = models.CharField(_("題名"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    lecturer = models.CharField(_("講師"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("開始日時"))
    ends_at = models.DateTimeField(_("終了日時"))
    format = models.CharField(
        _("開催形式"), max_length=10, choices=Format.choices, default=Format.VENUE
    )
    venue_name = models.CharField(_("会場名"), max_length=200, blank=True)
    venue_address = models.CharField(_("会場住所"), max_length=200, blank=True)
    venue_map_url = models.URLField(_("会場の地図URL"), blank=True)
    online_url = models.URLField(
        _("オンライン参加URL"),
        blank=True,
        help_text=_("参加が確定した方にだけ、メールとお申込み状況ページでお知らせします。"),
    )
    venue_seats = models.PositiveIntegerField(_("会場定員"), default=0)
    online_seats = models.PositiveIntegerField(_("オンライン定員"), default=0)
    seats_per_company = models.PositiveSmallIntegerField(
        _("1社あたりの上限人数"),
        null=True,
        blank=True,
        help_text=_("空欄なら上限なし。キャンセル待ちも含めて数えます。"),
    )
    registration_opens_at = models.DateTimeField(_("受付開始日時"))
    registration_closes_at = models.DateTimeField(_("受付終了日時"))
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("中止日時"), null=True, blank=True)
    cancel_reason = models.TextField(_("中止の理由"), blank=True)
    finished_at = models.DateTimeField(_("終了処理日時"), null=True, blank=True)
    archive_url = models.URLField(_("アーカイブ動画URL"), blank=True)
    survey_enabled = models.BooleanField(_("アンケートを受け付ける"), default=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("セミナー")
        verbose_name_plural = _("セミナー")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "fiscal_year", "number"], name="seminar_kind_year_number_unique"
            ),
            # A 説明会 belongs to a cohort; a seminar to none.
            models.CheckConstraint(
                condition=Q(kind="seminar", cohort__isnull=True)
                | Q(kind="info_session", cohort__isnull=False),
                name="seminar_cohort_iff_info_session",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SeminarStatus.values),
                name="seminar_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["venue", "online", "hybrid"]), name="seminar_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="seminar_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                name="seminar_registration_window_valid",
            ),
        ]

    def __str__(self):
        if self.is_info_session:
            return gettext("説明会（%(date)s）『%(title)s』") % {
                "date": self.date_label,
                "title": self.title,
            }
        if self.part:
            return gettext("第%(number)s回 %(part)s『%(title)s』") % {
                "number": self.number,
                "part": self.part,
                "title": self.title,
            }
        return gettext("第%(number)s回『%(title)s』") % {"number": self.number, "title": self.title}

    def get_absolute_url(self):
        if self.is_info_session:
            return reverse("school:info_session", args=[self.pk])
        return reverse("seminars:detail", args=[self.pk])

    def get_done_url(self):
        if self.is_info_session:
            return reverse("school:info_session_done", args=[self.pk])
        return reverse("seminars:done", args=[self.pk])

    def get_resend_url(self):
        if self.is_info_session:
            return reverse("school:info_session_resend", args=[self.pk])
        return reverse("seminars:resend", args=[self.pk])

    @property
    def is_info_session(self) -> bool:
        return self.kind == SeminarKind.INFO_SESSION

    @property
    def date_label(self) -> str:
        """The day in the reader's calendar: 和暦 in Japanese, Gregorian in English (GLOSSARY)."""
        day = self.date_jst
        if (get_language() or "ja").startswith("ja"):
            return format_wareki(day)
        return format_gregorian(day)

    @property
    def date_jst(self):
        return jst_date(self.starts_at)

    @property
    def attendance_formats(self) -> list[str]:
        """The formats a participant can choose (Registration.Format values)."""
        if self.format == self.Format.HYBRID:
            return [Registration.Format.VENUE, Registration.Format.ONLINE]
        return [self.format]

    def seats_for(self, attendance_format: str) -> int:
        if attendance_format == Registration.Format.VENUE:
            return self.venue_seats
        return self.online_seats

    @property
    def has_venue(self) -> bool:
        return Registration.Format.VENUE in self.attendance_formats

    @property
    def has_online(self) -> bool:
        return Registration.Format.ONLINE in self.attendance_formats


# The short check-in code staff type at the door: no 0/O, 1/I/L, 2/Z, 5/S or 8/B to mix up.
CHECKIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CHECKIN_CODE_LENGTH = 8


def checkin_token_new() -> str:
    """The check-in token the QR code carries: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def checkin_code_new() -> str:
    """A short code (unique per event is checked where registrations are created)."""
    return "".join(secrets.choice(CHECKIN_CODE_ALPHABET) for _ in range(CHECKIN_CODE_LENGTH))


class RegistrationStatus(models.TextChoices):
    WAITING = "waiting", _("キャンセル待ち")
    CONFIRMED = "confirmed", _("参加確定")
    CANCELLED = "cancelled", _("キャンセル済み")
    ATTENDED = "attended", _("出席")
    NO_SHOW = "no_show", _("欠席")


class Registration(models.Model):
    """One participant's registration for one seminar."""

    Status = RegistrationStatus

    class Format(models.TextChoices):
        VENUE = "venue", _("会場で参加")
        ONLINE = "online", _("オンラインで参加")

    class HeardFrom(models.TextChoices):
        KOSHA_WEB = "kosha_web", _("公社ホームページ")
        EMAIL = "email", _("公社からのメール")
        LEAFLET = "leaflet", _("チラシ・パンフレット")
        DESK = "desk", _("特別相談窓口・専門家からの紹介")
        ASSOCIATION = "association", _("業界団体・商工会等")
        SNS = "sns", _("SNS")
        OTHER = "other", _("その他")

    TRANSITIONS = {
        Status.WAITING: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.CANCELLED, Status.ATTENDED, Status.NO_SHOW},
        Status.ATTENDED: {Status.CONFIRMED},  # undo a check-in tapped by mistake
        Status.NO_SHOW: {Status.ATTENDED},  # checked in late, after the seminar was closed
        Status.CANCELLED: set(),
    }
    MILESTONES = {
        Status.CONFIRMED: "confirmed_at",
        Status.CANCELLED: "cancelled_at",
        Status.ATTENDED: "attended_at",
        Status.NO_SHOW: "no_show_at",
        (Status.ATTENDED, Status.CONFIRMED): None,  # an undone check-in keeps its confirmation
    }
    # A cancellation and an undone check-in need a reason (the registrant's own cancellation
    # and the door's undo button give theirs).
    REASON_REQUIRED = {
        (Status.WAITING, Status.CANCELLED),
        (Status.CONFIRMED, Status.CANCELLED),
        (Status.ATTENDED, Status.CONFIRMED),
    }
    ACTIVE = [Status.WAITING, Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW]
    HOLDING_SEAT = [Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW]

    seminar = models.ForeignKey(
        Seminar, verbose_name=_("セミナー"), on_delete=models.PROTECT, related_name="registrations"
    )
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        on_delete=models.PROTECT,
        related_name="seminar_registrations",
    )
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("氏名（フリガナ）"), max_length=100)
    department = models.CharField(_("部署"), max_length=100, blank=True)
    role = models.CharField(_("役職"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"))
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    format = models.CharField(_("参加方法"), max_length=10, choices=Format.choices)
    # Set when the chosen format was full and the registrant took a seat in the other one.
    requested_format = models.CharField(
        _("申込時に希望した参加方法"),
        max_length=10,
        choices=Format.choices,
        blank=True,
        help_text=_("希望した参加方法が満席で、空席のある参加方法に変更した場合に記録します。"),
    )
    question = models.TextField(_("講師への質問"), blank=True)
    heard_from = models.CharField(
        _("セミナーを知ったきっかけ"), max_length=20, choices=HeardFrom.choices, blank=True
    )
    consent_at = models.DateTimeField(_("個人情報の取扱いへの同意日時"))
    privacy_notice_version = models.CharField(_("同意した個人情報取扱いの版"), max_length=20)
    language = models.CharField(_("言語"), max_length=10, default="ja")
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, db_index=True)
    waiting_position = models.PositiveIntegerField(_("キャンセル待ち順位"), null=True, blank=True)
    created_at = models.DateTimeField(_("申込日時"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("参加確定日時"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("繰り上げ日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("キャンセル日時"), null=True, blank=True)
    attended_at = models.DateTimeField(_("出席確認日時"), null=True, blank=True)
    no_show_at = models.DateTimeField(_("欠席確定日時"), null=True, blank=True)
    # Set when the reminder was handled: sent, or skipped because the registration was confirmed
    # after it fell due (the confirmation already carried the same information).
    reminder_early_at = models.DateTimeField(
        _("3営業日前リマインダー処理日時"), null=True, blank=True
    )
    reminder_eve_at = models.DateTimeField(_("前日リマインダー処理日時"), null=True, blank=True)
    thanks_sent_at = models.DateTimeField(_("お礼メール処理日時"), null=True, blank=True)
    anonymised_at = models.DateTimeField(
        _("個人情報の消去日時"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("保存期間の経過または本人からの請求により、個人情報を消去した日時です。"),
    )
    # What the confirmation's QR code carries, and the short code printed beside it for staff to
    # type: either checks in this registration, for this event only (services.registration_
    # check_in_by_code).
    checkin_token = models.CharField(
        _("受付用トークン"), max_length=64, unique=True, default=checkin_token_new, editable=False
    )
    checkin_code = models.CharField(
        _("受付コード"), max_length=CHECKIN_CODE_LENGTH, default=checkin_code_new, editable=False
    )

    class Meta:
        ordering = ["seminar", "name_kana", "pk"]
        verbose_name = _("セミナー申込")
        verbose_name_plural = _("セミナー申込")
        constraints = [
            # One live registration per address and seminar: the database refuses the second one
            # even when two submissions race. Anonymised rows have no address any more.
            models.UniqueConstraint(
                fields=["seminar", "email"],
                condition=~Q(status="cancelled") & Q(anonymised_at__isnull=True),
                name="registration_one_per_email",
            ),
            models.UniqueConstraint(
                fields=["seminar", "checkin_code"], name="registration_checkin_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["venue", "online"]), name="registration_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(requested_format__in=["", "venue", "online"])
                & ~Q(requested_format=F("format")),
                name="registration_requested_format_differs",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting", waiting_position__isnull=False)
                | (~Q(status="waiting") & Q(waiting_position__isnull=True)),
                name="registration_waiting_position_iff_waiting",
            ),
        ]
        indexes = [models.Index(fields=["seminar", "format", "status"])]

    def __str__(self):
        return gettext("%(name)s（%(seminar)s）") % {"name": self.name, "seminar": self.seminar}

    def get_portal_url(self):
        if self.seminar.is_info_session:
            return reverse("school:info_session_registration", args=[self.pk])
        return reverse("seminars:registration", args=[self.pk])

    def get_cancel_url(self):
        if self.seminar.is_info_session:
            return reverse("school:info_session_cancel", args=[self.pk])
        return reverse("seminars:cancel", args=[self.pk])

    @property
    def holds_seat(self) -> bool:
        return self.status in self.HOLDING_SEAT

    @property
    def checkin_code_display(self) -> str:
        """The short code in two groups of four (ABCD-EFGH), as mails and pages print it; the
        check-in field accepts it with or without the hyphen."""
        code = self.checkin_code
        return f"{code[:4]}-{code[4:]}"

    @property
    def shows_checkin_code(self) -> bool:
        """The QR code and short code are for those who come to the door with a seat."""
        return (
            self.status in (self.Status.CONFIRMED, self.Status.ATTENDED, self.Status.NO_SHOW)
            and self.format == self.Format.VENUE
            and self.seminar.status != Seminar.Status.CANCELLED
        )

    @property
    def ics_uid(self) -> str:
        """The calendar event's UID: the same in the confirmation and in a cancellation, so a
        calendar that imported the one removes the event on the other."""
        return f"seminar-{self.seminar_id}-registration-{self.pk}@kosha-portal"

    @property
    def may_see_online_url(self) -> bool:
        return (
            self.holds_seat
            and self.format == self.Format.ONLINE
            and self.seminar.status != Seminar.Status.CANCELLED
        )


class SurveyIntention(models.TextChoices):
    """「今後、自社で取り組みたいこと」: what the seminar made the company want to do next."""

    POLICY = "policy", _("基本方針の策定・周知")
    MANUAL = "manual", _("対応マニュアルの作成・見直し")
    CONTACT_POINT = "contact_point", _("社内相談窓口の設置")
    TRAINING = "training", _("従業員への研修")
    RECORDING = "recording", _("録音・録画など記録の仕組みづくり")
    DESK = "desk", _("特別相談窓口への相談")
    DISPATCH = "dispatch", _("専門家派遣の利用")
    NONE = "none", _("特になし")


class SurveyResponse(models.Model):
    """The participant's answers to the survey after the seminar (one per registration)."""

    Intention = SurveyIntention
    # Answers that exclude every other one in the same question.
    EXCLUSIVE_INTENTIONS = (SurveyIntention.NONE,)

    RATING_CHOICES = [
        (5, _("とても満足")),
        (4, _("満足")),
        (3, _("ふつう")),
        (2, _("やや不満")),
        (1, _("不満")),
    ]
    USEFULNESS_CHOICES = [
        (5, _("とても役に立つ")),
        (4, _("役に立つ")),
        (3, _("どちらともいえない")),
        (2, _("あまり役に立たない")),
        (1, _("役に立たない")),
    ]

    registration = models.OneToOneField(
        Registration, verbose_name=_("申込"), on_delete=models.CASCADE, related_name="survey"
    )
    submitted_at = models.DateTimeField(_("回答日時"), auto_now_add=True)
    satisfaction = models.PositiveSmallIntegerField(_("満足度"), choices=RATING_CHOICES)
    usefulness = models.PositiveSmallIntegerField(
        _("自社の対策への役立ち度"), choices=USEFULNESS_CHOICES
    )
    intentions = models.JSONField(_("今後、自社で取り組みたいこと"), default=list, blank=True)
    comment = models.TextField(_("ご意見・ご感想"), blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("セミナーアンケート回答")
        verbose_name_plural = _("セミナーアンケート回答")
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="seminar_survey_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=Q(usefulness__gte=1, usefulness__lte=5),
                name="seminar_survey_usefulness_range",
            ),
        ]

    def __str__(self):
        return f"{self.registration}"

    @property
    def intention_labels(self) -> list[str]:
        labels = dict(SurveyIntention.choices)
        return [str(labels[value]) for value in self.intentions if value in labels]
