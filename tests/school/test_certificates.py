"""The 修了証 PDF: rendered with the CJK font, holds the name and the 和暦 date, staff only."""

import datetime
import io

import pytest
from pypdf import PdfReader

from kosha_portal.documents.models import GeneratedDocument
from school import services

from .factories import SessionFactory, accepted_application, recruiting_cohort


@pytest.mark.django_db(transaction=True)
def test_certificate_pdf_has_name_and_wareki_date_without_missing_glyphs(desk_client):
    cohort = recruiting_cohort(
        completion_threshold_percent=80, title="東京都サービス生産性革新スクール"
    )
    sessions = [SessionFactory(cohort=cohort, number=i) for i in range(1, 6)]
    application = accepted_application(cohort, participants=2)
    # 髙 (the "ladder" 高) checks a less common kanji in a real family name.
    eligible, short = application.participants.order_by("position")
    eligible.name = "髙橋 凜"
    eligible.save()
    services.attendance_record(
        cohort=cohort,
        marks={
            **{(eligible.pk, s.pk): "present" for s in sessions[:4]},
            (eligible.pk, sessions[4].pk): "absent",
            **{(short.pk, s.pk): "present" for s in sessions[:3]},
        },
        actor="desk",
    )

    page = desk_client.get(f"/school/staff/cohorts/{cohort.pk}/certificates/").content.decode()
    assert f"/certificates/{eligible.pk}/issue/" in page  # offered at exactly 80 %
    assert f"/certificates/{short.pk}/issue/" not in page  # 60 %: not offered
    refused = desk_client.post(
        f"/school/staff/cohorts/{cohort.pk}/certificates/{short.pk}/issue/", follow=True
    )
    assert "修了基準（80％以上）に達していません" in refused.content.decode()
    assert not services.Certificate.objects.filter(participant=short).exists()

    desk_client.post(f"/school/staff/cohorts/{cohort.pk}/certificates/{eligible.pk}/issue/")
    certificate = services.Certificate.objects.get(participant=eligible)
    certificate.issued_on = datetime.date(2024, 2, 29)
    certificate.save()
    document = GeneratedDocument.objects.get(kind=services.CERTIFICATE_KIND)
    assert document.status == GeneratedDocument.Status.READY
    # re-render with the fixed date so the expected 和暦 is known
    document.delete()
    services.certificate_issue(participant=eligible, actor="desk")
    document = GeneratedDocument.objects.get(kind=services.CERTIFICATE_KIND)
    assert document.status == GeneratedDocument.Status.READY
    assert document.missing_glyphs == ""

    response = desk_client.get(f"/school/staff/cohorts/{cohort.pk}/certificates/{eligible.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    compact = "".join(text.split())
    assert "修了証" in compact
    assert "髙橋凜" in compact
    assert "令和6年2月29日" in compact
    assert certificate.number in compact
    # no certificate for the participant below the threshold
    assert (
        desk_client.get(
            f"/school/staff/cohorts/{cohort.pk}/certificates/{short.pk}/pdf/"
        ).status_code
        == 404
    )
