import io

import pytest

from dispatch import demo
from dispatch.models import Dispatch, Expert, ProgramYear
from tests import timeline
from tests.dispatch import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def test_demo_load_is_idempotent_and_decides_the_demo_consultation(settings):
    settings.DEBUG = True  # demo passwords are printed on a developer's machine only
    consultation = f.consultation()
    out = io.StringIO()
    demo.load(out)
    demo.load(out)
    assert list(ProgramYear.objects.values_list("fiscal_year", flat=True)) == [2026, 2023]
    fy2023 = ProgramYear.objects.get(fiscal_year=2023)
    assert fy2023.application_closes_at.isoformat() == "2024-01-31T14:59:59+00:00"
    assert fy2023.eligibility_items.count() == len(demo.ELIGIBILITY_ITEMS)
    assert Expert.objects.count() == 3
    dispatch = Dispatch.objects.get()
    assert dispatch.consultation == consultation and dispatch.status == Dispatch.Status.DECIDED
    assert "login (expert): expert-sato / kosha-expert-2026" in out.getvalue()


@pytest.mark.time_machine(timeline.AFTER_APPLICATIONS_CLOSE)
def test_demo_after_the_application_window_creates_no_dispatch():
    f.consultation()
    out = io.StringIO()
    demo.load(out)
    assert ProgramYear.objects.count() == 2 and Expert.objects.count() == 3
    assert not Dispatch.objects.exists()
