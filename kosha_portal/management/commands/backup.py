"""manage.py backup: one backup set of the database and the private files (see docs/backups.md)."""

import datetime
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kosha_portal import clock
from kosha_portal.backups import (
    BackupError,
    Database,
    backup_create,
    backup_sets,
    backups_prune,
    newest_set_age,
    next_daily_run,
)
from kosha_portal.backups.retention import parse_time_of_day
from kosha_portal.backups.sets import backup_root
from kosha_portal.backups.text import size_text

logger = logging.getLogger("kosha_portal.backups")


class Command(BaseCommand):
    help = (
        "Writes one backup set (pg_dump of the database, tar of PRIVATE_FILES_ROOT, manifest) "
        "under BACKUP_ROOT, encrypted with age when BACKUP_AGE_RECIPIENT is set, then prunes old "
        "sets by the BACKUP_KEEP_* rule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-prune", action="store_true", help="Keep every old set this time.")
        parser.add_argument(
            "--prune-only", action="store_true", help="Only prune old sets; make no new set."
        )
        parser.add_argument("--list", action="store_true", help="List the sets and exit.")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Run forever: one set a day at BACKUP_DAILY_AT (Japan time), and one at once "
            "when the newest set is more than a day old (the compose backup service).",
        )
        parser.add_argument(
            "--check-fresh",
            nargs="?",
            const=26.0,
            type=float,
            metavar="HOURS",
            help="Exit 0 if the newest set is younger than HOURS (26), else 1 (health check).",
        )
        parser.add_argument(
            "--database-url", help="Back up this database instead of the configured one."
        )
        parser.add_argument(
            "--files-root", help="Archive this directory instead of PRIVATE_FILES_ROOT."
        )
        parser.add_argument(
            "--backup-root", help="Write the set under this directory instead of BACKUP_ROOT."
        )

    def handle(self, *args, **options):
        root = Path(options["backup_root"] or backup_root())
        try:
            if options["list"]:
                return self.list_sets(root)
            if options["check_fresh"] is not None:
                return self.check_fresh(root, options["check_fresh"])
            if options["prune_only"]:
                return self.prune(root)
            database = (
                Database.from_url(options["database_url"]) if options["database_url"] else None
            )
            files_root = options["files_root"]
            if options["schedule"]:
                return self.run_forever(root, database, files_root)
            self.backup_once(root, database, files_root, prune=not options["no_prune"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

    def backup_once(self, root, database, files_root, *, prune=True):
        report = backup_create(database=database, files_root=files_root, root=root, prune=prune)
        made = report.set
        encryption = made.manifest.get("encryption")
        how = (
            f"encrypted with age for {len(encryption['recipients'])} recipient(s)"
            if encryption
            else "NOT encrypted (set BACKUP_AGE_RECIPIENT)"
        )
        self.stdout.write(
            self.style.SUCCESS(f"Backup set {made.name} written to {made.path} ({how}).")
        )
        self.stdout.write(
            f"  database {made.manifest['database']['name']}: {report.tables} tables, "
            f"{report.rows} rows"
        )
        self.stdout.write(
            f"  files: {report.files} files, {size_text(report.files_bytes)}; set size "
            f"{size_text(made.size_bytes)}"
        )
        if report.missing_files:
            self.stderr.write(
                self.style.WARNING(
                    f"  {len(report.missing_files)} file(s) the database refers to were missing "
                    "from the files root (listed in the manifest under missing_files)."
                )
            )
        if prune:
            self.report_prune(report.kept, report.pruned)

    def prune(self, root):
        kept, pruned = backups_prune(root=root)
        self.report_prune(kept, pruned)

    def report_prune(self, kept, pruned):
        self.stdout.write(
            f"Retention ({settings.BACKUP_KEEP_DAILY} daily, {settings.BACKUP_KEEP_WEEKLY} "
            f"weekly, {settings.BACKUP_KEEP_MONTHLY} monthly): {len(kept)} set(s) kept, "
            f"{len(pruned)} removed" + (f": {', '.join(pruned)}" if pruned else ".")
        )

    def list_sets(self, root):
        sets = backup_sets(root)
        if not sets:
            self.stdout.write(f"No backup sets in {root}.")
            return
        for backup in sets:
            made = timezone.localtime(backup.created_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            flag = "age" if backup.encrypted else "plain"
            self.stdout.write(
                f"{backup.name}  {made}  {flag:5}  {size_text(backup.size_bytes):>10}  "
                f"portal {backup.manifest.get('portal_version', '?')}"
            )

    def check_fresh(self, root, hours):
        age = newest_set_age(root)
        if age is None:
            raise CommandError(f"No backup set in {root}.")
        if age > datetime.timedelta(hours=hours):
            raise CommandError(
                f"The newest backup set is {age.total_seconds() / 3600:.1f} hours old "
                f"(more than {hours:g})."
            )
        self.stdout.write(f"The newest backup set is {age.total_seconds() / 3600:.1f} hours old.")

    def run_forever(self, root, database, files_root):
        at = parse_time_of_day(settings.BACKUP_DAILY_AT)
        age = newest_set_age(root)
        due = clock.now() if age is None or age > datetime.timedelta(days=1) else None
        while True:
            if due is None:
                due = next_daily_run(clock.now(), at)
                self.stdout.write(f"Next backup at {timezone.localtime(due):%Y-%m-%d %H:%M %Z}.")
            wait = (due - clock.now()).total_seconds()
            if wait > 0:
                time.sleep(min(wait, 300))  # wake up now and then: a suspended host, a new clock
                continue
            due = None
            try:
                self.backup_once(root, database, files_root)
            except BackupError as exc:
                # The health check (--check-fresh) turns a run of failures into an alert.
                logger.error("backup failed: %s", exc)
                self.stderr.write(self.style.ERROR(f"Backup failed: {exc}"))
