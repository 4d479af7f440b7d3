"""Demo accounts: printed passwords and second factors only under DJANGO_DEBUG=true."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kosha_portal.accounts import demo

pytestmark = pytest.mark.django_db


def test_without_debug_demo_accounts_have_no_password_and_nothing_secret_is_printed(settings):
    settings.DEBUG = True
    demo.load(io.StringIO())  # a developer's run first: the accounts get passwords
    settings.DEBUG = False
    out = io.StringIO()
    demo.load(out)
    admin = get_user_model().objects.get(username="admin")
    assert not admin.has_usable_password()
    assert admin.account_profile.is_demo
    assert "kosha-admin-2026" not in out.getvalue() and "key" not in out.getvalue()
    assert "no password without DJANGO_DEBUG=true" in out.getvalue()


def test_under_debug_the_printed_password_and_key_or_recovery_code_log_in(settings):
    settings.DEBUG = True
    out = io.StringIO()
    demo.load(out)
    text = out.getvalue()
    assert "login (desk_staff): desk / kosha-desk-2026" in text
    key = re.search(r"desk / kosha-desk-2026\s*second factor: authenticator key ([A-Z2-7]+)", text)
    codes = re.search(r"demo_code desk`\); recovery codes: ([a-z2-7-]+)", text).group(1)
    client = Client()
    client.post("/login/", {"username": "desk", "password": "kosha-desk-2026"})
    assert client.get("/admin/")["Location"].startswith("/login/verify/")
    code = io.StringIO()
    call_command("demo_code", "desk", stdout=code)
    import pyotp

    assert code.getvalue().strip() == pyotp.TOTP(key.group(1)).now()
    assert client.post("/login/verify/", {"code": codes}).status_code == 302
    assert client.get("/admin/").status_code == 200
    # Loading again keeps the key and makes new recovery codes.
    again = io.StringIO()
    demo.load(again)
    assert key.group(1) in again.getvalue() and codes not in again.getvalue()


def test_demo_code_refuses_without_debug_and_for_real_accounts(settings, officer):
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("demo_code", officer.username, stdout=io.StringIO())
    settings.DEBUG = False
    demo.load(io.StringIO())
    with pytest.raises(CommandError):
        call_command("demo_code", "desk", stdout=io.StringIO())
