from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosha_portal.japan.fiscal import fiscal_year_label

from .periods import FISCAL_MONTHS, ReportPeriod


class ReportPeriodForm(forms.Form):
    """年度 and an optional range of its months (April–March order)."""

    def __init__(self, data=None, *, fiscal_years: list[int], default_year: int):
        super().__init__(data)
        months = [(m, _("%(month)s月") % {"month": m}) for m in FISCAL_MONTHS]
        self.fields["fy"] = forms.TypedChoiceField(
            label=gettext_lazy("年度"),
            choices=[(y, fiscal_year_label(y)) for y in fiscal_years],
            coerce=int,
            initial=default_year,
            error_messages={"invalid_choice": gettext_lazy("一覧にある年度を選択してください。")},
        )
        self.fields["from"] = forms.TypedChoiceField(
            label=gettext_lazy("開始月"), choices=months, coerce=int, initial=4, required=False
        )
        self.fields["to"] = forms.TypedChoiceField(
            label=gettext_lazy("終了月"), choices=months, coerce=int, initial=3, required=False
        )
        self.default_year = default_year

    def clean(self):
        data = super().clean()
        first, last = data.get("from") or 4, data.get("to") or 3
        if (
            "from" in data
            and "to" in data
            and FISCAL_MONTHS.index(first) > FISCAL_MONTHS.index(last)
        ):
            self.add_error(
                "to",
                _("終了月は開始月と同じか、それより後の月（4月〜翌3月の順）を選択してください。"),
            )
        return data

    def period(self) -> ReportPeriod:
        """The period asked for; the current fiscal year while the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return ReportPeriod(self.default_year)
        return ReportPeriod(
            self.cleaned_data["fy"],
            self.cleaned_data.get("from") or 4,
            self.cleaned_data.get("to") or 3,
        )
