"""Sessions: in the database; staff and expert sessions end after the idle time and at the
absolute limit; personal-link sessions are not subject to the staff idle rule but end with their
links."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kosha_portal.accounts.models import AccessLink
from kosha_portal.accounts.services import access_link_issue, access_link_revoke
from kosha_portal.accounts.tasks import sessions_clear
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=JST)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def minutes(n):
    return n * 60


def test_sessions_live_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


# --- staff and experts ---------------------------------------------------------------------------


def test_staff_session_ends_after_the_idle_time(client, desk_user, frozen):
    client.force_login(desk_user)
    assert client.get("/admin/").status_code == 200
    frozen.shift(minutes(29))
    assert client.get("/admin/").status_code == 200  # 29 minutes idle: still in
    frozen.shift(minutes(30) + 1)
    response = client.get("/admin/consultations/consultation/")
    assert response.status_code == 302
    assert response["Location"] == ("/admin/login/?next=/admin/consultations/consultation/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "30分以上操作がなかったため、安全のためログアウトしました。" in page


def test_activity_keeps_a_staff_session_until_the_absolute_limit(client, desk_user, frozen):
    client.force_login(desk_user)
    # A request every 20 minutes for 7 hours 40 minutes: never idle long enough.
    for _ in range(23):
        frozen.shift(minutes(20))
        assert client.get("/admin/").status_code == 200
    frozen.shift(minutes(20) + 1)  # 8 hours after the login
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "ログインから8時間が経過したため" in client.get(response["Location"]).content.decode()


def test_the_idle_time_is_a_setting(client, desk_user, frozen, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    client.force_login(desk_user)
    frozen.shift(minutes(5) + 1)
    assert client.get("/admin/").status_code == 302


def test_expert_session_ends_after_the_idle_time(client, frozen):
    expert = f.expert()
    client.force_login(expert.user)
    assert client.get("/dispatch/expert/").status_code == 200
    frozen.shift(minutes(31))
    response = client.get("/dispatch/expert/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dispatch/expert/"
    page = client.get(response["Location"]).content.decode()
    assert "安全のためログアウトしました" in page


def test_an_idle_post_is_sent_to_the_login_page_without_acting(client, desk_user, frozen):
    client.force_login(desk_user)
    frozen.shift(minutes(45))
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"


def test_the_last_seen_stamp_is_written_at_most_once_a_minute(client, desk_user, frozen):
    client.force_login(desk_user)
    client.get("/admin/")

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)

    frozen.shift(30)
    assert session_writes() == 0
    frozen.shift(31)
    assert session_writes() == 1


# --- personal links ------------------------------------------------------------------------------


def test_a_personal_link_session_is_not_subject_to_the_staff_idle_rule(client, frozen):
    _link, token = access_link_issue(email="c@example.jp", target=OrganisationFactory())
    client.get(f"/access/{token}/")
    frozen.shift(minutes(120))
    assert client.get("/my/").status_code == 200


def test_a_personal_link_session_ends_when_its_link_expires(client, frozen):
    link, token = access_link_issue(email="c@example.jp", target=OrganisationFactory())
    AccessLink.objects.filter(pk=link.pk).update(expires_at=START + datetime.timedelta(minutes=90))
    client.get(f"/access/{token}/")
    # The session is set to end with the link, not SESSION_COOKIE_AGE later.
    assert client.session.get_expiry_date() == START + datetime.timedelta(minutes=90)
    assert Session.objects.get().expire_date == START + datetime.timedelta(minutes=90)
    frozen.shift(minutes(89))
    assert client.get("/my/").status_code == 200
    frozen.shift(minutes(1) + 1)
    assert client.get("/my/")["Location"] == "/my/resend/"
    assert not Session.objects.filter(expire_date__gt=START + datetime.timedelta(hours=2))


def test_a_link_made_to_expire_after_it_was_opened_stops_at_once(client, frozen):
    link, token = access_link_issue(email="c@example.jp", target=OrganisationFactory())
    client.get(f"/access/{token}/")
    assert client.get("/my/").status_code == 200
    AccessLink.objects.filter(pk=link.pk).update(expires_at=START)
    frozen.shift(1)
    assert client.get("/my/")["Location"] == "/my/resend/"
    assert not Session.objects.exists()  # the session ended with its last link


def test_a_revoked_link_ends_its_session(client, desk_user, frozen):
    link, token = access_link_issue(email="c@example.jp", target=OrganisationFactory())
    client.get(f"/access/{token}/")
    assert Session.objects.count() == 1
    access_link_revoke(link=link, actor=desk_user)
    assert client.get("/my/")["Location"] == "/my/resend/"
    assert not Session.objects.exists()


def test_a_long_lived_link_session_still_ends_at_the_absolute_limit(client, frozen):
    _link, token = access_link_issue(email="c@example.jp", target=OrganisationFactory())
    client.get(f"/access/{token}/")
    assert client.session.get_expiry_date() == START + datetime.timedelta(
        seconds=settings.SESSION_COOKIE_AGE
    )


def test_expired_sessions_are_cleared_from_the_database(client, desk_user, frozen):
    client.force_login(desk_user)
    assert sessions_clear() == 0
    frozen.shift(settings.SESSION_COOKIE_AGE + 1)
    assert sessions_clear() == 1
    assert not Session.objects.exists()
