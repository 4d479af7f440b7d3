"""Fixed-window rate limits kept in the cache (Redis in production and tests)."""

import time

from django.core.cache import cache
from django.shortcuts import render


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit for (scope, key) in the current window; True once the count passes ``limit``."""
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    # One round trip in the common case (the counter exists); created on the window's first hit.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        count = 1 if cache.add(cache_key, 1, timeout=window_seconds + 5) else cache.incr(cache_key)
    return count > limit


def too_many_requests(request, *, retry_after: int = 60):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
