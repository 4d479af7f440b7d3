"""Consultation desk benchmarks against gunicorn (5 workers) on PostgreSQL.

1. The public intake form POST side by side with a bare Django form (bench/bare_django: one
   model, three fields, CSRF, one INSERT, a redirect), both served by gunicorn with the same
   settings (gunicorn.conf.py, 5 sync workers, no control socket) and driven by the same client
   (wrk with a Lua script, bench/loadgen.py) at 20 connections, in interleaved rounds: successful
   POSTs/s, p50/p95, CPU per successful POST (the workers' and their PostgreSQL backends' CPU
   time), SQL statements per POST, and the ratio portal/bare (target ≤ 6×, ≤ 9 statements).
2. The admin triage changelist with 100,000 consultations: p50/p95 and query count, unfiltered,
   filtered and text search (targets p95 ≤ 60, 60 and 100 ms).

Creates and migrates its own databases (BENCH_DB and BENCH_DB_bare), talks to 127.0.0.1 only,
stops its servers at the end. The intake's server has a high rate limit (one client address
sends everything); its signed minimum fill time is kept (1 s) and waited out by the client.

    BENCH_DB=kosha_x_bench BENCH_REDIS=redis://127.0.0.1:PORT/9 BENCH_BROKER=redis://127.0.0.1:PORT/10 \
      .venv/bin/python bench/bench_consultations.py [--seconds 10] [--rounds 3] [--clients 20]
"""

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402

HOST = "127.0.0.1"
BENCH_DB = os.environ.get("BENCH_DB", "kosha_cons_bench")
BARE_DB = BENCH_DB + "_bare"
# The intake's minimum fill time is kept (the defaults are 3 s and 5 per minute): each client
# loads the form, waits this long, then posts; only the rate limit is raised for one address.
MIN_FILL_SECONDS = 1
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
        # Raised for load generation from one address (the default is 5 a minute); the signed
        # minimum fill time is kept, at MIN_FILL_SECONDS, and waited out by the client.
        "CONSULTATION_RATE_LIMIT": "100000000",
        "CONSULTATION_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
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


def cookies_of(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def intake_fields(n: str, shop: str) -> list[tuple[str, str]]:
    """A complete intake submission; ``n`` makes its address its own, ``shop`` names the
    company (the load cycles through 500 of them: the first submissions create the rows, later
    ones find them, as returning companies do)."""
    return [
        ("org_kind", "corporation"),
        ("org_name", f"株式会社ベンチ商店{shop}"),
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
        ("contact_email", f"bench{n}@example.jp"),
        ("contact_phone", ""),
        ("contact_way", "email"),
        ("contact_time", "any"),
        ("places", "shop"),
        ("behaviour_types", "repeat"),
        ("requested_support", "advice"),
        ("description", "長時間のクレームが繰り返されています。"),
        ("privacy_consent", "on"),
    ]


def intake_body(hidden: dict) -> str:
    return loadgen.urlencoded(
        [
            ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
            ("started", hidden["started"]),
            ("website", ""),
            *intake_fields("@N@", "@M@"),
        ]
    )


def bare_fields(n: str) -> list[tuple[str, str]]:
    return [
        ("name", "山田 太郎"),
        ("email", f"bench{n}@example.jp"),
        ("message", "長時間のクレームが繰り返されています。"),
    ]


def bare_body(hidden: dict) -> str:
    return loadgen.urlencoded(
        [("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]), *bare_fields("@N@")]
    )


def bare_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bare_django.settings",
        "DATABASE_URL": f"{PG}/{BARE_DB}",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",
        "PYTHONPATH": str(ROOT),
    }


def prepare_bare_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BARE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BARE_DB}"')
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def uptime() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3]


