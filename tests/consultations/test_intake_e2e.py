"""The intake form in Chromium: the capital field says what it read while the user types."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1億", "100,000,000円（1億円）として受け付けます。"),
        ("５，０００万円", "50,000,000円（5,000万円）として受け付けます。"),
        ("50,000,000円", "50,000,000円（5,000万円）として受け付けます。"),
        ("たくさん", ""),
    ],
)
def test_the_capital_field_says_what_it_read_while_typing(page, live_server, typed, read):
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/consultations/new/")
    field = page.locator("#id_org_capital_yen")
    field.fill(typed)
    expect(page.locator("#id_org_capital_yen_readout")).to_have_text(read)
