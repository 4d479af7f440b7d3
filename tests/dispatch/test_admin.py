import pytest

from dispatch.models import Dispatch
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def test_staff_see_eligibility_and_conflicted_expert_is_refused_in_admin(desk_client, year2026):
    organisation = OrganisationFactory(name="株式会社利害商事")
    dispatch = f.applied_dispatch(year2026, organisation=organisation)
    conflicted = f.expert("鈴木 次郎", conflicts=[organisation])
    fine = f.expert("田中 美咲")
    change = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert "都内の事業者であること" in html and "中小企業者であること" in html
    url = f"/admin/dispatch/dispatch/{dispatch.pk}/decide/"
    data = {"decision_date": "2026-11-02", "decision_number": "8産労総第7号", "planned_visits": 4}
    refused = desk_client.post(url, {**data, "expert": conflicted.pk})
    assert refused.status_code == 200
    assert "派遣できない専門家として登録されています" in refused.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.APPLIED
    done = desk_client.post(url, {**data, "expert": fine.pk})
    assert done.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DECIDED and dispatch.expert == fine
    assert OutboundEmail.objects.filter(to=fine.email).count() == 1


def test_admin_reject_with_reason(desk_client, year2026):
    dispatch = f.applied_dispatch(year2026)
    url = f"/admin/dispatch/dispatch/{dispatch.pk}/reject/"
    assert "不採択の理由" in desk_client.post(url, {"reason": ""}).content.decode()
    assert desk_client.post(url, {"reason": "対象外の業種です"}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.REJECTED


def test_program_year_and_expert_admin_pages_open(desk_client, year2026):
    f.expert()
    for url in (
        "/admin/dispatch/programyear/",
        f"/admin/dispatch/programyear/{year2026.pk}/change/",
        "/admin/dispatch/expert/",
        "/admin/dispatch/dispatch/",
    ):
        assert desk_client.get(url).status_code == 200, url


def test_my_page_lists_the_dispatch(client, year2026):
    from kosha_portal.accounts.services import access_link_issue

    dispatch = f.applied_dispatch(year2026)
    _link, token = access_link_issue(
        email=dispatch.contact_email, organisation=dispatch.organisation, target=dispatch
    )
    client.get(f"/access/{token}/")
    html = client.get("/my/").content.decode()
    assert dispatch.reference in html and "専門家派遣" in html


def test_admin_action_expires_ended_dispatches_and_reports_the_others(desk_client, year2023):
    import datetime

    ended = f.decided_dispatch(year2023, planned=1, decision_date=datetime.date(2023, 11, 1))
    applied = f.applied_dispatch(year2023)
    response = desk_client.post(
        "/admin/dispatch/dispatch/",
        {"action": "expire_ended", "_selected_action": [ended.pk, applied.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1件を期間満了にしました。" in html
    assert applied.reference in html and "「申込受付」から「期間満了」には変更できません" in html
    ended.refresh_from_db()
    applied.refresh_from_db()
    assert ended.status == Dispatch.Status.EXPIRED and applied.status == Dispatch.Status.APPLIED


def test_admin_decision_asks_to_confirm_same_name_rows(desk_client, year2026):
    OrganisationFactory(name="株式会社山田商店")
    dispatch = f.applied_dispatch(year2026, organisation=OrganisationFactory(name="山田商店"))
    change = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/").content.decode()
    assert "⚠ <strong>同じ事業者の重複登録がないこと</strong>" in change
    url = f"/admin/dispatch/dispatch/{dispatch.pk}/decide/"
    page = desk_client.get(url).content.decode()
    assert 'name="duplicates_confirmed_distinct"' in page
    data = {
        "decision_date": "2026-11-02",
        "decision_number": "8産労総第8号",
        "planned_visits": 2,
        "expert": f.expert().pk,
    }
    refused = desk_client.post(url, data)
    assert refused.status_code == 200
    assert "管理画面で事業者を統合し" in refused.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.APPLIED
    done = desk_client.post(url, {**data, "duplicates_confirmed_distinct": "on"})
    assert done.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DECIDED and dispatch.duplicates_confirmed_distinct


def test_admin_decision_without_same_name_rows_has_no_confirmation(desk_client, year2026):
    dispatch = f.applied_dispatch(year2026)
    page = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/decide/").content.decode()
    assert "duplicates_confirmed_distinct" not in page
