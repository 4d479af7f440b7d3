import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Webフォーム")
    PHONE = "phone", _("電話")
    VISIT = "visit", _("来所")
    EMAIL = "email", _("メール")


class ContactWay(models.TextChoices):
    EMAIL = "email", _("メール")
    PHONE = "phone", _("電話")
    EITHER = "either", _("どちらでも可")


class ContactTime(models.TextChoices):
    ANY = "any", _("指定なし")
    MORNING = "morning", _("午前（9:00〜11:30）")
    AFTERNOON = "afternoon", _("午後（13:00〜16:30）")


class Place(models.TextChoices):
    SHOP = "shop", _("店舗・窓口での対面")
    PHONE = "phone", _("電話")
    EMAIL_CHAT = "email_chat", _("メール・チャット")
    SNS = "sns", _("SNS・口コミサイト")
    OFF_PREMISES = "off_premises", _("社外（顧客の自宅・喫茶店など）")
    OTHER = "other", _("その他")


class BehaviourType(models.TextChoices):
    """After the MHLW カスタマーハラスメント対策企業マニュアル (2022)."""

    LONG_CONFINEMENT = "long_confinement", _("時間拘束型")
    REPEAT = "repeat", _("リピート型")
    VERBAL_ABUSE = "verbal_abuse", _("暴言型")
    VIOLENCE = "violence", _("暴力型")
    THREAT = "threat", _("威嚇・脅迫型")
    AUTHORITY = "authority", _("権威型")
    OFF_PREMISES = "off_premises", _("店舗外拘束型")
    ONLINE_DEFAMATION = "online_defamation", _("SNS・ネット上の誹謗中傷型")
    SEXUAL = "sexual", _("セクハラ型")
    KNEELING = "kneeling", _("土下座の要求")
    DISCRIMINATION = "discrimination", _("差別的言動")


class Damage(models.TextChoices):
    STAFF_LEFT = "staff_left", _("従業員の退職・休職")
    INJURY = "injury", _("けが")
    POLICE = "police", _("警察への通報・相談")
    FINANCIAL = "financial", _("金銭的な損害")
    REPUTATION = "reputation", _("ネット上の評判の低下")


class Measure(models.TextChoices):
    POLICY = "policy", _("基本方針の策定・公表")
    INTERNAL_CONTACT = "internal_contact", _("社内相談窓口の設置")
    MANUAL = "manual", _("対応マニュアル・手順の整備")
    TRAINING = "training", _("従業員への研修")
    FACT_FINDING = "fact_finding", _("事実関係の確認の手順")
    STAFF_CARE = "staff_care", _("被害を受けた従業員へのケア")
    RECURRENCE = "recurrence", _("再発防止の取組")
    RECORDING = "recording", _("録音・録画機器の設置")
    EXPERT_CONTRACT = "expert_contract", _("外部専門家との契約")


class RequestedSupport(models.TextChoices):
    ADVICE = "advice", _("助言（相談のみ）")
    DISPATCH = "dispatch", _("専門家派遣")
    SEMINAR = "seminar", _("セミナーのご案内")


class Assessment(models.TextChoices):
    """The MHLW two-axis test, answered by staff during triage."""

    UNDECIDED = "", _("未判断")
    YES = "yes", _("相当・妥当")
    NO = "no", _("不相当・不当")
    UNCLEAR = "unclear", _("判断が難しい")


def _codes(choices) -> list[str]:
    return [value for value, _label in choices]


class FiscalYearCounter(models.Model):
    """The fiscal years that have 相談番号. On SQLite (the embedded default) its row counts the
    year's numbers, locked while one is taken. On PostgreSQL each year's numbers come from a
    sequence of its own (consultations.services.reference_sequences_take); the row is written when
    that sequence is created and keeps the number the year had reached then."""

    fiscal_year = models.PositiveSmallIntegerField(primary_key=True)
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("相談番号の採番")
        verbose_name_plural = _("相談番号の採番")

    def __str__(self):
        return f"{self.fiscal_year}: {self.last_sequence}"


class ConsultationStatus(models.TextChoices):
    NEW = "new", _("新規受付")
    IN_PROGRESS = "in_progress", _("対応中")
    ANSWERED = "answered", _("回答済み")
    CLOSED = "closed", _("完了")
    WITHDRAWN = "withdrawn", _("取下げ")


