from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

HANDLE_PERMISSION = "privacy.handle_privacy_request"


class PrivacyRequest(models.Model):
    """One disclosure or deletion request (APPI Arts. 33 and 35) handled by an administrator.

    The row never holds who asked: the criteria are kept only as a keyed hash (``subject_digest``),
    which shows that two requests concern the same person and lets a later step check it is
    handling the same person, without the trail itself becoming personal data."""

    class Criteria(models.TextChoices):
        EMAIL = "email", _("メールアドレス")
        NAME_PHONE = "name_phone", _("氏名と電話番号")

    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応した管理者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    criteria = models.CharField(_("検索の条件"), max_length=20, choices=Criteria.choices)
    subject_digest = models.CharField(_("本人の識別子（ハッシュ）"), max_length=64, db_index=True)
    found = models.JSONField(_("見つかった記録（種類ごとの件数）"), default=dict, blank=True)
    exported_at = models.DateTimeField(_("開示ファイルの作成日時"), null=True, blank=True)
    erased_at = models.DateTimeField(_("消去日時"), null=True, blank=True)
    erased = models.JSONField(_("消去した記録（種類ごとの件数）"), default=dict, blank=True)
    kept = models.JSONField(_("保存を続ける記録（種類ごとの件数）"), default=dict, blank=True)
    reason = models.TextField(_("消去の理由"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("開示・削除請求")
        verbose_name_plural = _("開示・削除請求")
        default_permissions = ("view",)
        permissions = [("handle_privacy_request", _("個人情報の開示・削除請求を扱う"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(criteria__in=["email", "name_phone"]),
                name="privacy_request_criteria_valid",
            )
        ]

    def __str__(self):
        return self.audit_label()

    def audit_label(self) -> str:
        return gettext("開示・削除請求 #%(id)s") % {"id": self.pk}
