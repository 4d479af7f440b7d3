"""Seats hold under concurrent registrations (real PostgreSQL, one connection per thread); the
control run shows that without the seminar lock the same race oversells every time."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from seminars import services
from seminars.models import Registration, Seminar
from tests import race, timeline

from .factories import SeminarFactory, register

# Registration is open on this day (the factory's window).
pytestmark = pytest.mark.time_machine(timeline.NOW)

ATTEMPTS = 200
SEATS = 50


WORKERS = 40


def _race(seminar, *, workers=WORKERS, attempts=ATTEMPTS):
    """``attempts`` registrations from ``workers`` threads, the first wave started together; the
    school's 説明会 race (tests/school/test_info_session_race.py) runs the same."""
    barrier = threading.Barrier(workers)
    errors = []

    def attempt(n):
        try:
            if n < workers:
                barrier.wait(timeout=30)  # the first wave starts together
            register(seminar, n)
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(attempt, range(attempts)))
    return errors


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_registrations_for_50_seats():
    seminar = SeminarFactory(venue_seats=SEATS, online_seats=0, format="venue")
    errors = _race(seminar)
    assert errors == []
    rows = Registration.objects.filter(seminar=seminar)
    assert rows.filter(status="confirmed").count() == SEATS
    waiting = rows.filter(status="waiting")
    assert waiting.count() == ATTEMPTS - SEATS
    assert sorted(waiting.values_list("waiting_position", flat=True)) == list(
        range(1, ATTEMPTS - SEATS + 1)
    )


def _unlocked(seminar_id):
    return Seminar.objects.get(pk=seminar_id)


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_race_overbooks(monkeypatch):
    """Control: the lock is what keeps the count; without it seats are oversold."""
    race.without_lock(monkeypatch, services, "_lock_seminar", _unlocked)
    # Each wave of 40 counts the seats before any of them inserts: the first wave sees 50 free
    # seats, the second still sees at least 10, so at least 80 are confirmed.
    race.pause_after(monkeypatch, services, "_seats_taken", parties=WORKERS)
    seminar = SeminarFactory(venue_seats=SEATS, online_seats=0, format="venue")
    errors = _race(seminar)
    assert errors == []
    assert Registration.objects.filter(seminar=seminar, status="confirmed").count() >= 2 * WORKERS
