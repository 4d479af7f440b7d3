from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Webフォーム")
    PHONE = "phone", _("電話")
    VISIT = "visit", _("来所")
    EMAIL = "email", _("メール")


class Consultation(models.Model):
    """A consultation at the special desk (特別相談窓口)."""

    class Status(models.TextChoices):
        NEW = "new", _("新規受付")
        IN_PROGRESS = "in_progress", _("対応中")
        ANSWERED = "answered", _("回答済")
        CLOSED = "closed", _("完了")
        WITHDRAWN = "withdrawn", _("取下げ")

    reference = models.CharField(_("相談番号"), max_length=20, unique=True, editable=False)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    sequence = models.PositiveIntegerField(_("年度内連番"), editable=False)
    organisation = models.ForeignKey(
        "companies.Organisation", verbose_name=_("事業者"), on_delete=models.PROTECT,
        related_name="consultations",
    )
    channel = models.CharField(_("受付経路"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices,
                              default=Status.NEW, db_index=True)
    received_at = models.DateTimeField(_("受付日時"), db_index=True)
    reply_by = models.DateField(_("回答期限"), db_index=True)
    started_at = models.DateTimeField(_("対応開始日時"), null=True, blank=True)
    answered_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("取下げ日時"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("担当者"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_consultations",
    )

    contact_name = models.CharField(_("ご担当者名"), max_length=100)
    contact_kana = models.CharField(_("ご担当者名（フリガナ）"), max_length=100, blank=True)
    contact_department = models.CharField(_("部署"), max_length=100, blank=True)
    contact_role = models.CharField(_("役職"), max_length=100, blank=True)
    contact_email = models.EmailField(_("メールアドレス"), db_index=True)
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)

    # The dispatch-need determination (必要性の確認): the gate to expert dispatch.
    dispatch_need = models.BooleanField(_("専門家派遣の必要性"), null=True, blank=True)
    dispatch_need_reason = models.TextField(_("判断理由"), blank=True)
    dispatch_need_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("判断した職員"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    dispatch_need_decided_on = models.DateField(_("判断日"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("相談")
        verbose_name_plural = _("相談")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "sequence"],
                                    name="consultation_sequence_unique_per_year"),
            models.CheckConstraint(
                condition=Q(status__in=["new", "in_progress", "answered", "closed", "withdrawn"]),
                name="consultation_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.organisation}"

    def get_portal_url(self):
        return reverse("consultations:status", args=[self.reference])
