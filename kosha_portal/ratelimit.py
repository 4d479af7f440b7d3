"""Sliding-window rate limits kept in the cache (Redis in production and tests).

A limit of N per W seconds refuses a hit when N hits of the same (scope, key) already fall in the
last W seconds, whenever they came: unlike a fixed window, a burst cannot straddle a boundary to
pass 2N. Refused hits are not recorded. The answer says how long to wait until the oldest counted
hit ages out.

The limiter protects the public forms; it must never stop them. When Redis is unreachable it lets
every request through (the cache backend logs the outage once, see kosha_portal.cache)."""

import threading
import uuid
from dataclasses import dataclass
from math import ceil

from django.core.cache import cache
from django.shortcuts import render

from kosha_portal import clock

from .clientip import client_ip, client_rate_key

__all__ = [
    "RateLimitDecision",
    "client_ip",
    "client_rate_key",
    "rate_limit_check",
    "rate_limit_exceeded",
    "rate_limited",
    "too_many_requests",
]


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds until a new hit would be counted (0 when allowed)


_local_lock = threading.Lock()


def _hit_generic(cache_key: str, *, now: float, window: float, limit: int) -> tuple[bool, float]:
    """The same sliding window on any other cache backend (the per-process memory cache of a
    development machine): atomic within the process, which is all such a cache serves."""
    with _local_lock:
        hits = [t for t in (cache.get(cache_key) or []) if t > now - window]
        if len(hits) < limit:
            hits.append(now)
            cache.set(cache_key, hits, timeout=ceil(window) + 1)
            return True, 0.0
        return False, hits[0] + window - now


def rate_limit_check(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
    """Count one hit for (scope, key) unless ``limit`` hits already fall in the last
    ``window_seconds``; fails open when the cache is unreachable."""
    cache_key = f"ratelimit:{scope}:{key}"
    now = clock.now().timestamp()
    hit = getattr(cache, "sliding_window_hit", None)
    if hit is not None:
        result = hit(
            cache_key, now=now, window=window_seconds, limit=limit, member=uuid.uuid4().hex
        )
        if result is None:
            return RateLimitDecision(allowed=True)
        allowed, wait = result
    else:
        allowed, wait = _hit_generic(cache_key, now=now, window=window_seconds, limit=limit)
    if allowed:
        return RateLimitDecision(allowed=True)
    return RateLimitDecision(allowed=False, retry_after=max(1, ceil(wait)))


def rate_limit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """True once the hit is over the limit (see ``rate_limit_check``)."""
    return not rate_limit_check(
        scope=scope, key=key, limit=limit, window_seconds=window_seconds
    ).allowed


def too_many_requests(request, *, retry_after: int = 60):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(request, *, scope: str, limit: int, window_seconds: int):
    """The polite 429 page when this client (its address behind the trusted proxies) is over the
    limit for ``scope``; None when the request may go on."""
    decision = rate_limit_check(
        scope=scope, key=client_rate_key(request), limit=limit, window_seconds=window_seconds
    )
    if decision.allowed:
        return None
    return too_many_requests(request, retry_after=decision.retry_after)
