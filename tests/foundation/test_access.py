"""Personal access links for company contacts, login required by default, and login lockout."""

import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from kosha_portal.accounts.models import AccessLink, token_hash
from kosha_portal.accounts.services import (
    access_link_issue,
    access_link_revoke,
    access_link_url,
    access_links_resend,
    access_links_revoke_for,
    portal_can_access,
)
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
JST = datetime.timezone(datetime.timedelta(hours=9))


def request_with_session(client):
    """A request carrying the test client's session, as a view would see it."""
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = AnonymousUser()
    return request


def test_only_the_hash_is_stored():
    organisation = OrganisationFactory()
    link, token = access_link_issue(email="Contact@Shop.example.jp", organisation=organisation)
    assert len(token) >= 40
    assert link.token_hash == token_hash(token) != token
    assert link.email == "contact@shop.example.jp"
    stored = [str(value) for value in AccessLink.objects.filter(pk=link.pk).values().get().values()]
    assert not any(token in value for value in stored)
    assert access_link_url(token) == f"http://127.0.0.1:8000/access/{token}/"
    assert link.expires_at > timezone.now() + datetime.timedelta(days=179)


def test_open_grants_access_to_its_target_only_never_to_its_organisation(client):
    owner, target, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    _link, token = access_link_issue(email="a@example.jp", organisation=owner, target=target)
    assert not portal_can_access(request_with_session(client), target)

    response = client.get(f"/access/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/my/"
    request = request_with_session(client)
    assert portal_can_access(request, target)
    # The organisation the link belongs to is metadata: it opens nothing.
    assert not portal_can_access(request, owner)
    assert not portal_can_access(request, other)


def test_an_organisation_only_link_grants_nothing(client):
    organisation = OrganisationFactory()
    _link, token = access_link_issue(email="a@example.jp", organisation=organisation)
    assert client.get(f"/access/{token}/").status_code == 302
    assert not portal_can_access(request_with_session(client), organisation)
    assert client.get("/my/")["Location"] == "/my/resend/"


def test_link_to_a_target_object(client):
    target, other, derived = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    _link, token = access_link_issue(email="b@example.jp", target=target)
    client.get(f"/access/{token}/")
    request = request_with_session(client)
    assert portal_can_access(request, target)
    assert not portal_can_access(request, other)
    # An object reached through the granted one (e.g. the dispatch of a consultation).
    assert portal_can_access(request, derived, via=(target,))
    assert not portal_can_access(request, derived, via=(other,))


def assert_link_invalid(response):
    assert response.status_code == 404
    assert "このリンクはご利用いただけません" in response.content.decode()


def test_expired_revoked_and_unknown_links_show_the_invalid_page(client, desk_user):
    organisation = OrganisationFactory()
    expired, expired_token = access_link_issue(email="c@example.jp", target=organisation)
    AccessLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked, revoked_token = access_link_issue(email="c@example.jp", target=organisation)
    access_link_revoke(link=revoked, actor=desk_user)

    assert_link_invalid(client.get(f"/access/{expired_token}/"))
    assert_link_invalid(client.get(f"/access/{revoked_token}/"))
    assert_link_invalid(client.get("/access/not-a-real-token-at-all-0123456789/"))
    assert not portal_can_access(request_with_session(client), organisation)


def test_revoking_an_opened_link_ends_access_at_once(client, desk_user):
    organisation = OrganisationFactory()
    link, token = access_link_issue(email="d@example.jp", target=organisation)
    client.get(f"/access/{token}/")
    assert portal_can_access(request_with_session(client), organisation)
    access_link_revoke(link=link, actor=desk_user)
    assert not portal_can_access(request_with_session(client), organisation)
    assert client.get("/my/")["Location"] == "/my/resend/"


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_resend_answers_alike_and_mails_only_known_addresses(
    client, delivered_access_link, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    access_link_issue(email="known@shop.example.jp", target=organisation)

    page = client.get("/my/resend/")
    assert page.status_code == 200
    assert 'type="email"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/my/resend/", {"email": "ＫＮＯＷＮ@shop.example.jp"})
    unknown = client.post("/my/resend/", {"email": "nobody@shop.example.jp"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.content.decode()) == without_csrf(unknown.content.decode())
    assert "受け付けました" in known.content.decode()

    [email] = OutboundEmail.objects.all()
    assert email.to == "known@shop.example.jp"
    assert email.template == "accounts/emails/links_resend"
    assert "個人用リンクの再送" in email.subject
    fresh = client.get(delivered_access_link("known@shop.example.jp"))
    assert fresh.status_code == 302
    assert portal_can_access(request_with_session(client), organisation)


def test_resend_renews_live_and_expired_links_but_never_revoked_ones(desk_user):
    revoked_target, live_target, expired_target = (
        OrganisationFactory(name="株式会社とりけし"),
        OrganisationFactory(name="株式会社いきてる"),
        OrganisationFactory(name="株式会社きれてる"),
    )
    revoked, _token = access_link_issue(email="r@example.jp", target=revoked_target)
    access_link_revoke(link=revoked, actor=desk_user)
    live, _token = access_link_issue(email="r@example.jp", target=live_target)
    expired, _token = access_link_issue(email="r@example.jp", target=expired_target)
    AccessLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )

    assert access_links_resend(email="r@example.jp") == 2
    fresh = AccessLink.objects.exclude(pk__in=[revoked.pk, live.pk, expired.pk])
    assert sorted(fresh.values_list("object_id", flat=True)) == sorted(
        [str(live_target.pk), str(expired_target.pk)]
    )
    [email] = OutboundEmail.objects.filter(to="r@example.jp")
    assert "株式会社いきてる" in email.body_text and "株式会社きれてる" in email.body_text
    assert "株式会社とりけし" not in email.body_text


def test_resend_for_only_revoked_links_sends_nothing(desk_user):
    target = OrganisationFactory()
    access_link_issue(email="gone@example.jp", target=target)
    access_links_revoke_for(target=target, actor=desk_user)
    assert access_links_resend(email="gone@example.jp") == 0
    assert AccessLink.objects.filter(revoked_at__isnull=True).count() == 0
    assert not OutboundEmail.objects.exists()


def test_a_link_names_no_address_and_revoking_leaves_none_in_the_audit_trail(desk_user):
    target = OrganisationFactory()
    link, _token = access_link_issue(email="private.person@example.jp", target=target)
    access_link_issue(email="private.person@example.jp", target=target)
    assert "private.person" not in str(link)
    assert f"#{link.pk}" in str(link)

    access_link_revoke(link=link, actor=desk_user)
    access_links_revoke_for(target=target, actor=desk_user)
    events = AuditEvent.objects.filter(action__startswith="access_link.")
    assert {e.action for e in events} == {"access_link.revoke", "access_link.revoke_all"}
    for event in events:
        recorded = f"{event.object_repr} {event.actor_label} {event.changes}"
        assert "private.person" not in recorded and "@" not in recorded


def test_resend_form_error_is_polite_and_keeps_input(client):
    response = client.post("/my/resend/", {"email": "not-an-address"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "not-an-address" in html
    assert "有効なメールアドレスを入力してください。" in html
    assert OutboundEmail.objects.count() == 0


def test_resend_is_rate_limited(client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, 9, 59, tzinfo=JST), tick=False)
    for _attempt in range(10):
        assert client.post("/my/resend/", {"email": "x@example.jp"}).status_code == 200
        time_machine.shift(1)
    response = client.post("/my/resend/", {"email": "x@example.jp"})
    assert response.status_code == 429
    assert response["Retry-After"] == "590"
    # Ten minutes after the first request, the next one is answered again.
    time_machine.shift(590)
    assert client.post("/my/resend/", {"email": "x@example.jp"}).status_code == 200


def test_resend_to_one_address_is_capped_but_answers_alike(client):
    access_link_issue(email="flooded@example.jp", target=OrganisationFactory())
    answers = set()
    for attempt in range(5):
        response = client.post(
            "/my/resend/", {"email": "flooded@example.jp"}, REMOTE_ADDR=f"192.0.2.{attempt}"
        )
        assert response.status_code == 200
        answers.add(without_csrf(response.content.decode()))
    assert len(answers) == 1
    assert OutboundEmail.objects.filter(to="flooded@example.jp").count() == 3


# --- login required by default, lockout ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/", "/privacy/", "/healthz", "/my/resend/", "/api/postal-code/?code=1010025", "/login/"],
)
def test_public_pages(client, url, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/after-login/", "/documents/00000000-0000-0000-0000-000000000000/download/"]
)
def test_other_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_admin_requires_staff_login(client, make_user):
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    client.force_login(make_user("plain"))
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("login_url", ["/admin/login/", "/login/"])
def test_login_lockout_after_failures(client, make_user, settings, login_url):
    make_user("staff-a", is_staff=True, password="correct-horse-battery")
    make_user("staff-b", is_staff=True, password="correct-horse-battery")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login_url, {"username": "staff-a", "password": "wrong"})
        assert response.status_code == 200  # the form again, with an error
    # The failure that reaches the limit locks the account; the right password no longer helps.
    assert client.post(login_url, {"username": "staff-a", "password": "wrong"}).status_code == 429
    locked = client.post(login_url, {"username": "staff-a", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "ログインを一時停止しています" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address still logs in (lockout is per username and IP).
    other = client.post(login_url, {"username": "staff-b", "password": "correct-horse-battery"})
    assert other.status_code == 302
    assert "_auth_user_id" in client.session


def test_login_succeeds_below_the_limit(client, make_user, settings):
    make_user("staff-c", is_staff=True, password="correct-horse-battery")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "staff-c", "password": "wrong"})
    response = client.post(
        "/admin/login/", {"username": "staff-c", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
