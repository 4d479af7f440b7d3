"""Redis is a cache, not a dependency of saving.

The portal runs on a private redis-server (cache and Celery broker) that each test stops, pauses
or restarts itself. While it is down every public form is saved, a personal link opens and staff
log in; the rate limiter lets requests through and says so once per outage; the confirmation mail
waits in the outbox and a real worker delivers it once Redis is back."""

import copy
import datetime
import logging
import signal
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from consultations.models import Consultation
from kosha_portal.accounts.services import access_link_issue
from kosha_portal.cache import reset_outages
from kosha_portal.celery import app
from kosha_portal.mail.models import OutboundEmail
from school.models import Application
from seminars.models import Registration
from tests import timeline
from tests.consultations.conftest import intake_payload
from tests.factories import OrganisationFactory
from tests.school.factories import recruiting_cohort
from tests.school.test_views import _form_data as school_form_data
from tests.seminars.factories import SeminarFactory
from tests.seminars.test_views import form_data as seminar_form_data

pytestmark = pytest.mark.django_db(transaction=True)
JST = ZoneInfo("Asia/Tokyo")
CACHE_LOGGER = "kosha_portal.cache"


def _reset_broker_connections():
    """The app's producer pools were made for the broker it used before (kombu keeps them)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def portal_on_private_redis(settings, private_redis, monkeypatch):
    """Cache and broker on the private redis-server; tasks go through the broker (no eager
    mode), as in production."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = private_redis.url_for(1)
    caches["default"]["RETRY_AFTER_FAILURE"] = 0  # probe Redis on every call: no waiting here
    settings.CACHES = caches
    settings.REDIS_URL = private_redis.url_for(1)
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    settings.CONSULTATION_RATE_LIMIT = 5
    saved = app.conf.broker_url, app.conf.task_always_eager, app.conf.worker_hijack_root_logger
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url_for(2))
    app.conf.broker_url = private_redis.url_for(2)
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False
    _reset_broker_connections()
    reset_outages()
    yield private_redis
    monkeypatch.undo()
    app.conf.broker_url, app.conf.task_always_eager, app.conf.worker_hijack_root_logger = saved
    _reset_broker_connections()
    reset_outages()


