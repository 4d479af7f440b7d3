"""The seminar survey: opens when the seminar ends (before that the page says when), refuses
contradictory choices beside the field, and its answers are visible in the admin with averages
per seminar and per program year (年度)."""

import datetime

import pytest
from django.urls import reverse

from kosha_portal.accounts.services import access_link_issue
from kosha_portal.errors import DomainError
from seminars import services
from seminars.models import SurveyResponse
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [pytest.mark.django_db]

ANSWER = {"satisfaction": "5", "usefulness": "4", "intentions": ["manual", "training"]}


def _open(client, registration):
    _link, token = access_link_issue(email=registration.email, target=registration)
    client.get(reverse("accounts:access_link", args=[token]))


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_before_the_seminar_ends_the_page_says_when_the_survey_opens(client):
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    _open(client, registration)
    url = reverse("seminars:survey", args=[registration.pk])
    html = client.get(url).content.decode()
    assert (
        "アンケートは、セミナー終了後（令和9年1月6日(水) 16:00以降）にご回答いただけます。" in html
    )
    assert 'name="satisfaction"' not in html
    assert client.post(url, ANSWER).status_code == 200
    assert not SurveyResponse.objects.exists()
    page = client.get(reverse("seminars:registration", args=[registration.pk])).content.decode()
    assert "セミナー終了後（令和9年1月6日(水) 16:00以降）" in page
    with pytest.raises(DomainError):
        services.survey_submit(
            registration=registration, satisfaction=5, usefulness=5, comment="", actor="t"
        )


@pytest.mark.time_machine(timeline.SEMINAR_ENDS + datetime.timedelta(minutes=1), tick=False)
def test_the_survey_opens_when_the_seminar_ends_even_before_staff_close_it(client):
    seminar = SeminarFactory()
    with_seat = register(seminar, 1, fmt="online", now=timeline.NOW)  # never checked in
    _open(client, with_seat)
    assert seminar.status == "published"
    url = reverse("seminars:survey", args=[with_seat.pk])
    assert 'name="satisfaction"' in client.get(url).content.decode()
    response = client.post(url, {**ANSWER, "comment": "（事例が）参考になりました。"})
    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.satisfaction, answer.usefulness) == (5, 4)
    assert answer.intentions == ["manual", "training"]
    assert answer.comment == "（事例が）参考になりました。"
    assert "すでにご回答いただいています" in client.get(url).content.decode()


@pytest.mark.time_machine(timeline.SEMINAR_ENDS + datetime.timedelta(hours=1), tick=False)
def test_contradictory_choices_are_refused_beside_the_field_and_kept(client):
    seminar = SeminarFactory()
    registration = register(seminar, 1, now=timeline.NOW)
    _open(client, registration)
    url = reverse("seminars:survey", args=[registration.pk])
    response = client.post(
        url, {**ANSWER, "intentions": ["manual", "none"], "comment": "残してください"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "「特になし」は、ほかの項目と一緒には選べません。どちらかをお選びください。" in html
    # beside the field (crispy's feedback for id_intentions), not only in the summary
    beside = html[html.index('id="div_id_intentions"') :]
    assert "どちらかをお選びください" in beside[: beside.index("</fieldset>") + 1000]
    assert "残してください" in html
    assert not SurveyResponse.objects.exists()
    with pytest.raises(DomainError) as refused:
        services.survey_submit(
            registration=registration,
            satisfaction=5,
            usefulness=5,
            intentions=["none", "policy"],
            comment="",
            actor="t",
        )
    assert refused.value.field == "intentions"
    assert client.post(url, {**ANSWER, "intentions": ["none"]}).status_code == 302


@pytest.mark.time_machine(timeline.SEMINAR_ENDS + datetime.timedelta(hours=1), tick=False)
def test_waiting_and_cancelled_seminar_registrants_are_not_asked(client):
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1, now=timeline.NOW)
    waiting = register(seminar, 2, now=timeline.NOW)
    assert services.survey_availability(waiting) == services.SURVEY_NOT_PARTICIPANT
    other = SeminarFactory()
    registration = register(other, 3, now=timeline.NOW)
    services.seminar_cancel(seminar=other, reason="中止", actor="t")
    registration.refresh_from_db()
    assert services.survey_availability(registration) == services.SURVEY_CANCELLED


def _answer(seminar, n, satisfaction, usefulness, intentions=()):
    registration = register(seminar, n, now=seminar.registration_opens_at)
    return services.survey_submit(
        registration=registration,
        satisfaction=satisfaction,
        usefulness=usefulness,
        intentions=list(intentions),
        comment=f"感想{n}",
        actor="t",
        now=seminar.ends_at + datetime.timedelta(hours=1),
    )


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_the_admin_shows_answers_with_averages_per_seminar_and_per_program_year(desk_client):
    base = {"registration_opens_at": timeline.jst(2026, 4, 1), "venue_seats": 10}
    first = SeminarFactory(
        fiscal_year=2026, starts_at=timeline.jst(2026, 9, 10, 14), **base, number=2
    )
    second = SeminarFactory(
        fiscal_year=2026, starts_at=timeline.jst(2026, 11, 12, 14), **base, number=3
    )
    earlier = SeminarFactory(
        fiscal_year=2025,
        starts_at=timeline.jst(2025, 11, 12, 14),
        registration_opens_at=timeline.jst(2025, 4, 1),
        number=3,
    )
    _answer(first, 1, 5, 4, ["manual"])
    _answer(first, 2, 4, 4, ["manual", "training"])
    _answer(second, 3, 3, 2)
    _answer(earlier, 4, 2, 1, ["none"])

    page = desk_client.get(reverse("admin:seminars_surveyresponse_changelist")).content.decode()
    assert "年度ごとの平均" in page and "セミナーごとの平均" in page
    # FY2026: (5+4+3)/3 = 4.00 and (4+4+2)/3 = 3.33; FY2025: 2.00 / 1.00.
    assert "令和8年度</th><td>2</td><td>3</td><td>4.00</td><td>3.33</td>" in page
    assert "令和7年度</th><td>1</td><td>1</td><td>2.00</td><td>1.00</td>" in page
    assert "<td>4.50</td><td>4.00</td>" in page  # the first seminar

    change = desk_client.get(reverse("admin:seminars_seminar_change", args=[first.pk]))
    html = change.content.decode()
    assert "このセミナー</th><td>2</td><td>4.50</td><td>4.00</td>" in html
    assert "令和8年度の全セミナー</th><td>3</td><td>4.00</td><td>3.33</td>" in html
    assert "対応マニュアルの作成・見直し（2件）" in html and "従業員への研修（1件）" in html
    assert "感想1" in html and "感想2" in html and "感想3" not in html
    listing = desk_client.get(reverse("admin:seminars_seminar_changelist")).content.decode()
    assert "4.50" in listing


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_survey_averages_take_the_same_queries_for_one_seminar_or_many(desk_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:seminars_surveyresponse_changelist")
    base = {"registration_opens_at": timeline.jst(2026, 4, 1), "venue_seats": 10}
    seminar = SeminarFactory(starts_at=timeline.jst(2026, 9, 10, 14), **base)
    _answer(seminar, 1, 5, 5)
    with CaptureQueriesContext(connection) as one:
        desk_client.get(url)
    for n in range(2, 6):
        other = SeminarFactory(starts_at=timeline.jst(2026, 9, 10 + n, 14), **base)
        _answer(other, n, 4, 4)
    with CaptureQueriesContext(connection) as many:
        desk_client.get(url)
    assert len(many) == len(one)
