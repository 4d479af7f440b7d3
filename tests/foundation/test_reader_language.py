"""What an English reader gets: Gregorian dates where a Japanese reader gets 和暦, Japanese
passages marked lang="ja", and labels that tell an action from a state."""

import datetime

import icalendar
import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from kosha_portal.japan.deadlines import JST
from kosha_portal.japan.wareki import format_date, format_gregorian
from seminars.ics import registration_ics
from seminars.models import Registration
from tests import timeline
from tests.seminars.factories import SeminarFactory, register

DAY = datetime.date(2026, 12, 1)


def render(source: str, **context) -> str:
    return Template("{% load japan %}" + source).render(Context(context))


def test_gregorian_dates_read_day_month_year_with_an_optional_weekday():
    assert format_gregorian(DAY) == "Tue 1 December 2026"
    assert format_gregorian(DAY, weekday=False) == "1 December 2026"
    # An instant is read on Japan's calendar: 15:30 UTC on 30 November is 1 December in Tokyo.
    assert format_gregorian(datetime.datetime(2026, 11, 30, 15, 30, tzinfo=datetime.UTC)) == (
        "Tue 1 December 2026"
    )


@pytest.mark.parametrize(
    ("language", "expected", "without_weekday"),
    [
        ("ja", "令和8年12月1日(火)", "令和8年12月1日"),
        ("en", "Tue 1 December 2026", "1 December 2026"),
    ],
)
def test_the_date_filter_follows_the_active_language(language, expected, without_weekday):
    with translation.override(language):
        assert format_date(DAY) == expected
        assert render("{{ d|wareki }}", d=DAY) == expected
        assert render('{{ d|wareki:"noweekday" }}', d=DAY) == without_weekday
        # Frozen (JSON) contexts hold ISO strings.
        assert render("{{ d|wareki }}", d="2026-12-01") == expected


def test_japanese_passages_are_marked_lang_ja_on_english_pages_only():
    with translation.override("en"):
        assert (
            render("{{ n|ja }}", n="株式会社<エー>")
            == '<span lang="ja">株式会社&lt;エー&gt;</span>'
        )
        assert render("{{ n|ja }}", n="") == ""
    with translation.override("ja"):
        assert render("{{ n|ja }}", n="株式会社<エー>") == "株式会社&lt;エー&gt;"


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
@pytest.mark.parametrize(
    ("language", "when"),
    [
        ("ja", "日時：令和9年1月6日(水) 14:00〜16:00"),
        ("en", "When: Wed 6 January 2027, 14:00–16:00"),
    ],
)
def test_calendar_file_description_gives_the_date_in_the_registrant_s_language(language, when):
    registration = register(SeminarFactory(), 1)
    Registration.objects.filter(pk=registration.pk).update(language=language)
    registration.refresh_from_db()
    event = next(iter(icalendar.Calendar.from_ical(registration_ics(registration)).walk("VEVENT")))
    assert when in str(event["DESCRIPTION"])
    assert event["DTSTART"].dt == timeline.SEMINAR_STARTS.astimezone(JST)


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_check_in_button_is_an_action_and_present_a_state_in_english(desk_client):
    seminar = SeminarFactory(venue_seats=5)
    register(seminar, 1)
    desk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = desk_client.get(reverse("seminars:checkin", args=[seminar.pk])).content.decode()
    assert ">Check in</button>" in html and 'aria-label="Check in ' in html
    assert ">Present</button>" not in html
    with translation.override("en"):
        assert str(Registration.Status.ATTENDED.label) == "Present"
        assert translation.gettext("事業者") == "Business"
        assert translation.pgettext("plural", "事業者") == "Businesses"


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_english_seminar_page_marks_the_venue_and_lecturer_as_japanese(client):
    seminar = SeminarFactory()
    url = reverse("seminars:detail", args=[seminar.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url).content.decode()
    assert '<span lang="ja">秋葉原庁舎 第1会議室</span>' in html
    assert '<span lang="ja">山田 太郎（中小企業診断士）</span>' in html
    assert "Wed 6 January 2027" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    html = client.get(url).content.decode()
    assert 'lang="ja">秋葉原' not in html and "令和9年1月6日(水)" in html
