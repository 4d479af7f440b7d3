"""Table-driven tests of dispatch_eligibility at every boundary (DOMAIN §3–4)."""

import datetime

import pytest

from companies.models import Organisation
from companies.sme import Industry
from dispatch import services
from dispatch.eligibility import dispatch_eligibility
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

MAN = 10_000
# industry, capital limit (yen), employee limit
SME_TABLE = [
    (Industry.MANUFACTURING, 30_000 * MAN, 300),
    (Industry.OTHER, 30_000 * MAN, 300),
    (Industry.WHOLESALE, 10_000 * MAN, 100),
    (Industry.SERVICES, 5_000 * MAN, 100),
    (Industry.RETAIL, 5_000 * MAN, 50),
    (Industry.RUBBER, 30_000 * MAN, 900),
    (Industry.SOFTWARE, 30_000 * MAN, 300),
    (Industry.INN, 5_000 * MAN, 200),
]
SME_CASES = []
for industry, capital, employees in SME_TABLE:
    SME_CASES += [
        pytest.param(industry, capital, employees + 1, True, id=f"{industry}-capital-at-limit"),
        pytest.param(industry, capital + 1, employees + 1, False, id=f"{industry}-both-over"),
        pytest.param(industry, capital + 1, employees, True, id=f"{industry}-employees-at-limit"),
        pytest.param(industry, None, employees + 1, False, id=f"{industry}-no-capital-over"),
    ]


def _judge(organisation, year, *, cons=None, at=None, attestations=f.ALL_YES):
    cons = cons if cons is not None else f.consultation(organisation)
    return dispatch_eligibility(
        organisation=organisation,
        program_year=year,
        consultation=cons,
        attestations=attestations,
        at=at or f.jst(2024, 1, 15, 10, 0),
    )


@pytest.mark.parametrize(("industry", "capital", "employees", "expected"), SME_CASES)
def test_sme_table_edges(year2023, industry, capital, employees, expected):
    organisation = OrganisationFactory(industry=industry, capital_yen=capital, employees=employees)
    result = _judge(organisation, year2023)
    rule = result.rule("sme")
    assert rule.passed is expected, rule.explanation
    assert result.eligible is expected
    assert rule.explanation.endswith("。")


@pytest.mark.parametrize(("employees", "expected"), [(50, True), (51, False)])
def test_sole_proprietor_is_judged_on_employees_only(year2023, employees, expected):
    organisation = OrganisationFactory(
        kind=Organisation.Kind.SOLE_PROPRIETOR,
        industry=Industry.RETAIL,
        capital_yen=1,
        employees=employees,
    )
    rule = _judge(organisation, year2023).rule("sme")
    assert rule.passed is expected
    if not expected:
        assert "個人事業主は従業員数のみで判定します" in rule.explanation


@pytest.mark.parametrize(
    ("prefecture", "code", "kind", "expected", "phrase"),
    [
        ("東京都", "13", Organisation.Kind.CORPORATION, True, "都内の事業者に該当します"),
        (
            "大阪府",
            "27",
            Organisation.Kind.CORPORATION,
            False,
            "東京都外（大阪府）のため、対象外です",
        ),
        ("神奈川県", "14", Organisation.Kind.SOLE_PROPRIETOR, False, "都内の税務署に開業の届出"),
    ],
)
def test_tokyo_location(year2023, prefecture, code, kind, expected, phrase):
    organisation = OrganisationFactory(prefecture=prefecture, prefecture_code=code, kind=kind)
    result = _judge(organisation, year2023)
    assert result.rule("tokyo").passed is expected
    assert phrase in result.rule("tokyo").explanation
    assert result.eligible is expected


@pytest.mark.parametrize(
    ("at", "expected", "phrase"),
    [
        (f.jst(2023, 4, 2, 23, 59, 59), False, "からです"),
        (f.jst(2023, 4, 3, 0, 0, 0), True, "申込受付期間内"),
        (f.jst(2024, 1, 31, 23, 59, 59), True, "申込受付期間内"),
        (f.jst(2024, 2, 1, 0, 0, 0), False, "令和6年1月31日(水) 23:59:59に終了しました"),
        # The same instant written in UTC: the deadline is a JST instant, not a local date.
        (datetime.datetime(2024, 1, 31, 14, 59, 59, tzinfo=datetime.UTC), True, "申込受付期間内"),
        (datetime.datetime(2024, 1, 31, 15, 0, 0, tzinfo=datetime.UTC), False, "終了しました"),
    ],
)
def test_application_window_instants(year2023, at, expected, phrase):
    result = _judge(OrganisationFactory(), year2023, at=at)
    assert result.rule("window").passed is expected
    assert phrase in result.rule("window").explanation
    assert result.eligible is expected


@pytest.mark.parametrize("need", [None, False])
def test_need_not_confirmed(year2023, need):
    organisation = OrganisationFactory()
    cons = f.consultation(organisation, need=need)
    result = _judge(organisation, year2023, cons=cons)
    assert not result.rule("need").passed
    assert "必要性が確認されていません" in result.rule("need").explanation
    assert [r.code for r in result.failed] == ["need"]


def test_need_of_another_company_does_not_count(year2023):
    other = f.consultation(OrganisationFactory())
    result = _judge(OrganisationFactory(), year2023, cons=other)
    assert not result.rule("need").passed


def test_missing_attestation_is_named(year2023):
    answers = {**f.ALL_YES, "no_tax_arrears": False}
    result = _judge(OrganisationFactory(), year2023, attestations=answers)
    assert [r.code for r in result.failed] == ["attestations"]
    assert "法人税・消費税・都税の滞納がないこと" in result.rule("attestations").explanation


