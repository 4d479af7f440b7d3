"""The desk home: the admin index (and the first page after a staff login) counts the day's
queues, each linked to the admin list that shows exactly those rows, with a fixed number of
queries whatever the number of rows."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companies.services import organisation_find_or_create
from consultations.models import Consultation
from consultations.services import consultation_reply_send
from dispatch import services as dispatch_services
from kosha_portal.accounts.roles import DESK_STAFF
from tests import timeline
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory
from tests.seminars.factories import SeminarFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

TODAY = datetime.date(2026, 12, 1)
_names = itertools.count(1)


def _consultation(*, officer=None, reply_by=TODAY, email="c@example.jp"):
    consultation = dispatch_factories.consultation(need=None, email=email)
    Consultation.objects.filter(pk=consultation.pk).update(
        assigned_to=officer, reply_by=reply_by, received_at=timeline.jst(2026, 11, 20, 10)
    )
    return Consultation.objects.get(pk=consultation.pk)


def _world(officer, other_officer, n=1):
    """``n`` of every kind of row each queue counts, and rows no queue should count."""
    year = dispatch_factories.ProgramYear.objects.filter(fiscal_year=2026).first()
    year = year or dispatch_factories.program_year(2026)
    for i in range(n):
        _consultation(
            officer=officer, reply_by=TODAY - datetime.timedelta(days=3), email=f"o{i}@x.jp"
        )
        _consultation(
            officer=officer, reply_by=TODAY + datetime.timedelta(days=1), email=f"m{i}@x.jp"
        )
        _consultation(
            officer=other_officer, reply_by=TODAY - datetime.timedelta(days=1), email=f"t{i}@x.jp"
        )
        _consultation(email=f"u{i}@x.jp")  # new and unassigned, due today: not overdue
        answered = _consultation(officer=other_officer, email=f"a{i}@x.jp")
        consultation_reply_send(consultation=answered, body="回答です", actor=other_officer)

        dispatch_factories.applied_dispatch(year)
        decided = dispatch_factories.decided_dispatch(year)
        expert_user = decided.expert.user
        today = dispatch_services.visit_schedule(
            dispatch=decided,
            date=TODAY,
            start_time=datetime.time(10),
            mode="onsite",
            place="本社",
            actor=expert_user,
        )
        dispatch_services.visit_schedule(
            dispatch=decided,
            date=TODAY + datetime.timedelta(days=1),
            start_time=None,
            mode="online",
            place="",
            actor=expert_user,
        )
        cancelled = dispatch_services.visit_schedule(
            dispatch=decided,
            date=TODAY + datetime.timedelta(days=1),
            start_time=None,
            mode="online",
            place="",
            actor=expert_user,
        )
        dispatch_services.visit_cancel(visit=cancelled, reason="日程変更", actor=expert_user)
        earlier = dispatch_services.visit_schedule(
            dispatch=decided,
            date=datetime.date(2026, 11, 16),
            start_time=datetime.time(10),
            mode="onsite",
            place="本社",
            actor=expert_user,
        )
        earlier = dispatch_services.visit_report_file(
            visit=earlier,
            report_date=datetime.date(2026, 11, 16),
            report_start=datetime.time(10),
            report_end=datetime.time(12),
            attendees="代表",
            topics="苦情対応",
            advice="記録を残す",
            next_steps="手順書",
            actor=expert_user,
        )
        dispatch_services.visit_report_dispute(
            visit=earlier, comment="時間が違います", actor="company"
        )
        del today
        SeminarFactory(starts_at=timeline.jst(2026, 12, 1, 14))
        SeminarFactory(starts_at=timeline.jst(2026, 12, 2, 10))
        SeminarFactory(starts_at=timeline.jst(2026, 12, 3, 10))  # the day after tomorrow
        name = f"ダブり{next(_names)}"
        existing = OrganisationFactory(name=f"株式会社{name}")
        organisation_find_or_create(
            data={"name": name, "postal_code": "160-0023"}, actor="company:x"
        )
        assert existing.possible_duplicates.count() == 1
    # The dispatches' own consultations are done with: only the rows above are in the queues.
    Consultation.objects.filter(dispatches__isnull=False).update(status=Consultation.Status.CLOSED)


@pytest.fixture
def officers(make_user):
    mine = make_user(
        "desk-mine", role=DESK_STAFF, is_staff=True, last_name="窓口", first_name="花子"
    )
    other = make_user(
        "desk-other", role=DESK_STAFF, is_staff=True, last_name="相談", first_name="次郎"
    )
    return mine, other


def _home(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


EXPECTED = {
    "my_open": 2,
    "my_overdue": 1,
    "overdue": 2,
    "unassigned": 1,
    "waiting": 1,
    "applied": 1,
    "disputed": 1,
    "visits_today": 1,
    "visits_tomorrow": 1,
    "seminars_today": 1,
    "seminars_tomorrow": 1,
    "duplicates": 1,
}


def test_a_staff_login_lands_on_the_desk_home(client, officers):
    client.force_login(officers[0])
    response = client.get(reverse("accounts:after_login"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    html = response.content.decode()
    assert 'id="desk-home"' in html and "本日の業務（令和8年12月1日(火)）" in html
    # The program reports stay linked, and every model remains one click away.
    assert reverse("reports:index") in html
    assert "すべての業務メニュー" in html and "/admin/consultations/consultation/" in html


def test_each_queue_counts_its_rows_and_links_to_the_list_that_shows_them(client, officers):
    mine, other = officers
    _world(mine, other)
    client.force_login(mine)
    desk = _home(client).context["desk"]
    for key, count in EXPECTED.items():
        queue = desk.queue(key)
        assert queue.count == count, key
        listing = client.get(queue.url)
        assert listing.status_code == 200, (key, queue.url)
        assert listing.context["cl"].result_count == count, (key, queue.url)


def test_my_open_cases_are_listed_overdue_first(client, officers):
    mine, other = officers
    later = _consultation(officer=mine, reply_by=TODAY + datetime.timedelta(days=2), email="l@x.jp")
    overdue = _consultation(
        officer=mine, reply_by=TODAY - datetime.timedelta(days=2), email="o@x.jp"
    )
    _consultation(officer=other, reply_by=TODAY - datetime.timedelta(days=5), email="x@x.jp")
    client.force_login(mine)
    response = _home(client)
    assert [c.pk for c in response.context["desk"].my_cases] == [overdue.pk, later.pk]
    html = response.content.decode()
    section = html.split('id="desk-my-cases"', 1)[1].split("</section>", 1)[0]
    assert section.index(overdue.reference) < section.index(later.reference)
    assert "期限超過" in section
    # The full list behind it is sorted the same way.
    listing = client.get(response.context["desk"].my_cases_url)
    assert [c.pk for c in listing.context["cl"].result_list] == [overdue.pk, later.pk]


def test_the_desk_home_runs_the_same_number_of_queries_for_one_or_many_rows(client, officers):
    mine, other = officers
    client.force_login(mine)
    _home(client)  # warm the session and the content types

    def queries():
        with CaptureQueriesContext(connection) as captured:
            _home(client)
        return len(captured.captured_queries)

    _world(mine, other, n=1)
    one = queries()
    _world(mine, other, n=3)
    many = queries()
    assert one == many
    assert _home(client).context["desk"].queue("visits_today").count == 4


def test_sections_follow_the_users_permissions(client, make_user):
    from django.contrib.auth.models import Permission

    viewer = make_user("consultations-only", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_consultation"]))
    client.force_login(viewer)
    desk = _home(client).context["desk"]
    assert [section.key for section in desk.sections] == ["consultations"]
    assert desk.record_url == ""
