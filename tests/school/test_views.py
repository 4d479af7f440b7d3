import re

import pytest
from django.urls import reverse

from kosha_portal.accounts.services import access_link_issue
from school import demo
from school.models import Application, Participant

from .factories import ApplicationFactory, CohortFactory, ParticipantFactory, recruiting_cohort

pytestmark = pytest.mark.django_db


def _staff_urls(cohort, participant):
    pk = cohort.pk
    names = [
        "roster",
        "roster_csv",
        "roster_xlsx",
        "roster_import",
        "import_template",
        "attendance",
        "coaching",
        "certificates",
    ]
    urls = [reverse(f"school:{n}", args=[pk]) for n in names]
    urls += [
        reverse("school:staff_home"),
        reverse("school:certificate_download", args=[pk, participant.pk]),
    ]
    return urls


@pytest.fixture
def cohort_with_participant():
    cohort = recruiting_cohort()
    participant = ParticipantFactory(application=ApplicationFactory(cohort=cohort))
    return cohort, participant


def test_anonymous_is_sent_to_login_for_every_staff_page(client, cohort_with_participant):
    for url in _staff_urls(*cohort_with_participant):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_non_staff_user_gets_404_for_every_staff_page(
    client, make_user, expert_group_user, cohort_with_participant
):
    plain = make_user("plain")
    for user in (plain, expert_group_user):
        client.force_login(user)
        for url in _staff_urls(*cohort_with_participant):
            assert client.get(url).status_code == 404, (user, url)
        cohort = cohort_with_participant[0]
        assert client.post(reverse("school:roster_pdf", args=[cohort.pk])).status_code == 404


def test_staff_without_school_permission_gets_404(client, make_user, cohort_with_participant):
    client.force_login(make_user("bare-staff", is_staff=True))
    assert (
        client.get(reverse("school:roster", args=[cohort_with_participant[0].pk])).status_code
        == 404
    )


def test_desk_staff_roster_page_shows_company_names(desk_client):
    import io

    demo.load(io.StringIO())
    cohort = Application.objects.get(roster_number=1, cohort__number=1).cohort
    html = desk_client.get(reverse("school:roster", args=[cohort.pk])).content.decode()
    assert "株式会社東都ロジプリント" in html
    assert "営業部 次長（2名）" in html


def test_public_school_page_and_closed_form(client):
    html = client.get("/school/").content.decode()
    assert "東京都サービス生産性革新スクール" in html
    assert "現在、募集中の期はありません" in html
    assert "お申込みを受け付けている期はありません" in client.get("/school/apply/").content.decode()


