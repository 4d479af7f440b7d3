"""Issue 12, the dispatch half: honest visit numbering, confirmation before destructive moves with
mail to everyone affected, reports that show the company's confirmation, the expert's view of the
case, the application that asks for missing data, and surveys staff can read."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from companies.models import Organisation
from dispatch import services
from dispatch.models import Dispatch, Survey, Visit
from dispatch.pdf import completion_report_document, visit_documents
from dispatch.selectors import dispatch_visits
from kosha_portal.accounts.services import access_link_issue
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def _schedule(dispatch, day, *, start=None, actor="expert"):
    return services.visit_schedule(
        dispatch=dispatch,
        date=day,
        start_time=start,
        mode="onsite",
        place="本社会議室",
        actor=actor,
    )


def _report(visit, **extra):
    data = {
        "report_date": visit.date,
        "report_start": datetime.time(10, 0),
        "report_end": datetime.time(11, 30),
        "attendees": "代表 山田",
        "topics": f"{visit.date:%m/%d}の相談",
        "advice": "対応時間の上限を決める",
        "next_steps": "",
        **extra,
    }
    return services.visit_report_file(visit=visit, actor="expert", **data)


def _text(document) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def _grant(client, dispatch):
    _link, token = access_link_issue(
        email=dispatch.contact_email, organisation=dispatch.organisation, target=dispatch
    )
    assert client.get(f"/access/{token}/").status_code == 302


def _newest_visit_report(visit):
    return visit_documents([visit])[visit.pk]["ready"]


def _mails(template):
    return list(OutboundEmail.objects.filter(template=f"dispatch/emails/{template}"))


# --- 1. numbering -------------------------------------------------------------------------------


def test_cancelling_visits_3_and_4_of_4_and_scheduling_two_more_numbers_1_to_4_by_date(
    client, year2026, django_capture_on_commit_callbacks
):
    dispatch = f.decided_dispatch(year2026, planned=4)
    first, second, third, fourth = (
        _schedule(dispatch, datetime.date(2026, 11, day)) for day in (4, 6, 10, 12)
    )
    services.visit_cancel(visit=third, reason="先方のご都合", actor="expert")
    services.visit_cancel(visit=fourth, reason="担当者の不在", actor="expert")
    # One new date between the kept ones and the cancelled ones, one after all of them.
    late = _schedule(dispatch, datetime.date(2026, 11, 13))
    early = _schedule(dispatch, datetime.date(2026, 11, 9))

    numbered = [(v.date.day, v.number, v.status) for v in dispatch_visits(dispatch)]
    assert numbered == [
        (4, 1, "scheduled"),
        (6, 2, "scheduled"),
        (9, 3, "scheduled"),
        (10, None, "cancelled"),
        (12, None, "cancelled"),
        (13, 4, "scheduled"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for visit in (first, second, early, late):
            services.visit_report_confirm(visit=_report(visit), actor="company")
        services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="expert")

    held = [v for v in dispatch_visits(dispatch) if not v.is_cancelled]
    assert [(v.number, v.report_number) for v in held] == [(1, 1), (2, 2), (3, 3), (4, 4)]

    client.force_login(dispatch.expert.user)
    page = client.get(f"/dispatch/expert/{dispatch.reference}/").content.decode()
    urls = re.findall(rf"/dispatch/expert/{dispatch.reference}/visits/(\d+)/report\.pdf", page)
    assert sorted(map(int, urls)) == sorted(v.pk for v in held)  # four distinct addresses
    for visit in held:
        response = client.get(f"/dispatch/expert/{dispatch.reference}/visits/{visit.pk}/report.pdf")
        assert response.status_code == 200
        assert f"第{visit.number}" in response["Content-Disposition"] or (
            f"%E7%AC%AC{visit.number}" in response["Content-Disposition"]
        )
        assert f"第{visit.number}回" in _text(_newest_visit_report(visit))
    # The cancelled visits have no report address.
    for cancelled in (third, fourth):
        url = f"/dispatch/expert/{dispatch.reference}/visits/{cancelled.pk}/report.pdf"
        assert client.get(url).status_code == 404

    text = _text(completion_report_document(dispatch))
    positions = [text.index(f"第{n}回") for n in (1, 2, 3, 4)]
    assert positions == sorted(positions)
    for day in ("令和8年11月4日(水)", "令和8年11月6日(金)", "令和8年11月9日(月)"):
        assert day in text
    assert "令和8年11月13日(金)" in text
    assert "令和8年11月10日" not in text and "令和8年11月12日" not in text
    assert "合計4回" in text and "利用回数4回／上限4回" in text
    assert text.count("企業確認日") == 4

    # The company sees the same numbers, and the cancelled dates with their reasons.
    _grant(client, dispatch)
    html = client.get(f"/dispatch/d/{dispatch.reference}/").content.decode()
    assert [int(n) for n in re.findall(r"第(\d)回</h3>", html)] == [1, 2, 3, 4]
    assert "先方のご都合" in html and "担当者の不在" in html and "取り消した日程" in html


def test_settling_visits_out_of_date_order_is_refused_so_filed_numbers_never_change(year2026):
    dispatch = f.decided_dispatch(year2026, planned=4)
    first = _schedule(dispatch, datetime.date(2026, 11, 16))
    second = _schedule(dispatch, datetime.date(2026, 11, 18))
    with pytest.raises(DomainError) as caught:
        _report(second)
    assert caught.value.code == "earlier_pending" and caught.value.field == "report_date"
    assert "第1回（令和8年11月16日(月)）" in caught.value.message
    with pytest.raises(DomainError) as caught:
        services.visit_no_show(visit=second, actor="expert")
    assert caught.value.code == "earlier_pending"

    _report(first)
    _report(second)
    with pytest.raises(DomainError) as caught:
        _schedule(dispatch, datetime.date(2026, 11, 17))
    assert caught.value.code == "before_settled" and caught.value.field == "date"
    assert "第2回（令和8年11月18日(水)）" in caught.value.message
    assert Visit.objects.filter(dispatch=dispatch).count() == 2
    later = _schedule(dispatch, datetime.date(2026, 11, 20))
    assert later.number == 3


# --- 2. confirm, ask why, tell everyone ---------------------------------------------------------


def test_company_withdrawal_tells_the_desk_the_company_and_the_expert(client, year2026):
    dispatch = f.decided_dispatch(year2026, planned=3)
    held = _schedule(dispatch, datetime.date(2026, 11, 16))
    services.visit_report_confirm(visit=_report(held), actor="company")
    coming = _schedule(dispatch, datetime.date(2026, 12, 10), start=datetime.time(14))
    _grant(client, dispatch)
    url = f"/dispatch/d/{dispatch.reference}/withdraw/"

    page = client.get(url).content.decode()
    assert "取り下げると、次のようになります" in page
    assert "第2回 令和8年12月10日(木)" in page  # the date that will be cancelled
    assert "実施済みの1回は、今年度の派遣回数（上限4回）に数えられたままです。" in page
    assert "元に戻せません" in page
    assert not _mails("withdrawn_desk")

    client.post(url, {"reason": "社内で対応できる見通しが立ったため"})
    dispatch.refresh_from_db()
    coming.refresh_from_db()
    assert dispatch.status == Dispatch.Status.WITHDRAWN
    assert coming.status == Visit.Status.CANCELLED
    assert coming.cancel_reason == "社内で対応できる見通しが立ったため"

    (desk,) = _mails("withdrawn_desk")
    assert desk.to == settings.PROGRAM["email"]
    assert (
        desk.subject
        == f"【東京都中小企業振興公社】専門家派遣の取下げがありました（{dispatch.reference}）"
    )
    assert "社内で対応できる見通しが立ったため" in desk.body_text
    assert "令和8年12月10日(木) 14:00" in desk.body_text and "実施済みの回：1回" in desk.body_text
    assert f"/admin/dispatch/dispatch/{dispatch.pk}/change/" in desk.body_text
    (company,) = _mails("withdrawn_company")
    assert company.to == dispatch.contact_email
    assert company.body_text.startswith(f"{dispatch.organisation.name} 御中\n山田 太郎 様")
    (expert,) = _mails("withdrawn_expert")
    assert expert.to == dispatch.expert.email and "令和8年12月10日(木)" in expert.body_text


def test_expert_cancellation_mails_the_company_the_reason_and_the_new_numbering(client, year2026):
    dispatch = f.decided_dispatch(year2026, planned=4)
    first = _schedule(dispatch, datetime.date(2026, 12, 8))
    _schedule(dispatch, datetime.date(2026, 12, 10))
    _schedule(dispatch, datetime.date(2026, 12, 15))
    client.force_login(dispatch.expert.user)
    url = f"/dispatch/expert/{dispatch.reference}/visits/{first.pk}/cancel/"
    page = client.get(url).content.decode()
    assert "ご担当者に、取消しとその理由をメールでお知らせします。" in page
    assert "令和8年12月10日(木)の回は、第2回から第1回になります。" in page
    OutboundEmail.objects.all().delete()

    client.post(url, {"reason": "社長のご都合により延期"})
    (mail,) = OutboundEmail.objects.all()
    assert mail.template == "dispatch/emails/visit_cancelled" and mail.to == dispatch.contact_email
    assert mail.subject == (
        f"【東京都中小企業振興公社】専門家派遣（12月8日(火)）の日程の取消しのお知らせ"
        f"（{dispatch.reference}）"
    )
    body = mail.body_text
    assert "派遣専門家が、次の専門家派遣の日程を取り消しました。" in body
    assert "取り消した日程：第1回 令和8年12月8日(火)" in body
    assert "取消しの理由：社長のご都合により延期" in body
    assert "第1回 令和8年12月10日(木)" in body and "第2回 令和8年12月15日(火)" in body
    assert "/access/" in body


def test_desk_cancels_a_visit_through_a_confirmation_page_and_both_sides_are_told(
    desk_client, year2026
):
    dispatch = f.decided_dispatch(year2026, planned=2)
    visit = _schedule(dispatch, datetime.date(2026, 12, 8))
    change = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/").content.decode()
    url = f"/admin/dispatch/dispatch/{dispatch.pk}/visits/{visit.pk}/cancel/"
    assert url in change and "第1回" in change
    page = desk_client.get(url).content.decode()
    assert "事業者のご担当者と派遣専門家に、取消しとその理由をメールでお知らせします。" in page
    refused = desk_client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "理由を入力してください。" in refused.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SCHEDULED and not _mails("visit_cancelled")

    assert desk_client.post(url, {"reason": "専門家の体調不良のため"}).status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED
    recipients = sorted(m.to for m in _mails("visit_cancelled"))
    assert recipients == sorted([dispatch.contact_email, dispatch.expert.email])
    for mail in _mails("visit_cancelled"):
        assert "専門家派遣担当が、次の専門家派遣の日程を取り消しました。" in mail.body_text
        assert "専門家の体調不良のため" in mail.body_text
    after = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/").content.decode()
    assert "専門家の体調不良のため" in after and "（取消し）" in after


def test_rejection_page_states_the_consequences(desk_client, year2026):
    dispatch = f.applied_dispatch(year2026)
    page = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/reject/").content.decode()
    assert f"{dispatch.organisation.name} 御中のお申込みを不採択にします。" in page
    assert "申込者に、入力した理由を記載したメールでお知らせします。" in page
    assert "申込者へのメールにそのまま記載されます。" in page


# --- 4. the application asks for the data it needs ----------------------------------------------


def _application_data(**extra):
    return {
        "contact_name": "山田 太郎",
        "contact_email": "c@example.jp",
        "contact_phone": "０３－３２５１－７８８１",
        "theme": "マニュアル作成",
        "goals": "手順を整えたい",
        "preferred_mode": "onsite",
        "consent": "on",
        **{f"attest_{code}": "on" for code in f.ALL_YES},
        **extra,
    }


def test_application_with_missing_employees_asks_for_them_then_passes_eligibility(client, year2026):
    organisation = OrganisationFactory(employees=None, capital_yen=None)
    cons = f.consultation(organisation)
    _link, token = access_link_issue(email="c@example.jp", organisation=organisation, target=cons)
    client.get(f"/access/{token}/")
    url = f"/dispatch/apply/{cons.reference}/"

    page = client.get(url).content.decode()
    assert "従業員数（および資本金）が未入力のため判定できません" not in page
    assert 'name="company_employees"' in page and 'name="company_capital_yen"' in page
    assert "お申込みをお受けできません" not in page

    refused = client.post(url, _application_data())
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "従業員数または資本金の少なくとも一方を入力してください。" in html
    assert 'value="手順を整えたい"' in html or "手順を整えたい</textarea>" in html
    assert not Dispatch.objects.exists()

    done = client.post(url, _application_data(company_employees="12"))
    assert done.status_code == 302
    dispatch = Dispatch.objects.get()
    organisation.refresh_from_db()
    assert organisation.employees == 12 and organisation.capital_yen is None
    assert dispatch.eligibility_snapshot["eligible"] is True
    sme = next(r for r in dispatch.eligibility_snapshot["rules"] if r["code"] == "sme")
    assert sme["passed"] and "従業員数が12人" in sme["explanation"]
    assert dispatch.company_data_supplied == {"employees": 12}
    assert "山田 太郎" in dispatch.company_data_supplied_by
    assert dispatch.company_data_supplied_at == dispatch.applied_at
    assert dispatch.contact_phone == "03-3251-7881"


def test_application_with_too_many_employees_is_refused_and_the_registry_is_unchanged(
    client, year2026
):
    organisation = OrganisationFactory(employees=None, capital_yen=None)
    cons = f.consultation(organisation)
    _link, token = access_link_issue(email="c@example.jp", organisation=organisation, target=cons)
    client.get(f"/access/{token}/")
    response = client.post(
        f"/dispatch/apply/{cons.reference}/", _application_data(company_employees="80")
    )
    html = response.content.decode()
    assert "お申込みをお受けできません" in html and "中小企業者であること" in html
    assert 'name="company_employees"' in html  # still there to correct a typo
    organisation.refresh_from_db()
    assert organisation.employees is None and not Dispatch.objects.exists()


def test_rules_that_cannot_pass_are_shown_before_any_form(client, year2026):
    organisation = OrganisationFactory(prefecture="埼玉県", prefecture_code="11")
    cons = f.consultation(organisation)
    _link, token = access_link_issue(email="c@example.jp", organisation=organisation, target=cons)
    client.get(f"/access/{token}/")
    url = f"/dispatch/apply/{cons.reference}/"
    html = client.get(url).content.decode()
    assert "お申込みをお受けできません" in html and "東京都外（埼玉県）" in html
    assert 'name="theme"' not in html and "専門家派遣担当（TEL 03-3251-7882）" in html
    assert client.post(url, _application_data()).status_code == 200
    assert not Dispatch.objects.exists()


# --- 5. reports ---------------------------------------------------------------------------------


def test_report_pdf_shows_pending_then_dispute_then_confirmation_date(
    year2026, django_capture_on_commit_callbacks
):
    dispatch = f.decided_dispatch(year2026, planned=1)
    visit = _schedule(dispatch, datetime.date(2026, 11, 16))
    with django_capture_on_commit_callbacks(execute=True):
        visit = _report(visit)
    assert "企業確認待ち" in _text(_newest_visit_report(visit))

    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_report_dispute(
            visit=visit, comment="出席者に店長が漏れています", actor="company"
        )
    document = _newest_visit_report(visit)
    text = _text(document)
    assert "異議あり（出席者に店長が漏れています）" in text and "企業確認待ち" not in text
    assert document.missing_glyphs == "" and document.size_bytes <= 300 * 1024

    with django_capture_on_commit_callbacks(execute=True):
        visit = _report(visit, attendees="代表 山田、店長 佐藤")
        visit = services.visit_report_confirm(visit=visit, actor="company")
    text = _text(_newest_visit_report(visit))
    assert "企業確認日令和8年12月1日(火)" in text and "異議あり" not in text
    assert "第1回" in text
    assert GeneratedDocument.objects.filter(kind="dispatch.visit_report").count() == 4


def test_expert_can_open_the_filed_report_at_once_while_it_renders(
    client, year2026, django_capture_on_commit_callbacks
):
    dispatch = f.decided_dispatch(year2026, planned=1)
    visit = _report(_schedule(dispatch, datetime.date(2026, 11, 16)))  # not rendered yet
    client.force_login(dispatch.expert.user)
    url = f"/dispatch/expert/{dispatch.reference}/visits/{visit.pk}/report.pdf"
    page = client.get(f"/dispatch/expert/{dispatch.reference}/").content.decode()
    assert url in page and "作成中" in page
    waiting = client.get(url)
    assert waiting.status_code == 200 and "PDFを作成しています" in waiting.content.decode()
    from kosha_portal.documents.services import document_render_now

    document_render_now(document_id=GeneratedDocument.objects.get().pk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_completion_waits_for_every_confirmation_unless_the_desk_allows_it(
    client, desk_client, year2026, django_capture_on_commit_callbacks
):
    dispatch = f.decided_dispatch(year2026, planned=2)
    first = _schedule(dispatch, datetime.date(2026, 11, 16))
    second = _schedule(dispatch, datetime.date(2026, 11, 18))
    services.visit_report_confirm(visit=_report(first), actor="company")
    _report(second)
    with pytest.raises(DomainError) as caught:
        services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="e")
    assert caught.value.code == "visits_unconfirmed" and "第2回" in caught.value.message

    change = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/").content.decode()
    url = f"/admin/dispatch/dispatch/{dispatch.pk}/allow-completion/"
    assert url in change and "企業の確認を待っている回が1回あります。" in change
    page = desk_client.get(url).content.decode()
    assert "理由は派遣完了報告書に印字され" in page and "第2回（報告済み（企業確認待ち））" in page
    assert "理由を入力してください。" in desk_client.post(url, {"reason": " "}).content.decode()
    dispatch.refresh_from_db()
    assert dispatch.completion_override_at is None

    assert desk_client.post(url, {"reason": "事業者と連絡が取れないため"}).status_code == 302
    (mail,) = _mails("completion_allowed_expert")
    assert mail.to == dispatch.expert.email and "事業者と連絡が取れないため" in mail.body_text
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="e")
    text = _text(completion_report_document(dispatch))
    assert "企業確認を待たずに受け付けた完了報告です。" in text
    assert "理由：事業者と連絡が取れないため" in text
    assert "企業確認日" in text and "企業確認待ち" in text


# --- 6. the expert's view -----------------------------------------------------------------------


def _background_consultation(organisation):
    cons = f.consultation(organisation)
    cons.contact_phone = "090-1234-5678"
    cons.behaviour_types = ["long_confinement", "verbal_abuse"]
    cons.places = ["phone"]
    cons.damages = ["staff_left"]
    cons.measures = ["policy"]
    cons.description = "毎週のように同じお客様から2時間を超える電話があり、担当者が退職しました。"
    cons.save()
    return cons


@pytest.mark.parametrize("shared", [True, False])
def test_expert_page_shows_background_phone_and_the_description_only_if_shared(
    client, year2026, shared
):
    cons = _background_consultation(OrganisationFactory())
    dispatch = services.dispatch_apply(
        consultation=cons,
        contact_name="山田 太郎",
        contact_email=cons.contact_email,
        contact_phone="090-1234-5678",
        theme="電話対応のルール",
        goals="対応を打ち切る基準を決めたい",
        preferred_expert_type="",
        preferred_mode="online",
        preferred_dates="",
        share_description_with_expert=shared,
        attestations=f.ALL_YES,
        consent=True,
        actor="company",
        at=timeline.APPLIED_AT,
    )
    expert = f.expert()
    services.dispatch_decide(
        dispatch=dispatch,
        decision_date=timeline.DECISION_DATE,
        decision_number="8産労総第9号",
        expert=expert,
        planned_visits=2,
        actor="staff",
    )
    client.force_login(expert.user)
    html = client.get(f"/dispatch/expert/{dispatch.reference}/").content.decode()
    for label in ("時間拘束型", "暴言型", "電話", "従業員の退職・休職", "基本方針の策定・公表"):
        assert label in html
    assert 'href="tel:090-1234-5678"' in html
    assert ("2時間を超える電話" in html) is shared
    assert ("共有に同意していないため" in html) is not shared

    (mail,) = _mails("decided_expert")
    assert "電話番号：090-1234-5678" in mail.body_text
    assert "行為の類型：時間拘束型、暴言型" in mail.body_text
    assert "2時間を超える電話" not in mail.body_text  # the description stays behind the login


def test_expert_dispatch_page_takes_the_same_queries_for_one_or_four_visits(client, year2026):
    def page_queries(planned):
        dispatch = f.decided_dispatch(year2026, organisation=OrganisationFactory(), planned=planned)
        for day in range(planned):
            visit = _schedule(dispatch, datetime.date(2026, 11, 16 + day))
            _report(visit)
        client.force_login(dispatch.expert.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/dispatch/expert/{dispatch.reference}/").status_code == 200
        return len(queries)

    assert page_queries(1) == page_queries(4)


# --- 7. surveys ---------------------------------------------------------------------------------


def _completed(year, *, organisation=None):
    dispatch = f.decided_dispatch(year, organisation=organisation, planned=1)
    visit = _schedule(dispatch, datetime.date(year.fiscal_year, 11, 16))
    services.visit_report_confirm(visit=_report(visit), actor="company")
    return services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="e")


def test_survey_refuses_not_yet_introduced_together_with_a_measure_beside_the_field(
    client, year2026
):
    dispatch = _completed(year2026)
    _grant(client, dispatch)
    url = f"/dispatch/d/{dispatch.reference}/survey/"
    response = client.post(
        url, {"satisfaction": "4", "introduced": ["manual", "none"], "comment": "参考になりました"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "「まだ導入していない」は、ほかの取組と一緒には選べません。" in html
    assert 'id="error_1_id_introduced"' in html or "invalid-feedback" in html
    assert "参考になりました" in html
    assert not Survey.objects.exists()
    with pytest.raises(DomainError) as caught:
        services.survey_submit(
            dispatch=dispatch, satisfaction=4, introduced=["none", "manual"], comment="", actor="c"
        )
    assert caught.value.field == "introduced"
    assert client.post(url, {"satisfaction": "4", "introduced": ["none"]}).status_code == 302


def test_survey_answers_show_on_the_dispatch_and_average_per_program_year(desk_client, year2026):
    year2025 = f.program_year(2025)
    answers = [(year2026, 5, ["manual", "training"]), (year2026, 2, ["manual"])]
    answers.append((year2025, 4, ["none"]))
    dispatches = []
    for year, satisfaction, introduced in answers:
        dispatch = _completed(year)
        services.survey_submit(
            dispatch=dispatch,
            satisfaction=satisfaction,
            introduced=introduced,
            comment=f"満足度{satisfaction}",
            actor="company",
        )
        dispatches.append(dispatch)
    change = desk_client.get(f"/admin/dispatch/dispatch/{dispatches[0].pk}/change/")
    html = change.content.decode()
    assert "派遣後アンケートの回答" in html and "満足度5" in html
    assert "対応マニュアルの作成、従業員研修の実施" in html

    years = desk_client.get("/admin/dispatch/programyear/").content.decode()
    assert "3.5（2件）" in years and "4.0（1件）" in years
    year_page = desk_client.get(f"/admin/dispatch/programyear/{year2026.pk}/change/")
    assert "対応マニュアルの作成：2" in year_page.content.decode()
    surveys = desk_client.get("/admin/dispatch/survey/").content.decode()
    assert "年度ごとの集計" in surveys and "3.5" in surveys and "4.0" in surveys


def test_survey_counts_per_year_use_one_query_per_table_whatever_the_number_of_years(year2026):
    from dispatch.selectors import survey_averages_by_year

    _completed(year2026)
    with CaptureQueriesContext(connection) as one:
        survey_averages_by_year()
    for fiscal_year in (2024, 2025):
        _completed(f.program_year(fiscal_year), organisation=OrganisationFactory())
    with CaptureQueriesContext(connection) as three:
        assert len(survey_averages_by_year()) == 3
    assert len(one) == len(three)


def test_data_supplied_in_the_application_is_never_taken_over_existing_registry_data(year2026):
    organisation = OrganisationFactory(employees=30, capital_yen=None)
    dispatch = services.dispatch_apply(
        consultation=f.consultation(organisation),
        contact_name="山田",
        contact_email="c@example.jp",
        theme="t",
        goals="g",
        preferred_expert_type="",
        preferred_mode="onsite",
        preferred_dates="",
        company_data={"employees": 5, "capital_yen": 1},
        attestations=f.ALL_YES,
        consent=True,
        actor="company",
        at=timeline.APPLIED_AT,
    )
    organisation = Organisation.objects.get(pk=organisation.pk)
    assert organisation.employees == 30 and organisation.capital_yen is None
    assert dispatch.company_data_supplied == {}
