from django.db import models
from django.utils.translation import gettext_lazy as _


class ClosureDay(models.Model):
    """An extra day the desk is closed (beyond weekends, national holidays and 12/29–1/3)."""

    date = models.DateField(_("日付"), unique=True)
    reason = models.CharField(_("理由"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("臨時休業日")
        verbose_name_plural = _("臨時休業日")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()
