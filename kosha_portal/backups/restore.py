"""Checking a backup set and restoring it into an empty database and files root."""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from . import postgres
from .errors import BackupError
from .postgres import Database
from .sets import ARCHIVE, CHECKSUMS, CHUNK, DUMP, FORMAT, MANIFEST, backup_root, file_sha256

# Left alone in a files root that is a mount point of its own.
IGNORED_IN_FILES_ROOT = {"lost+found"}


@dataclass
class VerifiedSet:
    path: Path
    manifest: dict
    dump: Path  # the plain (decrypted) dump
    archive: Path  # the plain (decrypted) tar

    @property
    def name(self) -> str:
        return self.manifest["name"]


@dataclass
class RestoreReport:
    name: str
    created_at: str
    portal_version: str
    database: str
    files_root: str
    tables: int
    rows: int
    files: int
    files_bytes: int
    migrations_applied: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    replaced: bool = False


def _damaged(message: str) -> BackupError:
    return BackupError(
        f"The backup set is damaged: {message} Nothing was restored; copy the set again from "
        "another copy (off-host) or restore an older set."
    )


def resolve_set(path_or_name: str | Path) -> Path:
    """A set given by its path, or by its name under BACKUP_ROOT."""
    path = Path(path_or_name)
    if not path.exists() and len(path.parts) == 1:
        path = backup_root() / path
    if not path.is_dir():
        raise BackupError(f"There is no backup set at {path}.")
    return path


def _read_checksums(path: Path) -> dict[str, str]:
    sums = {}
    for line in (path / CHECKSUMS).read_text(encoding="ascii", errors="replace").splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest and name:
            sums[name] = digest
    return sums


def _load_manifest(path: Path) -> dict:
    for required in (MANIFEST, CHECKSUMS):
        if not (path / required).is_file():
            raise _damaged(f"{required} is missing from {path}.")
    sums = _read_checksums(path)
    if sums.get(MANIFEST) != file_sha256(path / MANIFEST):
        raise _damaged(f"{MANIFEST} does not match its SHA-256 in {CHECKSUMS}.")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise _damaged(f"{MANIFEST} is not valid JSON ({exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} is not a backup set this portal can read (format "
            f"{manifest.get('format')!r}, expected {FORMAT!r})."
        )
    for role in ("database", "files"):
        artefact = manifest["artefacts"][role]
        stored = path / artefact["path"]
        if not stored.is_file():
            raise _damaged(f"{artefact['path']} is missing from {path}.")
        if stored.stat().st_size != artefact["size"]:
            raise _damaged(
                f"{artefact['path']} has {stored.stat().st_size} bytes; the manifest says "
                f"{artefact['size']}."
            )
        digest = file_sha256(stored)
        if digest != artefact["sha256"] or sums.get(artefact["path"]) != digest:
            raise _damaged(
                f"{artefact['path']} does not match its SHA-256 in the manifest (it is corrupt)."
            )
    return manifest


