"""The README's first command (scripts/run) runs on its embedded defaults: SQLite, Celery tasks
in-process, mail to files. Raw SQL written for PostgreSQL must keep working there, so the demo
data (which goes through the public intake, seminar, school and dispatch services) is loaded into
a fresh SQLite database, as scripts/run does."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
