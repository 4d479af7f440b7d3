"""Side-by-side load measurement for the bench scripts: gunicorn servers, a low-cost load
generator (``wrk`` with a Lua script), and the CPU time the servers spent.

A target is one gunicorn (``gunicorn.conf.py``, 5 sync workers, no control socket) serving a form
on its own PostgreSQL database. ``measure`` drives it with ``wrk`` at a given concurrency for a
given time and reports the successful POSTs (real 302s, counted in Lua), p50/p95 latency, and the
CPU time its workers and their PostgreSQL backends used (``/proc/<pid>/stat`` utime + stime,
sampled every 50 ms while wrk runs: a backend that ends mid-round, when a worker's persistent
connection reaches CONN_MAX_AGE, keeps its last reading, and one that starts mid-round counts from
zero; the backends are found through ``pg_stat_activity``), divided by the rows created. The
rows created are counted in the table the form writes to, so a 302 that saved nothing cannot
pass.

``wrk`` comes from apt (installed on first use, as scripts/_common.sh's ensure_apt does); the test
suite does not need it."""

import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "wrk"], check=True)
    return shutil.which("wrk") or "/usr/bin/wrk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, app: str, probe: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "5",
            "--no-control-socket",
            "--bind",
            f"{HOST}:{port}",
            app,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", probe)
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"gunicorn for {app} did not start")


def _stat_cpu_ticks(pid: int) -> int:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


class CpuSampler(threading.Thread):
    """The CPU time (ms) a server's processes use while it runs: its gunicorn workers and their
    PostgreSQL backends, whose set changes under load (a persistent connection that reaches
    CONN_MAX_AGE is closed and its worker opens another). A before/after reading of the processes
    seen at the start would subtract the whole life of a backend that ended mid-round and miss
    its successor; here every process is read every ``interval`` seconds and keeps its last
    reading, and a process first seen mid-run counts from zero (it started during the run)."""

    def __init__(self, server_pid: int, pg_url: str, database: str, interval: float = 0.05):
        super().__init__(daemon=True)
        self.server_pid, self.pg_url, self.database = server_pid, pg_url, database
        self.interval = interval
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self._stop_event = threading.Event()
        self._ready = threading.Event()

    def _read(self, conn, started: bool) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            [self.database],
        ).fetchall()
        for pid in children_of(self.server_pid) + [pid for (pid,) in rows]:
            ticks = _stat_cpu_ticks(pid)
            if not ticks and pid not in self.last:
                continue
            if pid not in self.first:
                self.first[pid] = ticks if not started else 0
            self.last[pid] = max(ticks, self.last.get(pid, 0))

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
            self._read(conn, started=False)
            self._ready.set()
            while not self._stop_event.wait(self.interval):
                self._read(conn, started=True)
            self._read(conn, started=True)

    def begin(self) -> "CpuSampler":
        self.start()
        self._ready.wait(10)
        return self

    def finish(self) -> float:
        self._stop_event.set()
        self.join(10)
        ticks = sum(self.last[pid] - self.first[pid] for pid in self.last)
        return ticks * 1000 / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def count_rows(pg_url: str, database: str, table: str) -> int:
    import psycopg

    with psycopg.connect(f"{pg_url}/{database}", autocommit=True) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608


def form_session(port: int, path: str) -> tuple[str, dict[str, str]]:
    """GET the form as a browser would: the CSRF cookie, and every hidden input's value (the
    CSRF token, the intake's signed start time, its empty honeypot)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    html = response.read().decode()
    cookies = []
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            cookies.append(value.split(";", 1)[0])
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
        + re.findall(r'<input type="text" name="(website)"[^>]*value="([^"]*)"', html)
    )
    conn.close()
    return "; ".join(cookies), hidden


LUA = r"""
local counter = 0
local threads = {}
local template = __TEMPLATE__
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  ok, other = 0, 0
end
function request()
  counter = counter + 1
  local body = string.gsub(template, "@N@", id .. "x" .. counter)
  body = string.gsub(body, "@M@", id .. "x" .. (counter % 250))
  return wrk.format("POST", __PATH__, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = __COOKIE__,
    ["Referer"] = __REFERER__,
  }, body)
