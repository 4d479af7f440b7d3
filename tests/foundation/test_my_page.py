"""The company contact's /my/ page: what it lists, and the same number of queries for 1 or N."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.services import dispatch_withdraw
from kosha_portal.accounts.services import access_link_issue
from tests import timeline
from tests.dispatch import factories as f
from tests.school.factories import ApplicationFactory
from tests.seminars.factories import SeminarFactory, register

# The seminar registrations need the factory seminar's registration window open.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def _grant(client, target):
    _link, token = access_link_issue(email="contact@example.jp", target=target)
    assert client.get(f"/access/{token}/").status_code == 302


def _grant_items(client, year, seminar, count: int, *, start: int = 0) -> list[str]:
    """Grant ``count`` items of each kind; return the references the page must list."""
    expected = []
    for n in range(start, start + count):
        # One company may hold one open dispatch: withdraw the last before applying again.
        granted_consultation = f.consultation()
        dispatch = f.applied_dispatch(year, cons=granted_consultation)
        dispatch_withdraw(dispatch=dispatch, reason="再申込のため", actor="test")
        direct_dispatch = f.applied_dispatch(year)
        dispatch_withdraw(dispatch=direct_dispatch, reason="再申込のため", actor="test")
        application = ApplicationFactory()
        registration = register(seminar, n)
        for target in (granted_consultation, direct_dispatch, application, registration):
            _grant(client, target)
        expected += [
            granted_consultation.reference,
            dispatch.reference,  # through its consultation's link
            direct_dispatch.reference,
            application.get_portal_url(),
            registration.get_portal_url(),
        ]
    return expected


def _my_page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/my/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_my_page_runs_the_same_queries_for_one_and_for_several_items(client):
    year = f.program_year(2026)
    seminar = SeminarFactory()
    expected = _grant_items(client, year, seminar, 1)
    one, html = _my_page_queries(client)
    assert all(item in html for item in expected)

    expected += _grant_items(client, year, seminar, 3, start=1)
    several, html = _my_page_queries(client)
    assert all(item in html for item in expected)
    assert several == one
    # The session (1, it lives in the database), grants (1) and one query per section (4).
    assert one <= 6


@pytest.mark.parametrize(
    ("language", "received"),
    [("ja", "（令和8年10月13日(火) 受付）"), ("en", "(received Tue 13 October 2026)")],
)
def test_my_page_dates_follow_the_readers_language(client, settings, language, received):
    consultation = f.consultation()
    _grant(client, consultation)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    _queries, html = _my_page_queries(client)
    assert received in html
