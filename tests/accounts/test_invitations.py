"""Invitations instead of printed passwords: an administrator invites, the invitee sets a
password once through an expiring link and enrols a second factor."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kosha_portal.accounts.models import AccountProfile, Invitation
from kosha_portal.accounts.services import invitation_send, user_invite
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW, tick=False)]

INVITATION = re.compile(r"https?://[^/\s]+(/account/invitation/[A-Za-z0-9_-]{20,}/)")


@pytest.fixture
def delivered_invitation(mailoutbox):
    def find(to):
        for message in reversed(mailoutbox):
            if to in message.to and (match := INVITATION.search(message.body)):
                return match.group(1)
        raise AssertionError(f"no invitation was delivered to {to}")

    return find


@pytest.fixture
def invite(admin_user_kosha, django_capture_on_commit_callbacks):
    def make(username="sato", role="desk_staff", email=None):
        with django_capture_on_commit_callbacks(execute=True):
            return user_invite(
                username=username,
                email=email or f"{username}@tokyo-kosha.example.jp",
                last_name="佐藤",
                first_name="一郎",
                role=role,
                actor=admin_user_kosha,
            )

    return make


def test_the_admin_add_page_invites_instead_of_asking_for_a_password(
    client, admin_user_kosha, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(admin_user_kosha)
    page = client.get("/admin/auth/user/add/")
    assert page.status_code == 200 and 'name="password1"' not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/auth/user/add/",
            {
                "username": "sato",
                "last_name": "佐藤",
                "first_name": "一郎",
                "email": "ＳＡＴＯ@tokyo-kosha.example.jp",
                "role": "desk_staff",
            },
        )
    user = get_user_model().objects.get(username="sato")
    assert response["Location"] == f"/admin/auth/user/{user.pk}/change/"
    assert not user.has_usable_password()
    assert user.is_staff and not user.is_superuser and user.email == "sato@tokyo-kosha.example.jp"
    assert list(user.groups.values_list("name", flat=True)) == ["desk_staff"]
    assert AccountProfile.objects.get(user=user).is_demo is False
    email = OutboundEmail.objects.get(template="accounts/emails/invitation")
    assert email.to == "sato@tokyo-kosha.example.jp"
    assert email.subject == "【東京都中小企業振興公社】カスハラ対策支援ポータルのアカウントのご案内"
    # The outbox (readable by desk staff) holds the link sealed; only the delivered mail works.
    assert "/account/invitation/sealed-" in email.body_text
    assert not INVITATION.search(email.body_text)
    assert INVITATION.search(mailoutbox[-1].body)
    assert "ユーザー名：sato" in mailoutbox[-1].body
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "account.create",
        "account.invitation_send",
    }


def test_the_add_page_refuses_a_taken_user_name_beside_the_field(client, admin_user_kosha):
    client.force_login(admin_user_kosha)
    data = {
        "username": "admin1",
        "last_name": "佐藤",
        "first_name": "一郎",
        "email": "x@example.jp",
        "role": "experts",
    }
    response = client.post("/admin/auth/user/add/", data)
    assert response.status_code == 200
    assert "このユーザー名はすでに使われています" in response.content.decode()
    assert 'value="x@example.jp"' in response.content.decode()  # input kept


def test_an_invitation_link_works_once(client, invite, delivered_invitation):
    user = invite()
    path = delivered_invitation(user.email)
    page = client.get(path)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    response = client.post(
        path, {"new_password1": "Akihabara-5F-desk", "new_password2": "Akihabara-5F-desk"}
    )
    assert response["Location"].startswith("/account/security/setup/")
    user.refresh_from_db()
    assert user.check_password("Akihabara-5F-desk")
    # Logged in with the password, and sent to enrol the second factor first.
    assert client.get("/admin/")["Location"].startswith("/account/security/setup/")
    # The link is spent: in another browser it opens nothing.
    other = Client()
    assert other.get(path).status_code == 404
    again = other.post(
        path, {"new_password1": "Other-pass-2026x", "new_password2": "Other-pass-2026x"}
    )
    assert again.status_code == 404
    user.refresh_from_db()
    assert user.check_password("Akihabara-5F-desk")


def test_an_invitation_link_expires(client, invite, delivered_invitation, settings, time_machine):
    settings.ACCOUNT_INVITATION_LIFETIME_HOURS = 72
    user = invite()
    path = delivered_invitation(user.email)
    time_machine.shift(datetime.timedelta(hours=71, minutes=59))
    assert client.get(path).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=2))
    response = client.get(path)
    assert response.status_code == 404
    assert "招待リンクが無効です" in response.content.decode()


def test_resending_an_invitation_invalidates_the_previous_one(
    client, invite, delivered_invitation, admin_user_kosha, django_capture_on_commit_callbacks
):
    user = invite()
    first = delivered_invitation(user.email)
    client.force_login(admin_user_kosha)
    assert client.get(f"/admin/auth/user/{user.pk}/invite/").status_code == 200  # confirmation
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/auth/user/{user.pk}/invite/")
    second = delivered_invitation(user.email)
    assert first != second
    visitor = Client()
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200
    assert Invitation.objects.filter(user=user, revoked_at__isnull=False).count() == 1


def test_a_weak_password_is_refused_in_japanese_and_the_link_stays_usable(
    client, invite, delivered_invitation
):
    user = invite()
    path = delivered_invitation(user.email)
    response = client.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "このパスワードは短すぎます" in html and "数字しか使われていません" in html
    assert not get_user_model().objects.get(pk=user.pk).has_usable_password()
    assert client.get(path).status_code == 200


def test_no_invitation_for_a_stopped_account(invite, admin_user_kosha):
    from kosha_portal.errors import DomainError

    user = invite()
    user.is_active = False
    user.save()
    with pytest.raises(DomainError):
        invitation_send(user=user, actor=admin_user_kosha)


def test_desk_staff_cannot_invite(client, desk_user):
    client.force_login(desk_user)
    assert client.get("/admin/auth/user/add/").status_code == 403