def _form_data(**overrides):
    data = {
        "org_kind": "corporation",
        "org_name": "株式会社ひかり物流",
        "org_name_kana": "ひかりぶつりゅう",
        "org_corporate_number": "",
        "org_postal_code": "１０１－００２５",
        "org_prefecture": "東京都",
        "org_municipality": "千代田区",
        "org_address": "神田佐久間町1-9",
        "org_phone": "",
        "org_main_business": "運送業",
        "org_industry": "other",
        "org_capital_yen": "",
        "org_employees": "30",
        "contact_name": "山田 太郎",
        "contact_name_kana": "ヤマダ タロウ",
        "contact_email": "Yamada@Hikari.example.jp",
        "contact_phone": "03-1234-5678",
        "p1_name": "佐藤 花子",
        "p1_name_kana": "",
        "p1_department": "業務部",
        "p1_role": "課長",
        "p2_name": "",
        "p2_department": "",
        "p2_role": "",
        "concerns": ["paper_habit", "where_to_start"],
        "concerns_other": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_apply_with_errors_keeps_input_and_explains_in_japanese(client):
    recruiting_cohort()
    response = client.post(
        "/school/apply/",
        _form_data(contact_email="not-an-email", p1_name="", p2_department="営業部", consent=""),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert "個人情報の取扱いへの同意が必要です。" in html
    assert "参加者2の氏名を入力してください。" in html
    assert 'value="株式会社ひかり物流"' in html
    assert 'value="営業部"' in html
    assert not Application.objects.exists()


def test_apply_success_and_company_status_page(
    client, mail_outbox, django_capture_on_commit_callbacks
):
    cohort = recruiting_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/school/apply/", _form_data())
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.cohort == cohort
    assert application.contact_email == "yamada@hikari.example.jp"
    assert application.organisation.postal_code == "101-0025"
    assert list(application.participants.values_list("name", flat=True)) == ["佐藤 花子"]
    assert "お申込みを受け付けました" in client.get(response["Location"]).content.decode()
    # the status page needs the personal link
    status_url = application.get_portal_url()
    assert client.get(status_url).status_code == 404
    link_url = re.search(r"http://\S+/access/\S+/", mail_outbox[0].body).group(0)
    opened = client.get(link_url.split("127.0.0.1:8000", 1)[-1])
    assert opened["Location"] == status_url
    page = client.get(status_url).content.decode()
    assert "選考中" in page and "佐藤 花子" in page
    my_page = client.get(reverse("accounts:my_page")).content.decode()
    assert status_url in my_page
    # another company's application stays hidden (404 like a missing one)
    other = ApplicationFactory(cohort=cohort)
    assert client.get(other.get_portal_url()).status_code == 404
    assert client.get("/school/applications/999999/").status_code == 404


def test_portal_link_for_one_company_does_not_open_another(client):
    cohort = recruiting_cohort()
    mine, theirs = ApplicationFactory(cohort=cohort), ApplicationFactory(cohort=cohort)
    _link, token = access_link_issue(
        email=mine.contact_email, organisation=mine.organisation, target=mine
    )
    client.get(reverse("accounts:access_link", args=[token]))
    assert client.get(mine.get_portal_url()).status_code == 200
    assert client.get(theirs.get_portal_url()).status_code == 404


def test_portal_link_opens_only_its_application_not_the_organisations_others(client):
    cohort = recruiting_cohort()
    mine = ApplicationFactory(cohort=cohort)
    sibling = ApplicationFactory(cohort=CohortFactory(), organisation=mine.organisation)
    _link, token = access_link_issue(
        email=mine.contact_email, organisation=mine.organisation, target=mine
    )
    client.get(reverse("accounts:access_link", args=[token]))
    assert client.get(mine.get_portal_url()).status_code == 200
    assert client.get(sibling.get_portal_url()).status_code == 404
    my_page = client.get(reverse("accounts:my_page")).content.decode()
    assert mine.get_portal_url() in my_page and sibling.get_portal_url() not in my_page


def test_attendance_grid_saves_from_the_form(desk_client):
    from .factories import SessionFactory, accepted_application

    cohort = recruiting_cohort()
    s1, s2 = SessionFactory(cohort=cohort, number=1), SessionFactory(cohort=cohort, number=2)
    participant = accepted_application(cohort).participants.get()
    url = reverse("school:attendance", args=[cohort.pk])
    assert f'name="a-{participant.pk}-{s1.pk}"' in desk_client.get(url).content.decode()
    response = desk_client.post(
        url,
        {f"a-{participant.pk}-{s1.pk}": "present", f"a-{participant.pk}-{s2.pk}": "absent"},
        follow=True,
    )
    html = response.content.decode()
    assert "出欠を保存しました（2件更新）" in html
    assert "50.0%" in html
    assert Participant.objects.get(pk=participant.pk).attendances.count() == 2


def test_coaching_page_records_and_refuses_beyond_cap(desk_client):
    from .factories import accepted_application

    cohort = recruiting_cohort(coaching_visits_per_company=1)
    application = accepted_application(cohort)
    url = reverse("school:coaching", args=[cohort.pk])
    data = {
        "application": application.pk,
        "date": "2024-01-10",
        "start_time": "10:00",
        "end_time": "12:00",
        "mode": "onsite",
        "topics": "業務フロー整理",
        "notes": "",
    }
    assert desk_client.post(url, data).status_code == 302
    response = desk_client.post(url, data)
    assert response.status_code == 200
    assert "個別支援はこの期では1社1回までです" in response.content.decode()
    assert application.coaching_visits.count() == 1


def test_admin_pages_render_and_actions_call_services(
    desk_client, django_capture_on_commit_callbacks, mail_outbox
):
    cohort = recruiting_cohort(capacity=1)
    first, second = ApplicationFactory(cohort=cohort), ApplicationFactory(cohort=cohort)
    ParticipantFactory(application=first)
    for url in (
        reverse("admin:school_cohort_change", args=[cohort.pk]),
        reverse("admin:school_application_change", args=[first.pk]),
        reverse("admin:school_application_changelist"),
        reverse("admin:school_cohort_changelist"),
    ):
        assert desk_client.get(url).status_code == 200, url
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(
            reverse("admin:school_application_changelist"),
            {"action": "accept", "_selected_action": [first.pk, second.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert "1社を受講決定にしました。" in html
    assert "定員（1社）に達しているため" in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "submitted")
    assert [m.to[0] for m in mail_outbox] == [first.contact_email]


def test_view_only_staff_gets_404_on_every_write_view(client, make_user, cohort_with_participant):
    from django.contrib.auth.models import Permission

    from school.models import Attendance, Certificate, CoachingVisit

    from .factories import SessionFactory

    cohort, participant = cohort_with_participant
    session = SessionFactory(cohort=cohort, number=1)
    viewer = make_user("school-viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="school", codename__startswith="view_")
    )
    client.force_login(viewer)
    pk = cohort.pk
    posts = {
        reverse("school:roster_import", args=[pk]): {},
        reverse("school:attendance", args=[pk]): {f"a-{participant.pk}-{session.pk}": "present"},
        reverse("school:coaching", args=[pk]): {"application": participant.application_id},
        reverse("school:certificate_issue", args=[pk, participant.pk]): {},
        reverse("school:roster_pdf", args=[pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("school:roster_import", args=[pk])).status_code == 404
    # reading stays open to view-only staff
    assert client.get(reverse("school:attendance", args=[pk])).status_code == 200
    assert client.get(reverse("school:coaching", args=[pk])).status_code == 200
    assert not Attendance.objects.exists()
    assert not CoachingVisit.objects.exists()
    assert not Certificate.objects.exists()


def test_admin_cannot_move_an_existing_application_to_another_cohort_or_company(desk_client):
    from tests.factories import OrganisationFactory

    cohort, other_cohort = recruiting_cohort(), recruiting_cohort()
    application = ApplicationFactory(cohort=cohort)
    organisation = application.organisation
    url = reverse("admin:school_application_change", args=[application.pk])
    html = desk_client.get(url).content.decode()
    assert 'name="cohort"' not in html
    assert 'name="organisation"' not in html
    response = desk_client.post(
        url,
        {
            "cohort": other_cohort.pk,
            "organisation": OrganisationFactory().pk,
            "main_business": application.main_business,
            "contact_name": application.contact_name,
            "contact_name_kana": "",
            "contact_email": application.contact_email,
            "contact_phone": "",
            "concerns_other": "",
            "decision_note": "",
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "participants-MIN_NUM_FORMS": "0",
            "participants-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.cohort, application.organisation) == (cohort, organisation)
    # a new application still chooses both
    html = desk_client.get(reverse("admin:school_application_add")).content.decode()
    assert 'name="cohort"' in html


def test_admin_declines_an_accepted_company_only_with_a_reason(desk_client):
    from kosha_portal.audit.services import audit_events_for

    from .factories import accepted_application

    application = accepted_application(recruiting_cohort())
    url = "/admin/school/application/"
    confirm = desk_client.post(
        url, {"action": "decline", "_selected_action": [application.pk], "reason": ""}
    )
    assert "見送りにしますか" in confirm.content.decode()
    refused = desk_client.post(
        url,
        {
            "action": "decline",
            "_selected_action": [application.pk],
            "reason": "",
            "confirmed": "yes",
        },
        follow=True,
    )
    assert "「見送り」にするには理由を入力してください。" in refused.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    desk_client.post(
        url,
        {
            "action": "decline",
            "_selected_action": [application.pk],
            "reason": "受講辞退の連絡",
            "confirmed": "yes",
        },
    )
    application.refresh_from_db()
    assert (application.status, application.roster_number) == ("declined", None)
    event = audit_events_for(application).get(action="school.application.declined")
    assert event.changes["reason"] == "受講辞退の連絡"
    # A company still in selection is declined without a reason, as before.
    pending = ApplicationFactory(cohort=application.cohort)
    desk_client.post(
        url,
        {"action": "decline", "_selected_action": [pending.pk], "reason": "", "confirmed": "yes"},
    )
    pending.refresh_from_db()
    assert pending.status == Application.Status.DECLINED
