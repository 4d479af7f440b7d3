from django.conf import settings
from django.core import checks

# An SMTP conversation is a handful of exchanges, each allowed EMAIL_TIMEOUT; a row requeued while
# its worker is still talking could be delivered twice.
EXCHANGES_PER_CONVERSATION = 10


@checks.register(checks.Tags.compatibility)
def outbox_sending_timeout_check(app_configs=None, **kwargs):
    """The in-flight timeout must outlast the longest SMTP conversation."""
    email_timeout = settings.EMAIL_TIMEOUT or 0
    needed = EXCHANGES_PER_CONVERSATION * email_timeout
    if needed > settings.OUTBOX_SENDING_TIMEOUT_SECONDS:
        return [
            checks.Warning(
                f"OUTBOX_SENDING_TIMEOUT_SECONDS ({settings.OUTBOX_SENDING_TIMEOUT_SECONDS}) is "
                f"shorter than {EXCHANGES_PER_CONVERSATION} × EMAIL_TIMEOUT ({needed:g}s): an "
                "email whose server is merely slow may be requeued and delivered twice.",
                id="mail.W001",
            )
        ]
    return []
