"""The school's staff and public pages: every eligible participant's 修了証 in one action (one PDF
each and one combined PDF to print), the year in attendance headers where a cohort spans years,
and the curriculum on the public school page."""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kosha_portal.documents.models import GeneratedDocument
from school import services
from school.models import Certificate

from .factories import SessionFactory, accepted_application, recruiting_cohort


def _cohort_with_marks(n_companies=3, sessions=5, missing=1):
    """Companies of two participants each; the last ``missing`` participants missed 2 sessions
    (60 %, below the 80 % rule)."""
    cohort = recruiting_cohort(completion_threshold_percent=80)
    sessions = [
        SessionFactory(cohort=cohort, number=i, date=datetime.date(2026, 12, 1 + i))
        for i in range(1, sessions + 1)
    ]
    participants = []
    for _ in range(n_companies):
        application = accepted_application(cohort, participants=2)
        participants += list(application.participants.order_by("position"))
    marks = {}
    for index, participant in enumerate(participants):
        short = index >= len(participants) - missing
        for session in sessions:
            absent = short and session.number <= 2
            marks[(participant.pk, session.pk)] = "absent" if absent else "present"
    services.attendance_record(cohort=cohort, marks=marks, actor="desk")
    return cohort, participants


@pytest.mark.django_db(transaction=True)
def test_one_action_issues_every_eligible_certificate_with_one_pdf_each_and_one_to_print(
    desk_client,
):
    cohort, participants = _cohort_with_marks()
    eligible, short = participants[:-1], participants[-1]
    # One was issued by hand before: it keeps its number and is not rendered again.
    first = services.certificate_issue(participant=eligible[0], actor="desk")

    page = desk_client.get(reverse("school:certificates", args=[cohort.pk])).content.decode()
    assert "修了基準を満たした全員の修了証を発行する（未発行4名）" in page
    response = desk_client.post(
        reverse("school:certificates_issue_all", args=[cohort.pk]), follow=True
    )
    html = response.content.decode()
    assert "4名の修了証を発行しました（発行済み1名を含む全5名分）" in html
    assert "修了基準に達していない1名には発行していません。" in html

    certificates = Certificate.objects.filter(participant__application__cohort=cohort)
    assert sorted(c.participant_id for c in certificates) == sorted(p.pk for p in eligible)
    assert not Certificate.objects.filter(participant=short).exists()
    assert Certificate.objects.get(pk=first.pk).number == f"{cohort.number}-001"
    assert sorted(c.number for c in certificates) == [
        f"{cohort.number}-{n:03d}" for n in range(1, 6)
    ]
    singles = GeneratedDocument.objects.filter(kind=services.CERTIFICATE_KIND)
    assert singles.count() == 5  # the hand-issued one was not rendered a second time
    assert set(singles.values_list("status", flat=True)) == {GeneratedDocument.Status.READY}

    bundle = GeneratedDocument.objects.get(kind=services.CERTIFICATES_BUNDLE_KIND)
    assert bundle.status == GeneratedDocument.Status.READY and bundle.page_count == 5
    assert bundle.missing_glyphs == ""
    page = desk_client.get(reverse("school:certificates", args=[cohort.pk])).content.decode()
    download = reverse("school:document_download", args=[cohort.pk, bundle.uuid])
    assert download in page and "印刷用PDF（全員分5名・5ページ）" in page
    pdf = desk_client.get(download)
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content)))
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    assert len(texts) == 5
    for text, certificate in zip(texts, certificates.order_by("number"), strict=True):
        assert certificate.number in text
        assert "".join(certificate.participant.name.split()) in text
        assert "修了証" in text
    assert "".join(short.name.split()) not in "".join(texts)

    # Again: nothing new is issued, no certificate is rendered twice.
    again = services.certificates_issue_all(cohort=cohort, actor="desk")
    assert (len(again.issued), len(again.already), len(again.ineligible)) == (0, 5, 1)
    assert GeneratedDocument.objects.filter(kind=services.CERTIFICATE_KIND).count() == 5


@pytest.mark.django_db
def test_issuing_all_with_nobody_eligible_says_so(desk_client):
    cohort, _participants = _cohort_with_marks(n_companies=1, missing=2)
    response = desk_client.post(
        reverse("school:certificates_issue_all", args=[cohort.pk]), follow=True
    )
    assert "修了基準を満たした参加者がいないため、発行していません。" in response.content.decode()
    assert not Certificate.objects.exists()
    assert not GeneratedDocument.objects.filter(kind=services.CERTIFICATES_BUNDLE_KIND).exists()


@pytest.mark.django_db
def test_issuing_all_needs_the_certificate_permission(client, make_user):
    from django.contrib.auth.models import Permission

    cohort, _participants = _cohort_with_marks(n_companies=1)
    viewer = make_user("school-viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_cohort"))
    client.force_login(viewer)
    response = client.post(reverse("school:certificates_issue_all", args=[cohort.pk]))
    assert response.status_code == 404
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_attendance_headers_show_the_year_when_the_cohort_spans_two_years(desk_client):
    cohort = recruiting_cohort()
    SessionFactory(cohort=cohort, number=1, date=datetime.date(2023, 10, 5))
    SessionFactory(cohort=cohort, number=2, date=datetime.date(2024, 1, 18))
    accepted_application(cohort)
    html = desk_client.get(reverse("school:attendance", args=[cohort.pk])).content.decode()
    assert "2023/10/5" in html and "2024/1/18" in html

    within = recruiting_cohort()
    SessionFactory(cohort=within, number=1, date=datetime.date(2027, 1, 12))
    SessionFactory(cohort=within, number=2, date=datetime.date(2027, 2, 9))
    accepted_application(within)
    html = desk_client.get(reverse("school:attendance", args=[within.pk])).content.decode()
    assert ">1/12<" in html and ">2/9<" in html and "2027/1/12" not in html


@pytest.mark.django_db
def test_the_public_school_page_shows_the_curriculum_of_the_cohort(client):
    cohort = recruiting_cohort(planned_sessions=2, planned_hours=6)
    SessionFactory(cohort=cohort, number=1, date=datetime.date(2027, 1, 12), topic="業務の棚卸し")
    SessionFactory(
        cohort=cohort, number=2, date=datetime.date(2027, 2, 9), topic="デジタルツール体験"
    )
    html = client.get(reverse("school:about")).content.decode()
    assert f"カリキュラム（第{cohort.number}期）" in html
    assert "業務の棚卸し" in html and "デジタルツール体験" in html
    assert "令和9年1月12日(火)" in html and "13:30〜16:30" in html
    assert "集合研修2回（計6時間）" in html


@pytest.mark.django_db
def test_without_sessions_for_the_next_cohort_the_last_cohorts_curriculum_is_shown(client):
    from school.services import cohort_finish, cohort_start

    past = recruiting_cohort()
    SessionFactory(cohort=past, number=1, date=datetime.date(2023, 10, 5), topic="全体像")
    cohort_finish(cohort=cohort_start(cohort=past, actor="t"), actor="t")
    upcoming = recruiting_cohort()
    html = client.get(reverse("school:about")).content.decode()
    assert f"カリキュラム（第{past.number}期の実績）" in html and "全体像" in html
    assert f"{upcoming.label}に申し込む" in html or "お申込みの受付開始" in html
