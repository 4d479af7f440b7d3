"""The school's documents: the 修了証 names its issuer (title and name from settings) above a
seal area and prints its number once; the staff roster keeps every company name of the leaflet's
第1期 on one line."""

import io

import pytest
from django.test import override_settings
from pypdf import PdfReader

from kosha_portal.documents.models import GeneratedDocument
from school import demo, services
from school.models import Cohort

from .test_cohort_certificates import _cohort_with_marks

ISSUER = {
    "issuer": "公益財団法人東京都中小企業振興公社",
    "issuer_department": "総合支援部 総合支援課",
    "report_addressee": "公益財団法人東京都中小企業振興公社 理事長 殿",
    "report_signature_label": "署名又は記名押印",
    "certificate_issuer_title": "公益財団法人東京都中小企業振興公社 理事長",
    "certificate_issuer_name": "葛西 宏明",
    "certificate_program": "東京都サービス生産性革新スクール",
}


def _pages(document) -> list[str]:
    with document.file.open("rb") as handle:
        return [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]


@pytest.mark.django_db(transaction=True)
@override_settings(DOCUMENTS=ISSUER)
def test_certificate_names_its_issuer_above_a_seal_area_and_prints_its_number_once():
    _cohort, participants = _cohort_with_marks(n_companies=1, missing=0)
    certificate = services.certificate_issue(participant=participants[0], actor="desk")
    document = GeneratedDocument.objects.get(kind=services.CERTIFICATE_KIND)
    assert document.status == GeneratedDocument.Status.READY and document.missing_glyphs == ""
    (text,) = _pages(document)
    compact = "".join(text.split())
    assert "公益財団法人東京都中小企業振興公社理事長" in compact
    assert "葛西宏明" in compact
    assert "東京都サービス生産性革新スクール" in compact
    assert compact.count(certificate.number) == 1
    assert f"第{certificate.number}号" in compact
    # The seal area follows the issuer's name.
    assert compact.index("印") > compact.index("葛西宏明")
    # A certificate carries its dates without the weekday (GLOSSARY).
    assert "(" not in compact and "（月）" not in compact


@pytest.mark.django_db(transaction=True)
@override_settings(DOCUMENTS={**ISSUER, "certificate_issuer_name": "森 一郎"})
def test_certificates_printed_together_each_name_the_issuer_and_their_number_once():
    _cohort, participants = _cohort_with_marks(n_companies=1, missing=0)
    result = services.certificates_issue_all(cohort=_cohort, actor="desk")
    bundle = GeneratedDocument.objects.get(kind=services.CERTIFICATES_BUNDLE_KIND)
    pages = ["".join(text.split()) for text in _pages(bundle)]
    assert len(pages) == len(result.certificates) == 2
    for page, certificate in zip(
        pages, sorted(result.certificates, key=lambda c: c.number), strict=True
    ):
        assert "森一郎" in page and page.count(certificate.number) == 1


@pytest.mark.django_db(transaction=True)
def test_staff_roster_keeps_each_of_the_leaflets_twelve_company_names_on_one_line():
    demo.load(io.StringIO())
    cohort = Cohort.objects.get(number=1)
    document = services.roster_pdf_request(cohort=cohort, actor="desk")
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    lines = ["".join(line.split()) for text in _pages(document) for line in text.splitlines()]
    names = ["".join(company.split()) for company, _business, _people in demo.LEAFLET_COMPANIES]
    assert len(names) == 12
    split = [name for name in names if not any(name in line for line in lines)]
    assert not split, f"split across lines: {split}\n" + "\n".join(lines)
