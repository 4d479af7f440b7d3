import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Consultation
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import consultation_data

pytestmark = pytest.mark.django_db
LIST = "/admin/consultations/consultation/"


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_changelist_query_count_is_constant(desk_client, make_consultation, desk_user):
    first = make_consultation()
    Consultation.objects.filter(pk=first.pk).update(assigned_to=desk_user)
    one = _queries(desk_client, LIST)
    for i in range(49):
        make_consultation(email=f"c{i}@example.jp")
    Consultation.objects.update(assigned_to=desk_user)
    assert Consultation.objects.count() == 50
    fifty = _queries(desk_client, LIST)
    assert one == fifty
    filtered = f"{LIST}?status__exact=new&overdue=yes&behaviour=verbal_abuse&support=advice"
    assert _queries(desk_client, filtered) == one


@pytest.mark.time_machine(timeline.NOW)
def test_filters_and_search(desk_client, make_consultation):
    a = make_consultation(behaviour_types=["violence"], email="a@example.jp")
    b = make_consultation(
        behaviour_types=["repeat"], requested_support=["seminar"], email="b@example.jp"
    )
    # Due yesterday: overdue today (2026-12-01); b, received today, is due 12-02.
    Consultation.objects.filter(pk=a.pk).update(reply_by="2026-11-30")
    html = desk_client.get(f"{LIST}?behaviour=violence").content.decode()
    assert a.reference in html and b.reference not in html
    html = desk_client.get(f"{LIST}?support=seminar").content.decode()
    assert b.reference in html and a.reference not in html
    html = desk_client.get(f"{LIST}?overdue=yes").content.decode()
    assert a.reference in html and b.reference not in html and "consultation-overdue" in html
    html = desk_client.get(f"{LIST}?q={b.reference}").content.decode()
    assert b.reference in html and a.reference not in html
    html = desk_client.get(f"{LIST}?q=b@example.jp").content.decode()
    assert b.reference in html and a.reference not in html
    html = desk_client.get(f"{LIST}?q=テストショウジ").content.decode()
    assert a.reference in html


def test_csv_export_has_bom_and_is_logged(desk_client, make_consultation):
    a = make_consultation(behaviour_types=["violence"])
    b = make_consultation(behaviour_types=["repeat"])
    response = desk_client.get(f"{LIST}export/?behaviour=violence")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "相談番号" in text and a.reference in text and b.reference not in text
    assert "暴力型" in text
    event = AuditEvent.objects.get(action="consultation.export")
    assert event.changes["rows"] == 1 and "behaviour=violence" in event.changes["filters"]


def test_case_page_and_reply_through_admin(
    desk_client, make_consultation, django_capture_on_commit_callbacks
):
    c = make_consultation()
    page = desk_client.get(f"{LIST}{c.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "重複の可能性" in html and "専門家派遣の必要性の確認" in html and "操作履歴" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(f"{LIST}{c.pk}/act/reply/", {"reply-body": "ご回答です"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "answered"
    assert OutboundEmail.objects.filter(template="consultations/emails/reply").count() == 1
    desk_client.post(f"{LIST}{c.pk}/act/note/", {"note-body": "社内メモ"})
    assert c.messages.filter(kind="note").count() == 1
    # A refused move shows a message and changes nothing.
    response = desk_client.post(f"{LIST}{c.pk}/act/answer/", follow=True)
    assert "変更できません" in response.content.decode()
    desk_client.post(f"{LIST}{c.pk}/act/dispatch_need/", {"needed": "yes", "reason": "必要"})
    c.refresh_from_db()
    assert c.dispatch_need is True
    # Posting the read-only model form never changes the record.
    desk_client.post(f"{LIST}{c.pk}/change/", {"status": "closed"})
    c.refresh_from_db()
    assert c.status == "answered"


def test_record_phone_consultation(desk_client):
    data = {
        f"org_{k}": v
        for k, v in {
            "kind": "corporation",
            "name": "有限会社電話商会",
            "postal_code": "1010025",
            "prefecture": "東京都",
            "municipality": "千代田区",
            "address": "1-1",
            "main_business": "飲食",
            "industry": "retail",
        }.items()
    }
    data.update({k: v for k, v in consultation_data().items() if v not in ("", [])})
    data.update(channel="phone", privacy_consent="on")
    response = desk_client.post(f"{LIST}record/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    c = Consultation.objects.get()
    assert c.channel == "phone" and c.recorded_by.username == "desk1"
    assert desk_client.get(f"{LIST}add/").status_code == 302


def test_changelist_needs_staff(client, make_user, make_consultation):
    make_consultation()
    client.force_login(make_user("plain"))
    assert client.get(LIST).status_code == 302


def test_officer_filter_ignores_non_ascii_digits(desk_client, make_consultation, desk_user):
    assigned = make_consultation(email="assigned@example.jp")
    Consultation.objects.filter(pk=assigned.pk).update(assigned_to=desk_user)
    make_consultation(email="other@example.jp")
    for value in ("²", "１", "٣"):
        response = desk_client.get(LIST, {"officer": value})
        assert response.status_code == 200, value
    response = desk_client.get(LIST, {"officer": str(desk_user.pk)})
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [assigned]


def test_csv_export_keeps_a_formula_like_name_as_text(desk_client, make_consultation):
    import csv
    import io

    make_consultation(contact_name='=HYPERLINK("http://x")')
    response = desk_client.get(f"{LIST}export/")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    column = rows[0].index("ご担当者名")
    assert rows[1][column] == '\'=HYPERLINK("http://x")'


def test_search_matches_legal_form_variants_and_hiragana_kana(desk_client, make_consultation):
    c = make_consultation()
    other = make_consultation(email="other@example.jp")
    name = c.organisation.name.replace("株式会社", "㈱ ")
    kana = "てすとしょうじ"  # typed in hiragana; stored in katakana
    for term in (name, kana, f"{c.contact_name.split()[0]} {c.reference}"):
        html = desk_client.get(LIST, {"q": term}).content.decode()
        assert f">{c.reference}</a>" in html, term
    html = desk_client.get(LIST, {"q": f"{c.reference} {other.reference}"}).content.decode()
    # Every word must match: no consultation has both references.
    assert f">{c.reference}</a>" not in html and f">{other.reference}</a>" not in html


def test_admin_withdrawal_needs_a_reason_and_the_history_shows_it(desk_client, make_consultation):
    c = make_consultation()
    page = desk_client.get(f"{LIST}{c.pk}/change/").content.decode()
    assert "取下げの理由" in page and f"{LIST}{c.pk}/act/withdraw/" in page
    response = desk_client.post(f"{LIST}{c.pk}/act/withdraw/", {"reason": " "}, follow=True)
    assert "理由を入力してください。" in response.content.decode()
    c.refresh_from_db()
    assert c.status == "new"
    response = desk_client.post(
        f"{LIST}{c.pk}/act/withdraw/", {"reason": "お電話で取下げのお申出"}, follow=True
    )
    c.refresh_from_db()
    assert c.status == "withdrawn"
    html = response.content.decode()
    assert "お電話で取下げのお申出" in html  # in the case's history
    assert "再開の理由" in html and "取下げの理由" not in html
    desk_client.post(f"{LIST}{c.pk}/act/reopen/", {"reason": ""})
    c.refresh_from_db()
    assert c.status == "withdrawn"
    desk_client.post(f"{LIST}{c.pk}/act/reopen/", {"reason": "再度のご相談"})
    c.refresh_from_db()
    assert c.status == "in_progress"
    event = AuditEvent.objects.filter(action="consultation.status.in_progress").latest("id")
    assert event.changes["reason"] == "再度のご相談"
