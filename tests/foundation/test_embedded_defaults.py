"""The README's first command (scripts/run) runs on its embedded defaults: SQLite, Celery tasks
in-process, mail to files. Raw SQL written for PostgreSQL must keep working there, so the demo
data (which goes through the public intake, seminar, school and dispatch services) is loaded into
a fresh SQLite database, as scripts/run does, and the desk's triage list (whose search is written
for PostgreSQL's planner) is read there."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in `manage.py shell` on the demo database: the triage list as a verified administrator,
# unfiltered, filtered and searched (a company name, a kana word, a reference).
TRIAGE_LIST = """
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
user = get_user_model().objects.filter(is_superuser=True).first()
device = TOTPDevice.objects.create(user=user, name="embedded-defaults-test", confirmed=True)
client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
client.force_login(user)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
for query in ["", "?status__exact=new&overdue=yes", "?q=株式会社", "?q=カブシキ", "?q=2026-0001"]:
    response = client.get("/admin/consultations/consultation/" + query)
    rows = response.content.decode().count('<tr><th class="field-reference">')
    print("LIST", repr(query), response.status_code, rows)
"""


def test_the_demo_loads_into_a_fresh_sqlite_database_as_scripts_run_does(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PRIVATE_FILES_ROOT=str(tmp_path / "private"),
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        BACKUP_ROOT=str(tmp_path / "backups"),
    )
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    # The fiscal year of the numbers is the clock's (CI runs this under libfaketime too).
    assert re.search(r"consultation \d{4}-0001", done.stdout), done.stdout[-2000:]
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", TRIAGE_LIST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shell.returncode == 0, shell.stderr[-3000:]
    pages = re.findall(r"LIST '(.*)' (\d+) (\d+)", shell.stdout)
    assert len(pages) == 5, shell.stdout[-2000:] + shell.stderr[-2000:]
    assert all(status == "200" for _query, status, _rows in pages), pages
    assert int(pages[0][2]) > 0 and int(pages[2][2]) > 0, pages
