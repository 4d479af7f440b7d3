"""The portal's one clock.

Services, selectors and tasks read "now" here (or take it as an argument) rather than from the
database or the operating system directly, so that time is an input: tests freeze it
(time-machine) and the suite passes on any date. Never use SQL ``now()``: under libfaketime the
database keeps the real clock."""

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    """The current instant (aware, UTC)."""
    return timezone.now()


def localtime() -> datetime.datetime:
    """The current instant in Japan Standard Time."""
    return timezone.localtime(now())


def today() -> datetime.date:
    """Today's date in Japan Standard Time."""
    return timezone.localdate(now())
