"""Deterministic control runs for the concurrency tests.

A limit enforced under a lock (the visit cap, seminar seats) is proven twice: the real run shows
the limit holds with many threads, and a control run shows that the same threads break it once
the lock is gone, so the real run can fail. The control replaces the service's named lock
function with one that does not lock (``without_lock``) and makes every thread wait, after it has
counted and before it inserts, until the others have counted too (``pause_after``): the window a
missing lock leaves open is then taken every time, not by chance."""

import functools
import threading

BARRIER_TIMEOUT = 30


def without_lock(monkeypatch, module, name: str, unlocked) -> None:
    """Replace ``module.name`` (the service's lock function) by ``unlocked``, which reads the same
    row without taking the lock."""
    assert callable(getattr(module, name)), f"{module.__name__}.{name} is not a function"
    monkeypatch.setattr(module, name, unlocked)


def pause_after(monkeypatch, module, name: str, *, parties: int) -> threading.Barrier:
    """Wrap ``module.name`` (the service's count) so that each call returns only once ``parties``
    calls have counted. The barrier is cyclic: with more calls than parties, each wave of
    ``parties`` threads counts before any of them writes."""
    barrier = threading.Barrier(parties)
    counted = getattr(module, name)

    @functools.wraps(counted)
    def count_then_wait(*args, **kwargs):
        result = counted(*args, **kwargs)
        barrier.wait(timeout=BARRIER_TIMEOUT)
        return result

    monkeypatch.setattr(module, name, count_then_wait)
    return barrier
