"""The reading field (フリガナ) takes katakana, hiragana (stored as katakana) and, on English
pages, Latin letters; the door's check-in list shows the venue by default and filters by format."""

import pytest
from django.urls import reverse

from seminars.models import Registration, Seminar
from tests import timeline

from .factories import SeminarFactory, register
from .test_views import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def _register(client, seminar, language="ja", **extra):
    return client.post(
        reverse("seminars:detail", args=[seminar.pk]),
        form_data(1, **extra),
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ヤマダ ハナコ", "ヤマダ ハナコ"),
        ("やまだ　はなこ", "ヤマダ ハナコ"),
        ("ｼﾞｮﾝ ｽﾐｽ", "ジョン スミス"),
    ],
)
def test_kana_and_hiragana_readings_are_stored_as_katakana(client, typed, stored):
    response = _register(client, SeminarFactory(), name_kana=typed)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Registration.objects.get().name_kana == stored


@pytest.mark.parametrize("typed", ["John Smith", "Mary-Jane O'Neil", "José Núñez", "ＪＯＨＮ"])
def test_a_latin_reading_is_accepted_on_the_english_page(client, typed):
    response = _register(
        client, SeminarFactory(), language="en", name="John Smith", name_kana=typed
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert registration.name_kana == typed.replace("ＪＯＨＮ", "JOHN")
    assert registration.language == "en"


def test_the_english_page_says_latin_letters_are_accepted(client):
    seminar = SeminarFactory()
    html = client.get(
        reverse("seminars:detail", args=[seminar.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Latin letters" in html


def test_latin_readings_are_refused_on_the_japanese_page(client):
    response = _register(client, SeminarFactory(), name_kana="John Smith")
    assert (
        "フリガナは全角カタカナ（またはひらがな）で入力してください。" in response.content.decode()
    )
    assert not Registration.objects.exists()


def test_a_reading_in_kanji_is_refused_on_the_english_page_too(client):
    response = _register(client, SeminarFactory(), language="en", name_kana="山田 花子")
    assert response.status_code == 200
    assert "Latin letters" in response.content.decode()
    assert not Registration.objects.exists()


def _checkin(client, seminar, **params):
    return client.get(reverse("seminars:checkin", args=[seminar.pk]), params).content.decode()


def test_checkin_lists_the_venue_participants_by_default(desk_client):
    seminar = SeminarFactory(venue_seats=5, online_seats=5)
    register(seminar, 1, name="会場 一郎")
    register(seminar, 2, fmt="online", name="遠隔 花子")
    html = _checkin(desk_client, seminar)
    assert "会場 一郎" in html and "遠隔 花子" not in html
    assert "会場（1名）" in html and "オンライン（1名）" in html and "すべて（2名）" in html
    online = _checkin(desk_client, seminar, format="online")
    assert "遠隔 花子" in online and "会場 一郎" not in online
    both = _checkin(desk_client, seminar, format="all")
    assert "遠隔 花子" in both and "会場 一郎" in both


def test_checkin_keeps_the_filter_after_a_tap(desk_client):
    seminar = SeminarFactory(venue_seats=5, online_seats=5)
    online = register(seminar, 1, fmt="online")
    response = desk_client.post(
        reverse("seminars:checkin_mark", args=[seminar.pk, online.pk]),
        {"action": "in", "format": "online", "q": ""},
    )
    assert response["Location"].endswith("?format=online")


def test_an_online_only_seminar_lists_its_participants_without_a_filter(desk_client):
    seminar = SeminarFactory(format=Seminar.Format.ONLINE, online_seats=5)
    register(seminar, 1, fmt="online", name="遠隔 花子")
    html = _checkin(desk_client, seminar)
    assert "遠隔 花子" in html and "すべて（" not in html
