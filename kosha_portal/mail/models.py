from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboundEmailStatus(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("送信失敗")
    CANCELLED = "cancelled", _("取消")


class OutboundEmail(models.Model):
    """One email, written in the same transaction as the change that causes it (the outbox).

    A task delivers it and marks it sent; a failed delivery waits ``next_attempt_at`` (backoff) and
    ends as FAILED after OUTBOX_MAX_ATTEMPTS; staff can retry it from the admin."""

    Status = OutboundEmailStatus
    TRANSITIONS = {
        Status.PENDING: {Status.SENT, Status.FAILED},
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
    dedupe_key = models.CharField(
        _("重複防止キー"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("同じキーのメールは一度しか作られません（リマインダーの二重送信防止）。"),
    )
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
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

    @property
    def message_id(self) -> str:
        return f"<outbox-{self.pk}@kosha-portal>"
