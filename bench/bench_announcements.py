"""An announcement to 5,000 subscribers delivered by a real Celery worker to a loopback SMTP
server (aiosmtpd), then a second one during which the worker is killed once (SIGKILL, the whole
process group) and started again. Counts what the SMTP server received by Message-ID and
recipient: 0 duplicates and 0 missing, and the first run within 60 s. Talks to 127.0.0.1 only,
uses its own database and stops everything it started.

    .venv/bin/python bench/bench_announcements.py [--subscribers 5000] [--kill-after 1500]
"""

import argparse
import collections
import email.parser
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BENCH_DB = os.environ.get("BENCH_DB", "kosha_announce_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/4")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
LEASE_SECONDS = 10
# What the Celery worker leaves in the broker: its queue and the unacknowledged messages.
QUEUE_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Recorder:
    """The SMTP server's side: every message accepted, by recipient and Message-ID, and how many
    messages came over each connection."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[tuple[str, str, str, float]] = []
        self.per_connection: collections.Counter = collections.Counter()
        self.sessions = iter(range(1, 10**9))
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.default)

    async def handle_DATA(self, server, session, envelope):
        headers = self.parser.parsebytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append(
                    (
                        rcpt.lower(),
                        str(headers["Message-ID"]),
                        str(headers["Subject"]),
                        time.monotonic(),
                    )
                )
            if not hasattr(session, "bench_id"):
                session.bench_id = next(self.sessions)  # id() of a closed session is reused
            self.per_connection[session.bench_id] += 1
        return "250 OK"

    def of(self, marker: str):
        with self.lock:
            return [r for r in self.received if marker in r[2]]


def bench_env(smtp_port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kosha_portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-3a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": "kosha-announce-bench",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        # As fast as the server takes them; a short lease so that the restarted worker takes
        # over within seconds (production: 300 s), and the periodic job every 2 s.
        "ANNOUNCEMENT_RATE_PER_MINUTE": "0",
        "ANNOUNCEMENT_SENDER_LEASE_SECONDS": str(LEASE_SECONDS),
        "ANNOUNCEMENT_DISPATCH_INTERVAL_SECONDS": "2",
        "OUTBOX_SENDING_TIMEOUT_SECONDS": "900",
    }


def prepare_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def start_worker(env: dict, schedule: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "kosha_portal",
            "worker",
            "-B",
            "-s",
            str(schedule),
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: killed as a whole, nothing else
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def schedule(subject: str):
    from django.db import transaction

    from announcements import services
    from announcements.models import Announcement
    from announcements.selectors import audience_count

    announcement = Announcement(subject=subject, body_text="ベンチマーク用のお知らせです。")
    services.announcement_save(announcement=announcement, actor="bench")
    expected = audience_count(announcement)
    with transaction.atomic():
        services.announcement_schedule(
            announcement=announcement, send_at=None, expected=expected, actor="bench"
        )
    return announcement, expected


def wait_sent(announcement, timeout: float) -> bool:
    from announcements.models import Announcement

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Announcement.objects.get(pk=announcement.pk).status == Announcement.Status.SENT:
            return True
        time.sleep(0.5)
    return False


def tally(received, expected: int) -> dict:
    by_pair = collections.Counter((r[0], r[1]) for r in received)
    by_recipient = collections.Counter(r[0] for r in received)
    ids_per_recipient = collections.defaultdict(set)
    for rcpt, message_id, _subject, _at in received:
        ids_per_recipient[rcpt].add(message_id)
    return {
        "received": len(received),
        "distinct_recipients": len(by_recipient),
        "duplicates": sum(n - 1 for n in by_recipient.values() if n > 1),
        "same_message_id_twice": sum(n - 1 for n in by_pair.values() if n > 1),
        "recipients_with_two_message_ids": sum(
            1 for ids in ids_per_recipient.values() if len(ids) > 1
        ),
        "missing": expected - len(by_recipient),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=5000)
    # Not a multiple of the batch size (100): the kill lands inside a batch, mid-send.
    parser.add_argument("--kill-after", type=int, default=1537)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    recorder = Recorder()
    smtp_port = free_port()
    controller = Controller(recorder, hostname=HOST, port=smtp_port)
    controller.start()
    env = bench_env(smtp_port)
    prepare_database(env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis

    from announcements.models import Subscriber, address_hash
    from kosha_portal import clock
    from kosha_portal.mail.models import OutboundEmail

    broker = redis.Redis.from_url(BROKER)
    broker.delete(*QUEUE_KEYS)  # leftovers of an interrupted run (only Celery's own keys)
    now = clock.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"subscriber{n:05d}@bench.example.jp",
                email_hash=address_hash(f"subscriber{n:05d}@bench.example.jp"),
                activated_at=now,
                industry="retail",
            )
            for n in range(args.subscribers)
        ],
        batch_size=1000,
    )
    schedule_file = ROOT / "var" / "bench-announcements-beat"
    worker = start_worker(env, schedule_file)
    failures = []
    try:
        time.sleep(3)  # let the worker connect
        # --- run 1: straight through --------------------------------------------------------
        first, expected = schedule("【ベンチ1】通常の送信")
        started = time.monotonic()
        ok = wait_sent(first, timeout=300)
        received = recorder.of("ベンチ1")
        elapsed = (max(r[3] for r in received) - started) if received else float("nan")
        one = tally(received, expected)
        connections = list(recorder.per_connection.values())
        print(f"run 1: {expected} subscribers, announcement sent: {ok}")
        print(
            f"  delivered {one['received']} in {elapsed:.1f} s ({one['received'] / elapsed:.0f} msg/s), "
            f"duplicates {one['duplicates']}, missing {one['missing']}"
        )
        print(
            f"  SMTP connections {len(connections)}, most messages on one connection "
            f"{max(connections) if connections else 0}"
        )
        if not (ok and one["duplicates"] == 0 and one["missing"] == 0 and elapsed <= 60):
            failures.append(f"run 1: {one}, {elapsed:.1f} s")

        # --- run 2: the worker is killed once mid-send and started again ---------------------
        second, expected = schedule("【ベンチ2】途中で停止")
        while len(recorder.of("ベンチ2")) < args.kill_after:
            time.sleep(0.01)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        survivors = 0
        for _attempt in range(50):  # every process of the group (the pool's children too)
            try:
                os.killpg(worker.pid, 0)
            except ProcessLookupError:
                break
            survivors += 1
            time.sleep(0.1)
        at_kill = len(recorder.of("ベンチ2"))
        in_flight = OutboundEmail.objects.filter(
            announcement_recipient__announcement=second, status=OutboundEmail.Status.SENDING
        )
        in_flight_at_kill = in_flight.count()
        handed_at_kill = in_flight.filter(
            announcement_recipient__handed_over_at__isnull=False
        ).count()
        killed_at = time.monotonic()
        worker = start_worker(env, schedule_file)
        ok = wait_sent(second, timeout=300)
        received = recorder.of("ベンチ2")
        two = tally(received, expected)
        resumed = time.monotonic() - killed_at
        unknown = OutboundEmail.objects.filter(
            announcement_recipient__announcement=second, last_error__contains="at most once"
        ).count()
        retried = OutboundEmail.objects.filter(
            announcement_recipient__announcement=second, attempts__gt=1
        ).count()
        print(
            f"run 2: {expected} subscribers, worker killed (SIGKILL) after {at_kill} delivered"
            f"{'' if not survivors else ' (its process group took a moment to go)'}"
        )
        print(
            f"  announcement sent: {ok}, {resumed:.1f} s after the kill (lease {LEASE_SECONDS} s)"
        )
        print(
            f"  delivered {two['received']}, distinct recipients {two['distinct_recipients']}, "
            f"duplicates {two['duplicates']} (same Message-ID twice {two['same_message_id_twice']}, "
            f"recipients with two Message-IDs {two['recipients_with_two_message_ids']}), "
            f"missing {two['missing']}"
        )
        print(
            f"  in flight at the kill: {in_flight_at_kill} message(s), {handed_at_kill} handed over"
        )
        print(
            f"  after recovery: re-sent {retried}, "
            f"counted delivered without resending (handed over) {unknown}"
        )
        if not (ok and two["duplicates"] == 0 and two["missing"] == 0):
            failures.append(f"run 2: {two}")
    finally:
        stop(worker)
        controller.stop()
        broker.delete(*QUEUE_KEYS)
    print("RESULT:", "PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
