"""Password reset by email for staff and experts: Django's views, the outbox, the same answer
whether or not the address is known, limits per client address and per target address."""

import re

import pytest
from django.test import Client

from kosha_portal.accounts.models import LoginSession
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.otp import totp_now

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW, tick=False)]

RESET = "/account/password/reset/"
LINK = re.compile(r"https?://[^/\s]+(/account/password/reset/[A-Za-z0-9_-]+/[0-9a-z]+-[0-9a-f]+/)")


def _request(client, email, capture):
    with capture(execute=True):
        return client.post(RESET, {"email": email})


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(
    client, officer, django_capture_on_commit_callbacks, mailoutbox
):
    unknown = _request(client, "nobody@example.jp", django_capture_on_commit_callbacks)
    assert not OutboundEmail.objects.exists() and not mailoutbox
    known = _request(Client(), officer.email, django_capture_on_commit_callbacks)
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/account/password/reset/sent/"
    assert OutboundEmail.objects.get().to == officer.email
    page = client.get(unknown["Location"]).content.decode()
    assert "入力されたメールアドレスがアカウントに登録されている場合は" in page


def test_a_reset_link_sets_a_new_password_and_ends_the_other_sessions(
    client, officer, officer_device, django_capture_on_commit_callbacks, mailoutbox
):
    elsewhere = Client()
    elsewhere.force_login(officer)
    assert elsewhere.get("/admin/").status_code == 200
    _request(client, officer.email, django_capture_on_commit_callbacks)
    email = OutboundEmail.objects.get(template="accounts/emails/password_reset")
    assert email.subject == "【東京都中小企業振興公社】パスワード再設定のご案内"
    assert "/sealed/" in email.body_text and not LINK.search(email.body_text)
    path = LINK.search(mailoutbox[-1].body).group(1)
    form = client.get(path, follow=True)
    assert "新しいパスワードの設定" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form.redirect_chain[-1][0],
            {"new_password1": "Sakuma-cho-2026", "new_password2": "Sakuma-cho-2026"},
        )
    assert done["Location"] == "/account/password/reset/complete/"
    officer.refresh_from_db()
    assert officer.check_password("Sakuma-cho-2026")
    assert elsewhere.get("/admin/").status_code == 302  # the other session ended
    assert "パスワードが変更されました" in mailoutbox[-1].subject
    # The link is spent.
    assert "リンクが無効です" in Client().get(path, follow=True).content.decode()
    # Logging in still needs the second factor.
    fresh = Client()
    fresh.post("/login/", {"username": officer.username, "password": "Sakuma-cho-2026"})
    assert fresh.get("/admin/")["Location"].startswith("/login/verify/")
    assert fresh.post("/login/verify/", {"code": totp_now(officer_device)}).status_code == 302


def test_reset_requests_are_limited_per_client_address(
    client, officer, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    for n in range(2):
        assert (
            _request(client, f"x{n}@example.jp", django_capture_on_commit_callbacks).status_code
            == 302
        )
    refused = _request(client, officer.email, django_capture_on_commit_callbacks)
    assert refused.status_code == 429 and "Retry-After" in refused
    assert not OutboundEmail.objects.exists()
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert _request(other, officer.email, django_capture_on_commit_callbacks).status_code == 302
    assert OutboundEmail.objects.count() == 1


def test_reset_mail_to_one_address_is_limited_from_any_client(
    officer, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_ADDRESS_RATE_LIMIT = 2
    for n in range(4):
        visitor = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        response = _request(visitor, officer.email, django_capture_on_commit_callbacks)
        assert response["Location"] == "/account/password/reset/sent/"  # the same answer
    assert OutboundEmail.objects.filter(to=officer.email).count() == 2


def test_no_reset_for_an_account_without_a_password_or_stopped(
    client, make_user, django_capture_on_commit_callbacks
):
    invited = make_user("invited", role="desk_staff", is_staff=True)
    invited.set_unusable_password()
    invited.save()
    stopped = make_user("stopped", role="desk_staff", is_staff=True, is_active=False)
    plain = make_user("plain")
    for user in (invited, stopped, plain):
        _request(Client(), user.email, django_capture_on_commit_callbacks)
    assert not OutboundEmail.objects.exists()


def test_the_login_pages_link_to_the_reset(client):
    assert RESET in client.get("/login/").content.decode()
    assert RESET in client.get("/admin/login/").content.decode()


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    client, officer, officer_device
):
    elsewhere = Client()
    elsewhere.force_login(officer)
    client.force_login(officer)
    response = client.post(
        "/account/password/",
        {
            "old_password": "Kanda-sakuma-19",
            "new_password1": "Sakuma-cho-2026",
            "new_password2": "Sakuma-cho-2026",
        },
    )
    assert response["Location"] == "/account/security/"
    assert client.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    open_rows = LoginSession.objects.filter(user=officer, ended_at__isnull=True)
    assert list(open_rows.values_list("session_key", flat=True)) == [client.session.session_key]
