"""The visit cap under concurrent requests, on real PostgreSQL.

visit_schedule locks every Organisation row of the company (the row and any row with its
法人番号, in pk order) and then the Dispatch row before counting the visits that use the cap, so
concurrent writers for one company queue up and each counts what the previous one committed.
There is deliberately no unique constraint that could stand in for the lock: the cap spans every
dispatch of the company in the program year (or its lifetime), which no single-table constraint
expresses. The control run turns the lock off with the service's test-only switch and shows the
same threads then exceed the cap, so the main test can fail."""

import datetime
import threading

import pytest
from django.db import connection

from dispatch import services
from dispatch.models import Visit
from kosha_portal.errors import DomainError
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
    assert sorted(counted.values_list("number", flat=True)) == [1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_control_without_the_lock_the_cap_is_exceeded(monkeypatch):
    dispatch = _company_with_three_visits()
    # Every thread has counted before any inserts: the window a missing lock leaves open.
    counted = threading.Barrier(THREADS)
    monkeypatch.setattr(services, "_TEST_DISABLE_CAP_LOCK", True)
    monkeypatch.setattr(services, "_TEST_AFTER_COUNT_HOOK", lambda: counted.wait(timeout=30))
    outcomes = _race(dispatch)
    successes = [o for o in outcomes if o[0] == "ok"]
    assert len(successes) > 1
    total = Visit.objects.filter(
        dispatch__organisation=dispatch.organisation, status__in=Visit.COUNTED_STATUSES
    ).count()
    assert total > 4  # the cap is broken without the guard
