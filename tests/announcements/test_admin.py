"""The staff composer in the admin: a draft shows its preview and the count of its recipients,
a test goes to the staff member's own address, sending goes through a confirmation page whose
count is what is sent, a scheduled announcement can be taken back or cancelled with a reason."""

import datetime

import pytest
from django.urls import reverse

from announcements.models import Announcement
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

ADD = "/admin/announcements/announcement/add/"


def _compose(desk_client, **extra):
    data = {
        "subject": "第3回セミナーのご案内",
        "body_text": "1月6日(水)に開催します。\nhttps://portal.example.jp/seminars/",
        "body_html": "",
        "audience_all": "on",
        **extra,
    }
    response = desk_client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Announcement.objects.latest("pk")


def _change(announcement):
    return reverse("admin:announcements_announcement_change", args=[announcement.pk])


def test_a_draft_shows_its_preview_and_recipient_count(desk_client):
    for n in range(3):
        subscribe(f"reader{n}@example.jp")
    announcement = _compose(
        desk_client, body_html='<p>ご案内</p><script>alert(1)</script><img src="https://x/y.png">'
    )
    html = desk_client.get(_change(announcement)).content.decode()
    assert "いまの条件の配信先：3件" in html
    assert "【東京都中小企業振興公社】第3回セミナーのご案内" in html
    preview = html.split('class="announcement-preview-html"', 1)[1].split("</div>", 1)[0]
    assert "<p>ご案内</p>" in preview
    assert "alert(1)" not in preview and "y.png" not in preview
    assert "配信停止" in html  # the footer the law requires is in the preview


def test_filters_need_at_least_one_condition(desk_client):
    response = desk_client.post(
        ADD, {"subject": "件名", "body_text": "本文", "body_html": "", "industries": []}
    )
    assert response.status_code == 200
    assert "配信先の条件を1つ以上選ぶか" in response.content.decode()
    assert not Announcement.objects.exists()


def test_a_test_send_goes_to_the_staff_members_own_address(desk_client, desk_user, mail_outbox):
    announcement = _compose(desk_client)
    response = desk_client.post(
        reverse("admin:announcements_announcement_test_send", args=[announcement.pk])
    )
    assert response.status_code == 302
    test_mail = OutboundEmail.objects.get(to=desk_user.email)
    assert test_mail.subject.startswith("【テスト送信】【東京都中小企業振興公社】")
    assert "List-Unsubscribe" in test_mail.headers
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.DRAFT


def test_sending_goes_through_the_confirmation_page_and_sends_the_count_shown(
    desk_client, django_capture_on_commit_callbacks
):
    for n in range(4):
        subscribe(f"confirmed{n}@example.jp")
    announcement = _compose(desk_client)
    url = reverse("admin:announcements_announcement_send", args=[announcement.pk])
    page = desk_client.get(url).content.decode()
    assert "4件の配信先に送信します" in page and "取り消せません" in page

    unconfirmed = desk_client.post(url, {"when": "now", "expected": 4})
    assert "送信前の確認にチェックを入れてください。" in unconfirmed.content.decode()
    assert not OutboundEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = desk_client.post(url, {"when": "now", "expected": 4, "confirm": "on"})
    assert done.status_code == 302
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.SENT
    assert announcement.expected_recipients == announcement.recipient_count == 4
    sent = OutboundEmail.objects.filter(template="announcements/emails/announcement", status="sent")
    assert sorted(sent.values_list("to", flat=True)) == [
        f"confirmed{n}@example.jp" for n in range(4)
    ]
    assert "送信済み 4件" in desk_client.get(_change(announcement)).content.decode()


def test_a_count_that_changed_meanwhile_is_shown_again_before_sending(desk_client):
    subscribe("one@example.jp")
    announcement = _compose(desk_client)
    url = reverse("admin:announcements_announcement_send", args=[announcement.pk])
    subscribe("two@example.jp")
    response = desk_client.post(url, {"when": "now", "expected": 1, "confirm": "on"})
    assert "1件から2件に変わりました" in response.content.decode()
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.DRAFT


def test_a_scheduled_announcement_is_cancelled_with_a_reason(desk_client):
    subscribe("later@example.jp")
    announcement = _compose(desk_client)
    send = reverse("admin:announcements_announcement_send", args=[announcement.pk])
    at = timeline.NOW + datetime.timedelta(days=2)
    desk_client.post(
        send,
        {"when": "later", "send_at": at.strftime("%Y-%m-%dT%H:%M"), "expected": 1, "confirm": "on"},
    )
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.SCHEDULED and announcement.send_at == at
    assert desk_client.get(_change(announcement)).status_code == 200  # read-only now

    cancel = reverse("admin:announcements_announcement_cancel", args=[announcement.pk])
    assert "理由を入力してください。" in desk_client.post(cancel, {"reason": ""}).content.decode()
    desk_client.post(cancel, {"reason": "講師の都合で日程が変わったため"})
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.CANCELLED
    assert announcement.cancel_reason == "講師の都合で日程が変わったため"
    event = AuditEvent.objects.get(action="announcement.cancel")
    assert event.changes["reason"] == "講師の都合で日程が変わったため"
    assert not OutboundEmail.objects.exists()


def test_a_scheduled_announcement_can_go_back_to_a_draft(desk_client):
    subscribe("edit@example.jp")
    announcement = _compose(desk_client)
    at = timeline.NOW + datetime.timedelta(days=1)
    desk_client.post(
        reverse("admin:announcements_announcement_send", args=[announcement.pk]),
        {"when": "later", "send_at": at.strftime("%Y-%m-%dT%H:%M"), "expected": 1, "confirm": "on"},
    )
    desk_client.post(
        reverse("admin:announcements_announcement_unschedule", args=[announcement.pk]),
        {"reason": "本文を直すため"},
    )
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.DRAFT and announcement.send_at is None


def test_a_past_send_time_is_refused_politely(desk_client):
    subscribe("past@example.jp")
    announcement = _compose(desk_client)
    response = desk_client.post(
        reverse("admin:announcements_announcement_send", args=[announcement.pk]),
        {"when": "later", "send_at": "2026-11-30T10:00", "expected": 1, "confirm": "on"},
    )
    assert "送信日時が過去になっています" in response.content.decode()


def test_staff_cannot_add_a_subscriber(desk_client):
    assert desk_client.get("/admin/announcements/subscriber/add/").status_code == 403
