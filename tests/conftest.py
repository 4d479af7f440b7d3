"""Shared fixtures. Tests run on real PostgreSQL and Redis (see kosha_portal/test_settings.py).

Time is an input. A test whose outcome depends on the date freezes the clock with time-machine's
marker at an instant of tests/timeline.py, for a module (``pytestmark = [...,
pytest.mark.time_machine(timeline.NOW)]``) or one test (``@pytest.mark.time_machine(...)``,
``tick=False`` to stop the clock), and moves it with the ``time_machine`` fixture
(``time_machine.move_to(timeline.AFTER_APPLICATIONS_CLOSE)``). time-machine patches the clock of
the whole process, so the live_server thread of the browser tests sees the same instant; the
database, Redis (key TTLs) and Chromium keep the machine's clock. The factories build their rows
at the timeline's fixed dates, never from the real clock. Every other test must pass whatever
the machine's clock says: CI runs the suite a second time under libfaketime (see README).
"""

import datetime
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from kosha_portal.accounts.roles import ADMINISTRATORS, DESK_STAFF, EXPERTS
from kosha_portal.japan.business_days import closure_days_forget_local
from tests import otp

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Assertions wait for what a page shows. Playwright's default of 5 s is too short on a loaded
# 2-core CI machine, where an admin action that renders mails can take longer; the wait ends as
# soon as the text appears, so a passing test is not slower.
expect.set_options(timeout=15_000)

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def pytest_report_header(config):
    """Which clock the run has: the machine's, or one shifted by libfaketime."""
    now = datetime.datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S JST")
    shifted = os.environ.get("FAKETIME")
    return f"clock: {now}" + (f" (libfaketime, FAKETIME={shifted})" if shifted else "")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here. Under libfaketime
    (KOSHA_FAKETIME) it inherits LD_PRELOAD and runs on the shifted clock too, which works with
    Debian's libfaketime 0.9.10 (nothing in the pages reads the browser's clock)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _japanese_by_default():
    """A request through the test client leaves its language active in the thread; every test
    starts in the portal's default language, Japanese."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached lookups live in Redis (the closure days also in each
    process); each test starts clean."""
    cache.clear()
    closure_days_forget_local()
    yield


@pytest.fixture(autouse=True)
def _reference_numbers_restart(request, django_db_blocker):
    """A transactional test's data is emptied by TRUNCATE, which leaves the fiscal years' 相談番号
    sequences where they were (consultations.services); they are dropped with it, so the next
    test's numbers start at 1 again. (Other tests create them inside the test's transaction,
    which rolls them back.)"""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    if not (transactional or {"transactional_db", "live_server"} & set(request.fixturenames)):
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' "
            "AND relname LIKE 'consultations\\_reference\\_%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP SEQUENCE IF EXISTS {connection.ops.quote_name(name)}")


@pytest.fixture(scope="session", autouse=True)
def _force_login_passes_the_second_factor():
    """``client.force_login(user)`` is a complete login in the tests: password and second factor
    (tests/otp.py). The requirement itself stays on: ``password_only_login`` gives a session that
    has passed the password only, and tests/accounts prove what such a session is refused."""
    from django.test.client import ClientMixin

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientMixin, "force_login", otp.verified_force_login)
        yield


@pytest.fixture
def password_only_login():
    return otp.password_only_login


@pytest.fixture
def totp_code():
    """``totp_code(device)``: the code an authenticator app with that device's key shows now."""
    return otp.totp_now


@pytest.fixture
def browser_login(live_server):
    """``browser_login(page, user)``: the browser holds a session of ``user`` that passed the
    password and the second factor (as after a login through the forms), for browser tests of
    other journeys. tests/accounts/test_e2e.py drives the login forms themselves."""
    from django.test import Client

    def login(page, user):
        client = Client()
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return login


@pytest.fixture
def make_user(django_user_model):
    def make(
        username, *, role=None, is_staff=False, is_superuser=False, password="pw-12345678", **extra
    ):
        user = django_user_model.objects.create_user(
            username=username,
            password=password,
            is_staff=is_staff,
            is_superuser=is_superuser,
            email=extra.pop("email", f"{username}@example.jp"),
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def desk_user(make_user):
    return make_user("desk1", role=DESK_STAFF, is_staff=True, last_name="窓口", first_name="花子")


@pytest.fixture
def admin_user_kosha(make_user):
    return make_user("admin1", role=ADMINISTRATORS, is_staff=True, is_superuser=True)


@pytest.fixture
def expert_group_user(make_user):
    return make_user("expert-user", role=EXPERTS)


@pytest.fixture
def desk_client(client, desk_user):
    client.force_login(desk_user)
    return client


@pytest.fixture
def mail_outbox(mailoutbox):
    """Messages delivered through the outbox (eager Celery + locmem backend in tests)."""
    return mailoutbox


@pytest.fixture
def delivered_access_link(mailoutbox):
    """The personal-link path in the last message delivered to ``to``. The outbox row holds the
    link sealed; only the delivered message carries a working token."""

    def find(to: str) -> str:
        for message in reversed(mailoutbox):
            if to in message.to:
                match = re.search(r"https?://[^/\s]+(/access/[A-Za-z0-9_-]{20,}/)", message.body)
                if match:
                    return match.group(1)
        raise AssertionError(f"no personal link was delivered to {to}")

    return find


@pytest.fixture
def broken_templates(settings, tmp_path):
    """Shadows real templates with test versions: ``broken_templates({"app/emails/x.txt": "..."})``.
    Use it to make one email's template raise, the way a faulty template would in production."""
    import copy

    def shadow(files: dict[str, str]):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        templates = copy.deepcopy(settings.TEMPLATES)
        templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
        settings.TEMPLATES = templates

    return shadow
