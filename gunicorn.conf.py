"""Gunicorn settings for the portal (production and `scripts/run`)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
# gunicorn 27 opens a control socket by default; the portal does not use it.
control_socket_disable = True
# Access logs would carry personal-link paths; Django's own logging redacts them instead.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind the proxy: gunicorn believes the proxy's X-Forwarded-* headers (for the request scheme)
# from exactly the peers Django trusts for the client address (kosha_portal/clientip.py):
# TRUSTED_PROXY_NETWORKS when set; with only TRUSTED_PROXY_COUNT the peer's address is not known in
# advance (docker's gateway), and the port must be reachable through the proxy alone (compose
# publishes it on the host's loopback), so any peer; with neither, the local machine only.
_networks = os.environ.get("TRUSTED_PROXY_NETWORKS", "").strip()
_proxy_count = int(os.environ.get("TRUSTED_PROXY_COUNT", "0") or 0)
forwarded_allow_ips = _networks or ("*" if _proxy_count > 0 else "127.0.0.1,::1")


def post_worker_init(worker):
    """The application is loaded in this worker: import every view module too (the URL
    patterns), then move all that out of the cyclic garbage collector's sight with gc.freeze().
    Those objects live as long as the worker, yet every full collection walked all of them again:
    ≈ 140 ms, on one admin page in twenty on the bench machine, and ≈ 1 ms per intake POST on
    average (issue 17). Objects created by requests are collected as before."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
    gc.freeze()
