"""Real components for the foundation tests: an SMTP server on loopback (aiosmtpd), a private
redis-server, and a test-only template directory."""

import asyncio
import copy
import email
import email.policy
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.timeline import real_clock_env

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Keeps every message it accepts; answers ``451`` to the next ``fail_next`` deliveries.

    Per recipient it can also be told what to answer: ``refuse_rcpt[address] = "550 ..."`` refuses
    the address at RCPT every time; ``script(address, reply, ...)`` answers DATA with the given
    replies in turn (``"drop"`` closes the connection without a reply) and accepts afterwards.
    ``attempts`` lists every DATA it saw as (recipient, Message-ID, reply); ``on_data`` (if set)
    is called with the envelope before the reply, while the client waits for it."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.attempts: list[tuple[str, str, str]] = []
        self.refuse_rcpt: dict[str, str] = {}
        self.scripts: dict[str, list[str]] = {}
        self.fail_next = 0
        self.delay = 0.0
        self.on_data = None

    def script(self, address: str, *replies: str) -> None:
        self.scripts[address.lower()] = list(replies)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse_rcpt:
            return self.refuse_rcpt[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        recipient = envelope.rcpt_tos[0].lower()
        pending = self.scripts.get(recipient)
        reply = pending.pop(0) if pending else "250 OK"
        if self.fail_next:
            self.fail_next -= 1
            reply = "451 4.3.0 Try again later"
        self.attempts.append((recipient, message["Message-ID"], reply))
        if self.on_data is not None:
            self.on_data(envelope)
        if reply == "drop":
            server.transport.close()
            return "421 closed"  # never reaches the client: the connection is gone
        if reply.startswith("250"):
            self.messages.append(message)
        return reply


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port, with Django's SMTP backend pointed at it."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def test_templates(settings):
    """Adds tests/foundation/templates to the template search path."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [TEMPLATE_DIR, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return TEMPLATE_DIR


class PrivateRedis:
    """A redis-server of the test's own, on a free port: it can be stopped, started again on the
    same port (empty, like a restarted server) and paused (a hung server that accepts connections
    and never answers)."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (scripts/test installs it)")
        self.binary, self.port = binary, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=real_clock_env(),  # under libfaketime redis-server would spin in clock_gettime
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _attempt in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.process.kill()
        pytest.fail("private redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def url_for(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@pytest.fixture
def private_redis():
    """Our own redis-server on a free port, so stopping it disturbs nobody else."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
