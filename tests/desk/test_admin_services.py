"""Admin saves of the models that have services go through them: the service's rules show beside
the field with the input kept, the write is the service's (locks, audit event with values), and
the admin's own save (``admin.change``) never writes the row."""

import datetime

import pytest

from dispatch import services as dispatch_services
from kosha_portal.audit.models import AuditEvent
from school import services as school_services
from seminars import services as seminar_services
from seminars.models import Registration
from tests import timeline
from tests.dispatch import factories as dispatch_factories
from tests.school.factories import CohortFactory, accepted_application
from tests.seminars.factories import SeminarFactory, register

from .formdata import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


@pytest.fixture
def calls(monkeypatch):
    """Records which service functions the admin called (and still runs them)."""
    seen = []

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(**kwargs):
            seen.append(name)
            return real(**kwargs)

        monkeypatch.setattr(module, name, wrapper)

    for module, names in (
        (seminar_services, ["seminar_create", "seminar_update"]),
        (school_services, ["cohort_create", "cohort_update"]),
        (dispatch_services, ["program_year_create", "program_year_update"]),
        (dispatch_services, ["expert_create", "expert_update"]),
    ):
        for name in names:
            spy(module, name)
    return seen


def _post_change(client, url, form_id, **changes):
    data = form_data(client.get(url).content.decode(), form_id)
    data.update(changes)
    data.pop("_addanother", None)
    data.pop("_continue", None)
    return client.post(url, data)


def _errors(response, field):
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors.get(field)


def test_seminar_saves_go_through_its_service_and_keep_the_seats_it_sold(desk_client, calls):
    seminar = SeminarFactory(venue_seats=2, online_seats=2)
    register(seminar, 1)
    register(seminar, 2)
    waiting = register(seminar, 3)
    assert waiting.status == Registration.Status.WAITING
    url = f"/admin/seminars/seminar/{seminar.pk}/change/"

    refused = _post_change(desk_client, url, "seminar_form", venue_seats="1")
    assert _errors(refused, "venue_seats") == [
        "参加が確定している方が2名いるため、定員を2名より少なくできません。"
    ]
    seminar.refresh_from_db()
    assert seminar.venue_seats == 2

    response = _post_change(desk_client, url, "seminar_form", venue_seats="3")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["seminar_update"]
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED  # the waiting list moved up
    event = AuditEvent.objects.get(action="seminar.update")
    assert event.changes["values"]["venue_seats"] == [2, 3]
    assert not AuditEvent.objects.filter(action="admin.change").exists()
    history = desk_client.get(url).content.decode()
    assert "会場定員を「2」から「3」に変更" in history


def test_cohort_saves_go_through_its_service(desk_client, calls):
    cohort = CohortFactory(capacity=12)
    for _ in range(2):
        accepted_application(cohort)
    url = f"/admin/school/cohort/{cohort.pk}/change/"
    refused = _post_change(desk_client, url, "cohort_form", capacity="1")
    assert "2社の受講が決まっている" in _errors(refused, "capacity")[0]
    response = _post_change(desk_client, url, "cohort_form", capacity="20")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["cohort_update"]
    event = AuditEvent.objects.get(action="school.cohort.update")
    assert event.changes["values"]["capacity"] == [12, 20]
    assert not AuditEvent.objects.filter(action="admin.change").exists()


def test_program_year_saves_go_through_its_service(desk_client, calls):
    year = dispatch_factories.program_year(2026)
    decided = dispatch_factories.decided_dispatch(year)
    for day in (16, 17):
        dispatch_services.visit_schedule(
            dispatch=decided,
            date=datetime.date(2026, 11, day),
            start_time=datetime.time(10),
            mode="onsite",
            place="本社",
            actor=decided.expert.user,
        )
    url = f"/admin/dispatch/programyear/{year.pk}/change/"
    refused = _post_change(desk_client, url, "programyear_form", visit_cap="1")
    assert "2回の派遣を利用した事業者がある" in _errors(refused, "visit_cap")[0]
    refused = _post_change(
        desk_client, url, "programyear_form", dispatch_period_ends_on="2027-04-30"
    )
    assert "令和8年度" in _errors(refused, "dispatch_period_ends_on")[0]
    response = _post_change(desk_client, url, "programyear_form", visit_cap="5")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["program_year_update"]
    year.refresh_from_db()
    assert year.visit_cap == 5
    event = AuditEvent.objects.get(action="program_year.update")
    assert event.changes["values"]["visit_cap"] == [4, 5]


def test_expert_saves_go_through_its_service_without_personal_values(
    admin_user_kosha, client, calls, make_user
):
    client.force_login(admin_user_kosha)  # picking the account needs auth.view_user
    expert = dispatch_factories.expert("佐藤 一郎")
    url = f"/admin/dispatch/expert/{expert.pk}/change/"
    staff = make_user("staff-account", is_staff=True)
    refused = _post_change(client, url, "expert_form", user=str(staff.pk))
    assert "職員のアカウント" in _errors(refused, "user")[0]
    response = _post_change(client, url, "expert_form", name="佐藤 一朗", active="")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["expert_update"]
    event = AuditEvent.objects.get(action="expert.update")
    assert set(event.changes["fields"]) == {"name", "active"}
    assert event.changes["values"] == {"active": [True, False]}
    assert "佐藤" not in str(event.changes)
