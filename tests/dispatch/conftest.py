import pytest

from tests.dispatch import factories as f


@pytest.fixture
def year2026(db):
    return f.program_year(2026)


@pytest.fixture
def year2023(db):
    return f.program_year(2023)
