"""What went wrong, in words fit for a stored reason and a log line: no personal data.

Used by the outbox and the PDF renderer alike. SMTP replies keep their code and text (addresses
redacted); errors from the operating system keep their own text, which names no person; any other
exception is named by its type and the line that raised it, never by its message, which may quote
the data it choked on."""

import smtplib
import traceback
from pathlib import Path

from django.template import TemplateDoesNotExist, TemplateSyntaxError

from kosha_portal.logging import redact

REASON_MAX_LENGTH = 2000


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _raised_at(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    path = Path(frame.filename)
    return f" at {path.parent.name}/{path.name}:{frame.lineno} in {frame.name}"


def smtp_code(exc: BaseException) -> int | None:
    """The SMTP reply code an exception carries (the first refused recipient's), if any."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return codes[0] if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def exception_reason(exc: BaseException) -> str:
    """One line saying what failed, without personal data."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()), (None, b""))
        text = f"{name} {code}: {_decode(message)}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{name} {exc.smtp_code}: {_decode(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPException | OSError | TemplateDoesNotExist):
        text = f"{name}: {exc}"
    elif isinstance(exc, TemplateSyntaxError):
        text = f"{name}: {exc}{_raised_at(exc)}"
    else:
        text = f"{name}{_raised_at(exc)}"
    return redact(" ".join(text.split()))[:REASON_MAX_LENGTH]
