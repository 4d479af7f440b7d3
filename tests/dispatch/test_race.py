"""The visit cap under concurrent requests, on real PostgreSQL.

visit_schedule locks every Organisation row of the company (the row and any row with its
法人番号, in pk order) and then the Dispatch row before counting the visits that use the cap, so
concurrent writers for one company queue up and each counts what the previous one committed.
There is deliberately no unique constraint that could stand in for the lock: the cap spans every
dispatch of the company in the program year (or its lifetime), which no single-table constraint
expresses. The control run replaces the lock function with one that does not lock and lines
every thread up between counting and inserting (tests/race.py): the same threads then exceed the
cap every time, so the main test can fail."""

import datetime
import threading

import pytest
from django.db import connection

from dispatch import services
from dispatch.models import Dispatch, Visit
from dispatch.selectors import dispatch_visits
from kosha_portal.errors import DomainError
from tests import race
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

THREADS = 16


def _company_with_three_visits():
    year = f.program_year(2026)
    organisation = OrganisationFactory()
    dispatch = f.decided_dispatch(year, organisation=organisation, planned=4)
    for day in (10, 11, 12):
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 12, day),
            start_time=None,
            mode="online",
            actor="test",
        )
    return dispatch


def _race(dispatch):
    start = threading.Barrier(THREADS)
    outcomes, lock = [], threading.Lock()

    def attempt(i):
        try:
            start.wait(timeout=30)
            visit = services.visit_schedule(
                dispatch=dispatch,
                date=datetime.date(2026, 12, 14 + i % 5),
                start_time=None,
                mode="online",
                actor=f"t{i}",
            )
            result = ("ok", visit.number)
        except DomainError as exc:
            result = ("refused", exc.message)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            result = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_visits_for_a_company_with_three_exactly_one_succeeds():
    dispatch = _company_with_three_visits()
    outcomes = _race(dispatch)
    assert len(outcomes) == THREADS
    successes = [o for o in outcomes if o[0] == "ok"]
    refusals = [o for o in outcomes if o[0] == "refused"]
    assert successes == [("ok", 4)]
    assert len(refusals) == THREADS - 1
    assert {message for _kind, message in refusals} == {
        "派遣回数の上限（4回）に達しているため、これ以上の日程は登録できません。"
    }
    counted = Visit.objects.filter(
        dispatch__organisation=dispatch.organisation, status__in=Visit.COUNTED_STATUSES
    )
    assert counted.count() == 4
    assert [visit.number for visit in dispatch_visits(dispatch)] == [1, 2, 3, 4]


def _unlocked(dispatch):
    return Dispatch.objects.select_related("organisation", "program_year").get(pk=dispatch.pk)


@pytest.mark.django_db(transaction=True)
def test_control_without_the_lock_the_cap_is_exceeded(monkeypatch):
    dispatch = _company_with_three_visits()
    race.without_lock(monkeypatch, services, "_lock_cap_rows", _unlocked)
    # Every thread has counted the three visits before any inserts: the window a missing lock
    # leaves open, taken by all sixteen.
    race.pause_after(monkeypatch, services, "_visits_using_cap", parties=THREADS)
    outcomes = _race(dispatch)
    assert [kind for kind, _number in outcomes] == ["ok"] * THREADS
    total = Visit.objects.filter(
        dispatch__organisation=dispatch.organisation, status__in=Visit.COUNTED_STATUSES
    ).count()
    assert total == 3 + THREADS  # the cap of 4 is broken without the lock
