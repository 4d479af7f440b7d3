"""特別相談窓口 figures for the program report (実績報告). Pure reads, aggregated in SQL: the
number of queries does not depend on how many consultations there are.

Which consultations: those received (``received_at``) inside the period, JST. Multi-select answers
are counted once per consultation choosing them; no personal field is ever read."""

import datetime
from collections import Counter

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Least,
    Substr,
    Trim,
    TruncDate,
    TruncMonth,
)

from kosha_portal.audit.models import AuditEvent
from kosha_portal.japan.business_days import BusinessCalendar
from kosha_portal.japan.deadlines import JST, jst_date
from kosha_portal.reports.municipalities import municipality_row
from kosha_portal.reports.periods import ReportPeriod, month_key
from kosha_portal.reports.sql import multiselect_counts, weighted_median

from .models import Consultation, ConsultationMessage
from .selectors import OPEN_STATUSES, overdue_q

MULTISELECT_FIELDS = ["behaviour_types", "places", "damages", "requested_support", "measures"]
MAIN_BUSINESS_TOP = 15
_STATUS_ACTION = "consultation.status."


def consultations_in(period: ReportPeriod):
    return Consultation.objects.filter(received_at__gte=period.start, received_at__lt=period.end)


def _first_reply_at():
    """The first reply the desk gave: its first reply through the portal, or the moment it
    marked the consultation answered (a reply by phone), whichever came first."""
    first_message = (
        ConsultationMessage.objects.filter(
            consultation=OuterRef("pk"), kind=ConsultationMessage.Kind.REPLY
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    message_at = Subquery(first_message)
    # LEAST with NULL differs between databases; coalescing both sides keeps it portable.
    return Least(Coalesce(message_at, F("answered_at")), Coalesce(F("answered_at"), message_at))


def _status_at(at: datetime.datetime):
    """The status each consultation had at ``at``: its status now unless a status change was
    recorded after ``at``, and then the last one recorded at or before it (新規受付 if none).
    Status changes are the ``consultation.status.<to>`` audit events every transition writes."""
    content_type = ContentType.objects.get_for_model(Consultation)
    events = AuditEvent.objects.filter(
        content_type=content_type,
        object_id=Cast(OuterRef("pk"), CharField()),
        action__startswith=_STATUS_ACTION,
    )
    last_before = (
        events.filter(created_at__lte=at)
        .order_by("-created_at", "-pk")
        .annotate(to=Substr("action", len(_STATUS_ACTION) + 1))
        .values("to")[:1]
    )
    return Case(
        When(
            Exists(events.filter(created_at__gt=at)),
            then=Coalesce(Subquery(last_before), Value(Consultation.Status.NEW)),
        ),
        default=F("status"),
        output_field=CharField(),
    )


def consultation_report(
    *, period: ReportPeriod, now: datetime.datetime, today: datetime.date
) -> dict:
    """Every 特別相談窓口 figure of ``period`` as plain data (JSON-serialisable)."""
    scope = consultations_in(period)

    # 1. One scan grouped by the fixed categories: month, channel, industry, need, open/overdue.
    overdue = overdue_q(today)
    grouped = (
        scope.annotate(month=TruncMonth("received_at", tzinfo=JST))
        .values("month", "channel", "organisation__industry", "dispatch_need", "status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=overdue),
        )
        .order_by()
    )
    by_month = {month_key(m): 0 for m in period.months}
    by_channel, by_industry, by_status_now = Counter(), Counter(), Counter()
    need = {"yes": 0, "no": 0, "undecided": 0}
    total = open_now = overdue_now = 0
    for row in grouped:
        n = row["n"]
        total += n
        by_month[month_key(row["month"])] += n
        by_channel[row["channel"]] += n
        by_industry[row["organisation__industry"]] += n
        by_status_now[row["status"]] += n
        need[{True: "yes", False: "no", None: "undecided"}[row["dispatch_need"]]] += n
        if row["status"] in OPEN_STATUSES:
            open_now += n
        overdue_now += row["overdue"]

    # 2. Where the companies are (grouped by the address fields, then mapped onto the 62).
    by_municipality = Counter()
    for row in (
        scope.values(
            "organisation__prefecture",
            "organisation__prefecture_code",
            "organisation__municipality",
        )
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_municipality[
            municipality_row(
                prefecture=row["organisation__prefecture"],
                prefecture_code=row["organisation__prefecture_code"],
                municipality=row["organisation__municipality"],
            )
        ] += row["n"]

    # 3. Main business as the company wrote it: the most frequent, the rest summed.
    main_business = [
        [row["business"], row["n"]]
        for row in scope.annotate(business=Trim("organisation__main_business"))
        .values("business")
        .annotate(n=Count("pk"))
        .order_by("-n", "business")[: MAIN_BUSINESS_TOP + 1]
    ]
    blank = sum(n for business, n in main_business if not business)
    listed = [[b, n] for b, n in main_business if b][:MAIN_BUSINESS_TOP]

    # 4. Multi-selects, counted per answer, with the consultations answering at all.
    answers = multiselect_counts(scope, MULTISELECT_FIELDS)
    answered = scope.aggregate(
        **{field: Count("pk", filter=~Q(**{field: []})) for field in MULTISELECT_FIELDS}
    )
    multiselect = {
        field: {"answers": answers[field], "consultations": answered[field] or 0}
        for field in MULTISELECT_FIELDS
    }

    # 5. Response: business days to the first reply, and replies by the reply-by date.
    reply_groups = list(
        scope.annotate(first_reply=_first_reply_at())
        .values(
            "reply_by",
            "status",
            received_day=TruncDate("received_at", tzinfo=JST),
            reply_day=TruncDate("first_reply", tzinfo=JST),
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    unanswered_late = sum(
        g["n"]
        for g in reply_groups
        if g["reply_day"] is None
        and g["reply_by"] < today
        and g["status"] != Consultation.Status.WITHDRAWN
    )
    reply_groups = [g for g in reply_groups if g["reply_day"] is not None]
    replied = sum(g["n"] for g in reply_groups)
    on_time = sum(g["n"] for g in reply_groups if g["reply_day"] <= g["reply_by"])
    median_days = None
    if reply_groups:
        calendar = BusinessCalendar(
            min(g["received_day"] for g in reply_groups),
            max(g["reply_day"] for g in reply_groups),
        )
        median_days = weighted_median(
            [
                (_business_days(calendar, g["received_day"], g["reply_day"]), g["n"])
                for g in reply_groups
            ]
        )
    measured = replied + unanswered_late

    # 6. Outcomes: the status at the end of the period (or now, while it runs).
    as_of = period.as_of(now)
    if as_of >= now:
        status_at_end = dict(by_status_now)
    else:
        status_at_end = {
            row["at_end"]: row["n"]
            for row in scope.annotate(at_end=_status_at(as_of))
            .values("at_end")
            .annotate(n=Count("pk"))
            .order_by()
        }

    return {
        "total": total,
        "by_month": by_month,
        "by_channel": dict(by_channel),
        "by_industry": dict(by_industry),
        "by_municipality": dict(by_municipality),
        "main_business": listed,
        "main_business_other": total - blank - sum(n for _b, n in listed),
        "main_business_blank": blank,
        "multiselect": multiselect,
        "need": need,
        "status_at_end": status_at_end,
        "status_as_of": jst_date(as_of - datetime.timedelta(microseconds=1)).isoformat(),
        "response": {
            "replied": replied,
            "median_business_days": median_days,
            "on_time": on_time,
            "late": replied - on_time,
            "unanswered_overdue": unanswered_late,
            "on_time_share": on_time / measured if measured else None,
        },
        "open_now": open_now,
        "overdue_now": overdue_now,
    }


def _business_days(calendar: BusinessCalendar, start: datetime.date, end: datetime.date) -> int:
    """Business days in (start, end]: a reply on the day of receipt takes 0 days."""
    if end <= start:
        return 0
    return sum(
        calendar.is_business_day(start + datetime.timedelta(days=offset))
        for offset in range(1, (end - start).days + 1)
    )
