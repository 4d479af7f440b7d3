"""manage.py restore: bring a backup set back into an empty database and files root."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kosha_portal.backups import BackupError, Database, backup_restore, backup_set_verify
from kosha_portal.backups.text import size_text


class Command(BaseCommand):
    help = (
        "Checks a backup set (manifest and SHA-256 of every file), restores it into an empty "
        "database and files root, checks row counts and file checksums against the manifest, and "
        "migrates the database forward when the set is older than the code."
    )

    def add_arguments(self, parser):
        parser.add_argument("set", help="The set's directory, or its name under BACKUP_ROOT.")
        parser.add_argument(
            "--database-url",
            help="Restore into this PostgreSQL database instead of the configured one "
            "(it is created when it does not exist).",
        )
        parser.add_argument(
            "--files-root", help="Restore the files here instead of PRIVATE_FILES_ROOT."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a non-empty database and files root.",
        )
        parser.add_argument(
            "--identity",
            help="age identity (private key) file for an encrypted set "
            "(default BACKUP_AGE_IDENTITY_FILE).",
        )
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="Only check the set (checksums, decryption, archive, dump); restore nothing.",
        )

    def handle(self, *args, **options):
        try:
            if options["check_only"]:
                with backup_set_verify(options["set"], identity=options["identity"]) as verified:
                    manifest = verified.manifest
                self.stdout.write(
                    self.style.SUCCESS(
                        f"The set {manifest['name']} is intact: the dump and "
                        f"{manifest['files']['count']} files match the manifest."
                    )
                )
                return
            database = (
                Database.from_url(options["database_url"]) if options["database_url"] else None
            )
            report = backup_restore(
                options["set"],
                database=database,
                files_root=options["files_root"],
                force=options["force"],
                identity=options["identity"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        made = timezone.localtime(datetime.datetime.fromisoformat(report.created_at))
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {report.name} (made {made:%Y-%m-%d %H:%M %Z} by portal "
                f"{report.portal_version})."
            )
        )
        self.stdout.write(
            f"  database {report.database}: {report.tables} tables, {report.rows} rows, "
            "row counts equal to the manifest"
        )
        self.stdout.write(
            f"  files {report.files_root}: {report.files} files, {size_text(report.files_bytes)}, "
            "SHA-256 of each equal to the manifest"
        )
        if report.migrations_applied:
            self.stdout.write("  migrated forward: " + ", ".join(report.migrations_applied))
        else:
            self.stdout.write("  migrations: none to apply (the set matches this code)")
        if report.missing_files:
            self.stderr.write(
                self.style.WARNING(
                    f"  {len(report.missing_files)} file(s) were already missing when the set "
                    "was made (manifest: database.missing_files)."
                )
            )