@contextmanager
def fails_if_it_hangs(seconds):
    """A request stuck on a hung server fails the test instead of hanging the suite."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s: a hung Redis holds the request")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def deliver_after_redis_returns(redis_server, smtp_server, recipients: set[str]):
    """Redis comes back (empty, like a restarted server), a worker starts and beat's periodic
    outbox flush goes through the broker: the mail written during the outage is delivered."""
    redis_server.start()
    _reset_broker_connections()
    flush_task = app.conf.beat_schedule["outbox-flush"]["task"]
    with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
        app.send_task(flush_task)
        delivered = wait_for(
            lambda: recipients <= {to for m in smtp_server.messages for to in m["To"].split(", ")}
        )
    assert delivered, [m["To"] for m in smtp_server.messages]
    assert not OutboundEmail.objects.filter(to__in=recipients).exclude(status="sent").exists()


@pytest.mark.time_machine(timeline.NOW)  # the factories' seminar and cohort are open then
def test_every_public_form_is_saved_while_redis_is_down_and_mailed_after(
    client, portal_on_private_redis, smtp_server
):
    seminar = SeminarFactory()
    recruiting_cohort()
    access_link_issue(email="known@example.jp", target=OrganisationFactory())
    assert client.get("/consultations/new/").status_code == 200  # with Redis up

    portal_on_private_redis.stop()
    intake = client.post("/consultations/new/", intake_payload())
    assert intake.status_code == 302
    assert client.get(intake["Location"]).status_code == 200  # the thank-you page
    registration = client.post(reverse("seminars:detail", args=[seminar.pk]), seminar_form_data())
    assert registration.status_code == 302
    application = client.post("/school/apply/", school_form_data())
    assert application.status_code == 302
    assert client.get(application["Location"]).status_code == 200  # reads the session
    resend = client.post("/my/resend/", {"email": "known@example.jp"})
    assert resend.status_code == 200

    # Everything typed is stored; the mail waits in the outbox.
    consultation = Consultation.objects.get()
    assert consultation.description == intake_payload()["description"]
    assert Registration.objects.get().email == "hanako1@example.jp"
    assert Application.objects.get().contact_email == "yamada@hikari.example.jp"
    recipients = {
        "taro@kamome.example.jp",
        "hanako1@example.jp",
        "yamada@hikari.example.jp",
        "known@example.jp",
    }
    pending = OutboundEmail.objects.filter(to__in=recipients)
    assert {e.to for e in pending} == recipients
    assert {e.status for e in pending} == {"pending"}
    assert smtp_server.messages == []

    deliver_after_redis_returns(portal_on_private_redis, smtp_server, recipients)


def test_a_personal_link_opens_and_serves_while_redis_is_down(client, portal_on_private_redis):
    organisation = OrganisationFactory()
    _link, token = access_link_issue(email="contact@example.jp", target=organisation)
    portal_on_private_redis.stop()
    opened = client.get(f"/access/{token}/")
    assert opened.status_code == 302
    assert opened["Location"] == "/my/"
    assert client.get("/my/").status_code == 200  # the session kept the grant (database)


@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_login_works_while_redis_is_down_and_the_session_survives_its_return(
    client, make_user, portal_on_private_redis, login_url
):
    from tests.otp import authenticator_for, totp_now

    device = authenticator_for(make_user("desk-a", is_staff=True, password="correct-horse-battery"))
    portal_on_private_redis.stop()
    response = client.post(login_url, {"username": "desk-a", "password": "correct-horse-battery"})
    assert response.status_code == 302
    # The second factor too (its rate limit fails open like the others).
    assert client.post("/login/verify/", {"code": totp_now(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200
    # Redis returns empty (a restart): the session lives in the database and is still there.
    portal_on_private_redis.start()
    assert client.get("/admin/").status_code == 200


def test_the_limiter_fails_open_and_logs_once_per_outage(
    client, portal_on_private_redis, caplog, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=JST), tick=False)
    caplog.set_level(logging.INFO, logger=CACHE_LOGGER)
    portal_on_private_redis.stop()
    answers = [client.post("/consultations/new/", intake_payload()).status_code for _ in range(8)]
    assert answers == [302] * 8  # limit 5 a minute, not enforced without its counters
    assert Consultation.objects.count() == 8
    outage_logs = [r for r in caplog.records if r.name == CACHE_LOGGER]
    assert len(outage_logs) == 1
    assert "unreachable" in outage_logs[0].getMessage()

    # Redis is back: one line says so and the limit holds again.
    portal_on_private_redis.start()
    caplog.clear()
    answers = [client.post("/consultations/new/", intake_payload()).status_code for _ in range(6)]
    assert answers == [302] * 5 + [429]
    assert [r.getMessage() for r in caplog.records if r.name == CACHE_LOGGER][0].startswith(
        "Cache 127.0.0.1:"
    )
    assert len([r for r in caplog.records if r.name == CACHE_LOGGER]) == 1

    # A second outage is logged again, once.
    portal_on_private_redis.stop()
    caplog.clear()
    for _ in range(3):
        client.post("/my/resend/", {"email": "x@example.jp"})
    assert len([r for r in caplog.records if r.name == CACHE_LOGGER]) == 1


def test_a_hung_redis_delays_the_intake_but_never_loses_it(
    client, settings, portal_on_private_redis, smtp_server, caplog
):
    # The production circuit breaker: after one timeout, Redis is left alone for a few seconds.
    caches = copy.deepcopy(settings.CACHES)
    caches["default"].pop("RETRY_AFTER_FAILURE")
    settings.CACHES = caches
    caplog.set_level(logging.INFO, logger=CACHE_LOGGER)
    portal_on_private_redis.pause()  # accepts connections, never answers
    for n in range(2):
        with fails_if_it_hangs(30):
            response = client.post("/consultations/new/", intake_payload(org_name=f"株式会社{n}"))
        assert response.status_code == 302
    assert Consultation.objects.count() == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"pending"}
    assert len([r for r in caplog.records if r.name == CACHE_LOGGER]) == 1

    portal_on_private_redis.stop()
    deliver_after_redis_returns(portal_on_private_redis, smtp_server, {"taro@kamome.example.jp"})
    assert len(smtp_server.messages) == 2
