"""A 説明会's seats hold under concurrent registrations exactly as a seminar's do: the same
registration service and seat lock (seminars.services._lock_seminar), the same threads on real
PostgreSQL (tests/seminars/test_race.py), and the control run that shows the same race overbooking
once the lock is gone."""

import pytest

from seminars import services
from seminars.models import Registration, Seminar
from tests import race, timeline
from tests.seminars.test_race import _race, _unlocked

from .factories import info_session

pytestmark = pytest.mark.time_machine(timeline.NOW)

SEATS = 10
ATTEMPTS = 50


def _session():
    return info_session(format=Seminar.Format.VENUE, venue_seats=SEATS, online_seats=0)


@pytest.mark.django_db(transaction=True)
def test_a_session_with_10_seats_takes_exactly_10_of_50_concurrent_registrations():
    session = _session()
    assert _race(session, workers=ATTEMPTS, attempts=ATTEMPTS) == []
    rows = Registration.objects.filter(seminar=session)
    assert rows.filter(status="confirmed").count() == SEATS
    waiting = rows.filter(status="waiting")
    assert waiting.count() == ATTEMPTS - SEATS
    assert sorted(waiting.values_list("waiting_position", flat=True)) == list(
        range(1, ATTEMPTS - SEATS + 1)
    )


@pytest.mark.django_db(transaction=True)
def test_without_the_seat_lock_the_same_50_registrations_overbook_the_session(monkeypatch):
    """Control: every thread counts the seats before any of them inserts, so all 50 see 10 free
    seats and all 50 are confirmed."""
    race.without_lock(monkeypatch, services, "_lock_seminar", _unlocked)
    race.pause_after(monkeypatch, services, "_seats_taken", parties=ATTEMPTS)
    session = _session()
    assert _race(session, workers=ATTEMPTS, attempts=ATTEMPTS) == []
    assert Registration.objects.filter(seminar=session, status="confirmed").count() == ATTEMPTS
