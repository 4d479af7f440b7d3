"""Backup sets of the database and the private files, their retention, and their restore.

A set is one directory under BACKUP_ROOT named after the instant it was made
(``kosha-20261201T173000Z``) holding a ``pg_dump`` custom-format dump taken from one snapshot, a
tar of PRIVATE_FILES_ROOT archived after that snapshot, a ``manifest.json`` and a
``SHA256SUMS`` file. docs/backups.md explains what a set holds and how to restore it;
``manage.py backup`` and ``manage.py restore`` call the functions below.
"""

from .errors import BackupError
from .postgres import Database
from .restore import RestoreReport, backup_restore, backup_set_verify
from .retention import next_daily_run, retention_keep
from .sets import (
    BackupReport,
    BackupSet,
    backup_create,
    backup_sets,
    backups_prune,
    newest_set_age,
)

__all__ = [
    "BackupError",
    "BackupReport",
    "BackupSet",
    "Database",
    "RestoreReport",
    "backup_create",
    "backup_restore",
    "backup_set_verify",
    "backup_sets",
    "backups_prune",
    "newest_set_age",
    "next_daily_run",
    "retention_keep",
]
