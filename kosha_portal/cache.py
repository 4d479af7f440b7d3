"""The Redis cache backend: a cache, never a dependency of saving.

``ResilientRedisCache`` answers every call even while Redis is unreachable: reads miss, writes are
dropped, and the caller carries on (the rate limiter fails open). The first failure of an outage
is logged once, as is the recovery; in between, a short circuit breaker skips Redis altogether so
that a hung server does not cost every request a socket timeout. Nothing that must survive lives
here: sessions are in the database, mail in the outbox.

It also reuses its client objects: Django's RedisCacheClient builds a new ``redis.Redis`` (and its
table of response callbacks) for every cache call; on the public forms that was several per
request. The connection pools were already shared, so one client per pool is safe."""

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long after a failure the cache is not even tried (seconds); then one request probes it.
# The cache's "RETRY_AFTER_FAILURE" parameter (CACHES in settings) overrides it.
RETRY_AFTER_FAILURE_SECONDS = 5.0

_UNAVAILABLE = (RedisError, OSError)


class CacheOutage:
    """Whether one Redis server is known to be down, shared by the threads of a process."""

    def __init__(self, name: str, retry_after_failure: float = RETRY_AFTER_FAILURE_SECONDS):
        self.name = name
        self.retry_after_failure = retry_after_failure
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._retry_at = 0.0
        self.failures = 0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def should_skip(self) -> bool:
        return self.down_since is not None and time.monotonic() < self._retry_at

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            self.failures += 1
            self._retry_at = now + self.retry_after_failure
            if self.down_since is not None:
                return
            self.down_since = now
        logger.warning(
            "Cache %s unreachable (%s): rate limits are not enforced and cached values are "
            "recomputed until it answers again.",
            self.name,
            type(exc).__name__,
        )

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            lasted, failures = time.monotonic() - self.down_since, self.failures
            self.down_since, self.failures = None, 0
        logger.warning(
            "Cache %s reachable again after %.0f s (%d failed calls); rate limits are enforced.",
            self.name,
            lasted,
            failures,
        )

    def reset(self) -> None:
        with self._lock:
            self.down_since, self._retry_at, self.failures = None, 0.0, 0


_outages: dict[str, CacheOutage] = {}
_outages_lock = threading.Lock()


def outage_for(name: str, retry_after_failure: float = RETRY_AFTER_FAILURE_SECONDS) -> CacheOutage:
    with _outages_lock:
        outage = _outages.get(name)
        if outage is None:
            outage = _outages[name] = CacheOutage(name, retry_after_failure)
        outage.retry_after_failure = retry_after_failure
        return outage


def _server_name(server) -> str:
    """host:port/db of the first server, without credentials (log lines must not carry them)."""
    first = (server if isinstance(server, str) else ",".join(server)).split(",")[0]
    parsed = urlsplit(first)
    return f"{parsed.hostname}:{parsed.port or 6379}{parsed.path}"


def reset_outages() -> None:
    """Forget every known outage (tests that stop and start a private redis-server)."""
    with _outages_lock:
        for outage in _outages.values():
            outage.reset()


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


# A sliding-window log per key: the hits of the last ``window`` seconds in a sorted set. One round
# trip, atomic across processes. "now" comes from the caller (the portal's clock), never from
# Redis, so tests can freeze it and a server with another clock changes nothing.
_SLIDING_WINDOW_LUA = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, math.ceil((tonumber(oldest[2]) + window - now) * 1000)}
"""


class ResilientRedisCache(ReusingRedisCache):
    """A Redis cache whose every operation fails soft (see the module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.outage = outage_for(
            _server_name(server),
            float(params.get("RETRY_AFTER_FAILURE", RETRY_AFTER_FAILURE_SECONDS)),
        )
        self._script = None

    def _soft(self, default, operation, *args, **kwargs):
        if self.outage.should_skip():
            return default
        try:
            result = operation(*args, **kwargs)
        except _UNAVAILABLE as exc:
            self.outage.failed(exc)
            return default
        self.outage.succeeded()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._soft(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._soft(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._soft(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._soft({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._soft(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # A counter that cannot be read counts from zero: callers fail open.
        return self._soft(delta, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self._soft(None, super().delete_many, keys, version)

    def clear(self):
        return self._soft(False, super().clear)

    def sliding_window_hit(
        self, key: str, *, now: float, window: float, limit: int, member: str
    ) -> tuple[bool, float] | None:
        """Record one hit unless ``limit`` hits already fall in the last ``window`` seconds.

        Returns (allowed, seconds until the next hit would be allowed), or None when Redis is
        unreachable (the caller decides; the rate limiter lets the request through)."""

        def run():
            client = self._cache.get_client(write=True)
            if self._script is None:
                self._script = client.register_script(_SLIDING_WINDOW_LUA)
            allowed, wait_ms = self._script(
                keys=[self.make_and_validate_key(key)],
                args=[repr(now), repr(window), limit, member],
                client=client,
            )
            return bool(allowed), int(wait_ms) / 1000

        return self._soft(None, run)
