import io

import pytest
import time_machine
from django.core.management import call_command

from consultations.models import Consultation
from dispatch.models import Dispatch, Survey
from kosha_portal.japan.deadlines import JST
from kosha_portal.reports.periods import ReportPeriod
from kosha_portal.reports.selectors import report_figures

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-12-01 10:00:00+09:00", tick=False)
def test_demo_data_gives_the_reports_something_to_show_and_loads_twice_alike():
    import datetime

    call_command("load_demo", stdout=io.StringIO())
    counts = (Consultation.objects.count(), Dispatch.objects.count(), Survey.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (
        Consultation.objects.count(),
        Dispatch.objects.count(),
        Survey.objects.count(),
    ) == counts
    figures = report_figures(ReportPeriod(2026), now=datetime.datetime(2026, 12, 1, 10, tzinfo=JST))
    for year in ("current", "previous"):
        c = figures[year]["consultations"]
        assert c["total"] >= 60
        assert sum(1 for n in c["by_month"].values() if n) >= 6
        assert len(c["by_industry"]) >= 5
        assert len(c["by_municipality"]) >= 10
        d = figures[year]["dispatch"]
        assert d["completed"] >= 1 and d["visits"]["held"] >= 5
        assert d["survey"]["responses"] >= 1
        s = figures[year]["seminars"]
        assert s["count"] >= 3 and s["totals"]["attended"] >= 50
        assert s["satisfaction_avg"] is not None
