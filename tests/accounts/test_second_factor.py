"""The second factor: staff and administrators reach nothing without it; codes are checked,
replays refused, recovery codes work once; enrolment, extra devices and their removal."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from kosha_portal.accounts.middleware import UNVERIFIED_ALLOWED
from kosha_portal.accounts.models import LoginSession, RecoveryCode, RecoveryCodeDevice
from kosha_portal.accounts.roles import EXPERTS
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.foundation.test_permission_matrix import (
    ADMIN_RIGHTS,
    ALLOWED,
    MATRIX,
    ROLES,
    STAFF_ROLES,
    TARGETS,
    _model_admin_urls,
    world,  # noqa: F401 - the matrix's objects, reused
)
from tests.otp import authenticator_for, password_only_login, totp_now

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW, tick=False)]

VERIFY, SETUP = "/login/verify/", "/account/security/setup/"


def _path(url):
    return urlsplit(url).path


# --- nothing without the second factor ----------------------------------------------------------


def test_a_correct_password_without_the_code_does_not_open_the_admin(
    client, officer, logged_in_with_password
):
    logged_in_with_password(officer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/verify/?next=/admin/"
    # The admin's own login page sends such a session to the code page too.
    response = client.get("/admin/login/?next=/admin/consultations/consultation/")
    assert response["Location"] == ("/login/verify/?next=/admin/consultations/consultation/")
    assert client.get("/admin/consultations/consultation/").status_code == 302


def test_without_an_authenticator_the_officer_is_sent_to_enrolment(
    client, make_user, logged_in_with_password
):
    newcomer = make_user("newcomer", role="desk_staff", is_staff=True, password="Kanda-sakuma-19")
    logged_in_with_password(newcomer)
    response = client.get("/admin/")
    assert response["Location"] == "/account/security/setup/?next=/admin/"
    assert client.get(response["Location"]).status_code == 200


def _staff_urls(objects, role):
    """Every URL of the permission matrix that the role may open and a visitor without a login
    may not, and every ModelAdmin page the role may open."""
    column, anon = ROLES.index(role), ROLES.index("anon")
    for name, (method, build) in TARGETS.items():
        cells = MATRIX[name]
        if name in UNVERIFIED_ALLOWED or name in {"accounts:logout", "admin:logout"}:
            continue
        if cells[column] in ALLOWED and cells[anon] not in ALLOWED:
            yield name, method, build(objects)
    for model in admin.site._registry:
        rights = ADMIN_RIGHTS[model._meta.label_lower][STAFF_ROLES.index(role)]
        obj = model._default_manager.order_by("pk").first()
        urls, _bare = _model_admin_urls(model, obj.pk)
        for letter in rights:
            yield f"{model._meta.label_lower} {letter}", "GET", urls[letter]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_staff_url_of_the_matrix_refuses_a_session_that_passed_only_the_password(
    world,  # noqa: F811
    role,
):
    user = world.users[role]
    authenticator_for(user)
    client = Client()
    password_only_login(client, user)
    refused, checked = [], 0
    for name, method, url in _staff_urls(world, role):
        response = getattr(client, method.lower())(url)
        checked += 1
        if response.status_code != 302 or _path(response["Location"]) not in (VERIFY, SETUP):
            refused.append(f"{method} {url} ({name}): {response.status_code}")
    assert checked > 60
    assert not refused, "opened without the second factor:\n  " + "\n  ".join(refused)
    # The control: the same client passes the code and the same pages open.
    officer_device = authenticator_for(user)
    response = client.post(VERIFY, {"code": totp_now(officer_device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_experts_need_the_second_factor_by_default(client):
    from tests.dispatch import factories as f

    expert = f.expert()
    password_only_login(client, expert.user)
    assert client.get("/dispatch/expert/")["Location"].startswith(SETUP)


def test_experts_may_go_without_it_when_the_setting_says_so(client, settings):
    from tests.dispatch import factories as f

    settings.OTP_REQUIRED_FOR_EXPERTS = False
    expert = f.expert()
    password_only_login(client, expert.user)
    assert client.get("/dispatch/expert/").status_code == 200


# --- codes ---------------------------------------------------------------------------------------


def test_the_right_code_opens_the_admin_and_is_recorded_in_the_login_history(
    client, officer, officer_device, logged_in_with_password
):
    logged_in_with_password(officer)
    response = client.post(VERIFY, {"code": totp_now(officer_device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    login = LoginSession.objects.get(user=officer)
    assert login.factor == LoginSession.Factor.TOTP and login.verified_at is not None
    # The session got a new key when it passed the factor; the index follows it.
    assert login.session_key == client.session.session_key


def test_a_wrong_code_is_refused_beside_the_field(
    client, officer, officer_device, logged_in_with_password
):
    logged_in_with_password(officer)
    wrong = f"{(int(totp_now(officer_device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong, "next": "/admin/"})
    assert response.status_code == 200
    assert "確認コードが正しくないか、すでに使われています。" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_replayed_code_is_refused(client, officer, officer_device, logged_in_with_password):
    code = totp_now(officer_device)
    logged_in_with_password(officer)
    assert client.post(VERIFY, {"code": code})["Location"] == "/after-login/"
    # Someone who saw the code tries it in another session, in the same 30 seconds.
    other = Client()
    other.post("/login/", {"username": officer.username, "password": "Kanda-sakuma-19"})
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert other.get("/admin/").status_code == 302
    # The control: the next code (30 seconds later) is accepted.
    officer_device.refresh_from_db()
    officer_device.throttle_reset()
    assert other.post(VERIFY, {"code": totp_now(officer_device, offset_steps=1)}).status_code == 302


def test_after_a_wrong_code_even_the_right_one_waits_a_moment(
    client, officer, officer_device, time_machine
):
    password_only_login(client, officer)
    client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": totp_now(officer_device)})
    assert "少し時間をおいてから" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    time_machine.shift(2)  # django-otp's delay after one failure: 1 second
    assert client.post(VERIFY, {"code": totp_now(officer_device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_too_many_tries_for_one_account_are_stopped(
    client, officer, officer_device, settings, time_machine
):
    settings.OTP_VERIFY_RATE_LIMIT = 2
    password_only_login(client, officer)
    for _ in range(2):
        client.post(VERIFY, {"code": "000000"})
        time_machine.shift(10)
    response = client.post(VERIFY, {"code": totp_now(officer_device)})
    assert "少し時間をおいてから" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def _recovery_codes(client, officer):
    from kosha_portal.accounts.services import recovery_codes_generate

    return recovery_codes_generate(user=officer, actor=officer)


def test_a_recovery_code_works_once_and_the_user_is_told(
    client, officer, officer_device, django_capture_on_commit_callbacks, mailoutbox
):
    codes = _recovery_codes(client, officer)
    password_only_login(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"code": codes[0].upper().replace("-", " ")})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert LoginSession.objects.get(user=officer).factor == LoginSession.Factor.RECOVERY
    notice = OutboundEmail.objects.get(template="accounts/emails/security_notice")
    assert notice.to == officer.email and "リカバリーコードでログインしました" in notice.subject
    assert "残りのリカバリーコードは9個です" in mailoutbox[-1].body
    assert AuditEvent.objects.filter(action="account.recovery_code_use").count() == 1

    again = Client()
    password_only_login(again, officer)
    response = again.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200 and again.get("/admin/").status_code == 302
    # The control: another code of the same set still works.
    RecoveryCodeDevice.objects.filter(user=officer).update(throttling_failure_count=0)
    assert again.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_recovery_codes_are_stored_hashed():
    from kosha_portal.accounts.models import recovery_code_hash
    from kosha_portal.accounts.services import recovery_codes_generate
    from tests.factories import UserFactory

    user = UserFactory()
    codes = recovery_codes_generate(user=user, actor=user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in codes)
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert stored == {recovery_code_hash(code) for code in codes}
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored)


# --- enrolment, a second device, removal ---------------------------------------------------------


def _enrol(client, *, name="業務用スマートフォン", next_url="/admin/"):
    page = client.get(f"{SETUP}?next={next_url}")
    assert page.status_code == 200
    html = page.content.decode()
    secret = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1)
    officer_device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    return html, secret, officer_device


def test_enrolment_shows_a_server_rendered_qr_code_and_the_key_then_ten_recovery_codes_once(
    client, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    import base64
    import binascii

    newcomer = make_user("newcomer", role="desk_staff", is_staff=True)
    password_only_login(client, newcomer)
    html, secret, officer_device = _enrol(client)
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    assert (
        secret.replace(" ", "") == base64.b32encode(binascii.unhexlify(officer_device.key)).decode()
    )
    # The page shows the same pending device when reloaded.
    assert _enrol(client)[2].pk == officer_device.pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SETUP,
            {"code": totp_now(officer_device), "name": "業務用スマートフォン", "next": "/admin/"},
        )
    assert response["Location"].startswith("/account/security/recovery-codes/")
    codes_page = client.get(response["Location"])
    codes = re.findall(r"<li>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</li>", codes_page.content.decode())
    assert len(codes) == 10
    assert codes_page["Cache-Control"] == "no-store"
    # Shown once: the same page now sends the user to the security page.
    assert client.get(response["Location"])["Location"] == "/account/security/"
    assert client.get("/admin/").status_code == 200
    officer_device.refresh_from_db()
    assert officer_device.confirmed and officer_device.name == "業務用スマートフォン"
    notice = mailoutbox[-1]
    assert notice.to == [newcomer.email] and "新しい認証アプリが登録されました" in notice.subject
    assert "業務用スマートフォン" in notice.body


def test_enrolment_refuses_a_wrong_code_and_keeps_the_device_pending(client, make_user):
    newcomer = make_user("newcomer", role="desk_staff", is_staff=True)
    password_only_login(client, newcomer)
    _html, _secret, officer_device = _enrol(client)
    response = client.post(SETUP, {"code": "123456", "name": "x"})
    assert response.status_code == 200
    assert "確認コードが正しくありません" in response.content.decode()
    officer_device.refresh_from_db()
    assert not officer_device.confirmed
    assert client.get("/admin/").status_code == 302


def test_a_second_device_needs_the_password_and_a_code_again(
    client, officer, officer_device, settings
):
    _recovery_codes(client, officer)
    client.force_login(officer)
    response = client.get(SETUP)
    assert response["Location"].startswith("/account/security/confirm/")
    wrong = client.post(
        "/account/security/confirm/", {"password": "wrong", "code": totp_now(officer_device)}
    )
    assert "パスワードが正しくありません" in wrong.content.decode()
    response = client.post(
        "/account/security/confirm/",
        {"password": "Kanda-sakuma-19", "code": totp_now(officer_device), "next": SETUP},
    )
    assert response["Location"] == SETUP
    _html, _secret, second = _enrol(client)
    response = client.post(SETUP, {"code": totp_now(second), "name": "予備の端末"})
    # The officer still has recovery codes: a further device comes without new ones.
    assert response["Location"] == "/account/security/"
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 2


def test_a_device_is_removed_after_reauthentication_but_never_the_last_one(
    client, officer, officer_device, time_machine
):
    spare = TOTPDevice.objects.create(user=officer, name="予備", confirmed=True)
    client.force_login(officer)
    url = reverse("accounts:device_remove", args=[spare.pk])
    assert client.post(url)["Location"].startswith("/account/security/confirm/")
    assert TOTPDevice.objects.filter(pk=spare.pk).exists()
    client.post(
        "/account/security/confirm/",
        {"password": "Kanda-sakuma-19", "code": totp_now(officer_device)},
    )
    assert client.get(url).status_code == 200  # the confirmation page
    assert client.post(url)["Location"] == "/account/security/"
    assert not TOTPDevice.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.filter(action="account.device_remove").count() == 1
    # The last one stays (the account would have no second factor left).
    response = client.post(reverse("accounts:device_remove", args=[officer_device.pk]), follow=True)
    assert "最後の認証アプリは削除できません" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=officer_device.pk).exists()
    # The re-authentication lasts ACCOUNT_REAUTH_MINUTES.
    spare = TOTPDevice.objects.create(user=officer, name="予備2", confirmed=True)
    time_machine.shift(11 * 60)
    response = client.post(reverse("accounts:device_remove", args=[spare.pk]))
    assert response["Location"].startswith("/account/security/confirm/")


def test_nobody_removes_another_users_device(client, officer, make_user):
    other = make_user("other", role="desk_staff", is_staff=True)
    theirs = authenticator_for(other)
    client.force_login(officer)
    assert client.get(reverse("accounts:device_remove", args=[theirs.pk])).status_code == 404


def test_new_recovery_codes_replace_the_old_ones_after_reauthentication(
    client, officer, officer_device
):
    old = _recovery_codes(client, officer)
    client.force_login(officer)
    response = client.post("/account/security/recovery-codes/")
    assert response["Location"].startswith("/account/security/confirm/")
    client.post(
        "/account/security/confirm/",
        {"password": "Kanda-sakuma-19", "code": totp_now(officer_device)},
    )
    response = client.post("/account/security/recovery-codes/")
    page = client.get(response["Location"]).content.decode()
    new = re.findall(r"<li>([a-z2-7-]{19})</li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(device__user=officer).count() == 10


def test_the_login_page_logs_in_and_then_asks_for_the_code(client, officer, officer_device):
    response = client.post(
        "/login/", {"username": officer.username, "password": "Kanda-sakuma-19"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/login/verify/?next=/after-login/"
    assert "二段階認証" in response.content.decode()


def test_an_expert_role_is_seen_from_the_group_alone(client, make_user):
    expert = make_user("group-only-expert", role=EXPERTS)
    password_only_login(client, expert)
    assert client.get("/account/security/")["Location"].startswith(SETUP)


def test_a_settings_file_without_the_second_factor_middleware_fails_the_checks(settings):
    from kosha_portal.accounts.checks import check_second_factor_middleware

    assert check_second_factor_middleware(None) == []
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("SecondFactorMiddleware")
    ]
    assert [e.id for e in check_second_factor_middleware(None)] == ["kosha.E001"]
