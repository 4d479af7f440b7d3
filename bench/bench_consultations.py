"""Consultation desk benchmarks against gunicorn (5 workers) on PostgreSQL.

1. The public intake form POST at 20 concurrent clients: throughput, p50/p95 (target
   ≥ 300 req/s, p95 ≤ 100 ms on the 2-core machine).
2. The admin triage changelist with 100,000 consultations: p95 and query count (target
   p95 ≤ 150 ms).

Creates and migrates its own database, talks to 127.0.0.1 only, stops its server at the end.

    .venv/bin/python bench/bench_consultations.py [--seconds 15] [--clients 20] [--rows 100000]
"""

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BENCH_DB = os.environ.get("BENCH_DB", "kosha_cons_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/10")
ADMIN_PASSWORD = "bench-admin-password-2026"  # noqa: S105 - throwaway bench database


def server_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kosha_portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": "kosha-cons-bench",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Relaxed for load generation from one address; the defaults are 5/min and 3 s.
        "CONSULTATION_RATE_LIMIT": "100000000",
        "CONSULTATION_MIN_FILL_SECONDS": "0",
        "AXES_FAILURE_LIMIT": "1000",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",
    }


def prepare_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "5",
            "--bind",
            f"{HOST}:{port}",
            "kosha_portal.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def cookies_of(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def intake_body(i: int, csrf: str, started: str) -> str:
    fields = [
        ("csrfmiddlewaretoken", csrf),
        ("started", started),
        ("website", ""),
        ("org_kind", "corporation"),
        ("org_name", f"株式会社ベンチ商店{i % 500}"),
        ("org_name_kana", "ベンチショウテン"),
        ("org_corporate_number", ""),
        ("org_postal_code", "１０１－００２５"),
        ("org_prefecture", "東京都"),
        ("org_municipality", "千代田区"),
        ("org_address", "神田佐久間町1-9"),
        ("org_phone", "03-3251-7881"),
        ("org_main_business", "小売"),
        ("org_industry", "retail"),
        ("org_capital_yen", ""),
        ("org_employees", "10"),
        ("contact_name", "山田 太郎"),
        ("contact_kana", "ヤマダ タロウ"),
        ("contact_department", ""),
        ("contact_role", ""),
        ("contact_email", f"bench{i}@example.jp"),
        ("contact_phone", ""),
        ("contact_way", "email"),
        ("contact_time", "any"),
        ("places", "shop"),
        ("behaviour_types", "repeat"),
        ("requested_support", "advice"),
        ("description", "長時間のクレームが繰り返されています。"),
        ("privacy_consent", "on"),
    ]
    return urllib.parse.urlencode(fields)


def bench_intake(port: int, seconds: float, clients: int) -> None:
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(10**9))
    deadline = [0.0]

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        jar = {}
        conn.request("GET", "/consultations/new/")
        response = conn.getresponse()
        html = response.read().decode()
        cookies_of(response, jar)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        started = re.search(r'name="started" value="([^"]+)"', html).group(1)
        ready.wait()
        while time.perf_counter() < deadline[0]:
            i = next(counter)
            body = intake_body(i, csrf, started)
            t0 = time.perf_counter()
            conn.request(
                "POST",
                "/consultations/new/",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie_header(jar),
                    "Referer": f"http://{HOST}:{port}/",
                },
            )
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    ready = threading.Event()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    start = time.perf_counter()
    deadline[0] = start + seconds
    ready.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(
        f"intake POST: {len(latencies)} requests in {wall:.1f}s with {clients} clients "
        f"→ {len(latencies) / wall:.0f} req/s; p50 {p(0.50):.1f} ms, p95 {p(0.95):.1f} ms; "
        f"statuses {statuses}",
        flush=True,
    )
    if set(statuses) != {302}:
        print("  WARNING: not every POST was accepted (302)", flush=True)


