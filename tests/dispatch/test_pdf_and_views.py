import datetime
import io

import pytest
from pypdf import PdfReader

from dispatch import services
from dispatch.models import Dispatch, Visit
from dispatch.pdf import completion_report_document, visit_report_document
from kosha_portal.accounts.services import access_link_issue
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

ADVICE = "クレームの受付時間を30分までと定め、超えた場合は上長に交代する手順を文書化しました。"


def _reported(year, *, organisation=None, expert=None, capture):
    dispatch = f.decided_dispatch(year, organisation=organisation, the_expert=expert, planned=2)
    visit = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 16),
        start_time=datetime.time(10),
        mode="onsite",
        place="本社会議室",
        actor="e",
    )
    with capture(execute=True):
        visit = services.visit_report_file(
            visit=visit,
            report_date=datetime.date(2026, 11, 16),
            report_start=datetime.time(10, 0),
            report_end=datetime.time(12, 0),
            attendees="代表取締役 山田太郎、店長 佐藤花子",
            topics="長時間にわたる電話での苦情への対応",
            advice=ADVICE,
            next_steps="マニュアル案を社内で回覧する",
            actor="e",
        )
    return dispatch, visit


def _text(document) -> tuple[str, int]:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_visit_report_pdf_text(year2026, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(name="株式会社かんだ商店")
    _dispatch, visit = _reported(
        year2026, organisation=organisation, capture=django_capture_on_commit_callbacks
    )
    document = visit_report_document(visit)
    assert document is not None and document.missing_glyphs == ""
    text, pages = _text(document)
    assert 1 <= pages <= 2 and document.page_count == pages
    compact = text.replace(" ", "").replace("\n", "")
    assert "株式会社かんだ商店" in compact
    assert "令和8年11月16日(月)" in compact
    assert ADVICE.replace(" ", "") in compact
    assert "専門家派遣実施報告書" in compact


def test_completion_report_pdf_text(year2026, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(name="有限会社あきば食堂")
    dispatch, visit = _reported(
        year2026, organisation=organisation, capture=django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_report_confirm(visit=visit, actor="company")
        services.dispatch_complete(
            dispatch=dispatch,
            summary="対応方針と手順書を整備しました。",
            outcomes="従業員研修を年2回実施する。",
            actor="e",
        )
    document = completion_report_document(dispatch)
    assert document is not None and document.missing_glyphs == ""
    text, pages = _text(document)
    compact = text.replace(" ", "").replace("\n", "")
    assert 1 <= pages <= 2
    assert "有限会社あきば食堂" in compact and "派遣完了報告書" in compact
    assert "令和8年11月16日(月)" in compact and "令和8年11月2日(月)" in compact
    assert "対応方針と手順書を整備しました。" in compact


def _grant(client, dispatch_or_consultation, organisation):
    _link, token = access_link_issue(
        email="c@example.jp", organisation=organisation, target=dispatch_or_consultation
    )
    assert client.get(f"/access/{token}/").status_code == 302


def test_expert_sees_only_own_dispatches_and_pdfs(
    client, year2026, django_capture_on_commit_callbacks
):
    x, y = f.expert("専門家 X"), f.expert("専門家 Y")
    dispatch_y, visit_y = _reported(year2026, expert=y, capture=django_capture_on_commit_callbacks)
    dispatch_x = f.decided_dispatch(year2026, the_expert=x)
    client.force_login(x.user)
    home = client.get("/dispatch/expert/")
    assert dispatch_x.reference in home.content.decode()
    assert dispatch_y.reference not in home.content.decode()
    assert client.get(f"/dispatch/expert/{dispatch_x.reference}/").status_code == 200
    for url in (
        f"/dispatch/expert/{dispatch_y.reference}/",
        f"/dispatch/expert/{dispatch_y.reference}/visits/{visit_y.pk}/report/",
        f"/dispatch/expert/{dispatch_y.reference}/visits/{visit_y.pk}/report.pdf",
        # another dispatch's visit id under the expert's own dispatch
        f"/dispatch/expert/{dispatch_x.reference}/visits/{visit_y.pk}/report.pdf",
        "/dispatch/expert/D2026-9999/",
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(y.user)
    response = client.get(f"/dispatch/expert/{dispatch_y.reference}/visits/{visit_y.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_company_cannot_open_another_companys_pdf(
    client, year2026, django_capture_on_commit_callbacks
):
    mine, v = _reported(year2026, capture=django_capture_on_commit_callbacks)
    theirs, w = _reported(year2026, capture=django_capture_on_commit_callbacks)
    _grant(client, mine, mine.organisation)
    assert client.get(f"/dispatch/d/{mine.reference}/visits/{v.pk}/report.pdf").status_code == 200
    assert client.get(f"/dispatch/d/{theirs.reference}/visits/{w.pk}/report.pdf").status_code == 404
    # their visit's id under my dispatch's address is not found either
    assert client.get(f"/dispatch/d/{mine.reference}/visits/{w.pk}/report.pdf").status_code == 404
    assert client.get(f"/dispatch/d/{theirs.reference}/").status_code == 404
    assert client.get("/dispatch/d/D2026-9999/").status_code == 404
    assert client.post(f"/dispatch/d/{theirs.reference}/visits/{w.pk}/confirm/").status_code == 404
    assert client.post(f"/dispatch/d/{mine.reference}/visits/{w.pk}/confirm/").status_code == 404


def test_staff_download_and_non_staff_refused(
    client, desk_user, make_user, year2026, django_capture_on_commit_callbacks
):
    _dispatch, visit = _reported(year2026, capture=django_capture_on_commit_callbacks)
    client.force_login(make_user("someone"))
    assert client.get(f"/dispatch/staff/visits/{visit.pk}/report.pdf").status_code == 404
    client.force_login(desk_user)
    response = client.get(f"/dispatch/staff/visits/{visit.pk}/report.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_company_application_through_link_and_refusal_shows_rule(client, year2026):
    cons = f.consultation(OrganisationFactory())
    url = f"/dispatch/apply/{cons.reference}/"
    assert client.get(url).status_code == 404  # no personal link yet
    _grant(client, cons, cons.organisation)
    page = client.get(url)
    assert page.status_code == 200 and "確認事項" in page.content.decode()
    data = {
        "contact_name": "山田 太郎",
        "contact_email": "c@example.jp",
        "theme": "マニュアル作成",
        "goals": "手順を整えたい",
        "preferred_mode": "onsite",
        "consent": "on",
    }
    answers = {f"attest_{code}": "on" for code in f.ALL_YES if code != "no_violation"}
    refused = client.post(url, {**data, **answers})
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "お申込みをお受けできません" in html and "確認事項をすべて確認していること" in html
    assert "この確認事項を確認のうえ、チェックしてください。" in html
    assert 'value="手順を整えたい"' in html or "手順を整えたい</textarea>" in html
    done = client.post(url, {**data, **answers, "attest_no_violation": "on"})
    assert done.status_code == 302 and done["Location"].startswith("/dispatch/d/D2026-")
    assert client.get(done["Location"]).status_code == 200


@pytest.mark.time_machine(timeline.AFTER_APPLICATIONS_CLOSE)
def test_application_the_day_after_the_window_closes_is_refused_with_the_rule(client, year2026):
    cons = f.consultation(OrganisationFactory())
    _grant(client, cons, cons.organisation)
    data = {
        "contact_name": "山田",
        "contact_email": "c@example.jp",
        "theme": "t",
        "goals": "g",
        "preferred_mode": "online",
        "consent": "on",
        **{f"attest_{code}": "on" for code in f.ALL_YES},
    }
    response = client.post(f"/dispatch/apply/{cons.reference}/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "令和8年度の申込受付は令和9年1月29日(金) 23:59:59に終了しました" in html
    assert not Dispatch.objects.exists()


def test_application_refused_after_deadline_shows_window_rule(client):
    f.program_year(
        2025,
        opens=f.jst(2025, 4, 1),
        closes=f.jst(2026, 1, 30, 23, 59, 59),
        ends=datetime.date(2026, 2, 27),
    )
    cons = f.consultation(OrganisationFactory())
    _grant(client, cons, cons.organisation)
    data = {
        "contact_name": "山田",
        "contact_email": "c@example.jp",
        "theme": "t",
        "goals": "g",
        "preferred_mode": "online",
        "consent": "on",
        **{f"attest_{code}": "on" for code in f.ALL_YES},
    }
    html = client.post(f"/dispatch/apply/{cons.reference}/", data).content.decode()
    assert "申込受付期間内であること" in html and "に終了しました" in html
    assert not OutboundEmail.objects.filter(template__startswith="dispatch/").exists()


def test_expert_schedule_form_errors_are_polite_and_kept(client, year2026):
    expert = f.expert()
    dispatch = f.decided_dispatch(year2026, the_expert=expert)
    client.force_login(expert.user)
    url = f"/dispatch/expert/{dispatch.reference}/"
    response = client.post(url, {"date": "2027-03-01", "mode": "onsite", "place": "本社"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "派遣期間の終了日（2027-02-26）までの間で実施してください。" in html
    assert 'value="本社"' in html
    response = client.post(
        url, {"date": "2026-12-05", "mode": "onsite", "place": "本社"}, follow=True
    )
    assert "休業日です" in response.content.decode()


def _decided_with_visit(year):
    dispatch = f.decided_dispatch(year, planned=2)
    visit = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 16),
        start_time=datetime.time(10),
        mode="onsite",
        place="本社会議室",
        actor="e",
    )
    return dispatch, visit


def test_company_withdrawal_asks_for_a_reason_and_cancels_the_scheduled_visits(client, year2026):
    dispatch, visit = _decided_with_visit(year2026)
    _grant(client, dispatch, dispatch.organisation)
    page = client.get(f"/dispatch/d/{dispatch.reference}/").content.decode()
    assert f"/dispatch/d/{dispatch.reference}/withdraw/" in page
    url = f"/dispatch/d/{dispatch.reference}/withdraw/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "取下げの理由" in confirm.content.decode()
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert "理由を入力してください。" in refused.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DECIDED
    response = client.post(url, {"reason": "社内で対応できる見通しが立ったため"}, follow=True)
    assert "専門家派遣を取り下げました。" in response.content.decode()
    dispatch.refresh_from_db()
    visit.refresh_from_db()
    assert dispatch.status == Dispatch.Status.WITHDRAWN and dispatch.withdrawn_at
    assert visit.status == Visit.Status.CANCELLED and visit.cancelled_at == dispatch.withdrawn_at
    assert dispatch.withdrawal_reason == visit.cancel_reason == "社内で対応できる見通しが立ったため"
    assert AuditEvent.objects.filter(action="dispatch.withdraw").count() == 1
    assert AuditEvent.objects.filter(action="visit.cancel").count() == 1
    # Withdrawn: the page no longer offers it, and the address sends the company back.
    assert url not in client.get(f"/dispatch/d/{dispatch.reference}/").content.decode()
    assert client.get(url).status_code == 302


def test_expert_cancels_a_visit_only_with_a_reason(client, year2026):
    dispatch, visit = _decided_with_visit(year2026)
    client.force_login(dispatch.expert.user)
    url = f"/dispatch/expert/{dispatch.reference}/visits/{visit.pk}/cancel/"
    assert url in client.get(f"/dispatch/expert/{dispatch.reference}/").content.decode()
    assert "取消しの理由" in client.get(url).content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "理由を入力してください。" in refused.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SCHEDULED
    response = client.post(url, {"reason": "企業のご都合により延期"}, follow=True)
    assert "第1回の日程を取り消し、事業者にお知らせしました。" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED
    assert visit.cancel_reason == "企業のご都合により延期"
    assert AuditEvent.objects.filter(action="visit.cancel").count() == 1
