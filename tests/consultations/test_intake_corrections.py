"""Correcting the intake form: the fill timer starts at the first render and survives a page shown
again with errors; 資本金 is read the way people write it (and the form says what it read); the
punctuation people type in Japanese text is kept, only codes are normalised (GLOSSARY)."""

import datetime
import re

import pytest
from django import forms

from consultations.models import Consultation
from kosha_portal.japan.forms import YenField
from kosha_portal.japan.normalize import parse_yen
from tests import timeline

from .conftest import intake_payload

pytestmark = pytest.mark.django_db
URL = "/consultations/new/"


def _token(html: str) -> str:
    return re.search(r'name="started" value="([^"]+)"', html).group(1)


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_a_quick_correction_after_an_error_is_not_refused_as_too_fast(
    client, settings, time_machine
):
    settings.CONSULTATION_MIN_FILL_SECONDS = 3
    first = _token(client.get(URL).content.decode())

    time_machine.move_to(timeline.NOW + datetime.timedelta(seconds=20))
    shown_again = client.post(URL, intake_payload(started=first, contact_name=""))
    assert shown_again.status_code == 200
    assert "入力してください" in shown_again.content.decode() or "入力が必要" in (
        shown_again.content.decode()
    )
    assert _token(shown_again.content.decode()) == first  # the clock did not restart

    # One second after the error page: quick, but 21 s after the form was first shown.
    time_machine.move_to(timeline.NOW + datetime.timedelta(seconds=21))
    done = client.post(URL, intake_payload(started=first))
    assert done.status_code == 302, done.content.decode()[:2000]
    assert Consultation.objects.count() == 1


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_a_submission_faster_than_the_minimum_is_still_refused_and_may_be_sent_again(
    client, settings, time_machine
):
    settings.CONSULTATION_MIN_FILL_SECONDS = 3
    first = _token(client.get(URL).content.decode())
    time_machine.move_to(timeline.NOW + datetime.timedelta(seconds=1))
    refused = client.post(URL, intake_payload(started=first))
    assert "送信が早すぎる" in refused.content.decode()
    assert _token(refused.content.decode()) == first
    assert Consultation.objects.count() == 0
    time_machine.move_to(timeline.NOW + datetime.timedelta(seconds=3))
    assert client.post(URL, intake_payload(started=first)).status_code == 302


def test_a_forged_token_is_replaced_by_a_fresh_one_on_the_error_page(client):
    refused = client.post(URL, intake_payload(started="1700000000"))
    assert refused.status_code == 200
    token = _token(refused.content.decode())
    assert token != "1700000000" and ":" in token


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1億", 100_000_000),
        ("１億", 100_000_000),
        ("1億円", 100_000_000),
        ("5,000万円", 50_000_000),
        ("５，０００万円", 50_000_000),
        ("5千万円", 50_000_000),
        ("50,000,000円", 50_000_000),
        ("５０，０００，０００円", 50_000_000),
        ("1億2,000万円", 120_000_000),
        ("1.5億", 150_000_000),
        ("3億円", 300_000_000),
        ("¥3,000,000", 3_000_000),
        ("三億円", 300_000_000),
        ("300万", 3_000_000),
        ("10 000 000", 10_000_000),
    ],
)
def test_capital_is_read_the_way_people_write_it(typed, amount):
    assert parse_yen(typed) == amount


@pytest.mark.parametrize("typed", ["万", "1億abc", "abc", "-5", "1.23456", "億万"])
def test_capital_that_cannot_be_read_is_refused_with_an_example(typed):
    class CapitalForm(forms.Form):
        capital = YenField(required=False)

    form = CapitalForm({"capital": typed})
    assert not form.is_valid()
    assert form.errors["capital"] == [
        "金額を読み取れませんでした。数字か「億」「万」を使って入力してください"
        "（例：50,000,000、5,000万円、1億）。"
    ]


def test_capital_of_1_oku_is_stored_as_100_million_yen(client):
    response = client.post(URL, intake_payload(org_capital_yen="1億"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Consultation.objects.get().organisation.capital_yen == 100_000_000


def test_the_form_says_what_it_read_from_the_capital_when_shown_again(client):
    page = client.post(URL, intake_payload(org_capital_yen="5,000万円", contact_name=""))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="5,000万円"' in html  # what was typed stays in the field
    assert "50,000,000円（5,000万円）として受け付けます。" in html
    assert "「1億」「5,000万円」「50,000,000円」のように入力できます。" in html


def test_unreadable_capital_is_refused_beside_the_field_and_kept(client):
    page = client.post(URL, intake_payload(org_capital_yen="たくさん"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "金額を読み取れませんでした" in html
    assert 'value="たくさん"' in html
    assert Consultation.objects.count() == 0


def test_japanese_punctuation_typed_by_the_user_is_kept(client):
    description = "（メモ）「至急」とのこと、折り返しお願いします。ＡＢＣ店の件です。"
    response = client.post(
        URL,
        intake_payload(
            description=description,
            contact_department="営業部（東京）",
            org_name="株式会社かもめ商店（本店）",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    consultation = Consultation.objects.get()
    assert consultation.description == description
    assert consultation.contact_department == "営業部（東京）"
    assert consultation.organisation.name == "株式会社かもめ商店（本店）"
    # Codes are still normalised: full-width digits and dashes in the postal code and phone.
    assert consultation.organisation.postal_code == "101-0025"
    assert consultation.contact_phone == "090-1234-5678"


def test_half_width_katakana_in_text_becomes_full_width(client):
    response = client.post(URL, intake_payload(description="ｸﾚｰﾑが続いています（毎日）。"))
    assert response.status_code == 302
    assert Consultation.objects.get().description == "クレームが続いています（毎日）。"
