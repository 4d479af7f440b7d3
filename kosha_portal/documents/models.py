import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _document_path(instance, filename):
    return f"documents/{instance.created_at:%Y/%m}/{instance.uuid}.pdf"


class GeneratedDocumentStatus(models.TextChoices):
    PENDING = "pending", _("作成中")
    RENDERING = "rendering", _("作成処理中")
    READY = "ready", _("作成済み")
    FAILED = "failed", _("作成失敗")


class GeneratedDocument(models.Model):
    """A PDF rendered from a template and a frozen context, stored as a private file.

    Rendering claims the row (RENDERING, ``claimed_at``, one more attempt) in a short transaction,
    runs WeasyPrint outside any transaction and records the outcome in another. A render that
    raises is retried at ``next_attempt_at`` (backoff) and ends FAILED after PDF_MAX_ATTEMPTS; one
    left RENDERING by a killed worker is requeued after PDF_RENDER_TIMEOUT_SECONDS."""

    Status = GeneratedDocumentStatus
    # The render queue moves by compare-and-set on its claim (see services.document_claim);
    # the map documents the moves and is what the workflow tests hold it to.
    TRANSITIONS = {
        Status.PENDING: {Status.RENDERING},
        Status.RENDERING: {Status.READY, Status.PENDING, Status.FAILED},
        Status.FAILED: set(),
        Status.READY: set(),
    }
    MILESTONES = {Status.READY: "rendered_at"}
    REASON_REQUIRED: set = set()

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("作成依頼日時"), auto_now_add=True)
    kind = models.CharField(_("種類"), max_length=100, db_index=True)
    template = models.CharField(_("テンプレート"), max_length=200)
    language = models.CharField(_("言語"), max_length=10, default="ja")
    context = models.JSONField(_("帳票データ"), default=dict)
    filename = models.CharField(_("ファイル名"), max_length=200)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("ファイル"), upload_to=_document_path, blank=True)
    rendered_at = models.DateTimeField(_("作成日時"), null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(_("ページ数"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("サイズ"), null=True, blank=True)
    missing_glyphs = models.CharField(_("表示できない文字"), max_length=200, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    claimed_at = models.DateTimeField(_("作成開始日時"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("次回試行"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    related = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("帳票")
        verbose_name_plural = _("帳票")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GeneratedDocumentStatus.values),
                name="generated_document_status_valid",
            ),
        ]

    def __str__(self):
        return self.filename
