"""The sliding-window rate limiter: N per W seconds, whenever the hits come; a burst cannot straddle
a window boundary. On Redis (the Lua script) and on the per-process memory cache alike."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from kosha_portal.ratelimit import rate_limit_check

JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture(params=["redis", "locmem"])
def limiter_cache(request, settings):
    """The suite's Redis cache, or the memory cache a development machine runs on."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        cache.clear()  # memory caches of one LOCATION share their store across instances
    return request.param


def hit(scope="test", key="198.51.100.1", limit=5, window=60):
    return rate_limit_check(scope=scope, key=key, limit=limit, window_seconds=window)


def test_a_burst_cannot_straddle_a_minute_boundary(limiter_cache, time_machine):
    # Five at the end of one clock minute...
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, 0, 59, 500000, tzinfo=JST), tick=False)
    assert all(hit().allowed for _ in range(5))
    # ...and one a second later, in the next: a fixed window would have started counting afresh.
    time_machine.shift(1)
    refused = hit()
    assert not refused.allowed
    assert refused.retry_after == 59
    # A minute after the burst, the limit has room again, for as many as aged out.
    time_machine.shift(59)
    assert hit().allowed
    assert [hit().allowed for _ in range(5)] == [True, True, True, True, False]


def test_hits_spread_over_the_window_are_counted_until_they_age_out(limiter_cache, time_machine):
    time_machine.move_to(datetime.datetime(2031, 4, 1, 9, 0, tzinfo=JST), tick=False)
    for _ in range(3):
        assert hit(limit=3, window=600).allowed
        time_machine.shift(200)
    # t=600: the first hit (t=0) has just aged out; the ones at 200 and 400 still count.
    assert hit(limit=3, window=600).allowed
    refused = hit(limit=3, window=600)
    assert not refused.allowed and refused.retry_after == 200


def test_refused_hits_are_not_counted(limiter_cache, time_machine):
    time_machine.move_to(datetime.datetime(2027, 3, 1, 10, 0, tzinfo=JST), tick=False)
    assert hit(limit=1, window=60).allowed
    for _ in range(20):
        time_machine.shift(1)
        assert not hit(limit=1, window=60).allowed
    time_machine.shift(40)  # 60 seconds after the one counted hit
    assert hit(limit=1, window=60).allowed


def test_scopes_and_keys_are_counted_apart(limiter_cache, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=JST), tick=False)
    assert hit(limit=1).allowed
    assert not hit(limit=1).allowed
    assert hit(scope="other", limit=1).allowed
    assert hit(key="198.51.100.2", limit=1).allowed
