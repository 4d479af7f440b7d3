"""SME classification under 中小企業基本法 (DOMAIN §4) from versioned rule tables."""

import pytest

from companies.models import Organisation
from companies.sme import SME_RULES, Industry, sme_classify
from tests.factories import OrganisationFactory

MAN = 10_000
KIHONHO = [  # industry, capital limit, employee limit — the table in DOMAIN §4
    (Industry.MANUFACTURING, 30_000 * MAN, 300),
    (Industry.OTHER, 30_000 * MAN, 300),
    (Industry.WHOLESALE, 10_000 * MAN, 100),
    (Industry.SERVICES, 5_000 * MAN, 100),
    (Industry.RETAIL, 5_000 * MAN, 50),
    (Industry.RUBBER, 30_000 * MAN, 900),
    (Industry.SOFTWARE, 30_000 * MAN, 300),
    (Industry.INN, 5_000 * MAN, 200),
]


def test_table_covers_every_industry():
    assert {row[0] for row in KIHONHO} == {code for code, _label in Industry.CHOICES}
    for industry, capital, employees in KIHONHO:
        limit = SME_RULES["kihonho-1999"][industry]
        assert (limit.capital_yen, limit.employees) == (capital, employees)


@pytest.mark.parametrize(("industry", "capital", "employees"), KIHONHO)
def test_capital_boundary(industry, capital, employees):
    over = employees + 1
    at = sme_classify(industry=industry, capital_yen=capital, employees=over)
    above = sme_classify(industry=industry, capital_yen=capital + 1, employees=over)
    assert at.is_sme
    assert not above.is_sme
    assert at.rule_version == above.rule_version == "kihonho-1999"
    assert "資本金" in at.reason and f"{capital:,}円" in at.reason
    assert "該当しません" in above.reason


@pytest.mark.parametrize(("industry", "capital", "employees"), KIHONHO)
def test_employee_boundary(industry, capital, employees):
    big = capital + 1
    at = sme_classify(industry=industry, capital_yen=big, employees=employees)
    above = sme_classify(industry=industry, capital_yen=big, employees=employees + 1)
    assert at.is_sme
    assert not above.is_sme
    assert f"{employees}人" in at.reason


def test_leaflet_retail_examples():
    assert sme_classify(industry=Industry.RETAIL, capital_yen=50_000_000, employees=51).is_sme
    verdict = sme_classify(industry=Industry.RETAIL, capital_yen=50_000_001, employees=51)
    assert not verdict.is_sme
    assert verdict.reason == (
        "小売業（飲食店を含む）の基準（資本金50,000,000円以下または従業員50人以下）"
        "のいずれにも該当しないため、中小企業に該当しません。"
    )
    assert verdict.rule_version == "kihonho-1999"


def test_sole_proprietor_judged_on_employees_only():
    # Capital is irrelevant (and usually absent) for a sole proprietor.
    small = sme_classify(
        industry=Industry.RETAIL, capital_yen=None, employees=50, sole_proprietor=True
    )
    big = sme_classify(industry=Industry.RETAIL, capital_yen=1, employees=51, sole_proprietor=True)
    assert small.is_sme
    assert not big.is_sme
    assert "個人事業主は従業員数のみで判定します" in big.reason


def test_unknown_size_is_not_sme_and_says_why():
    verdict = sme_classify(industry=Industry.RETAIL, capital_yen=None, employees=None)
    assert not verdict.is_sme
    assert "未入力" in verdict.reason


def test_employees_300_version():
    at = sme_classify(
        industry=Industry.RETAIL, capital_yen=10**12, employees=300, rule_version="employees-300"
    )
    above = sme_classify(
        industry=Industry.RETAIL, capital_yen=1, employees=301, rule_version="employees-300"
    )
    assert at.is_sme and at.rule_version == "employees-300"
    assert not above.is_sme and above.rule_version == "employees-300"
    assert "300人" in above.reason


@pytest.mark.django_db
def test_organisation_sme_verdict_uses_kind():
    company = OrganisationFactory(industry=Industry.RETAIL, capital_yen=50_000_000, employees=51)
    sole = OrganisationFactory(
        kind=Organisation.Kind.SOLE_PROPRIETOR,
        industry=Industry.RETAIL,
        capital_yen=50_000_000,
        employees=51,
    )
    assert company.sme_verdict().is_sme
    assert not sole.sme_verdict().is_sme