def bench_intake_vs_bare(portal_env: dict, portal_port: int, portal, args) -> None:
    """The intake and the bare form side by side: same gunicorn settings, same client, same
    concurrency, interleaved rounds (the order alternates), CPU per successful POST."""
    env = bare_env()
    prepare_bare_database(env)
    bare_port = loadgen.free_port()
    bare = loadgen.start_gunicorn(env, bare_port, "bench.bare_django.wsgi:application", "/new/")
    try:
        targets = [
            loadgen.Target(
                "portal intake",
                portal_port,
                portal,
                BENCH_DB,
                "consultations_consultation",
                "/consultations/new/",
                intake_body,
                fill_seconds=MIN_FILL_SECONDS + 0.2,
            ),
            loadgen.Target(
                "bare Django form",
                bare_port,
                bare,
                BARE_DB,
                "bare_django_enquiry",
                "/new/",
                bare_body,
            ),
        ]
        # Warm-up post, then a returning company (the load's usual case) and a new one.
        warm, returning, new = loadgen.sql_per_post(
            portal_env,
            "/consultations/new/",
            [
                dict(intake_fields("sql-warm", "sql-1")),
                dict(intake_fields("sql-returning", "sql-1")),
                dict(intake_fields("sql-new", "sql-2")),
            ],
            wait_seconds=MIN_FILL_SECONDS + 0.2,
        )
        _warm, bare_sql = loadgen.sql_per_post(
            env, "/new/", [dict(bare_fields("sql-warm")), dict(bare_fields("sql-count"))]
        )
        sql = {targets[0].name: returning, targets[1].name: bare_sql}
        print(
            f"intake SQL statements (without BEGIN/COMMIT/SAVEPOINT/RELEASE): returning company "
            f"{len(loadgen.work_statements(returning))} (of {len(returning)}), new company "
            f"{len(loadgen.work_statements(new))} (of {len(new)}); bare form "
            f"{len(loadgen.work_statements(bare_sql))} (of {len(bare_sql)})",
            flush=True,
        )
        for target in targets:  # warm-up: workers import, connect, fill their caches
            loadgen.measure(target, pg_url=PG, seconds=2, clients=args.clients)
            target.results.clear()
        loads = [uptime()]
        for round_ in range(args.rounds):
            for target in targets if round_ % 2 == 0 else targets[::-1]:
                r = loadgen.measure(target, pg_url=PG, seconds=args.seconds, clients=args.clients)
                print(
                    f"round {round_ + 1} {target.name}: {r.ok} × 302 ({r.other} other, "
                    f"{r.errors} socket errors, {r.rows} rows) in {r.seconds:.1f}s → "
                    f"{r.rate:.0f}/s, p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms, "
                    f"CPU {r.cpu_per_post_ms:.2f} ms/POST",
                    flush=True,
                )
                if not r.plausible(args.clients):
                    print(
                        f"  WARNING: {r.other} responses were not 302, rows created {r.rows} vs "
                        f"{r.ok} 302s (+ at most {args.clients} in flight at the deadline)",
                        flush=True,
                    )
            loads.append(uptime())
        print(f"\nload average (1/5/15 min) before and after each round: {loads}")
        print(
            "\n| target | successful POSTs/s | p50 / p95 | CPU per POST (workers + their "
            "PostgreSQL backends) | SQL statements per POST |\n|---|---|---|---|---|"
        )
        summary = {}
        for target in targets:
            ok = sum(r.ok for r in target.results)
            seconds = sum(r.seconds for r in target.results)
            cpu = sum(r.cpu_ms for r in target.results) / sum(r.rows for r in target.results)
            summary[target.name] = cpu
            print(
                f"| {target.name} | {ok / seconds:.0f} | "
                f"{statistics.median(r.p50_ms for r in target.results):.1f} / "
                f"{statistics.median(r.p95_ms for r in target.results):.1f} ms | "
                f"{cpu:.2f} ms | {len(loadgen.work_statements(sql[target.name]))} |"
            )
        ratio = summary[targets[0].name] / summary[targets[1].name]
        print(
            f"\nCPU per POST portal/bare: {ratio:.1f}× (target ≤ 6×); SQL statements per intake "
            f"POST: {len(loadgen.work_statements(returning))} returning, "
            f"{len(loadgen.work_statements(new))} new company (target ≤ 9)",
            flush=True,
        )
        if args.verbose:
            for label, statements in (("returning", returning), ("new", new)):
                print(f"intake SQL, {label} company:")
                for statement in statements:
                    print("  ", statement[:160])
    finally:
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(timeout=30)


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
                prefecture_code, municipality, address, phone, email, main_business, industry,
                duplicate_basis)
            SELECT now(), now(), 'corporation', '株式会社一括' || g, 'イッカツ' || g,
                   '一括' || g, '', '', '101-0025', '東京都', '13',
                   (ARRAY['千代田区','中央区','港区','新宿区','墨田区','八王子市'])[1 + g % 6],
                   '1-1', '', '', '小売', 'retail', ''
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
                demand_reasonableness, means_acceptability, dispatch_need_reason, language,
                dispatch_need_override_note)
            SELECT '2020-' || lpad(g::text, 6, '0'), 2020, g, %s + (g %% 5000),
                   (ARRAY['web','phone','visit','email'])[1 + g %% 4],
                   (ARRAY['new','in_progress','answered','closed','withdrawn'])[1 + g %% 5],
                   timestamp '2020-04-01' + (g || ' minutes')::interval,
                   date '2020-04-02' + (g / 1440), '山田 太郎', 'ヤマダ タロウ', '', '',
                   'bulk' || g || '@example.jp', '', 'email', 'any', '["shop"]'::jsonb,
                   '["repeat"]'::jsonb, '[]'::jsonb, '[]'::jsonb, '["advice"]'::jsonb,
                   '繰り返しのクレーム', '2026-04', '', '', '', 'ja', ''
            FROM generate_series(1, %s) g""",
            [first_org, rows],
        )
        # As autovacuum would after a load: statistics, and the GIN indexes' pending lists
        # merged (a bulk load leaves them there, and the planner then prices the trigram
        # indexes out of the search).
        cursor.execute("VACUUM ANALYZE")


def verified_admin_client():
    """An in-process client logged in as bench-admin whose session has passed the second factor
    (a confirmed authenticator device, as tests/otp.py does); sessions live in the database, so
    its cookie also works against the gunicorn server."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username="bench-admin")
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, {settings.SESSION_COOKIE_NAME: session.session_key}


