"""The fixed calendar the suite runs on. Time is an input: a test whose outcome depends on the date
freezes the clock at one of these instants (``pytest.mark.time_machine(timeline.NOW)``, see
tests/conftest.py) and the factories build their rows at these dates, so the suite passes
whatever the machine's clock says (CI runs it once more under libfaketime, see README).

令和8年度 (FY2026) as the factories build it, in JST; the dates are chosen so that every
date-dependent rule meets a deliberate edge:

    2026-04-01 00:00      dispatch applications open (the fiscal year starts)
    2026-10-13 Tue 10:00  the factories' consultation is received (reply by the next business day)
    2026-10-15 Thu 10:00  the factories' dispatch application
    2026-11-02 Mon        派遣決定 (the factories' decision date): the first allowed visit date
    2026-11-16 Mon 10:00  seminar registration opens
    2026-11-23 Mon        勤労感謝の日 (a holiday between the visits the tests schedule)
    2026-12-01 Tue 10:00  NOW: "today" for the frozen tests, a business day inside every window
    2026-12-28 Mon        the seminar's early reminder: 3 business days before 01-06 skip the
                          year-end closure (12/29-1/3)
    2027-01-03 Sun 14:00  seminar registration closes (3 days before the start)
    2027-01-06 Wed 14:00  the factories' seminar (until 16:00)
    2027-01-12 Tue        the factories' school cohort starts (ends 2027-03-16)
    2027-01-29 Fri 23:59:59  dispatch applications close
    2027-02-26 Fri        the dispatch period ends: visits up to this day, expiry the day after
    2027-03-31 / 04-01    the fiscal-year boundary
"""

import datetime
import os

from kosha_portal.japan.deadlines import JST


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


# FY2026 expert dispatch (the program year the factories build for 2026).
FY2026_OPENS = jst(2026, 4, 1)
FY2026_CLOSES = jst(2027, 1, 29, 23, 59, 59)
FY2026_DISPATCH_ENDS = datetime.date(2027, 2, 26)
CONSULTED_AT = jst(2026, 10, 13, 10)
CONSULTATION_REPLY_BY = datetime.date(2026, 10, 14)
APPLIED_AT = jst(2026, 10, 15, 10)
DECISION_DATE = datetime.date(2026, 11, 2)

# "Today" for the frozen tests.
NOW = jst(2026, 12, 1, 10)
# The first day the FY2026 window is closed (a Saturday): the day the suite used to turn red.
AFTER_APPLICATIONS_CLOSE = jst(2027, 1, 30, 10)
# After the dispatch period: FY2026 dispatches no longer block and are due to expire.
AFTER_DISPATCH_PERIOD = jst(2027, 3, 1, 10)

# The factories' seminar.
SEMINAR_REGISTRATION_OPENS = jst(2026, 11, 16, 10)
SEMINAR_STARTS = jst(2027, 1, 6, 14)
SEMINAR_ENDS = jst(2027, 1, 6, 16)
SEMINAR_REGISTRATION_CLOSES = SEMINAR_STARTS - datetime.timedelta(days=3)

# The factories' school cohort.
COHORT_STARTS = datetime.date(2027, 1, 12)
COHORT_ENDS = datetime.date(2027, 3, 16)


def real_clock_env() -> dict[str, str]:
    """The environment for a child process that must keep the real clock when the suite runs
    under libfaketime: redis-server spins in clock_gettime with it preloaded."""
    return {
        key: value
        for key, value in os.environ.items()
        if key != "LD_PRELOAD" and not key.startswith("FAKETIME")
    }
