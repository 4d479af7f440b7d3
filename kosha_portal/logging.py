import logging
import re

# Personal access links carry a secret token in the path; addresses are personal data.
_TOKEN_PATH = re.compile(r"(/(?:access|a)/)[A-Za-z0-9_\-]{16,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(r"\1[redacted]", text)
    return _EMAIL.sub("[email]", text)


class RedactPersonalDataFilter(logging.Filter):
    """Keeps access-link tokens and email addresses out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
