"""The deployment files agree on the proxy: .env.example, docker-compose.yml and gunicorn.conf.py
trust the same proxy Django does, and the production example hides the admin."""

import os
import re
from pathlib import Path
from unittest import mock

from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]


def env_example() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))


def gunicorn_settings(**environment) -> dict:
    namespace = {}
    keys = ("TRUSTED_PROXY_NETWORKS", "TRUSTED_PROXY_COUNT", "FORWARDED_ALLOW_IPS")
    clean = {k: v for k, v in os.environ.items() if k not in keys}
    with mock.patch.dict(os.environ, {**clean, **environment}, clear=True):
        exec((ROOT / "gunicorn.conf.py").read_text(encoding="utf-8"), namespace)  # noqa: S102
    return namespace


def test_the_production_example_uses_a_non_default_admin_path():
    admin_url = env_example()["DJANGO_ADMIN_URL"]
    assert admin_url.strip("/") not in ("admin", "")
    assert admin_url.endswith("/") and not admin_url.startswith("/")


def test_the_production_example_trusts_the_one_proxy_compose_describes():
    assert env_example()["TRUSTED_PROXY_COUNT"] == "1"
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "TRUSTED_PROXY_COUNT: ${TRUSTED_PROXY_COUNT:-1}" in compose
    # Reachable through the host's proxy only, so the count cannot be bypassed.
    assert '- "127.0.0.1:8000:8000"' in compose
    assert "DJANGO_ADMIN_URL" in compose


def test_gunicorn_trusts_forwarded_headers_from_the_peers_django_trusts():
    networks = gunicorn_settings(TRUSTED_PROXY_NETWORKS="172.30.0.0/16,10.0.0.2")
    assert networks["forwarded_allow_ips"] == "172.30.0.0/16,10.0.0.2"
    counted = gunicorn_settings(TRUSTED_PROXY_COUNT="1")
    assert counted["forwarded_allow_ips"] == "*"
    neither = gunicorn_settings()
    assert neither["forwarded_allow_ips"] == "127.0.0.1,::1"


def deployment_warnings():
    return {m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("kosha.")}


def test_deploy_check_warns_about_the_default_admin_path(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ADMIN_URL = "admin/"
    assert deployment_warnings() == {"kosha.W001"}
    settings.ADMIN_URL = "kanri-4f7a/"
    assert deployment_warnings() == set()


def test_deploy_check_warns_when_no_proxy_is_trusted_behind_a_tls_proxy(settings):
    settings.ADMIN_URL = "kanri-4f7a/"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 0, []
    assert deployment_warnings() == {"kosha.W002"}
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    assert deployment_warnings() == set()
