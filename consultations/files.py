"""What an uploaded file really is, judged by its content (magic bytes), never by its name."""

import os
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_FILES = 5
OOXML_KINDS = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def max_file_bytes() -> int:
    return getattr(settings, "CONSULTATION_MAX_FILE_BYTES", 10 * 1024 * 1024)


def max_total_bytes() -> int:
    return getattr(settings, "CONSULTATION_MAX_TOTAL_BYTES", 25 * 1024 * 1024)


def _ooxml_kind(uploaded) -> tuple[str, str] | None:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        uploaded.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for prefix, kind in OOXML_KINDS.items():
        if any(name.startswith(prefix) for name in names):
            return kind
    return None


def sniff(uploaded) -> tuple[str, str] | None:
    """(MIME type, extension) for an allowed kind of file, or None."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", ".gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if head.startswith(OLE2_MAGIC):
        return "application/vnd.ms-office", ".doc"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(uploaded)
    return None


def safe_display_name(name: str, extension: str) -> str:
    """The submitter's file name, kept for display only, with the extension the content proved."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(c for c in base if c.isprintable() and c not in '"<>:|?*/')[:150]
    stem = os.path.splitext(base)[0] or "file"
    return f"{stem}{extension}"


def validate_uploads(files) -> list[tuple[object, str, str]]:
    """Check a list of uploads; returns (file, mime type, display name) or raises ValidationError
    with every problem found, in polite Japanese."""
    errors, accepted, total = [], [], 0
    files = [f for f in files if f]
    if len(files) > MAX_FILES:
        raise ValidationError(
            _("添付できるファイルは%(count)s件までです。") % {"count": MAX_FILES}, code="too_many"
        )
    limit_mb = max_file_bytes() // (1024 * 1024)
    for uploaded in files:
        name = uploaded.name or ""
        total += uploaded.size
        if uploaded.size == 0:
            errors.append(_("「%(name)s」は空のファイルです。") % {"name": name})
            continue
        if uploaded.size > max_file_bytes():
            errors.append(
                _("「%(name)s」は大きすぎます。1ファイル %(mb)s MB までにしてください。")
                % {"name": name, "mb": limit_mb}
            )
            continue
        kind = sniff(uploaded)
        if kind is None:
            errors.append(
                _(
                    "「%(name)s」は添付できない種類のファイルです。PDF、画像（JPEG・PNG・GIF・"
                    "WebP）、Word・Excel・PowerPointのファイルをお送りください。"
                )
                % {"name": name}
            )
            continue
        mime, extension = kind
        accepted.append((uploaded, mime, safe_display_name(name, extension)))
    if total > max_total_bytes():
        errors.append(
            _("添付ファイルの合計が大きすぎます。合計%(mb)sMBまでにしてください。")
            % {"mb": max_total_bytes() // (1024 * 1024)}
        )
    if errors:
        raise ValidationError(errors)
    return accepted
