"""The intake's cost in one process, statement by statement.

Calls the portal's WSGI handler directly (no gunicorn, no load generator) for a warm-up and then
``--posts`` intake POSTs on one database connection, and prints per POST: the process's CPU
time, its PostgreSQL backend's CPU time (``/proc/<pid>/schedstat``, nanoseconds), and the
backend's CPU spent in each statement (read before and after each one). Without the noise of
twenty clients on two cores this shows what a change to the statements saves; the side-by-side
figures that the issue's targets refer to come from bench_consultations.py.

    BENCH_DB=kosha_intake_statements .venv/bin/python bench/intake_statements.py [--posts 1500]
"""

import argparse
import collections
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_consultations as consultations  # noqa: E402

DATABASE = os.environ.get("BENCH_DB", "kosha_intake_statements")
WARM_UP = 50


def prepare_environment() -> None:
    import psycopg

    env = consultations.server_env()
    env["DATABASE_URL"] = f"{consultations.PG}/{DATABASE}"
    env["CACHE_KEY_PREFIX"] = "kosha-intake-statements"
    os.environ.update(env)
    with psycopg.connect(f"{consultations.PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def wsgi_call(application, method: str, path: str, body: bytes = b"", cookie: str = ""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": consultations.HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": consultations.HOST,
        "HTTP_COOKIE": cookie,
        "HTTP_USER_AGENT": "bench/intake_statements",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    chunks = application(environ, start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1500)
    args = parser.parse_args()
    prepare_environment()

    import django

    django.setup()
    from django.db import connection

    from kosha_portal.wsgi import application

    status, headers, page = wsgi_call(application, "GET", "/consultations/new/")
    jar = dict(
        value.split(";", 1)[0].split("=", 1) for name, value in headers if name == "Set-Cookie"
    )
    cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode()))
    time.sleep(consultations.MIN_FILL_SECONDS + 0.2)
    body = consultations.intake_body(hidden)

    def post(n: int) -> None:
        data = body.replace("@N@", f"s{n}").replace("@M@", str(n % 500)).encode()
        status, _headers, content = wsgi_call(
            application, "POST", "/consultations/new/", data, cookie
        )
        if not status.startswith("302"):
            raise SystemExit(f"an intake POST answered {status}:\n{content[:2000]!r}")

    for n in range(WARM_UP):
        post(n)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()

    def backend_ns() -> int:
        return int(Path(f"/proc/{backend}/schedstat").read_text().split()[0])

    statements = collections.defaultdict(lambda: [0, 0])

    def measured(execute, sql, params, many, context):
        before = backend_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            figures = statements[" ".join(sql.split())[:70]]
            figures[0] += backend_ns() - before
            figures[1] += 1

    posts = args.posts
    with connection.execute_wrapper(measured):
        backend_before, cpu_before = backend_ns(), time.process_time()
        for n in range(WARM_UP, WARM_UP + posts):
            post(n)
        cpu_after, backend_after = time.process_time(), backend_ns()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        if cursor.fetchone()[0] != backend:
            raise SystemExit("the connection was replaced during the run: run it again")

    print(f"{posts} intake POSTs in one process, one connection (after {WARM_UP} warm-up POSTs)")
    print(f"worker CPU per POST: {(cpu_after - cpu_before) / posts * 1000:.2f} ms")
    total = (backend_after - backend_before) / posts / 1000
    print(f"PostgreSQL backend CPU per POST: {total / 1000:.2f} ms")
    print("\n| backend CPU per POST | runs per POST | statement |\n|---|---|---|")
    inside = 0.0
    for sql, (ns, runs) in sorted(statements.items(), key=lambda item: -item[1][0]):
        per_post = ns / posts / 1000
        inside += per_post
        if runs >= posts / 10:
            print(f"| {per_post:.0f} µs | {runs / posts:.1f} | `{sql}` |")
    print(f"| {total - inside:.0f} µs | | health check, BEGIN, COMMIT (outside the statements) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
