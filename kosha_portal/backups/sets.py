"""Making backup sets, listing them and pruning them by the retention rule."""

import contextlib
import datetime
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from kosha_portal import clock

from . import postgres
from .errors import BackupError
from .postgres import Database
from .retention import retention_keep

logger = logging.getLogger(__name__)

FORMAT = "kosha-backup/1"
SET_NAME = re.compile(r"^kosha-\d{8}T\d{6}Z(?:-\d+)?$")
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
DUMP = "database.dump"
ARCHIVE = "files.tar"
CHUNK = 1024 * 1024
# A file referenced by the snapshot but gone when the files were archived was almost always
# deleted (erased) in between; one more attempt gives a consistent pair.
ATTEMPTS = 2


@dataclass
class BackupSet:
    name: str
    path: Path
    created_at: datetime.datetime
    manifest: dict

    @property
    def encrypted(self) -> bool:
        return bool(self.manifest.get("encryption"))

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


@dataclass
class BackupReport:
    set: BackupSet
    tables: int
    rows: int
    files: int
    files_bytes: int
    missing_files: list[str]
    pruned: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class _HashingWriter:
    """Passes bytes on to ``target`` and keeps their SHA-256 and length."""

    def __init__(self, target):
        self.target, self.sha256, self.size = target, hashlib.sha256(), 0

    def write(self, data):
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)


class _HashingReader:
    def __init__(self, source):
        self.source, self.sha256 = source, hashlib.sha256()

    def read(self, size=-1):
        data = self.source.read(size)
        self.sha256.update(data)
        return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def portal_version() -> str:
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def backup_root() -> Path:
    return Path(settings.BACKUP_ROOT)


def age_recipients() -> list[str]:
    value = settings.BACKUP_AGE_RECIPIENT
    if isinstance(value, str):
        value = value.split(",")
    return [item.strip() for item in value if item.strip()]


def _age_check_recipients(recipients: list[str]) -> None:
    """Fail before dumping anything when a recipient is malformed."""
    args = [postgres.require_tool("age")]
    for recipient in recipients:
        args += ["-r", recipient]
    result = subprocess.run(args, input=b"", capture_output=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            "BACKUP_AGE_RECIPIENT is not a valid age recipient (an age1... public key, or "
            f"several separated by commas): {result.stderr.decode(errors='replace').strip()}"
        )


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField the portal's models declare."""
    columns = set()
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                columns.add((model._meta.db_table, model_field.column))
    return sorted(columns)


def _referenced_files(conn) -> set[str]:
    names = set()
    for table, column in _file_columns():
        if not postgres.column_exists(conn, table, column):
            continue  # an older schema (a scratch database before a migration)
        query = postgres.sql.SQL("SELECT {} FROM {} WHERE {} <> ''").format(
            postgres.sql.Identifier(column),
            postgres.sql.Identifier(table),
            postgres.sql.Identifier(column),
        )
        names.update(row[0] for row in conn.execute(query) if row[0])
    return names


def _private_files(root: Path) -> list[tuple[Path, str]]:
    """(path, name relative to root) of every regular file, sorted; symlinks are not followed."""
    if not root.exists():
        return []
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return found


