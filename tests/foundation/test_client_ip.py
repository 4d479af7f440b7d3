"""One client address behind the proxy: the trusted-proxy setting decides which X-Forwarded-For
entry names the visitor, and the rate limits and the login lockout (with its access log) key on it.

Two clients behind one proxy (same REMOTE_ADDR, different X-Forwarded-For) are limited and locked
out separately; a forged X-Forwarded-For gains nothing, with or without a trusted proxy."""

import datetime
import logging
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import RequestFactory

from consultations.models import Consultation
from kosha_portal.accounts.services import access_link_issue
from kosha_portal.clientip import client_ip, client_rate_key
from kosha_portal.mail.models import OutboundEmail
from school.models import Application
from tests.consultations.conftest import intake_payload
from tests.factories import OrganisationFactory
from tests.school.factories import recruiting_cohort
from tests.school.test_views import _form_data as school_form_data

PROXY = "10.0.0.2"
CLIENT_A = "198.51.100.1"
CLIENT_B = "198.51.100.2"
FROZEN = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def request_from(remote="192.0.2.10", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


# --- deriving the address -----------------------------------------------------------------------


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 0, []
    assert client_ip(request_from("192.0.2.10", "203.0.113.9")) == "192.0.2.10"


def test_one_proxy_believes_only_the_entry_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 1, []
    assert client_ip(request_from(PROXY, CLIENT_A)) == CLIENT_A
    # Whatever the client wrote itself stands left of the proxy's entry.
    assert client_ip(request_from(PROXY, f"6.6.6.6, 7.7.7.7, {CLIENT_A}")) == CLIENT_A
    # Straight to gunicorn (a health check): no header, the peer is the client.
    assert client_ip(request_from("127.0.0.1")) == "127.0.0.1"


def test_two_proxies_believe_two_entries(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 2, []
    chain = f"6.6.6.6, {CLIENT_A}, 10.0.0.7"
    assert client_ip(request_from(PROXY, chain)) == CLIENT_A


def test_trusted_networks_walk_from_the_right_to_the_first_stranger(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8", "fd00::/8"]
    assert client_ip(request_from(PROXY, f"6.6.6.6, {CLIENT_A}, 10.1.2.3")) == CLIENT_A
    assert client_ip(request_from("fd00::5", f"{CLIENT_B}")) == CLIENT_B
    # A peer outside the trusted networks is the client, whatever its header claims.
    assert client_ip(request_from("192.0.2.50", CLIENT_A)) == "192.0.2.50"
    # Garbage left of the trusted hops: the last good address is the client.
    assert client_ip(request_from(PROXY, "not-an-ip, 10.9.9.9")) == "10.9.9.9"


def test_ports_brackets_and_mapped_addresses_are_normalised(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 1, []
    assert client_ip(request_from(PROXY, "[2001:db8::1]:443")) == "2001:db8::1"
    assert client_ip(request_from(PROXY, "198.51.100.1:5555")) == CLIENT_A
    assert client_ip(request_from("::ffff:192.0.2.10")) == "192.0.2.10"
    assert client_ip(request_from("")) == ""


def test_an_ipv6_client_is_limited_by_its_64(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 0, []
    one = client_rate_key(request_from("2001:db8:1:2::1"))
    other_in_same_64 = client_rate_key(request_from("2001:db8:1:2:ffff::9"))
    assert one == other_in_same_64 == "2001:db8:1:2::/64"
    assert client_rate_key(request_from("2001:db8:1:3::1")) != one
    assert client_rate_key(request_from(CLIENT_A)) == CLIENT_A


# --- two clients behind one proxy, on every limited public form -----------------------------------


@pytest.fixture
def behind_one_proxy(settings, time_machine):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 1, []
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    settings.CONSULTATION_RATE_LIMIT = 5
    time_machine.move_to(FROZEN, tick=False)


def via_proxy(client_address):
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_address}


@pytest.mark.django_db
def test_intake_limits_each_client_behind_the_proxy_separately(client, behind_one_proxy):
    for _attempt in range(5):
        assert (
            client.post("/consultations/new/", intake_payload(), **via_proxy(CLIENT_A)).status_code
            == 302
        )
    assert (
        client.post("/consultations/new/", intake_payload(), **via_proxy(CLIENT_A)).status_code
        == 429
    )
    # The next visitor behind the same proxy is not affected.
    response = client.post("/consultations/new/", intake_payload(), **via_proxy(CLIENT_B))
    assert response.status_code == 302
    assert Consultation.objects.count() == 6


@pytest.mark.django_db
def test_link_resend_limits_each_client_behind_the_proxy_separately(client, behind_one_proxy):
    for _attempt in range(10):
        response = client.post("/my/resend/", {"email": "x@example.jp"}, **via_proxy(CLIENT_A))
        assert response.status_code == 200
    assert (
        client.post("/my/resend/", {"email": "x@example.jp"}, **via_proxy(CLIENT_A)).status_code
        == 429
    )
    access_link_issue(email="known@example.jp", target=OrganisationFactory())
    response = client.post("/my/resend/", {"email": "known@example.jp"}, **via_proxy(CLIENT_B))
    assert response.status_code == 200
    assert OutboundEmail.objects.filter(to="known@example.jp").count() == 1


@pytest.mark.django_db
def test_school_apply_limits_each_client_behind_the_proxy_separately(client, behind_one_proxy):
    recruiting_cohort()
    for _attempt in range(20):
        # Incomplete forms count too: the limit is checked before the form.
        assert client.post("/school/apply/", {}, **via_proxy(CLIENT_A)).status_code == 200
    assert client.post("/school/apply/", {}, **via_proxy(CLIENT_A)).status_code == 429
    response = client.post("/school/apply/", school_form_data(), **via_proxy(CLIENT_B))
    assert response.status_code == 302
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_a_forged_forwarded_for_without_a_trusted_proxy_gains_nothing(
    client, behind_one_proxy, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        forged = {"REMOTE_ADDR": "192.0.2.77", "HTTP_X_FORWARDED_FOR": f"203.0.113.{attempt}"}
        assert client.post("/consultations/new/", intake_payload(), **forged).status_code == 302
    forged = {"REMOTE_ADDR": "192.0.2.77", "HTTP_X_FORWARDED_FOR": "203.0.113.200"}
    assert client.post("/consultations/new/", intake_payload(), **forged).status_code == 429


@pytest.mark.django_db
def test_a_forged_prefix_behind_the_trusted_proxy_gains_nothing(client, behind_one_proxy):
    for attempt in range(5):
        forged = via_proxy(f"203.0.113.{attempt}, {CLIENT_A}")
        assert client.post("/consultations/new/", intake_payload(), **forged).status_code == 302
    forged = via_proxy(f"203.0.113.200, {CLIENT_A}")
    assert client.post("/consultations/new/", intake_payload(), **forged).status_code == 429


# --- login lockout: one user name from one client address ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_a_stranger_behind_the_proxy_cannot_lock_the_desk_out(
    client, make_user, settings, behind_one_proxy, login_url
):
    make_user("desk", is_staff=True, password="correct-horse-battery")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(login_url, {"username": "desk", "password": "guess"}, **via_proxy(CLIENT_A))
    locked = client.post(
        login_url, {"username": "desk", "password": "correct-horse-battery"}, **via_proxy(CLIENT_A)
    )
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "ログインを一時停止しています" in html
    assert "03-3251-7881" in html and "60分ほど" in html
    # The access log names the client, not the proxy.
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT_A]

    # The real desk officer, elsewhere behind the same proxy, still logs in.
    response = client.post(
        login_url, {"username": "desk", "password": "correct-horse-battery"}, **via_proxy(CLIENT_B)
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert AccessLog.objects.get(username="desk").ip_address == CLIENT_B


@pytest.mark.django_db
def test_the_lockout_log_lines_name_neither_the_user_nor_the_address(
    client, make_user, settings, behind_one_proxy, caplog
):
    make_user("hanako.desk", is_staff=True, password="correct-horse-battery")
    with caplog.at_level(logging.INFO, logger="axes"):
        for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
            client.post(
                "/login/", {"username": "hanako.desk", "password": "guess"}, **via_proxy(CLIENT_A)
            )
        client.post(
            "/login/", {"username": "hanako.desk", "password": "guess"}, **via_proxy(CLIENT_B)
        )
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert any("Locking out" in line for line in lines), lines
    # django-axes masks both (AXES_SENSITIVE_PARAMETERS' default); the portal relies on it.
    assert not [line for line in lines if "hanako" in line or "198.51.100." in line]
    # The database's access log, which the desk administers, still names both.
    assert set(AccessAttempt.objects.values_list("username", "ip_address")) == {
        ("hanako.desk", CLIENT_A),
        ("hanako.desk", CLIENT_B),
    }


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_lockout(
    client, make_user, settings, behind_one_proxy
):
    settings.TRUSTED_PROXY_COUNT = 0
    make_user("expert-a", password="correct-horse-battery")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": "expert-a", "password": "guess"},
            REMOTE_ADDR="192.0.2.77",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    response = client.post(
        "/login/",
        {"username": "expert-a", "password": "correct-horse-battery"},
        REMOTE_ADDR="192.0.2.77",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.77"}
