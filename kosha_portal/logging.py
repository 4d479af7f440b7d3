import logging
import re

# Personal access links, invitations and password resets carry a secret token in the path;
# addresses are personal data.
_TOKEN_PATH = re.compile(r"(/(?:access|a|account/invitation)/)[A-Za-z0-9_\-]{16,}")
_RESET_PATH = re.compile(r"(/account/password/reset/[A-Za-z0-9_\-]+/)[0-9a-z]+-[0-9a-f]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(r"\1[redacted]", text)
    text = _RESET_PATH.sub(r"\1[redacted]", text)
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
