import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
    desk_client.post(f"{LIST}{c.pk}/act/dispatch_need/", {"needed": "no", "reason": "助言で足りる"})
    c.refresh_from_db()
    assert c.dispatch_need is False
    # Posting the read-only model form never changes the record.
    desk_client.post(f"{LIST}{c.pk}/change/", {"status": "closed"})
    c.refresh_from_db()
    assert c.status == "answered"


@pytest.mark.time_machine(timeline.NOW)
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
    data.update(channel="phone", privacy_consent="on", received_at="2026-11-30T16:20")
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


def test_admin_withdrawal_needs_a_reason_asks_for_confirmation_and_tells_the_company(
    desk_client, make_consultation, django_capture_on_commit_callbacks
):
    c = make_consultation(email="hanako@example.jp")
    page = desk_client.get(f"{LIST}{c.pk}/change/").content.decode()
    assert "取下げの理由" in page and f"{LIST}{c.pk}/act/withdraw/" in page
    response = desk_client.post(f"{LIST}{c.pk}/act/withdraw/", {"reason": " "}, follow=True)
    assert "理由を入力してください。" in response.content.decode()
    c.refresh_from_db()
    assert c.status == "new"

    # The reason alone leads to the confirmation page: nothing has happened yet.
    confirm = desk_client.post(f"{LIST}{c.pk}/act/withdraw/", {"reason": "お電話で取下げのお申出"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "この相談を取下げにしますか" in html and "メールでお知らせします" in html
    assert ">取下げの理由</label>" in html
    assert "お電話で取下げのお申出" in html  # kept in the field, to correct if needed
    c.refresh_from_db()
    assert c.status == "new"

    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(
            f"{LIST}{c.pk}/act/withdraw/",
            {"reason": "お電話で取下げのお申出", "confirmed": "on"},
            follow=True,
        )
    c.refresh_from_db()
    assert c.status == "withdrawn"
    html = response.content.decode()
    assert "状態を「取下げ」に変更（理由：お電話で取下げのお申出）" in html  # the history
    assert "再開の理由" in html and "取下げの理由" not in html
    email = OutboundEmail.objects.get(template="consultations/emails/withdrawn")
    assert email.to == "hanako@example.jp" and c.reference in email.subject
    assert "お申出" not in email.body_text  # the reason stays in the desk

    desk_client.post(f"{LIST}{c.pk}/act/reopen/", {"reason": "", "confirmed": "on"})
    c.refresh_from_db()
    assert c.status == "withdrawn"
    with django_capture_on_commit_callbacks(execute=True):
        desk_client.post(f"{LIST}{c.pk}/act/reopen/", {"reason": "再度のご相談", "confirmed": "on"})
    c.refresh_from_db()
    assert c.status == "in_progress"
    event = AuditEvent.objects.filter(action="consultation.status.in_progress").latest("id")
    assert event.changes["reason"] == "再度のご相談"
    assert OutboundEmail.objects.filter(template="consultations/emails/reopened").count() == 1


# --- eligibility before the gate ----------------------------------------------------------------


def _saitama_retailer():
    """The issue's case: a Saitama retailer with 80 employees and ¥100M capital."""
    from tests.factories import OrganisationFactory

    return OrganisationFactory(
        name="株式会社さいたま雑貨",
        postal_code="330-0063",
        prefecture="埼玉県",
        prefecture_code="11",
        municipality="さいたま市浦和区",
        industry="retail",
        employees=80,
        capital_yen=100_000_000,
    )


@pytest.mark.time_machine(timeline.NOW)
def test_confirming_the_need_for_an_ineligible_company_shows_the_rules_and_needs_a_note(
    desk_client, make_consultation, django_capture_on_commit_callbacks
):
    from tests.dispatch import factories as dispatch_factories

    dispatch_factories.program_year(2026)
    c = make_consultation(organisation=_saitama_retailer(), email="saitama@example.jp")
    page = desk_client.get(f"{LIST}{c.pk}/change/").content.decode()
    preview = page.split('id="eligibility-preview"', 1)[1].split("</ul>", 1)[0]
    assert "都内の事業者であること</strong>（満たしていません）" in preview
    assert "中小企業者であること</strong>（満たしていません）" in preview
    assert "申込受付期間内であること</strong>：" in preview  # open: it passes
    assert 'id="eligibility-warning"' in page

    response = desk_client.post(
        f"{LIST}{c.pk}/act/dispatch_need/",
        {"needed": "yes", "reason": "マニュアル整備が必要"},
        follow=True,
    )
    html = response.content.decode()
    assert "専門家派遣に申し込めない見込みです" in html
    assert "「都内の事業者であること」" in html and "「中小企業者であること」" in html
    assert "判断メモ" in html
    c.refresh_from_db()
    assert c.dispatch_need is None
    assert not OutboundEmail.objects.filter(
        template="consultations/emails/dispatch_need_confirmed"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        desk_client.post(
            f"{LIST}{c.pk}/act/dispatch_need/",
            {
                "needed": "yes",
                "reason": "マニュアル整備が必要",
                "override_note": "都内へ本店を移転予定と電話で確認",
            },
        )
    c.refresh_from_db()
    assert c.dispatch_need is True
    assert c.dispatch_need_override_note == "都内へ本店を移転予定と電話で確認"
    event = AuditEvent.objects.filter(action="consultation.dispatch_need").latest("id")
    assert event.changes["warnings"] == ["tokyo", "sme"]
    assert "移転" not in str(event.changes)
    # Deciding that no dispatch is needed never asks for a note.
    desk_client.post(f"{LIST}{c.pk}/act/dispatch_need/", {"needed": "no", "reason": "不要"})
    c.refresh_from_db()
    assert c.dispatch_need is False and c.dispatch_need_override_note == ""


@pytest.mark.time_machine(timeline.NOW)
def test_an_eligible_company_needs_no_note(desk_client, make_consultation):
    from tests.dispatch import factories as dispatch_factories
    from tests.factories import OrganisationFactory

    dispatch_factories.program_year(2026)
    c = make_consultation(organisation=OrganisationFactory())  # a Tokyo retailer, 12 employees
    page = desk_client.get(f"{LIST}{c.pk}/change/").content.decode()
    assert 'id="eligibility-warning"' not in page and "（満たしていません）" not in page
    desk_client.post(f"{LIST}{c.pk}/act/dispatch_need/", {"needed": "yes", "reason": "必要"})
    c.refresh_from_db()
    assert c.dispatch_need is True


# --- the list -----------------------------------------------------------------------------------


@pytest.mark.time_machine(timeline.NOW)
def test_fiscal_year_and_received_date_filters(desk_client, time_machine):
    from consultations.services import consultation_submit

    from .conftest import organisation_data

    def received(*args, email):
        time_machine.move_to(timeline.jst(*args), tick=False)
        return consultation_submit(
            organisation_data=organisation_data(),
            data=consultation_data(contact_email=email),
            privacy_consented=True,
            actor="test",
        )

    march = received(2026, 3, 31, 23, 30, email="march@example.jp")  # FY2025
    april = received(2026, 4, 1, 0, 10, email="april@example.jp")  # FY2026
    december = received(2026, 12, 1, 9, 0, email="december@example.jp")
    time_machine.move_to(timeline.NOW)

    def listed(**params):
        return set(desk_client.get(LIST, params).context["cl"].queryset)

    assert listed(fy="2025") == {march}
    assert listed(fy="2026") == {april, december}
    # Both ends included, as JST days.
    assert listed(received_from="2026-03-31", received_to="2026-04-01") == {march, april}
    assert listed(received_from="2026-04-01") == {april, december}
    assert listed(received_to="2026-03-31") == {march}
    html = desk_client.get(LIST, {"received_from": "2026-13-45"}).content.decode()
    assert "日付は「2026-12-01」の形で入力してください。" in html
    assert 'name="received_from"' in html and "令和8年度（2026）" in html


def test_search_finds_words_of_the_consultation_text(desk_client, make_consultation):
    hit = make_consultation(description="閉店後も電話で長時間の謝罪を求められます。")
    miss = make_consultation(email="other@example.jp", description="口コミサイトへの投稿です。")
    queryset = desk_client.get(LIST, {"q": "謝罪"}).context["cl"].queryset
    assert list(queryset) == [hit]
    assert miss not in desk_client.get(LIST, {"q": "長時間 閉店後"}).context["cl"].queryset


def test_open_and_waiting_states(desk_client, make_consultation, desk_user):
    from consultations.services import consultation_reply_send

    new = make_consultation()
    answered = make_consultation(email="b@example.jp")
    consultation_reply_send(consultation=answered, body="回答です", actor=desk_user)
    assert list(desk_client.get(LIST, {"state": "open"}).context["cl"].queryset) == [new]
    assert list(desk_client.get(LIST, {"state": "waiting"}).context["cl"].queryset) == [answered]


def test_officers_appear_by_name_family_name_first(desk_client, make_consultation, desk_user):
    from consultations.services import consultation_note_add

    c = make_consultation()
    Consultation.objects.filter(pk=c.pk).update(assigned_to=desk_user)
    listing = desk_client.get(LIST).content.decode()
    assert '<td class="field-officer_name">窓口 花子</td>' in listing
    filters = listing.split('id="changelist-filter"', 1)[1]
    assert "窓口 花子" in filters and ">desk1<" not in filters
    consultation_note_add(consultation=c, body="折り返し予定", actor=desk_user)
    page = desk_client.get(f"{LIST}{c.pk}/change/").content.decode()
    assert "（窓口 花子）" in page
    assert f'<option value="{desk_user.pk}" selected>窓口 花子</option>' in page
    assert ">desk1<" not in page


# --- the staff intake form ----------------------------------------------------------------------


def _record_data(**overrides) -> dict:
    data = {
        "org_kind": "corporation",
        "org_name": "有限会社電話商会",
        "org_postal_code": "1010025",
        "org_prefecture": "東京都",
        "org_municipality": "千代田区",
        "org_address": "1-1",
        "org_main_business": "飲食",
        "org_industry": "retail",
        **{k: v for k, v in consultation_data().items() if v not in ("", [])},
        "channel": "phone",
        "received_at": "2026-11-27T17:40",
    }
    data.update(overrides)
    return data


@pytest.mark.time_machine(timeline.NOW)
def test_staff_intake_goes_as_a_call_goes_and_may_be_back_dated(desk_client):
    page = desk_client.get(f"{LIST}record/")
    names = list(page.context["form"].fields)
    assert names[:3] == ["channel", "received_at", "org_kind"]
    assert names.index("org_employees") < names.index("contact_name")
    assert names.index("contact_time") < names.index("places") < names.index("description")
    html = page.content.decode()
    assert "お電話での連絡をご希望の場合は" not in html
    assert "電話での連絡を希望された場合は必ず入力します。" in html
    assert 'type="datetime-local"' in html and 'value="2026-12-01T10:00"' in html

    # Friday 17:40, recorded on Tuesday: the reply is due on Monday, counted from the call.
    response = desk_client.post(f"{LIST}record/", _record_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    c = Consultation.objects.get()
    assert timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M") == "2026-11-27 17:40"
    assert c.reply_by.isoformat() == "2026-11-30"


@pytest.mark.time_machine(timeline.NOW)
def test_staff_intake_refuses_a_future_date_beside_the_field(desk_client):
    response = desk_client.post(f"{LIST}record/", _record_data(received_at="2026-12-01T11:30"))
    assert response.status_code == 200
    errors = response.context["form"].errors["received_at"]
    assert errors == ["受付日時に未来の日時は入力できません。相談を受けた日時を入力してください。"]
    assert "有限会社電話商会" in response.content.decode()  # the input is kept
    assert not Consultation.objects.exists()


# --- the export ---------------------------------------------------------------------------------


def _csv_rows(response, encoding="utf-8-sig"):
    import csv
    import io

    return list(csv.reader(io.StringIO(response.content.decode(encoding))))


def test_csv_writes_codes_as_text_and_every_intake_field(desk_client, make_consultation):
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(
        corporate_number="7000012050002", postal_code="011-0001", phone="03-3251-7881"
    )
    c = make_consultation(
        organisation=organisation,
        places=["shop"],
        damages=["staff_left"],
        measures=["manual"],
        description="閉店後も電話で長時間の謝罪を求められます。",
    )
    rows = _csv_rows(desk_client.get(f"{LIST}export/"))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    for column in (
        "発生した場面",
        "被害の状況",
        "実施済みの対策",
        "都道府県",
        "郵便番号",
        "年度",
        "ご相談内容",
    ):
        assert column in header, column
    # Excel's text form: the 13 digits and the leading zero stay as typed.
    assert row["法人番号"] == '="7000012050002"'
    assert row["郵便番号"] == '="011-0001"'
    assert row["電話番号（代表）"] == '="03-3251-7881"'
    assert row["相談番号"] == f'="{c.reference}"'
    assert row["年度"] == "令和8年度" or row["年度"].startswith("令和")
    assert row["発生した場面"] == "店舗・窓口での対面"
    assert row["被害の状況"] == "従業員の退職・休職"
    assert row["ご相談内容"] == "閉店後も電話で長時間の謝罪を求められます。"
    event = AuditEvent.objects.get(action="consultation.export")
    assert event.changes["encoding"] == "utf-8-sig"


def test_csv_in_shift_jis_and_xlsx_keep_the_codes_as_text(desk_client, make_consultation):
    import io

    from openpyxl import load_workbook

    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(corporate_number="7000012050002")
    make_consultation(organisation=organisation)
    listing = desk_client.get(LIST).content.decode()
    assert "encoding=cp932" in listing

    response = desk_client.get(f"{LIST}export/", {"encoding": "cp932"})
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    rows = _csv_rows(response, "cp932")
    assert rows[0][0] == "相談番号"
    assert '="7000012050002"' in rows[1]
    assert AuditEvent.objects.get(action="consultation.export").changes["encoding"] == "cp932"

    response = desk_client.get(f"{LIST}export/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("法人番号") + 1)
    assert cell.value == "7000012050002" and cell.data_type == "s"
    assert cell.number_format == "@"