def args_verbose() -> bool:
    return "--verbose" in sys.argv


def bench_changelist(port: int, rows: int, requests: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = [
        "/admin/consultations/consultation/",
        "/admin/consultations/consultation/?status__exact=new&overdue=yes",
        "/admin/consultations/consultation/?q=" + urllib.parse.quote("イッカツ12"),
    ]
    client, jar = verified_admin_client()
    for url in urls:
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        print(
            f"changelist {url}: {len(ctx.captured_queries)} queries (status {status})", flush=True
        )
        if "q=" in url:  # the search must be served by the trigram indexes
            statement = next(
                q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and "LIMIT" in q["sql"]
            )
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + statement)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            used = sorted(set(re.findall(r"(\w+_trgm)", plan)))
            print(f"  search plan uses: {', '.join(used) or 'NO trigram index'}", flush=True)
            if args_verbose():
                print(plan)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    for url in urls:
        latencies = []
        # Warm-up: gunicorn's sync workers close every connection, so requests land on any of
        # the 5 workers; each must have compiled the page's templates and filled its caches.
        warm_up = 25
        for i in range(requests + warm_up):
            t0 = time.perf_counter()
            conn.request("GET", url, headers={"Cookie": cookie_header(jar)})
            response = conn.getresponse()
            response.read()
            if i >= warm_up:
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
    parser.add_argument("--seconds", type=float, default=10, help="per round and target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--skip-changelist", action="store_true")
    parser.add_argument("--skip-intake", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print the intake's SQL")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    env = server_env()
    prepare_database(env)
    port = loadgen.free_port()
    server = loadgen.start_gunicorn(env, port, "kosha_portal.wsgi:application", "/healthz")
    try:
        if not args.skip_intake:
            bench_intake_vs_bare(env, port, server, args)
        if not args.skip_changelist:
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
