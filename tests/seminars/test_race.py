"""Seats hold under concurrent registrations (real PostgreSQL, one connection per thread)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from seminars import services
from seminars.models import Registration

from .factories import SeminarFactory, register

ATTEMPTS = 200
SEATS = 50


def _race(seminar, *, workers=40):
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
        list(pool.map(attempt, range(ATTEMPTS)))
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


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_race_overbooks(monkeypatch):
    """Control: the guard is what keeps the count; without it seats are oversold."""
    monkeypatch.setattr(services, "SEAT_LOCK_ENABLED", False)
    seminar = SeminarFactory(venue_seats=SEATS, online_seats=0, format="venue")
    _race(seminar)
    assert Registration.objects.filter(seminar=seminar, status="confirmed").count() > SEATS