class Consultation(models.Model):
    """A consultation at the special desk (特別相談窓口)."""

    Status = ConsultationStatus
    # The one map of allowed moves (kosha_portal.workflow). Reopening (再開) brings an answered,
    # closed or withdrawn case back to 対応中.
    TRANSITIONS = {
        Status.NEW: {Status.IN_PROGRESS, Status.WITHDRAWN},
        Status.IN_PROGRESS: {Status.ANSWERED, Status.CLOSED, Status.WITHDRAWN},
        Status.ANSWERED: {Status.IN_PROGRESS, Status.CLOSED, Status.WITHDRAWN},
        Status.CLOSED: {Status.IN_PROGRESS},
        Status.WITHDRAWN: {Status.IN_PROGRESS},
    }
    MILESTONES = {
        Status.IN_PROGRESS: "started_at",
        Status.ANSWERED: "answered_at",
        Status.CLOSED: "closed_at",
        Status.WITHDRAWN: "withdrawn_at",
        (Status.ANSWERED, Status.IN_PROGRESS): "reopened_at",
        (Status.CLOSED, Status.IN_PROGRESS): "reopened_at",
        (Status.WITHDRAWN, Status.IN_PROGRESS): "reopened_at",
    }
    # 取下げ and every move back from 回答済・完了・取下げ (再開) need a reason.
    REASON_REQUIRED = {
        (Status.NEW, Status.WITHDRAWN),
        (Status.IN_PROGRESS, Status.WITHDRAWN),
        (Status.ANSWERED, Status.WITHDRAWN),
        (Status.ANSWERED, Status.IN_PROGRESS),
        (Status.CLOSED, Status.IN_PROGRESS),
        (Status.WITHDRAWN, Status.IN_PROGRESS),
    }

    reference = models.CharField(_("相談番号"), max_length=20, unique=True, editable=False)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    sequence = models.PositiveIntegerField(_("年度内連番"), editable=False)
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    channel = models.CharField(
        _("受付経路"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.NEW)
    received_at = models.DateTimeField(_("受付日時"), db_index=True)
    reply_by = models.DateField(_("回答期限"))
    started_at = models.DateTimeField(_("対応開始日時"), null=True, blank=True)
    answered_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("取下げ日時"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("再開日時"), null=True, blank=True)
    anonymised_at = models.DateTimeField(
        _("個人情報の消去日時"),
        null=True,
        blank=True,
        help_text=_("保存期間を過ぎ、連絡先・相談内容・添付ファイルを消去した日時です。"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_consultations",
        db_index=False,  # consultation_officer_recv leads with it
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受付した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("電話・来所・メールで職員が記録した相談の場合"),
    )

    contact_name = models.CharField(_("ご担当者名"), max_length=100)
    contact_kana = models.CharField(_("ご担当者名（フリガナ）"), max_length=100, blank=True)
    contact_department = models.CharField(_("部署"), max_length=100, blank=True)
    contact_role = models.CharField(_("役職"), max_length=100, blank=True)
    contact_email = models.EmailField(_("メールアドレス"))
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    contact_way = models.CharField(
        _("希望する連絡方法"), max_length=10, choices=ContactWay.choices, default=ContactWay.EMAIL
    )
    contact_time = models.CharField(
        _("連絡を希望する時間帯"),
        max_length=10,
        choices=ContactTime.choices,
        default=ContactTime.ANY,
    )

    # Multi-selects are lists of choice codes (JSON works on PostgreSQL and the SQLite demo).
    places = models.JSONField(_("発生した場面"), default=list, blank=True)
    behaviour_types = models.JSONField(_("行為の類型"), default=list, blank=True)
    damages = models.JSONField(_("被害の状況"), default=list, blank=True)
    measures = models.JSONField(_("実施済みの対策"), default=list, blank=True)
    requested_support = models.JSONField(_("希望する支援"), default=list, blank=True)
    description = models.TextField(_("ご相談内容"))

    language = models.CharField(
        _("連絡に使う言語"), max_length=10, choices=settings.LANGUAGES, default="ja"
    )
    privacy_notice_version = models.CharField(_("同意した個人情報の取扱いの版"), max_length=20)
    privacy_consented_at = models.DateTimeField(_("同意日時"), null=True, blank=True)

    # Staff triage (MHLW two-axis test) and follow-up.
    demand_reasonableness = models.CharField(
        _("要求内容の妥当性"), max_length=10, blank=True, choices=Assessment.choices, default=""
    )
    means_acceptability = models.CharField(
        _("手段・態様の相当性"), max_length=10, blank=True, choices=Assessment.choices, default=""
    )
    follow_up_on = models.DateField(_("フォローアップ予定日"), null=True, blank=True)

    # The dispatch-need determination (必要性の確認): the gate to expert dispatch.
    dispatch_need = models.BooleanField(_("専門家派遣の必要性"), null=True, blank=True)
    dispatch_need_reason = models.TextField(_("判断理由"), blank=True)
    dispatch_need_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判断した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dispatch_need_decided_on = models.DateField(_("判断日"), null=True, blank=True)
    dispatch_need_override_note = models.TextField(
        _("要件の警告を確認したうえでの判断メモ"),
        blank=True,
        help_text=_(
            "派遣の申込要件（都内・中小企業・申込期間・派遣回数）を満たさない見込みのまま"
            "「必要性あり」とした場合に、職員が確認した内容です。"
        ),
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("相談")
        verbose_name_plural = _("相談")
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "sequence"], name="consultation_sequence_unique_per_year"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConsultationStatus.values),
                name="consultation_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=_codes(Channel.choices)),
                name="consultation_channel_valid",
            ),
        ]
        # Every intake writes each of these, so there is none that another one covers: the
        # status and the officer are looked up through the two-column indexes that lead with
        # them, the open-and-overdue filter (selectors.overdue_q) and its count through
        # (status, reply_by), and an address only by equality, which needs no LIKE index
        # (migration 0008 dropped five such single-column indexes).
        indexes = [
            models.Index(fields=["status", "-received_at"], name="consultation_status_recv"),
            models.Index(fields=["status", "reply_by"], name="consultation_status_reply_by"),
            models.Index(fields=["assigned_to", "-received_at"], name="consultation_officer_recv"),
            models.Index(fields=["contact_email"], name="consultation_contact_email"),
            # The admin's text search (ConsultationAdmin.get_search_results): trigram indexes on
            # exactly the expressions its lookups produce, icontains being UPPER(col::text) LIKE
            # UPPER(%s) on PostgreSQL and the text a plain LIKE (PostgreSQL only: migration 0007).
            *[
                GinIndex(
                    OpClass(Upper(name), name="gin_trgm_ops"), name=f"consultation_{short}_trgm"
                )
                for name, short in (
                    ("contact_name", "cname"),
                    ("contact_kana", "ckana"),
                    ("contact_email", "cemail"),
                )
            ],
            GinIndex(OpClass("description", name="gin_trgm_ops"), name="consultation_text_trgm"),
        ]

    def __str__(self):
        return f"{self.reference} {self.organisation}"

    def audit_label(self) -> str:
        # The audit trail names a consultation by its number only: the company name can be a
        # sole proprietor's own name.
        return gettext("相談番号 %(reference)s") % {"reference": self.reference}

    def get_portal_url(self):
        return reverse("consultations:status", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.IN_PROGRESS)


