"""Retention of the private files folder: every file under PRIVATE_FILES_ROOT belongs to a
record (a consultation attachment, a generated PDF). A file no record refers to — left by a
crash between writing the file and committing its row, or by a deletion whose clean-up did not
run — is deleted once older than RETENTION_ORPHAN_FILE_HOURS, and empty folders with it."""

import contextlib
import datetime
import os
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def referenced_files() -> set[str]:
    """Storage names (relative to the private root) that some record points to."""
    from consultations.models import ConsultationAttachment
    from kosha_portal.documents.models import GeneratedDocument

    names = set(ConsultationAttachment.objects.values_list("file", flat=True))
    names |= set(GeneratedDocument.objects.exclude(file="").values_list("file", flat=True))
    return {name for name in names if name}


def _bulk(now, limit):
    root = Path(settings.PRIVATE_FILES_ROOT)
    if not root.is_dir():
        return 0
    cutoff = (now - datetime.timedelta(hours=settings.RETENTION_ORPHAN_FILE_HOURS)).timestamp()
    referenced = referenced_files()
    deleted = 0
    for directory, _subdirs, files in os.walk(root, topdown=False):
        for name in files:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if relative in referenced:
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
        if Path(directory) != root:
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # only succeeds when empty
    return deleted


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("private_files", _("非公開ファイル"), bulk=_bulk, once=True)]


PARTS = _parts()
