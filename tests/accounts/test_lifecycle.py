"""Account lifecycle: stopping an account or taking a role away ends its sessions at once; an
expert marked inactive in the registry cannot log in; administrators see last login, devices
and failed attempts; users see their own recent logins; second factors are reset by another
administrator only."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from kosha_portal.accounts.models import LoginSession
from kosha_portal.accounts.services import user_factors_reset
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.otp import authenticator_for, totp_now

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW, tick=False)]


@pytest.fixture
def admin_client(admin_user_kosha):
    client = Client()
    client.force_login(admin_user_kosha)
    return client


def test_deactivating_an_expert_ends_a_live_session(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    expert = f.expert()
    session = Client()
    session.force_login(expert.user)
    assert session.get("/dispatch/expert/").status_code == 200
    url = f"/admin/auth/user/{expert.user.pk}/deactivate/"
    assert admin_client.get(url).status_code == 200  # asks for confirmation and a reason
    refused = admin_client.post(url, {"reason": ""})
    assert "理由を入力してください。" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"reason": "契約期間の終了"})
    assert response["Location"] == f"/admin/auth/user/{expert.user.pk}/change/"
    # The very next request of the expert's session goes to the login page.
    response = session.get("/dispatch/expert/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/dispatch/expert/"
    assert not Session.objects.filter(
        session_key__in=LoginSession.objects.filter(user=expert.user).values("session_key")
    ).exists()
    event = AuditEvent.objects.get(action="account.deactivate")
    assert event.changes["reason"] == "契約期間の終了" and event.changes["sessions_ended"] == 1
    assert "アカウントの利用が停止されました" in mailoutbox[-1].subject
    # And the password no longer opens a session.
    login = Client().post("/login/", {"username": expert.user.username, "password": "pw-12345678"})
    assert login.status_code == 200


def test_an_expert_marked_inactive_in_the_registry_cannot_log_in_and_loses_the_session(client):
    expert = f.expert(password="expert-pass-2026")
    session = Client()
    session.force_login(expert.user)
    assert session.get("/dispatch/expert/").status_code == 200
    expert.active = False
    expert.save()
    assert session.get("/dispatch/expert/")["Location"] == "/login/?next=/dispatch/expert/"
    response = client.post(
        "/login/", {"username": expert.user.username, "password": "expert-pass-2026"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    # The control: marked active again, the same password logs in.
    expert.active = True
    expert.save()
    response = client.post(
        "/login/", {"username": expert.user.username, "password": "expert-pass-2026"}
    )
    assert response.status_code == 302


def test_removing_a_user_from_a_group_ends_their_sessions(admin_client, officer):
    session = Client()
    session.force_login(officer)
    assert session.get("/admin/").status_code == 200
    url = f"/admin/auth/user/{officer.pk}/change/"
    data = {
        "username": officer.username,
        "last_name": officer.last_name,
        "first_name": "",
        "email": officer.email,
        "is_staff": "on",
        "groups": [],
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "権限を外す理由を入力してください。" in refused.content.decode()
    assert session.get("/admin/").status_code == 200
    response = admin_client.post(url, {**data, "access_reason": "異動"})
    assert response.status_code == 302
    assert not officer.groups.exists()
    assert session.get("/admin/").status_code == 302
    event = AuditEvent.objects.get(action="account.access_reduce")
    assert event.changes["removed_roles"] == ["desk_staff"] and event.changes["reason"] == "異動"


def test_adding_a_role_ends_no_session(admin_client, officer):
    session = Client()
    session.force_login(officer)
    url = f"/admin/auth/user/{officer.pk}/change/"
    groups = [g.pk for g in Group.objects.filter(name__in=["desk_staff", "experts"])]
    data = {
        "username": officer.username,
        "last_name": officer.last_name,
        "first_name": "",
        "email": officer.email,
        "is_staff": "on",
        "groups": groups,
    }
    assert admin_client.post(url, data).status_code == 302
    assert session.get("/admin/").status_code == 200


def test_an_administrator_resets_another_users_second_factor_with_a_reason(
    admin_client, officer, officer_device, django_capture_on_commit_callbacks, mailoutbox
):
    session = Client()
    session.force_login(officer)
    url = f"/admin/auth/user/{officer.pk}/factors-reset/"
    assert admin_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"reason": "スマートフォンの紛失（本人から電話）"})
    assert not officer.totpdevice_set.exists()
    assert session.get("/admin/").status_code == 302
    event = AuditEvent.objects.get(action="account.factors_reset")
    assert event.changes["reason"] == "スマートフォンの紛失（本人から電話）"
    assert "二段階認証がリセットされました" in mailoutbox[-1].subject
    # At the next login the officer enrols again.
    fresh = Client()
    fresh.post("/login/", {"username": officer.username, "password": "Kanda-sakuma-19"})
    assert fresh.get("/admin/")["Location"].startswith("/account/security/setup/")


def test_nobody_resets_their_own_second_factor_in_the_admin(admin_client, admin_user_kosha):
    authenticator_for(admin_user_kosha)
    response = admin_client.post(
        f"/admin/auth/user/{admin_user_kosha.pk}/factors-reset/", {"reason": "自分で"}
    )
    assert response.status_code == 200
    assert "ご自身の二段階認証はここではリセットできません" in response.content.decode()
    assert admin_user_kosha.totpdevice_set.exists()
    with pytest.raises(DomainError):
        user_factors_reset(user=admin_user_kosha, reason="x", actor=admin_user_kosha)


def test_desk_staff_cannot_reset_or_stop_accounts(desk_client, officer):
    for action in ("factors-reset", "deactivate", "reactivate", "invite"):
        assert desk_client.get(f"/admin/auth/user/{officer.pk}/{action}/").status_code == 403


def test_the_admin_shows_last_login_devices_and_failed_attempts(
    admin_client, officer, officer_device, make_user
):
    from axes.models import AccessAttempt, AccessFailureLog

    make_user("not-enrolled", role="desk_staff", is_staff=True)

    Client().post("/login/", {"username": officer.username, "password": "wrong"})
    Client().post("/login/", {"username": officer.username, "password": "wrong"})
    assert AccessAttempt.objects.filter(username=officer.username).exists()
    login = Client()
    login.post("/login/", {"username": officer.username, "password": "Kanda-sakuma-19"})
    login.post("/login/verify/", {"code": totp_now(officer_device)})
    listing = admin_client.get("/admin/auth/user/").content.decode()
    assert "1台" in listing and "未登録" in listing  # the officer's device; the newcomer has none
    page = admin_client.get(f"/admin/auth/user/{officer.pk}/change/").content.decode()
    assert "テスト用の認証アプリ" in page
    assert "最近のログイン" in page and "認証アプリ" in page
    assert AccessFailureLog.objects.filter(username=officer.username).count() == 2
    assert page.count("127.0.0.1") >= 3  # two failures and one login
    assert "delete/" not in page  # accounts are stopped, not deleted


def test_the_admin_account_list_runs_the_same_queries_for_one_and_for_many(admin_client, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/auth/user/").status_code == 200
        return len(queries)

    one = count()
    for n in range(15):
        authenticator_for(make_user(f"staff{n}", role="desk_staff", is_staff=True))
    assert count() == one


def test_a_user_sees_their_own_recent_logins_and_failures(client, officer, officer_device):
    Client().post("/login/", {"username": officer.username, "password": "wrong"})
    other = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari")
    other.post("/login/", {"username": officer.username, "password": "Kanda-sakuma-19"})
    other.post("/login/verify/", {"code": totp_now(officer_device)})
    other.post("/logout/")
    client.force_login(officer)
    page = client.get("/account/security/").content.decode()
    assert "iPhone" in page and "ログアウト" in page and "認証アプリ" in page
    assert page.count("127.0.0.1") >= 2  # the login and the failure
    assert "テスト用の認証アプリ" in page


def test_stopped_accounts_can_be_restarted(admin_client, officer):
    from kosha_portal.accounts.services import user_deactivate

    user_deactivate(user=officer, reason="休職", actor="test")
    assert admin_client.get(f"/admin/auth/user/{officer.pk}/reactivate/").status_code == 200
    admin_client.post(f"/admin/auth/user/{officer.pk}/reactivate/")
    officer.refresh_from_db()
    assert officer.is_active
    assert OutboundEmail.objects.filter(subject__contains="利用が再開されました").exists()