class ConsultationMessage(models.Model):
    """One entry in a consultation's thread: a reply the company sees, a message the company
    wrote, or an internal note that never leaves the desk."""

    class Kind(models.TextChoices):
        INTERNAL_NOTE = "note", _("内部メモ")
        REPLY = "reply", _("窓口からの回答")
        COMPANY = "company", _("事業者からのメッセージ")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("相談"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("本文"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("相談のやり取り")
        verbose_name_plural = _("相談のやり取り")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["note", "reply", "company"]),
                name="consultation_message_kind_valid",
            ),
        ]
        # The program report looks up each consultation's first reply.
        indexes = [
            models.Index(
                fields=["consultation", "kind", "created_at"], name="consultation_msg_kind_time"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance, filename):
    # Random names: nothing the submitter typed ends up in the file system.
    return f"consultations/{instance.consultation.fiscal_year}/{secrets.token_hex(16)}"


class ConsultationAttachment(models.Model):
    """A file sent with a consultation or a later company message; stored under
    PRIVATE_FILES_ROOT and served only through a permission-checked view."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("相談"), on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        ConsultationMessage,
        verbose_name=_("メッセージ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    file = models.FileField(_("ファイル"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("元のファイル名"), max_length=200)
    mime_type = models.CharField(_("種類"), max_length=100)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    uploaded_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self):
        return self.original_name

    def get_portal_url(self):
        return reverse("consultations:attachment", args=[self.consultation.reference, self.pk])


# What a company (or staff recording a phone/visit/email consultation) fills in at intake.
INTAKE_FIELDS = [
    "contact_name",
    "contact_kana",
    "contact_department",
    "contact_role",
    "contact_email",
    "contact_phone",
    "contact_way",
    "contact_time",
    "places",
    "behaviour_types",
    "damages",
    "measures",
    "requested_support",
    "description",
]
