"""Burst of 1,000 seminar registrations over HTTP against gunicorn on PostgreSQL.

A seminar with 100 venue seats; every attempt uses its own email address and agrees to the
waiting list. Prints confirmed / waiting / errors, throughput and p50/p95 latency of the POSTs.
Exactly 100 must be confirmed. Talks to 127.0.0.1 only and stops its server at the end.

    .venv/bin/python bench/bench_seminar_registration.py [--attempts 1000] [--clients 10]
"""

import argparse
import datetime
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BENCH_DB = os.environ.get("BENCH_DB", "kosha_sem_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/4")
SEATS = 100


def server_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kosha_portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-7d1c0b9a8e6f4d3c2b1a0f9e8d7c6b5a",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": "kosha-sem-bench",
        # Mail goes to the outbox and a queued task, as in production; no worker runs here and
        # the queue is emptied at the end.
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
    }


def prepare_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def create_seminar(env: dict) -> int:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Max
    from django.utils import timezone

    from seminars.models import Seminar

    now = timezone.now()
    number = (Seminar.objects.filter(fiscal_year=2099).aggregate(m=Max("number"))["m"] or 0) + 1
    seminar = Seminar.objects.create(
        fiscal_year=2099,
        number=number,
        part="ベンチマーク",
        title="同時申込ベンチマーク",
        lecturer="bench",
        starts_at=now + datetime.timedelta(days=30),
        ends_at=now + datetime.timedelta(days=30, hours=2),
        format=Seminar.Format.VENUE,
        venue_name="bench",
        venue_seats=SEATS,
        online_seats=0,
        registration_opens_at=now - datetime.timedelta(hours=1),
        registration_closes_at=now + datetime.timedelta(days=20),
        status=Seminar.Status.PUBLISHED,
        published_at=now,
    )
    return seminar.pk


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/seminars/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


FORM = {
    "org_kind": "corporation",
    "org_name": "株式会社ベンチ商店",
    "org_name_kana": "ベンチショウテン",
    "org_corporate_number": "",
    "org_postal_code": "101-0025",
    "org_prefecture": "東京都",
    "org_municipality": "千代田区",
    "org_address": "神田佐久間町1-9",
    "org_phone": "",
    "org_main_business": "小売業",
    "org_industry": "retail",
    "org_capital_yen": "",
    "org_employees": "",
    "name": "山田 花子",
    "name_kana": "ヤマダ ハナコ",
    "department": "総務部",
    "role": "課長",
    "phone": "03-3251-7881",
    "format": "venue",
    "join_waitlist": "on",
    "question": "",
    "heard_from": "kosha_web",
    "consent": "on",
}


class Client:
    """One browser-like client: a CSRF cookie and token fetched once, then POSTs."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        html = response.read().decode()
        cookie = response.getheader("Set-Cookie") or ""
        self.cookie = cookie.split(";", 1)[0]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        conn.close()

    def register(self, n: int) -> tuple[str, float]:
        body = urllib.parse.urlencode(
            {**FORM, "email": f"bench{n}@example.jp", "csrfmiddlewaretoken": self.token}
        )
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        conn.request(
            "POST",
            self.path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
                "Referer": f"http://{HOST}:{self.port}{self.path}",
            },
        )
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        location = response.getheader("Location") or ""
        conn.close()
        if response.status == 302 and "result=confirmed" in location:
            return "confirmed", elapsed
        if response.status == 302 and "result=waiting" in location:
            return "waiting", elapsed
        return f"error {response.status}", elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=5)
    args = parser.parse_args()

    env = server_env()
    prepare_database(env)
    seminar_id = create_seminar(env)
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            str(args.workers),
            "--bind",
            f"{HOST}:{port}",
            "kosha_portal.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(port)
        path = f"/seminars/{seminar_id}/"
        local = threading.local()

        def attempt(n):
            if not hasattr(local, "client"):
                local.client = Client(port, path)
            try:
                return local.client.register(n)
            except OSError as exc:
                return f"error {type(exc).__name__}", 0.0

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(attempt, range(args.attempts)))
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        import redis

        redis.Redis.from_url(BROKER).delete("celery")  # the queued mail tasks of this run

    from seminars.models import Registration

    outcomes = [r for r, _t in results]
    latencies = sorted(t for r, t in results if not r.startswith("error"))
    confirmed_db = Registration.objects.filter(seminar_id=seminar_id, status="confirmed").count()
    waiting_db = Registration.objects.filter(seminar_id=seminar_id, status="waiting").count()
    errors = [r for r in outcomes if r.startswith("error")]
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    print(
        f"seminar registration burst: {args.attempts} attempts, {args.clients} clients, "
        f"gunicorn {args.workers} sync workers, {SEATS} venue seats"
    )
    print(f"confirmed (responses / database): {outcomes.count('confirmed')} / {confirmed_db}")
    print(f"waiting   (responses / database): {outcomes.count('waiting')} / {waiting_db}")
    print(f"errors: {len(errors)} {sorted(set(errors))[:5]}")
    print(f"throughput: {args.attempts / wall:.1f} registrations/s over {wall:.1f} s")
    if latencies:
        print(
            f"latency p50: {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95: {p95 * 1000:.0f} ms, max: {latencies[-1] * 1000:.0f} ms"
        )
    failures = []
    if confirmed_db != SEATS:
        failures.append(f"confirmed {confirmed_db} != {SEATS}")
    if errors:
        failures.append(f"{len(errors)} error responses")
    if not p95 <= 0.300:
        failures.append(f"p95 {p95 * 1000:.0f} ms > 300 ms")
    ok = not failures
    print("RESULT:", "PASS" if ok else "FAIL: " + "; ".join(failures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
