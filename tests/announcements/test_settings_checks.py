"""The sending settings: a batch never exceeds 100 messages (one SMTP connection) nor what the
rate lets one sender send within a third of its lease; the rate is shared by the senders; and
manage.py check warns about a lease the outbox or a slow server would defeat."""

from announcements import checks, delivery


def test_a_batch_is_at_most_100_and_fits_a_third_of_the_lease_at_the_rate(settings):
    settings.ANNOUNCEMENT_BATCH_SIZE = 500
    settings.ANNOUNCEMENT_RATE_PER_MINUTE = 0
    assert delivery.batch_size() == 100
    settings.ANNOUNCEMENT_RATE_PER_MINUTE = 60  # shared by 2 senders: 0.5 a second each
    settings.ANNOUNCEMENT_SENDERS = 2
    settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS = 300
    assert delivery.batch_size() == 50
    assert delivery._Pace().interval == 2.0


def test_the_lease_checks(settings):
    settings.EMAIL_TIMEOUT = 20
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 900
    settings.ANNOUNCEMENT_BATCH_SIZE = 100
    settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS = 300
    assert checks.announcement_lease_check() == []
    settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS = 100
    assert [w.id for w in checks.announcement_lease_check()] == ["announcements.W001"]
    settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS = 900
    assert [w.id for w in checks.announcement_lease_check()] == ["announcements.W002"]
    settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS = 300
    settings.ANNOUNCEMENT_BATCH_SIZE = 101
    assert [w.id for w in checks.announcement_lease_check()] == ["announcements.E001"]
