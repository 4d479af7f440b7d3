"""Builders for the announcement tests: subscribers made through the real opt-in service, a
loopback SMTP server (aiosmtpd) that also counts its connections, and announcements sent by
calling the real task."""

import pytest
from django.db import transaction

from announcements import services
from announcements.models import Announcement, Source, Subscriber
from tests import timeline
from tests.factories import OrganisationFactory
from tests.foundation.conftest import RecordingHandler, SmtpServer


class CountingHandler(RecordingHandler):
    """Also counts SMTP sessions (one EHLO/HELO per connection) and MAIL commands per session."""

    def __init__(self):
        super().__init__()
        self.sessions: dict[int, int] = {}

    def _session(self, session) -> int:
        if not hasattr(session, "test_id"):  # id() of a closed session may be reused
            session.test_id = len(self.sessions) + 1
            self.sessions[session.test_id] = 0
        return session.test_id

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self._session(session)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.sessions[self._session(session)] += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


class CountingServer(SmtpServer):
    def __init__(self):
        super().__init__()
        self.handler = CountingHandler()

    def recipients(self) -> list[str]:
        return sorted(str(m["To"]).lower() for m in self.messages)


@pytest.fixture
def smtp_server(settings):
    server = CountingServer()
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


@pytest.fixture(autouse=True)
def _fast_sending(settings):
    settings.ANNOUNCEMENT_RATE_PER_MINUTE = 0


def subscribe(email, *, industry="retail", municipality="千代田区", source=Source.SEMINAR):
    organisation = OrganisationFactory.build(industry=industry, municipality=municipality)
    return services.subscription_opt_in(
        email=email,
        source=source,
        client_ip="192.0.2.10",
        language="ja",
        organisation=organisation,
    )


def draft(*, actor=None, **fields) -> Announcement:
    announcement = Announcement(
        subject=fields.pop("subject", "カスハラ対策セミナー（第3回）のご案内"),
        body_text=fields.pop(
            "body_text", "第3回 現場対応編を1月6日(水)に開催します。\nお申込みはこちらから。"
        ),
        **fields,
    )
    services.announcement_save(announcement=announcement, actor=actor or "test")
    return announcement


def send_now(announcement, *, actor="test") -> Announcement:
    """Confirm and send at once, as the admin's confirmation page does (eager Celery: the send
    runs right after the commit)."""
    from announcements.selectors import audience_count

    with transaction.atomic():
        services.announcement_schedule(
            announcement=announcement,
            send_at=None,
            expected=audience_count(announcement),
            actor=actor,
        )
    announcement.refresh_from_db()
    return announcement


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timeline.NOW, tick=False)
    return time_machine


__all__ = ["Subscriber"]
