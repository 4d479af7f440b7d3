import uuid
from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_message_id() -> str:
    """A globally unique Message-ID on the sender's domain, generated once per email: every
    delivery attempt carries the same one, so a receiver can drop a repeat."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "kosha-portal"
    return f"<outbox.{uuid.uuid4().hex}@{domain}>"


class OutboundEmailStatus(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("送信失敗")
    CANCELLED = "cancelled", _("取消し")


class OutboundEmail(models.Model):
    """One email, written in the same transaction as the change that causes it (the outbox).

    Delivery claims the row (SENDING, ``claimed_at``, one more attempt) in a short transaction,
    talks SMTP outside any transaction and records the outcome in another. A transient failure
    waits ``next_attempt_at`` (backoff) and ends as FAILED after OUTBOX_MAX_ATTEMPTS; a permanent
    one (SMTP 5xx) fails at once; a row left SENDING by a killed worker is requeued after
    OUTBOX_SENDING_TIMEOUT_SECONDS. Staff can retry a failed row from the admin."""

    Status = OutboundEmailStatus
    # Delivery moves by compare-and-set on its claim (see services.outbound_email_deliver);
    # the map documents the moves and is what the workflow tests hold it to.
    TRANSITIONS = {
        Status.PENDING: {Status.SENDING, Status.CANCELLED},
        Status.SENDING: {Status.SENT, Status.PENDING, Status.FAILED},
        Status.FAILED: {Status.PENDING},  # staff retry
        Status.CANCELLED: {Status.PENDING},  # staff retry
        Status.SENT: set(),
    }
    MILESTONES = {Status.SENT: "sent_at", Status.FAILED: "failed_at"}
    REASON_REQUIRED: set = set()

    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    to = models.EmailField(_("宛先"))
    reply_to = models.EmailField(_("返信先"), blank=True)
    language = models.CharField(_("言語"), max_length=10, default="ja")
    template = models.CharField(_("テンプレート"), max_length=200)
    subject = models.CharField(_("件名"), max_length=300)
    body_text = models.TextField(_("本文（テキスト）"))
    body_html = models.TextField(_("本文（HTML）"), blank=True)
    attachments = models.JSONField(_("添付"), default=list, blank=True)
    # Header name -> value, added to the message as written (List-Unsubscribe and its -Post for
    # announcements, RFC 8058). email_enqueue refuses the headers the outbox sets itself.
    headers = models.JSONField(_("追加ヘッダー"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("重複防止キー"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("同じキーのメールは一度しか作られません（リマインダーの二重送信防止）。"),
    )
    message_id = models.CharField(
        _("Message-ID"), max_length=255, unique=True, default=new_message_id, editable=False
    )
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    claimed_at = models.DateTimeField(_("送信開始日時"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("次回試行"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失敗確定日時"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール（アウトボックス）")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OutboundEmailStatus.values),
                name="outbound_email_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"#{self.pk} {self.subject}"
