"""The experts' reports as documents an agency files: addressed to the 理事長, signed by the
reporting expert (name, qualification, submission date), with a seal box; the completion report
totals the visits used; the issuer, addressee and signature label come from settings."""

import pytest
from django.test import override_settings

from dispatch import services
from dispatch.models import Qualification
from dispatch.pdf import completion_report_document, visit_report_document
from tests import timeline
from tests.dispatch import factories as f
from tests.dispatch.test_pdf_and_views import _reported, _text
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

ADDRESSEE = "公益財団法人東京都中小企業振興公社 理事長 殿"


def _lines(text: str) -> list[str]:
    return ["".join(line.split()) for line in text.splitlines()]


def _compact(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def labour_expert():
    return f.expert(
        "中村 恵子",
        qualifications=(Qualification.LABOUR_CONSULTANT, Qualification.COUNSELOR),
    )


def test_visit_report_is_addressed_to_the_chair_and_signed_by_the_reporting_expert(
    year2026, labour_expert, django_capture_on_commit_callbacks
):
    _dispatch, visit = _reported(
        year2026, expert=labour_expert, capture=django_capture_on_commit_callbacks
    )
    text, _pages = _text(visit_report_document(visit))
    compact = _compact(text)
    assert _compact(ADDRESSEE) in compact
    assert "報告者中村恵子" in compact
    assert "社会保険労務士、公認心理師・産業カウンセラー" in compact
    # Filed at timeline.NOW; 作成日 and 提出日 are document dates, without the weekday.
    assert "提出日令和8年12月1日" in compact and "提出日令和8年12月1日(" not in compact
    assert "作成日令和8年12月1日" in compact and "作成日令和8年12月1日(" not in compact
    assert "署名又は記名押印印" in compact  # the label, then the seal box
    assert "公益財団法人東京都中小企業振興公社" in compact


def test_completion_report_totals_the_visits_used_and_keeps_short_topics_on_one_line(
    year2026, labour_expert, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(name="株式会社東都ロジプリント")
    dispatch, visit = _reported(
        year2026,
        organisation=organisation,
        expert=labour_expert,
        capture=django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_report_confirm(visit=visit, actor="company")
        services.dispatch_complete(
            dispatch=dispatch,
            summary="対応方針と手順書を整備しました。",
            outcomes="従業員研修を年2回実施する。",
            actor="e",
        )
    text, _pages = _text(completion_report_document(dispatch))
    compact = _compact(text)
    lines = _lines(text)
    assert _compact(ADDRESSEE) in compact
    assert "報告者中村恵子" in compact and "社会保険労務士" in compact
    assert "提出日令和8年12月1日" in compact
    assert "利用回数1回／上限4回" in compact
    assert "合計1回" in compact
    # 主な相談内容 is wide enough for a short text to stay on one line.
    assert any("長時間にわたる電話での苦情への対応" in line for line in lines), lines
    assert any("株式会社東都ロジプリント" in line for line in lines), lines
    assert "企業確認日" in compact  # the company's confirmation (issue 12) is kept


@override_settings(
    DOCUMENTS={
        "issuer": "公益財団法人テスト振興公社",
        "issuer_department": "企画部 企画課",
        "report_addressee": "公益財団法人テスト振興公社 理事長 殿",
        "report_signature_label": "記名押印欄",
        "certificate_issuer_title": "",
        "certificate_issuer_name": "",
        "certificate_program": "",
    }
)
def test_issuer_addressee_and_signature_label_come_from_settings(
    year2026, django_capture_on_commit_callbacks
):
    _dispatch, visit = _reported(year2026, capture=django_capture_on_commit_callbacks)
    compact = _compact(_text(visit_report_document(visit))[0])
    assert "公益財団法人テスト振興公社理事長殿" in compact
    assert "企画部企画課" in compact and "記名押印欄" in compact
    assert "東京都中小企業振興公社" not in compact


def test_visit_report_filed_on_a_later_day_prints_that_submission_date(
    year2026, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timeline.jst(2026, 12, 3, 9))
    _dispatch, visit = _reported(year2026, capture=django_capture_on_commit_callbacks)
    assert "提出日令和8年12月3日" in _compact(_text(visit_report_document(visit))[0])
