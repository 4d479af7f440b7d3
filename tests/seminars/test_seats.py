"""The waiting list only with the applicant's consent; when the chosen format is full and another
has seats, the form offers the other format or the waiting list and says which it did."""

import re

import pytest
from django.urls import reverse

from kosha_portal.errors import DomainError
from seminars import services
from seminars.models import Registration, Seminar
from tests import timeline

from .factories import SeminarFactory, register
from .test_views import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def _venue_full_online_free():
    seminar = SeminarFactory(venue_seats=1, online_seats=100)
    register(seminar, 9, fmt="venue")
    return seminar


def test_a_registrant_without_waitlist_consent_is_not_put_on_the_list():
    seminar = _venue_full_online_free()
    with pytest.raises(services.SeatsFullError) as refused:
        register(seminar, 1, fmt="venue", join_waitlist=False)
    assert refused.value.alternatives == ["online"]
    assert not Registration.objects.filter(status=Registration.Status.WAITING).exists()
    assert Registration.objects.count() == 1


def test_consent_puts_the_registrant_on_the_chosen_formats_list():
    seminar = _venue_full_online_free()
    waiting = register(seminar, 1, fmt="venue", join_waitlist=True)
    assert (waiting.status, waiting.format, waiting.waiting_position) == ("waiting", "venue", 1)


def test_switching_takes_a_seat_in_the_other_format_and_records_the_wish():
    seminar = _venue_full_online_free()
    switched = services.registration_create(
        seminar_id=seminar.pk,
        participant={**_participant(1), "format": "venue"},
        organisation_data=_org(1),
        join_waitlist=False,
        fallback_format="online",
        actor="test",
    )
    assert (switched.status, switched.format, switched.requested_format) == (
        "confirmed",
        "online",
        "venue",
    )


def test_a_seat_freed_in_the_chosen_format_wins_over_the_switch():
    seminar = SeminarFactory(venue_seats=2, online_seats=5)
    registration = services.registration_create(
        seminar_id=seminar.pk,
        participant={**_participant(1), "format": "venue"},
        organisation_data=_org(1),
        join_waitlist=False,
        fallback_format="online",
        actor="test",
    )
    assert (registration.format, registration.requested_format) == ("venue", "")


def test_a_fallback_that_is_not_offered_is_refused():
    seminar = SeminarFactory(format=Seminar.Format.VENUE, venue_seats=1)
    with pytest.raises(DomainError) as refused:
        services.registration_create(
            seminar_id=seminar.pk,
            participant={**_participant(1), "format": "venue"},
            organisation_data=_org(1),
            join_waitlist=False,
            fallback_format="online",
            actor="test",
        )
    assert refused.value.code == "format"


def test_the_waitlist_box_is_not_ticked_in_advance(client):
    html = client.get(reverse("seminars:detail", args=[SeminarFactory().pk])).content.decode()
    box = re.search(r'<input[^>]*name="join_waitlist"[^>]*>', html).group(0)
    assert "checked" not in box


def _post(client, seminar, **extra):
    data = form_data(1, format="venue", **extra)
    if extra.get("join_waitlist") is None:
        data.pop("join_waitlist")
    return client.post(reverse("seminars:detail", args=[seminar.pk]), data)


def test_full_venue_with_free_online_seats_offers_both_and_puts_nobody_on_the_list(client):
    seminar = _venue_full_online_free()
    response = _post(client, seminar)
    html = response.content.decode()
    assert response.status_code == 200
    assert "「会場で参加」は満席です。「オンラインで参加」には空席があります。" in html
    assert "参加方法を「オンラインで参加」に変更して申し込む（空席があります）" in html
    assert "「会場で参加」のキャンセル待ちに登録する" in html
    assert 'value="株式会社テスト商店"' in html  # what was typed is kept
    assert Registration.objects.count() == 1  # only the one who filled the venue


def test_choosing_the_other_format_confirms_there_and_says_so(client):
    seminar = _venue_full_online_free()
    response = _post(client, seminar, when_full="switch")
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get(email="hanako1@example.jp")
    assert (registration.status, registration.format, registration.requested_format) == (
        "confirmed",
        "online",
        "venue",
    )
    done = client.get(response["Location"]).content.decode()
    assert "「会場で参加」は満席のため、「オンラインで参加」でのご参加が確定しました。" in done


def test_choosing_the_waiting_list_puts_them_on_it_and_says_so(client):
    seminar = _venue_full_online_free()
    response = _post(client, seminar, when_full="waitlist")
    assert response.status_code == 302
    registration = Registration.objects.get(email="hanako1@example.jp")
    assert (registration.status, registration.format) == ("waiting", "venue")
    done = client.get(response["Location"]).content.decode()
    assert "「会場で参加」のキャンセル待ちに登録しました。" in done


def test_consent_given_while_another_format_has_seats_is_asked_first_with_waiting_chosen(client):
    seminar = _venue_full_online_free()
    response = _post(client, seminar, join_waitlist="on")
    html = response.content.decode()
    assert (
        response.status_code == 200
        and not Registration.objects.filter(email="hanako1@example.jp").exists()
    )
    waitlist_radio = re.search(r'<input[^>]*value="waitlist"[^>]*>', html).group(0)
    assert "checked" in waitlist_radio


def test_an_answered_offer_is_kept_when_another_field_needs_correcting(client):
    seminar = _venue_full_online_free()
    response = _post(client, seminar, when_full="switch", name="")
    html = response.content.decode()
    assert response.status_code == 200
    switch_radio = re.search(r'<input[^>]*value="switch"[^>]*>', html).group(0)
    assert "checked" in switch_radio
    assert Registration.objects.count() == 1


def test_both_formats_full_without_consent_asks_to_tick_the_box(client):
    seminar = SeminarFactory(venue_seats=1, online_seats=1)
    register(seminar, 8, fmt="venue")
    register(seminar, 9, fmt="online")
    html = _post(client, seminar).content.decode()
    assert "「満席の場合はキャンセル待ちに登録する」にチェックを入れて" in html
    assert Registration.objects.count() == 2


def _participant(n):
    from .factories import participant

    return participant(n)


def _org(n):
    from .factories import ORG

    return dict(ORG, name=f"株式会社テスト商店{n}")
