import hashlib

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccessLink(models.Model):
    """A personal, expiring, revocable link for a company contact (no password needed).

    Only the SHA-256 of the token is stored. A link grants access to its target object only (and
    to what derives from it, e.g. the dispatch of a consultation); ``organisation`` records whose
    link it is and grants nothing."""

    created_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("メールアドレス"), db_index=True)
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_links",
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    expires_at = models.DateTimeField(_("有効期限"))
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("個人用リンク")
        verbose_name_plural = _("個人用リンク")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        # No address here: the text lands in audit events and admin messages.
        created = timezone.localtime(self.created_at).date().isoformat() if self.created_at else ""
        return gettext("個人用リンク #%(id)s（%(date)s 発行）") % {"id": self.pk, "date": created}

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()
