from django.conf import settings
from django.core import checks

# One SMTP conversation is a handful of exchanges, each allowed EMAIL_TIMEOUT (mail/checks.py).
EXCHANGES_PER_CONVERSATION = 10


@checks.register(checks.Tags.compatibility)
def announcement_lease_check(app_configs=None, **kwargs):
    """The sender's lease must outlast one message and end before the outbox requeues in-flight
    rows on its own (which would send a handed-over message a second time)."""
    lease = settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS
    found = []
    # A dead sender's message is recovered once it is two thirds of a lease old (delivery.py):
    # the longest conversation of a live one must be shorter than that.
    if lease * 2 / 3 < EXCHANGES_PER_CONVERSATION * (settings.EMAIL_TIMEOUT or 0):
        found.append(
            checks.Warning(
                f"ANNOUNCEMENT_SENDER_LEASE_SECONDS ({lease}) is shorter than 1.5 × "
                f"{EXCHANGES_PER_CONVERSATION} × EMAIL_TIMEOUT: a slow server could make a second "
                "sender take over while the first is still talking.",
                id="announcements.W001",
            )
        )
    if lease >= settings.OUTBOX_SENDING_TIMEOUT_SECONDS:
        found.append(
            checks.Warning(
                f"ANNOUNCEMENT_SENDER_LEASE_SECONDS ({lease}) is not shorter than "
                f"OUTBOX_SENDING_TIMEOUT_SECONDS ({settings.OUTBOX_SENDING_TIMEOUT_SECONDS}): the "
                "outbox would requeue a dead sender's message before the next sender recovers it.",
                id="announcements.W002",
            )
        )
    if not 1 <= settings.ANNOUNCEMENT_BATCH_SIZE <= 100:
        found.append(
            checks.Error(
                "ANNOUNCEMENT_BATCH_SIZE must be between 1 and 100 (messages per SMTP connection).",
                id="announcements.E001",
            )
        )
    return found