end
function response(status, headers, body)
  if status == 302 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local ok_total, other_total = 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    other_total = other_total + t:get("other")
  end
  io.write(string.format("RESULT ok=%d other=%d errors=%d p50=%d p95=%d duration=%d\n",
    ok_total, other_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), summary.duration))
end
"""


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


@dataclass
class Target:
    """One server under test. ``body`` builds the urlencoded form from the hidden inputs of the
    page (CSRF token, signed start time); ``@N@`` in it is replaced per request by a unique
    number (so every submission has its own e-mail address), ``@M@`` by one of 500 (250 a thread). ``fill_seconds``: how long the
    client waits after loading the form before it posts (the intake's minimum fill time)."""

    name: str
    port: int
    server: subprocess.Popen
    database: str
    table: str
    path: str
    body: Callable[[dict], str]
    fill_seconds: float = 0.0
    results: list = field(default_factory=list)


@dataclass
class Measured:
    ok: int
    other: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float
    rows: int

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_post_ms(self) -> float:
        # Per row created: wrk stops at its deadline with up to one request per connection in
        # flight; the server still completes (and pays for) those, which wrk does not count.
        return self.cpu_ms / self.rows if self.rows else float("nan")

    def plausible(self, clients: int) -> bool:
        """Every response a 302, and rows created = the 302s plus at most one request per
        connection that was in flight when wrk stopped."""
        return not self.other and not self.errors and self.ok <= self.rows <= self.ok + clients


def measure(target: Target, *, pg_url: str, seconds: float, clients: int) -> Measured:
    wrk = ensure_wrk()
    cookie, hidden = form_session(target.port, target.path)
    time.sleep(target.fill_seconds)
    script = (
        LUA.replace("__TEMPLATE__", _lua_string(target.body(hidden)))
        .replace("__PATH__", _lua_string(target.path))
        .replace("__COOKIE__", _lua_string(cookie))
        .replace("__REFERER__", _lua_string(f"http://{HOST}:{target.port}/"))
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    rows_before = count_rows(pg_url, target.database, target.table)
    sampler = CpuSampler(target.server.pid, pg_url, target.database).begin()
    try:
        output = subprocess.run(
            [
                wrk,
                "-t",
                "2",
                "-c",
                str(clients),
                "-d",
                f"{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                f"http://{HOST}:{target.port}{target.path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    time.sleep(0.5)  # let a request still in a worker at the deadline finish
    cpu_ms = sampler.finish()
    rows = count_rows(pg_url, target.database, target.table) - rows_before
    found = re.search(
        r"RESULT ok=(\d+) other=(\d+) errors=(\d+) p50=(\d+) p95=(\d+) duration=(\d+)", output
    )
    if not found:
        raise SystemExit(f"wrk gave no result:\n{output}")
    ok, other, errors, p50, p95, duration = map(int, found.groups())
    result = Measured(
        ok=ok,
        other=other,
        errors=errors,
        seconds=duration / 1e6,
        p50_ms=p50 / 1000,
        p95_ms=p95 / 1000,
        cpu_ms=cpu_ms,
        rows=rows,
    )
    target.results.append(result)
    return result


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def work_statements(statements: list[str]) -> list[str]:
    """The statements that do work: BEGIN, COMMIT, SAVEPOINT and RELEASE are left out (Django
    5.2 logs them too)."""
    return [s for s in statements if not s.lstrip().upper().startswith(TRANSACTION_CONTROL)]


def sql_per_post(env: dict, path: str, posts: list[dict], wait_seconds: float = 0.0) -> list:
    """The SQL statements Django sends for each successful POST of ``posts`` to ``path`` (each
    after a GET of the form for its CSRF cookie and hidden inputs), in one fresh process with
    ``env``'s settings: the first post warms the process up, as the load's first requests do."""
    code = f"""
import json, re, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
counted = []
for fields in json.loads(sys.argv[1]):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    page = client.get({path!r}).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    time.sleep({wait_seconds!r})
    with CaptureQueriesContext(connection) as ctx:
        response = client.post({path!r}, {{**fields, **hidden}})
    assert response.status_code == 302, response.status_code
    counted.append([q["sql"] for q in ctx.captured_queries])
print(json.dumps(counted))
"""
    import json

    output = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", code, json.dumps(posts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        raise SystemExit(f"counting the SQL of {path} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def urlencoded(fields: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(fields, safe="@")
