import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kosha_portal.accounts.services import access_link_issue
from kosha_portal.audit.services import audit_events_for
from kosha_portal.mail.models import OutboundEmail
from seminars import services
from seminars.models import Registration, Seminar
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

SECRET = "SECRET-ONLINE"


def form_data(n=1, **extra):
    return {
        "org_kind": "corporation",
        "org_name": "株式会社テスト商店",
        "org_name_kana": "テストショウテン",
        "org_corporate_number": "",
        "org_postal_code": "１０１－００２５",
        "org_prefecture": "東京都",
        "org_municipality": "千代田区",
        "org_address": "神田佐久間町1-9",
        "org_phone": "",
        "org_main_business": "小売業",
        "org_industry": "retail",
        "org_capital_yen": "",
        "org_employees": "",
        "name": "山田 花子",
        "name_kana": "やまだ はなこ",
        "department": "総務部",
        "role": "課長",
        "email": f"Hanako{n}@Example.jp",
        "phone": "03-3251-7881",
        "format": "online",
        "join_waitlist": "on",
        "question": "",
        "heard_from": "kosha_web",
        "consent": "on",
        **extra,
    }


def open_link(client, registration):
    _link, token = access_link_issue(email=registration.email, target=registration)
    return client.get(reverse("accounts:access_link", args=[token]))


