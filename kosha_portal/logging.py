"""Keeps personal data out of the logs: access-link tokens, email addresses and phone numbers
are redacted from the message, from the formatted exception traceback and stack, and from the
``extra`` fields a call attached (which structured handlers print)."""

import logging
import re

# Personal access links, invitations and password resets carry a secret token in the path;
# addresses and phones are personal data.
_TOKEN_PATH = re.compile(r"(/(?:access|a|account/invitation)/)[A-Za-z0-9_\-]{16,}")
_RESET_PATH = re.compile(r"(/account/password/reset/[A-Za-z0-9_\-]+/)[0-9a-z]+-[0-9a-f]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Japanese phone numbers as people type them: 03-3251-7881, 090-1234-5678, 0120-123-456,
# 09012345678 (not inside a longer run of digits, so ids and timestamps stay readable).
_PHONE = re.compile(r"(?<![\d-])(?:0\d{1,4}-\d{1,4}-\d{3,4}|0[5789]0\d{8}|0\d{9})(?![\d-])")

# Attributes every LogRecord has; anything else came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_MAX_DEPTH = 3


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(r"\1[redacted]", text)
    text = _RESET_PATH.sub(r"\1[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def _redact_value(value, depth: int = 0):
    if isinstance(value, str):
        return redact(value)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item, depth + 1) for item in value)
    return value  # objects (a request, an exception) are left for their handlers to format


class RedactPersonalDataFilter(logging.Filter):
    """Keeps access-link tokens, email addresses and phone numbers out of every log line, its
    traceback and its extra fields."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            message = None
        if message is not None:
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            # The formatter uses exc_text when it is set, so the traceback is printed redacted;
            # exception messages often quote the value that failed (an address, a phone).
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text = redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, _redact_value(value))
        return True