def seed_consultations(env: dict, rows: int) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    User = get_user_model()
    if not User.objects.filter(username="bench-admin").exists():
        User.objects.create_superuser("bench-admin", "bench-admin@example.jp", ADMIN_PASSWORD)
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO companies_organisation (created_at, updated_at, kind, name, name_kana,
                name_key, corporate_number, representative, postal_code, prefecture,
                prefecture_code, municipality, address, phone, email, main_business, industry)
            SELECT now(), now(), 'corporation', '株式会社一括' || g, 'イッカツ' || g,
                   '一括' || g, '', '', '101-0025', '東京都', '13',
                   (ARRAY['千代田区','中央区','港区','新宿区','墨田区','八王子市'])[1 + g % 6],
                   '1-1', '', '', '小売', 'retail'
            FROM generate_series(1, 5000) g""")
        cursor.execute(
            "SELECT min(id) FROM companies_organisation WHERE name LIKE '株式会社一括%%'"
        )
        first_org = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO consultations_consultation (reference, fiscal_year, sequence,
                organisation_id, channel, status, received_at, reply_by, contact_name,
                contact_kana, contact_department, contact_role, contact_email, contact_phone,
                contact_way, contact_time, places, behaviour_types, damages, measures,
                requested_support, description, privacy_notice_version,
                demand_reasonableness, means_acceptability, dispatch_need_reason, language)
            SELECT '2020-' || lpad(g::text, 6, '0'), 2020, g, %s + (g %% 5000),
                   (ARRAY['web','phone','visit','email'])[1 + g %% 4],
                   (ARRAY['new','in_progress','answered','closed','withdrawn'])[1 + g %% 5],
                   timestamp '2020-04-01' + (g || ' minutes')::interval,
                   date '2020-04-02' + (g / 1440), '山田 太郎', 'ヤマダ タロウ', '', '',
                   'bulk' || g || '@example.jp', '', 'email', 'any', '["shop"]'::jsonb,
                   '["repeat"]'::jsonb, '[]'::jsonb, '[]'::jsonb, '["advice"]'::jsonb,
                   '繰り返しのクレーム', '2026-04', '', '', '', 'ja'
            FROM generate_series(1, %s) g""",
            [first_org, rows],
        )
        cursor.execute("ANALYZE")


def login_admin(port: int) -> dict:
    jar = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/admin/login/")
    response = conn.getresponse()
    html = response.read().decode()
    cookies_of(response, jar)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "username": "bench-admin",
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        }
    )
    conn.request(
        "POST",
        "/admin/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
            "Referer": f"http://{HOST}:{port}/admin/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies_of(response, jar)
    if response.status != 302:
        raise SystemExit(f"admin login failed: {response.status}")
    return jar


def bench_changelist(port: int, rows: int, requests: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    urls = [
        "/admin/consultations/consultation/",
        "/admin/consultations/consultation/?status__exact=new&overdue=yes",
        "/admin/consultations/consultation/?q=" + urllib.parse.quote("イッカツ12"),
    ]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url, HTTP_HOST=HOST).status_code
        print(
            f"changelist {url}: {len(ctx.captured_queries)} queries (status {status})", flush=True
        )
    jar = login_admin(port)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    for url in urls:
        latencies = []
        for i in range(requests + 3):
            t0 = time.perf_counter()
            conn.request("GET", url, headers={"Cookie": cookie_header(jar)})
            response = conn.getresponse()
            response.read()
            if i >= 3:  # warm-up
                latencies.append(time.perf_counter() - t0)
            assert response.status == 200, response.status
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
        print(
            f"changelist {url} with {rows:,} consultations: p50 "
            f"{statistics.median(latencies) * 1000:.1f} ms, p95 {p95:.1f} ms "
            f"({requests} sequential requests)",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    env = server_env()
    prepare_database(env)
    port = free_port()
    server = start_server(env, port)
    try:
        bench_intake(port, args.seconds, args.clients)
        seed_consultations(env, args.rows)
        bench_changelist(port, args.rows, args.requests)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        import redis

        redis.Redis.from_url(BROKER).flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
