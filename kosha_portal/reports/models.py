from django.db import models
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.fiscal import fiscal_year_label


class ReportYear(models.Model):
    """A fiscal year whose program report was exported: the anchor of its annual-report PDFs
    (generated documents point at one row) and the holder of the reports permission."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度（西暦）"), primary_key=True)

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = _("実績報告の年度")
        verbose_name_plural = _("実績報告の年度")
        default_permissions = ()
        permissions = [("view_reports", _("実績報告を閲覧・出力できる"))]

    def __str__(self):
        return str(_("%(year)s 実績報告") % {"year": fiscal_year_label(self.fiscal_year)})


class ReportSnapshot(models.Model):
    """The figures of one period (and of the previous year's same months) as computed at
    ``computed_at``. The reports page shows a recent snapshot instead of re-aggregating every
    table on each view; a periodic task keeps the current and previous years' fresh."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度（西暦）"))
    month_from = models.PositiveSmallIntegerField(_("開始月"))
    month_to = models.PositiveSmallIntegerField(_("終了月"))
    computed_at = models.DateTimeField(_("集計日時"))
    figures = models.JSONField(_("集計結果"), default=dict)

    class Meta:
        verbose_name = _("実績報告の集計結果")
        verbose_name_plural = _("実績報告の集計結果")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "month_from", "month_to"], name="report_snapshot_period"
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year} {self.month_from}-{self.month_to} {self.computed_at:%Y-%m-%d %H:%M}"