def test_cap_counts_every_dispatch_of_the_year(year2026):
    organisation = OrganisationFactory()
    first = f.decided_dispatch(year2026, organisation=organisation, planned=3)
    for day in (10, 11, 12):
        visit = services.visit_schedule(
            dispatch=first,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="test",
        )
        services.visit_no_show(visit=visit, actor="test")
    at = f.jst(2026, 11, 20, 10, 0)
    result = _judge(organisation, year2026, at=at, cons=first.consultation)
    assert not result.rule("no_open_dispatch").passed
    assert first.reference in result.rule("no_open_dispatch").explanation
    services.dispatch_withdraw(dispatch=first, reason="社内で対応", actor="test")
    result = _judge(organisation, year2026, at=at, cons=first.consultation)
    assert result.eligible
    assert result.visits_remaining == 1
    assert "3回で、上限4回まであと1回" in result.rule("cap").explanation


def test_cap_reached_refuses_with_reason(year2026):
    organisation = OrganisationFactory()
    dispatch = f.decided_dispatch(year2026, organisation=organisation, planned=4)
    for day in (10, 11, 12, 13):
        visit = services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="test",
        )
        services.visit_no_show(visit=visit, actor="test")
    result = _judge(
        organisation, year2026, at=f.jst(2026, 11, 20, 10, 0), cons=dispatch.consultation
    )
    rule = result.rule("cap")
    assert not rule.passed
    assert rule.explanation == "今年度の派遣はすでに4回で、上限4回に達しています。"
    assert result.visits_remaining == 0


def test_lifetime_scope_counts_earlier_years_and_fiscal_scope_warns(year2026):
    organisation = OrganisationFactory()
    dispatch = f.decided_dispatch(year2026, organisation=organisation, planned=2)
    for day in (10, 11):
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="test",
        )
    next_year = f.program_year(2027)
    at = f.jst(2027, 5, 1, 10, 0)
    assert _judge(organisation, next_year, at=at).visits_remaining == 4
    assert "過年度に2回" in _judge(organisation, next_year, at=at).warnings[0]
    next_year.cap_scope = "lifetime"
    next_year.save()
    assert _judge(organisation, next_year, at=at).visits_remaining == 2


def test_last_years_unfinished_dispatch_does_not_block_this_year(year2023, year2026):
    organisation = OrganisationFactory()
    last_year = f.decided_dispatch(
        year2023, organisation=organisation, planned=2, decision_date=datetime.date(2023, 11, 1)
    )
    # Still 派遣決定 (the expiry job has not run yet), but its dispatch period has ended.
    assert last_year.status == "decided"
    at = f.jst(2026, 11, 20, 10, 0)
    result = _judge(organisation, year2026, at=at)
    assert result.rule("no_open_dispatch").passed, result.rule("no_open_dispatch").explanation
    assert result.eligible
    this_year = f.applied_dispatch(year2026, organisation=organisation)
    assert this_year.status == "applied"
    # During last year's period the same dispatch did block.
    during = _judge(organisation, year2023, at=f.jst(2024, 1, 15, 10, 0))
    assert last_year.reference in during.rule("no_open_dispatch").explanation


def test_same_name_rows_show_staff_a_non_blocking_duplicates_rule(year2026):
    first = OrganisationFactory(name="株式会社山田商店")
    f.decided_dispatch(year2026, organisation=first, planned=2)
    second = OrganisationFactory(name="山田商店　株式会社")  # no 法人番号: a fresh row
    other_company = OrganisationFactory(name="株式会社山田商店", corporate_number="1234567890123")
    at = f.jst(2026, 11, 20, 10, 0)

    result = _judge(second, year2026, at=at)
    rule = result.rule("duplicates")
    assert not rule.passed and not rule.blocking
    assert f"株式会社山田商店（事業者ID {first.pk}）" in rule.explanation
    assert f"事業者ID {other_company.pk}" in rule.explanation  # the numberless row may be it
    assert "管理画面で統合" in rule.explanation
    assert result.eligible and rule not in result.failed and result.notices == [rule]

    # Two rows with different 法人番号 are different companies: not listed.
    numbered = OrganisationFactory(name="山田商店", corporate_number="9876543210987")
    rule = _judge(numbered, year2026, at=at).rule("duplicates")
    assert f"事業者ID {other_company.pk}" not in rule.explanation
    assert f"事業者ID {first.pk}" in rule.explanation

    alone = _judge(OrganisationFactory(name="株式会社鈴木製作所"), year2026, at=at)
    assert alone.rule("duplicates").passed and not alone.notices


def test_visits_and_open_dispatches_count_across_rows_with_one_corporate_number(year2026):
    """Rows sharing a 法人番号 are one company. The registry's unique constraint normally makes
    this impossible; drop it inside the test transaction to prove the counting spans the group."""
    from django.db import connection

    constraint = next(
        c
        for c in Organisation._meta.constraints
        if c.name == "organisation_corporate_number_unique"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(Organisation, constraint)
    first = OrganisationFactory(name="株式会社甲", corporate_number="1234567890123")
    dispatch = f.decided_dispatch(year2026, organisation=first, planned=3)
    for day in (10, 11, 12):
        visit = services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="test",
        )
        services.visit_no_show(visit=visit, actor="test")
    second = OrganisationFactory(name="株式会社乙", corporate_number="1234567890123")
    at = f.jst(2026, 11, 20, 10, 0)
    result = _judge(second, year2026, at=at)
    assert result.visits_remaining == 1
    assert dispatch.reference in result.rule("no_open_dispatch").explanation
    assert not result.eligible
