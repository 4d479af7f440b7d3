"""Program announcements by email (特定電子メールの送信の適正化等に関する法律).

Who agreed to receive them (``Subscriber``, one row per address, with every opt-in in
``Consent``), pending double opt-ins from the public subscribe page (``SubscriptionRequest``),
the addresses that must never receive one again (``Suppression``: a keyed hash only), and what
staff send (``Announcement``) to whom (``AnnouncementRecipient``, each linked to its one outbox
row)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from companies.sme import Industry

EMAIL_HASH_SALT = "announcements.address"


def normalise_address(email: str) -> str:
    return (email or "").strip().lower()


def address_hash(email: str) -> str:
    """The keyed hash (HMAC with the secret key) the suppression list and the subscriber table
    share: it cannot be turned back into the address nor matched against a list of addresses
    without the key."""
    return salted_hmac(EMAIL_HASH_SALT, normalise_address(email)).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


class Source(models.TextChoices):
    """Where an address agreed (or asked) to receive announcements."""

    CONSULTATION = "consultation", _("特別相談窓口のご相談フォーム")
    SEMINAR = "seminar", _("セミナーのお申込みフォーム")
    SCHOOL = "school", _("スクールのお申込みフォーム")
    DISPATCH = "dispatch", _("専門家派遣のお申込みフォーム")
    SUBSCRIBE_PAGE = "subscribe_page", _("お知らせメールの登録ページ")


class UnsubscribeMethod(models.TextChoices):
    LINK = "link", _("配信停止のページ")
    ONE_CLICK = "one_click", _("メールソフトの配信停止ボタン（ワンクリック）")
    STAFF = "staff", _("職員による手続き（メール・電話での依頼）")
    ERASURE = "erasure", _("個人情報の削除請求")


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", _("配信中")
    UNSUBSCRIBED = "unsubscribed", _("配信停止")
    BOUNCED = "bounced", _("配信不能（宛先エラー）")


class Subscriber(models.Model):
    """One address that agreed to receive announcements (consent is recorded in ``Consent``).
    Addresses enter only through an opt-in: staff cannot add one."""

    Status = SubscriberStatus
    TRANSITIONS = {
        Status.ACTIVE: {Status.UNSUBSCRIBED, Status.BOUNCED},
        # A new opt-in after an unsubscription is a new consent.
        Status.UNSUBSCRIBED: {Status.ACTIVE},
        # Only a confirmed double opt-in shows that a bounced mailbox receives mail again.
        Status.BOUNCED: {Status.ACTIVE, Status.UNSUBSCRIBED},
    }
    MILESTONES = {
        Status.ACTIVE: "activated_at",
        Status.UNSUBSCRIBED: "unsubscribed_at",
        Status.BOUNCED: "bounced_at",
    }
    REASON_REQUIRED = {
        (Status.ACTIVE, Status.UNSUBSCRIBED),
        (Status.BOUNCED, Status.UNSUBSCRIBED),
        (Status.ACTIVE, Status.BOUNCED),
    }

    email = models.EmailField(_("メールアドレス"), max_length=254, unique=True)
    email_hash = models.CharField(_("アドレスの鍵付きハッシュ"), max_length=64, db_index=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    language = models.CharField(
        _("言語"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    industry = models.CharField(
        _("業種"), max_length=20, choices=Industry.CHOICES, blank=True, db_index=True
    )
    municipality = models.CharField(
        _("区市町村"),
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_("東京都の区市町村名。東京都外は「outside」です。"),
    )
    unsubscribe_token = models.CharField(
        _("配信停止用トークン"), max_length=64, unique=True, default=new_token, editable=False
    )
    unsubscribe_method = models.CharField(
        _("配信停止の方法"), max_length=20, choices=UnsubscribeMethod.choices, blank=True
    )
    bounce_reason = models.CharField(_("配信不能の理由"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    activated_at = models.DateTimeField(_("配信開始日時"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("配信停止日時"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("配信不能の記録日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("お知らせメールの登録者")
        verbose_name_plural = _("お知らせメールの登録者")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubscriberStatus.values),
                name="announcement_subscriber_status_valid",
            ),
        ]

    def __str__(self):
        return gettext("登録者 #%(id)s") % {"id": self.pk}

    def save(self, *args, **kwargs):
        # Derived, not a side effect: the hash is a pure function of the address.
        self.email = normalise_address(self.email)
        self.email_hash = address_hash(self.email)
        super().save(*args, **kwargs)

    def unsubscribe_url(self) -> str:
        return reverse("announcements:unsubscribe", args=[self.unsubscribe_token])

    def one_click_url(self) -> str:
        return reverse("announcements:one_click", args=[self.unsubscribe_token])

    @property
    def masked_email(self) -> str:
        local, _at, domain = self.email.partition("@")
        return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


class Consent(models.Model):
    """One opt-in: when, where (the form or the confirmed subscribe page), which version of the
    notice the person saw, and from which client address (特定電子メール法 第3条第2項: the
    record of consent is kept)."""

    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("登録者"), on_delete=models.CASCADE, related_name="consents"
    )
    given_at = models.DateTimeField(_("同意日時"))
    source = models.CharField(_("同意した画面"), max_length=30, choices=Source.choices)
    notice_version = models.CharField(_("お知らせメールの説明の版"), max_length=20)
    client_ip = models.GenericIPAddressField(_("送信元IPアドレス"), null=True, blank=True)
    requested_at = models.DateTimeField(
        _("登録の申込日時"),
        null=True,
        blank=True,
        help_text=_("登録ページからの場合、確認メールを求めた日時です（同意日時は確認の日時）。"),
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("受信の同意")
        verbose_name_plural = _("受信の同意")

    def __str__(self):
        return gettext("受信の同意 #%(id)s") % {"id": self.pk}


class SubscriptionRequest(models.Model):
    """A request made on the subscribe page (or by a form opt-in for an address that bounced):
    no consent until the person opens the single-use link in the confirmation mail and confirms."""

    email = models.EmailField(_("メールアドレス"), max_length=254, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(_("申込の画面"), max_length=30, choices=Source.choices)
    notice_version = models.CharField(_("お知らせメールの説明の版"), max_length=20)
    language = models.CharField(_("言語"), max_length=10, default=settings.LANGUAGE_CODE)
    industry = models.CharField(_("業種"), max_length=20, choices=Industry.CHOICES, blank=True)
    municipality = models.CharField(_("区市町村"), max_length=20, blank=True)
    client_ip = models.GenericIPAddressField(_("送信元IPアドレス"), null=True, blank=True)
    created_at = models.DateTimeField(_("申込日時"), db_index=True)
    expires_at = models.DateTimeField(_("有効期限"))
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("登録の確認待ち")
        verbose_name_plural = _("登録の確認待ち")

    def __str__(self):
        return gettext("登録の確認待ち #%(id)s") % {"id": self.pk}


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("配信停止")
    BOUNCED = "bounced", _("配信不能（宛先エラー）")


class Suppression(models.Model):
    """An address that must not receive announcements: by its keyed hash only, so it outlives the
    subscriber row (deleted after its retention period) without keeping the address."""

    address_hash = models.CharField(_("アドレスの鍵付きハッシュ"), max_length=64, unique=True)
    reason = models.CharField(_("理由"), max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(
        _("詳細"),
        max_length=300,
        blank=True,
        help_text=_("配信停止の方法、または配信不能のときのメールサーバーの応答（宛先を除く）。"),
    )
    created_at = models.DateTimeField(_("登録日時"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("配信停止リスト")
        verbose_name_plural = _("配信停止リスト")

    def __str__(self):
        return gettext("配信停止リスト #%(id)s") % {"id": self.pk}


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SCHEDULED = "scheduled", _("送信予約済み")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信完了")
    CANCELLED = "cancelled", pgettext_lazy("announcement status", "取消し")


class Announcement(models.Model):
    """One announcement staff compose in the admin and send to the subscribers its filters pick.

    Filters: every subscriber, or those matching all of the filters given (industry, 区市町村,
    past seminar participants, school alumni; several values of one filter are alternatives)."""

    Status = AnnouncementStatus
    TRANSITIONS = {
        Status.DRAFT: {Status.SCHEDULED},
        Status.SCHEDULED: {Status.DRAFT, Status.SENDING, Status.CANCELLED},
        # Stopping a send in progress cancels what has not gone out yet.
        Status.SENDING: {Status.SENT, Status.CANCELLED},
        Status.SENT: set(),
        Status.CANCELLED: set(),
    }
    MILESTONES = {
        Status.SCHEDULED: "scheduled_at",
        Status.SENDING: "started_at",
        Status.SENT: "finished_at",
        Status.CANCELLED: "cancelled_at",
        (Status.SCHEDULED, Status.DRAFT): None,
    }
    REASON_REQUIRED = {
        (Status.SCHEDULED, Status.DRAFT),
        (Status.SCHEDULED, Status.CANCELLED),
        (Status.SENDING, Status.CANCELLED),
    }

    subject = models.CharField(
        _("件名"),
        max_length=200,
        help_text=_("先頭に「【東京都中小企業振興公社】」が付きます。"),
    )
    body_text = models.TextField(
        _("本文（テキスト）"),
        help_text=_(
            "すべての受信者に届く本文です。末尾に送信者の名称・住所・連絡先と、"
            "配信停止のご案内が自動で付きます。"
        ),
    )
    body_html = models.TextField(
        _("本文（HTML・任意）"),
        blank=True,
        help_text=_(
            "HTMLメールで表示したい場合だけ入力してください。使えるタグは見出し・段落・リスト・"
            "表・リンク・強調などで、スクリプトや外部の読み込みは取り除かれます。"
        ),
    )
    audience_all = models.BooleanField(
        _("すべての登録者に送る"),
        default=True,
        help_text=_("外すと、下の条件すべてに当てはまる登録者だけに送ります。"),
    )
    industries = models.JSONField(_("業種"), default=list, blank=True)
    municipalities = models.JSONField(_("区市町村"), default=list, blank=True)
    seminar_participants = models.BooleanField(_("セミナーに出席したことのある方"), default=False)
    school_alumni = models.BooleanField(_("スクールの修了企業の方"), default=False)
    status = models.CharField(
        _("状態"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
        db_index=True,
    )
    send_at = models.DateTimeField(_("送信日時"), null=True, blank=True, editable=False)
    expected_recipients = models.PositiveIntegerField(
        _("確認時の配信先の件数"), null=True, blank=True, editable=False
    )
    recipient_count = models.PositiveIntegerField(
        _("送信開始時の配信先の件数"), null=True, blank=True, editable=False
    )
    cancel_reason = models.CharField(_("取消しの理由"), max_length=500, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送信を確定した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    scheduled_at = models.DateTimeField(_("送信確定日時"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("送信開始日時"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("送信完了日時"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("取消し日時"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("お知らせメール")
        verbose_name_plural = _("お知らせメール")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AnnouncementStatus.values),
                name="announcement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(send_at__isnull=False),
                name="announcement_send_at_once_scheduled",
            ),
        ]
        indexes = [models.Index(fields=["status", "send_at"])]

    def __str__(self):
        return self.subject

    def audit_label(self) -> str:
        return gettext("お知らせメール #%(id)s") % {"id": self.pk}


class SenderLease(models.Model):
    """One of an announcement's ANNOUNCEMENT_SENDERS senders: a worker holds the slot's lease
    while it sends and renews it as it goes; once it has expired (the worker died) the periodic
    job's next run takes the slot over (delivery.py)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField()
    token = models.CharField(max_length=32)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "slot"], name="sender_lease_slot_once")
        ]

    def __str__(self):
        return f"{self.announcement_id}/{self.slot}"


class SkipReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("送信前に配信停止")
    SUPPRESSED = "suppressed", _("送信前に配信不能を記録")
    CANCELLED = "cancelled", _("お知らせメールの取消し")


class AnnouncementRecipient(models.Model):
    """One address an announcement goes to, frozen when sending starts. Its delivery is the
    outbox row ``email`` (one per recipient: dedupe key announcement + address); a recipient who
    unsubscribed (or bounced) before their message went out is ``skipped``."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="recipients"
    )
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.OneToOneField(
        "mail.OutboundEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="announcement_recipient",
    )
    # Committed just before the end of DATA: from then on the message counts as delivered, so a
    # worker killed at that point is never followed by a second copy (at most once).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "subscriber"], name="announcement_recipient_once"
            ),
        ]
        indexes = [models.Index(fields=["announcement", "email", "skipped_at"])]

    def __str__(self):
        return f"{self.announcement_id}/{self.pk}"