def _open_private(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


class _EncryptingSink:
    """A file-like object that pipes into ``age -r ... -o path``."""

    def __init__(self, path: Path, recipients: list[str]):
        args = [postgres.require_tool("age")]
        for recipient in recipients:
            args += ["-r", recipient]
        self.output = _open_private(path)
        self.process = subprocess.Popen(  # noqa: S603
            args, stdin=subprocess.PIPE, stdout=self.output, stderr=subprocess.PIPE
        )

    def write(self, data):
        return self.process.stdin.write(data)

    def close(self):
        self.process.stdin.close()
        stderr = self.process.stderr.read()
        code = self.process.wait()
        self.output.close()
        if code != 0:
            raise BackupError(f"age failed: {stderr.decode(errors='replace').strip()}")


def _dump(database: Database, snapshot: str, target: Path, recipients: list[str]) -> dict:
    """pg_dump -Fc of ``snapshot`` into ``target`` (through age when encrypting)."""
    args = [
        postgres.require_tool("pg_dump"),
        "--format=custom",
        f"--snapshot={snapshot}",
        "--no-password",
        f"--dbname={database.name}",
    ]
    env = database.client_env()
    with tempfile.TemporaryFile() as stderr:
        if not recipients:
            # A seekable file lets pg_dump record data offsets (parallel or partial restores).
            # Created first so that it is private from its first byte.
            _open_private(target).close()
            result = subprocess.run(  # noqa: S603
                [*args, f"--file={target}"], env=env, stderr=stderr, stdout=subprocess.DEVNULL
            )
            plain = {"plain_sha256": None, "plain_size": None}
        else:
            sink = _EncryptingSink(target, recipients)
            writer = _HashingWriter(sink)
            process = subprocess.Popen(  # noqa: S603
                args, env=env, stdout=subprocess.PIPE, stderr=stderr
            )
            try:
                while chunk := process.stdout.read(CHUNK):
                    writer.write(chunk)
            finally:
                process.stdout.close()
                result = subprocess.CompletedProcess(args, process.wait())
                sink.close()
            plain = {"plain_sha256": writer.sha256.hexdigest(), "plain_size": writer.size}
        if result.returncode != 0:
            stderr.seek(0)
            message = stderr.read().decode(errors="replace").strip()
            raise BackupError(f"pg_dump of {database} failed: {message}")
    return plain


def _archive(root: Path, target: Path, recipients: list[str]) -> tuple[dict, dict, int]:
    """Tar of every file under ``root``: (artefact info, {name: sha256}, total bytes)."""
    sink = _EncryptingSink(target, recipients) if recipients else _open_private(target)
    writer = _HashingWriter(sink)
    checksums, total = {}, 0
    try:
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path, name in _private_files(root):
                try:
                    handle = open(path, "rb")  # noqa: SIM115 - closed below
                except FileNotFoundError:
                    continue  # deleted since the walk; the reference check below decides
                with handle:
                    stat = os.fstat(handle.fileno())
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o640
                    reader = _HashingReader(handle)
                    tar.addfile(info, reader)
                checksums[name] = reader.sha256.hexdigest()
                total += stat.st_size
    finally:
        sink.close()
    if recipients:
        plain = {"plain_sha256": writer.sha256.hexdigest(), "plain_size": writer.size}
    else:
        plain = {"plain_sha256": None, "plain_size": None}  # the stored file is the plain one
    return plain, checksums, total


def _set_name(root: Path, instant: datetime.datetime) -> str:
    base = "kosha-" + instant.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    name, counter = base, 1
    while (root / name).exists():
        counter += 1
        name = f"{base}-{counter}"
    return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive(root: Path):
    with open(root / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(f"Another backup is running in {root}; try again later.") from exc
        yield


def _write_set(
    *, database: Database, files_root: Path, workdir: Path, recipients: list[str]
) -> tuple[dict, set[str]]:
    """Dump, archive and manifest into ``workdir``; returns the manifest and the referenced
    files that were not there when the files were archived."""
    suffix = ".age" if recipients else ""
    dump_path, archive_path = workdir / (DUMP + suffix), workdir / (ARCHIVE + suffix)
    created_at = clock.now()
    with database.connect() as conn:
        conn.isolation_level = postgres.psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        # Everything the manifest says about the database, and pg_dump itself, read this one
        # snapshot: the counts are exactly what the dump holds.
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server_version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        migrations = postgres.applied_migrations(conn)
        counts = postgres.row_counts(conn)
        referenced = _referenced_files(conn)
        dump_plain = _dump(database, snapshot, dump_path, recipients)
        conn.rollback()
    # Files are archived after the snapshot: every file a dumped row points to was written before
    # that row committed, so it is in the archive unless it was deleted in between.
    archive_plain, checksums, total = _archive(files_root, archive_path, recipients)
    missing = referenced - set(checksums)
    artefacts = {}
    for role, path, plain in (
        ("database", dump_path, dump_plain),
        ("files", archive_path, archive_plain),
    ):
        artefacts[role] = {
            "path": path.name,
            "sha256": file_sha256(path),
            "size": path.stat().st_size,
            **({k: v for k, v in plain.items() if v is not None}),
        }
    manifest = {
        "format": FORMAT,
        "name": workdir.name.removeprefix(".partial-"),
        "created_at": created_at.astimezone(datetime.UTC).isoformat(),
        "created_at_jst": timezone.localtime(created_at).isoformat(),
        "portal_version": portal_version(),
        "django_version": django.get_version(),
        "database": {
            "name": database.name,
            "server_version": server_version,
            "pg_dump_version": postgres.tool_version("pg_dump"),
            "migrations": migrations,
            "row_counts": counts,
            "file_references": len(referenced),
            "missing_files": sorted(missing),
        },
        "files": {"count": len(checksums), "total_bytes": total, "sha256": checksums},
        "artefacts": artefacts,
        "encryption": {"tool": "age", "recipients": recipients} if recipients else None,
    }
    manifest_path = workdir / MANIFEST
    with _open_private(manifest_path) as handle:
        handle.write(json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    lines = [f"{file_sha256(workdir / n)}  {n}\n" for n in (dump_path.name, archive_path.name)]
    lines.append(f"{file_sha256(manifest_path)}  {MANIFEST}\n")
    with _open_private(workdir / CHECKSUMS) as handle:
        handle.write("".join(lines).encode("ascii"))
    for path in workdir.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    return manifest, missing


def backup_create(
    *,
    database: Database | None = None,
    files_root: Path | None = None,
    root: Path | None = None,
    recipients: list[str] | None = None,
    prune: bool = True,
) -> BackupReport:
    """Write one consistent backup set (database dump, files archive, manifest) under ``root``
    and, unless ``prune`` is False, remove the sets the retention rule no longer keeps."""
    database = database or Database.from_settings()
    files_root = Path(files_root or settings.PRIVATE_FILES_ROOT)
    root = Path(root or backup_root())
    recipients = age_recipients() if recipients is None else recipients
    if recipients:
        _age_check_recipients(recipients)
    postgres.require_tool("pg_dump")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _exclusive(root):
        for stale in root.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)  # a run that crashed; we hold the lock
        for attempt in range(1, ATTEMPTS + 1):
            name = _set_name(root, clock.now())
            workdir = root / f".partial-{name}"
            workdir.mkdir(mode=0o700)
            try:
                manifest, missing = _write_set(
                    database=database, files_root=files_root, workdir=workdir, recipients=recipients
                )
            except BaseException:
                shutil.rmtree(workdir, ignore_errors=True)
                raise
            if missing and attempt < ATTEMPTS:
                shutil.rmtree(workdir, ignore_errors=True)
                continue
            break
        final = root / name
        workdir.rename(final)
        _fsync_dir(root)
        made = _load_set(final)
        if missing:
            logger.warning(
                "backup %s: %d file(s) referenced by the database were missing from %s",
                name,
                len(missing),
                files_root,
            )
        report = BackupReport(
            set=made,
            tables=len(manifest["database"]["row_counts"]),
            rows=sum(manifest["database"]["row_counts"].values()),
            files=manifest["files"]["count"],
            files_bytes=manifest["files"]["total_bytes"],
            missing_files=sorted(missing),
        )
        if prune:
            report.kept, report.pruned = backups_prune(root=root, protect={name})
    return report


def _load_set(path: Path) -> BackupSet | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        created_at = datetime.datetime.fromisoformat(manifest["created_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.get("format") != FORMAT or created_at.tzinfo is None:
        return None
    return BackupSet(name=path.name, path=path, created_at=created_at, manifest=manifest)


def backup_sets(root: Path | None = None) -> list[BackupSet]:
    """The complete sets under ``root``, oldest first. Directories that are not sets (no valid
    manifest, another name, a set still being written) are left out and never pruned."""
    root = Path(root or backup_root())
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        if path.is_dir() and SET_NAME.match(path.name):
            loaded = _load_set(path)
            if loaded is not None:
                found.append(loaded)
    return sorted(found, key=lambda s: (s.created_at, s.name))


def backups_prune(
    *, root: Path | None = None, now: datetime.datetime | None = None, protect=frozenset()
) -> tuple[list[str], list[str]]:
    """Delete the sets the retention rule (BACKUP_KEEP_*) does not keep: (kept, pruned) names."""
    now = now or clock.now()
    sets = backup_sets(root)
    keep = retention_keep(
        [s.created_at for s in sets],
        now=now,
        daily=settings.BACKUP_KEEP_DAILY,
        weekly=settings.BACKUP_KEEP_WEEKLY,
        monthly=settings.BACKUP_KEEP_MONTHLY,
    )
    kept, pruned = [], []
    for backup in sets:
        if backup.created_at in keep or backup.name in protect:
            kept.append(backup.name)
        else:
            shutil.rmtree(backup.path)
            pruned.append(backup.name)
    return kept, pruned


def newest_set_age(root: Path | None = None) -> datetime.timedelta | None:
    sets = backup_sets(root)
    return clock.now() - sets[-1].created_at if sets else None