def _check_compatible(manifest: dict) -> None:
    dumped_with = manifest["database"]["pg_dump_version"]
    restore_with = postgres.tool_version("pg_restore")
    if postgres.major(restore_with) < postgres.major(dumped_with):
        raise BackupError(
            f"The set was dumped with pg_dump {dumped_with}; this machine has pg_restore "
            f"{restore_with}, which cannot read it. Install postgresql-client-"
            f"{postgres.major(dumped_with)}."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["database"]["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            f"The set was made by a newer portal (version {manifest['portal_version']}): this "
            f"code does not know its migrations {', '.join(unknown)}. Deploy the portal version "
            "that made the set (or a newer one) and restore again."
        )


def _safe_member_name(member: tarfile.TarInfo) -> str:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise _damaged(f"the files archive holds an unsafe path {member.name!r}.")
    return name.as_posix()


def _verify_archive(archive: Path, expected: dict[str, str]) -> None:
    seen = {}
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise _damaged(f"the files archive holds a non-regular file {member.name!r}.")
                name = _safe_member_name(member)
                digest = hashlib.sha256()
                with tar.extractfile(member) as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                seen[name] = digest.hexdigest()
    except tarfile.TarError as exc:
        raise _damaged(f"the files archive cannot be read ({exc}).") from exc
    for name in sorted(set(expected) | set(seen)):
        if name not in seen:
            raise _damaged(f"the file {name} listed in the manifest is not in the archive.")
        if name not in expected:
            raise _damaged(f"the archive holds {name}, which the manifest does not list.")
        if seen[name] != expected[name]:
            raise _damaged(f"the file {name} does not match its SHA-256 in the manifest.")


def _decrypt(stored: Path, target: Path, identity: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [postgres.require_tool("age"), "--decrypt", "-i", str(identity), "-o", str(target)]
        + [str(stored)],
        capture_output=True,
    )
    if result.returncode != 0:
        raise BackupError(
            f"age could not decrypt {stored.name} with {identity}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )


def _identity(identity: str | Path | None) -> Path:
    identity = identity or settings.BACKUP_AGE_IDENTITY_FILE
    if not identity:
        raise BackupError(
            "The set is encrypted with age. Give the identity (private key) file with "
            "--identity or BACKUP_AGE_IDENTITY_FILE."
        )
    path = Path(identity)
    if not path.is_file():
        raise BackupError(f"The age identity file {path} does not exist.")
    return path


@contextlib.contextmanager
def backup_set_verify(
    path_or_name: str | Path, *, identity: str | Path | None = None
) -> Iterator[VerifiedSet]:
    """Check a set before anything is restored from it: every file present, every SHA-256 equal
    to the manifest (the stored files, the decrypted ones, each private file inside the archive),
    a dump pg_restore can read, migrations this code knows. Yields the plain dump and archive
    (decrypted into a private temporary directory, removed afterwards)."""
    path = resolve_set(path_or_name)
    manifest = _load_manifest(path)
    _check_compatible(manifest)
    artefacts = manifest["artefacts"]
    with tempfile.TemporaryDirectory(prefix="kosha-restore-") as scratch:
        if manifest.get("encryption"):
            key = _identity(identity)
            plain = {}
            for role, filename in (("database", DUMP), ("files", ARCHIVE)):
                plain[role] = Path(scratch) / filename
                _decrypt(path / artefacts[role]["path"], plain[role], key)
                if (
                    file_sha256(plain[role]) != artefacts[role]["plain_sha256"]
                    or plain[role].stat().st_size != artefacts[role]["plain_size"]
                ):
                    raise _damaged(f"the decrypted {filename} does not match the manifest.")
        else:
            plain = {role: path / artefacts[role]["path"] for role in ("database", "files")}
        _verify_archive(plain["files"], manifest["files"]["sha256"])
        listing = subprocess.run(  # noqa: S603
            [postgres.require_tool("pg_restore"), "--list", str(plain["database"])],
            capture_output=True,
        )
        if listing.returncode != 0:
            raise _damaged(
                "pg_restore cannot read the database dump: "
                f"{listing.stderr.decode(errors='replace').strip()}"
            )
        yield VerifiedSet(
            path=path, manifest=manifest, dump=plain["database"], archive=plain["files"]
        )


def _files_root_entries(root: Path) -> list[Path]:
    if not root.exists():
        return []
    if not root.is_dir():
        raise BackupError(f"The files root {root} is not a directory.")
    return [p for p in root.iterdir() if p.name not in IGNORED_IN_FILES_ROOT]


def _extract(archive: Path, root: Path, expected: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            if not member.isfile():
                continue
            name = _safe_member_name(member)
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "wb") as out, tar.extractfile(member) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            os.utime(target, (member.mtime, member.mtime))
            if digest.hexdigest() != expected.get(name):
                raise BackupError(
                    f"{target} was written but does not match its SHA-256 in the manifest; the "
                    "restore is incomplete. Check the disk and restore again with --force."
                )


def _migrate(database: Database) -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = database.url
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "migrate", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BackupError(
            f"The data is restored, but migrating {database} forward failed:\n{tail}\n"
            "Fix the cause and run `manage.py migrate` against it."
        )


def backup_restore(
    path_or_name: str | Path,
    *,
    database: Database | None = None,
    files_root: str | Path | None = None,
    force: bool = False,
    identity: str | Path | None = None,
) -> RestoreReport:
    """Restore a set into an empty database and files root (or replace what is there when
    ``force``), check the row counts and file checksums against the manifest, then migrate the
    database forward when the set is older than the code."""
    database = database or Database.from_settings()
    files_root = Path(files_root or settings.PRIVATE_FILES_ROOT)
    with backup_set_verify(path_or_name, identity=identity) as verified:
        manifest = verified.manifest
        # Both targets are judged before either is touched.
        created = False
        if not database.exists():
            database.create()
            created = True
        with database.connect(autocommit=True) as conn:
            relations = postgres.public_relation_count(conn)
        entries = _files_root_entries(files_root)
        if relations and not force:
            raise BackupError(
                f"The database {database} is not empty ({relations} tables, views or "
                "sequences). Restore into an empty database, or pass --force to replace "
                "everything in it."
            )
        if entries and not force:
            if created:
                database.drop()
            raise BackupError(
                f"The files root {files_root} is not empty ({len(entries)} entries). Restore "
                "into an empty directory, or pass --force to replace everything in it."
            )
        if relations:
            with database.connect(autocommit=True) as conn:
                postgres.public_schema_reset(conn)
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

        result = subprocess.run(  # noqa: S603
            [
                postgres.require_tool("pg_restore"),
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={database.name}",
                str(verified.dump),
            ],
            env=database.client_env(),
            capture_output=True,
        )
        if result.returncode != 0:
            raise BackupError(
                f"pg_restore into {database} failed; the database was left as it was: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        with database.connect(autocommit=True) as conn:
            conn.execute("ANALYZE")
            counts = postgres.row_counts(conn)
            applied_before = postgres.applied_migrations(conn)
        expected = manifest["database"]["row_counts"]
        if counts != expected:
            differences = [
                f"{table}: {counts.get(table, 'no table')} rows, the set says "
                f"{expected.get(table, 'no table')}"
                for table in sorted(set(counts) | set(expected))
                if counts.get(table) != expected.get(table)
            ]
            raise BackupError(
                f"The restored database {database} does not hold what the set says: "
                + "; ".join(differences[:10])
            )
        _extract(verified.archive, files_root, manifest["files"]["sha256"])

    graph_nodes = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    applied = {(app, name) for app, names in applied_before.items() for name in names}
    migrations_applied = []
    if graph_nodes - applied:
        _migrate(database)
        with database.connect(autocommit=True) as conn:
            applied_after = postgres.applied_migrations(conn)
        migrations_applied = sorted(
            f"{app}.{name}"
            for app, names in applied_after.items()
            for name in names
            if (app, name) not in applied
        )
    return RestoreReport(
        name=manifest["name"],
        created_at=manifest["created_at_jst"],
        portal_version=manifest["portal_version"],
        database=str(database),
        files_root=str(files_root),
        tables=len(expected),
        rows=sum(expected.values()),
        files=manifest["files"]["count"],
        files_bytes=manifest["files"]["total_bytes"],
        migrations_applied=migrations_applied,
        missing_files=manifest["database"]["missing_files"],
        replaced=bool(relations or entries),
    )