def test_public_pages_never_show_the_online_url(client):
    seminar = SeminarFactory()
    past = SeminarFactory(
        status=Seminar.Status.FINISHED,
        archive_url="https://video.example.jp/a",
        starts_at=timeline.jst(2026, 10, 22, 14),
        registration_opens_at=timeline.jst(2026, 9, 1, 10),
    )
    SeminarFactory(status=Seminar.Status.DRAFT, title="下書きのセミナー")
    listing = client.get(reverse("seminars:list")).content.decode()
    assert str(seminar.title) in listing and "video.example.jp/a" in listing
    assert "下書きのセミナー" not in listing
    for url in (
        reverse("seminars:detail", args=[seminar.pk]),
        reverse("seminars:detail", args=[past.pk]),
        reverse("seminars:list"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    response = client.post(reverse("seminars:detail", args=[seminar.pk]), form_data(), follow=True)
    assert response.status_code == 200 and SECRET not in response.content.decode()
    assert "ご参加が確定しました" in response.content.decode()


def test_detail_shows_seats_left_per_format(client):
    seminar = SeminarFactory(venue_seats=3, online_seats=1)
    register(seminar, 1, fmt="online")
    html = client.get(reverse("seminars:detail", args=[seminar.pk])).content.decode()
    assert "会場で参加" in html and "満席" in html
    assert client.get(reverse("seminars:detail", args=[9999])).status_code == 404


def test_register_normalises_input_and_writes_the_outbox(client):
    seminar = SeminarFactory()
    response = client.post(reverse("seminars:detail", args=[seminar.pk]), form_data())
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.email == "hanako1@example.jp"
    assert registration.name_kana == "ヤマダ ハナコ"
    assert registration.organisation.postal_code == "101-0025"
    assert registration.status == "confirmed" and registration.privacy_notice_version
    assert OutboundEmail.objects.filter(
        to="hanako1@example.jp", template="seminars/emails/confirmation"
    ).exists()


def test_bad_input_gets_polite_messages_and_keeps_the_input(client):
    seminar = SeminarFactory()
    data = form_data(name_kana="Yamada", email="not-an-email", consent="")
    response = client.post(reverse("seminars:detail", args=[seminar.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "入力内容に不備があります" in html
    assert "フリガナは全角カタカナ" in html
    assert "個人情報の取扱いへの同意が必要です" in html
    assert 'value="株式会社テスト商店"' in html and 'value="総務部"' in html
    assert Registration.objects.count() == 0 and OutboundEmail.objects.count() == 0


def test_duplicate_email_offers_to_resend_the_confirmation(client):
    seminar = SeminarFactory()
    url = reverse("seminars:detail", args=[seminar.pk])
    client.post(url, form_data())
    response = client.post(url, form_data(org_name="別の会社"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "すでにお申込みいただいています" in html and "確認メールを再送する" in html
    assert Registration.objects.count() == 1
    resend = client.post(
        reverse("seminars:resend", args=[seminar.pk]), {"email": "hanako1@example.jp"}, follow=True
    )
    assert "再送しました" in resend.content.decode()
    assert OutboundEmail.objects.filter(template="seminars/emails/confirmation").count() == 2
    assert "【再送】" in OutboundEmail.objects.order_by("-pk").first().subject


def test_full_format_without_waitlist_explains_and_saves_nothing(client):
    seminar = SeminarFactory(format=Seminar.Format.ONLINE, online_seats=1)
    register(seminar, 9, fmt="online")
    data = form_data()
    data.pop("join_waitlist")
    html = client.post(reverse("seminars:detail", args=[seminar.pk]), data).content.decode()
    assert "満席になりました" in html
    assert Registration.objects.count() == 1


def test_closed_registration_is_refused_over_http(client, time_machine):
    seminar = SeminarFactory()
    time_machine.move_to(timeline.SEMINAR_REGISTRATION_CLOSES + datetime.timedelta(seconds=1))
    response = client.post(reverse("seminars:detail", args=[seminar.pk]), form_data())
    assert response.status_code == 200
    assert "受付は終了しました" in response.content.decode()
    assert Registration.objects.count() == 0


def test_personal_page_shows_the_online_url_only_to_a_confirmed_registrant(client):
    seminar = SeminarFactory(online_seats=1)
    confirmed = register(seminar, 1, fmt="online")
    waiting = register(seminar, 2, fmt="online")
    response = open_link(client, confirmed)
    assert response.status_code == 302 and response["Location"] == confirmed.get_portal_url()
    assert SECRET in client.get(confirmed.get_portal_url()).content.decode()
    # The same visitor has no link to the other registration: 404, as for a missing one.
    assert client.get(waiting.get_portal_url()).status_code == 404
    assert client.get(reverse("seminars:registration", args=[99999])).status_code == 404
    other = client.__class__()
    open_link(other, waiting)
    html = other.get(waiting.get_portal_url()).content.decode()
    assert "キャンセル待ち" in html and SECRET not in html
    my_page = client.get(reverse("accounts:my_page")).content.decode()
    assert "セミナーのお申込み" in my_page and confirmed.get_portal_url() in my_page


def test_cancel_through_the_personal_link_promotes_the_next(client):
    seminar = SeminarFactory(venue_seats=1)
    first, second = register(seminar, 1), register(seminar, 2)
    open_link(client, first)
    assert (
        "キャンセルします"
        in client.get(reverse("seminars:cancel", args=[first.pk])).content.decode()
    )
    response = client.post(reverse("seminars:cancel", args=[first.pk]), follow=True)
    assert "キャンセルしました" in response.content.decode()
    assert Registration.objects.get(pk=first.pk).status == "cancelled"
    event = audit_events_for(first).get(action="seminar_registration.cancel")
    assert event.changes["reason"] == services.SELF_CANCEL_REASON
    assert Registration.objects.get(pk=second.pk).status == "confirmed"
    assert client.post(reverse("seminars:cancel", args=[second.pk])).status_code == 404


def test_checkin_is_for_staff_only(make_user, desk_user):
    from django.test import Client

    client, desk_client = Client(), Client()
    desk_client.force_login(desk_user)
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    url = reverse("seminars:checkin", args=[seminar.pk])
    assert client.get(url).status_code == 302  # login required
    client.force_login(make_user("plain"))
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("seminars:checkin_mark", args=[seminar.pk, registration.pk])
        ).status_code
        == 404
    )
    assert client.get(reverse("seminars:export_csv", args=[seminar.pk])).status_code == 404
    assert desk_client.get(url).status_code == 200


def test_checkin_search_by_kana_and_one_tap(desk_client):
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    register(seminar, 2, name="佐藤 次郎", name_kana="サトウ ジロウ")
    url = reverse("seminars:checkin", args=[seminar.pk])
    html = desk_client.get(url, {"q": "やまだ"}).content.decode()
    assert "山田 花子1" in html and "佐藤 次郎" not in html
    response = desk_client.post(
        reverse("seminars:checkin_mark", args=[seminar.pk, hanako.pk]),
        {"q": "やまだ", "action": "in"},
    )
    assert response.status_code == 302 and "q=" in response["Location"]
    assert Registration.objects.get(pk=hanako.pk).status == "attended"
    assert "出席1名" in desk_client.get(url).content.decode()


def test_csv_export_is_utf8_with_bom(desk_client):
    seminar = SeminarFactory()
    register(seminar, 1, question="録画はありますか")
    response = desk_client.get(reverse("seminars:export_csv", args=[seminar.pk]))
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("状態,参加方法")
    assert "山田 花子1" in text and "録画はありますか" in text


def test_admin_lists_seminars_with_counts(desk_client):
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    register(seminar, 2)
    response = desk_client.get(reverse("admin:seminars_seminar_changelist"))
    assert response.status_code == 200
    response = desk_client.get(
        reverse("admin:seminars_registration_changelist"), {"seminar__id__exact": seminar.pk}
    )
    assert response.status_code == 200 and "山田 花子2" in response.content.decode()


def test_list_view_query_count_does_not_grow(client):
    SeminarFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("seminars:list"))
    for _ in range(5):
        SeminarFactory()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("seminars:list"))
    assert len(many) == len(one)


def test_csv_export_keeps_a_formula_like_name_as_text(desk_client):
    import csv
    import io

    seminar = SeminarFactory()
    register(seminar, 1, name='=HYPERLINK("http://x")', question="@SUM(1+1)")
    response = desk_client.get(reverse("seminars:export_csv", args=[seminar.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'
    assert rows[1][10] == "'@SUM(1+1)"


def test_staff_cancel_registrations_from_the_admin_through_a_confirmation_with_a_reason(
    desk_client,
):
    seminar = SeminarFactory(venue_seats=1)
    registration, waiting = register(seminar, 1), register(seminar, 2)
    registrations = "/admin/seminars/registration/"
    selected = {"action": "cancel", "_selected_action": [registration.pk]}
    confirmation = desk_client.post(registrations, selected)
    html = confirmation.content.decode()
    assert confirmation.status_code == 200 and "お申込みの取消しの確認" in html
    assert "山田 花子1" in html and "キャンセル待ちの先頭の方に繰り上げ" in html
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"  # nothing yet

    refused = desk_client.post(registrations, {**selected, "post": "yes", "reason": " "})
    assert "理由を入力してください。" in refused.content.decode()
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"

    desk_client.post(registrations, {**selected, "post": "yes", "reason": "ご本人から電話"})
    assert Registration.objects.get(pk=registration.pk).status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"  # promoted
    event = audit_events_for(registration).get(action="seminar_registration.cancel")
    assert event.changes["reason"] == "ご本人から電話"
    told = OutboundEmail.objects.get(
        to=registration.email, template="seminars/emails/cancelled_by_staff"
    )
    assert "ご本人から電話" in told.body_text and "取消し" in told.subject
