"""What the desk home counts: one query per kind of record, whatever the number of rows."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.japan.deadlines import start_of_day

MY_CASES_SHOWN = 10


@dataclass
class Queue:
    """One line of the desk home: a count and the filtered admin list behind it."""

    key: str
    label: str
    count: int
    url: str
    urgent: bool = False
    help: str = ""


@dataclass
class DeskSection:
    key: str
    title: str
    queues: list[Queue] = field(default_factory=list)


@dataclass
class DeskHome:
    today: datetime.date
    sections: list[DeskSection]
    my_cases: list
    my_cases_url: str = ""
    record_url: str = ""

    def queue(self, key: str) -> Queue:
        return next(q for s in self.sections for q in s.queues if q.key == key)


def _list_url(model_label: str, **params) -> str:
    app, model = model_label.split(".")
    url = reverse(f"admin:{app}_{model}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    return start_of_day(day), start_of_day(day + datetime.timedelta(days=1))


def _can_view(user, label: str) -> bool:
    app, model = label.split(".")
    return user.has_perm(f"{app}.view_{model}")


def _consultation_section(user, today) -> tuple[DeskSection, list, str]:
    from django.contrib import admin

    from consultations.models import Consultation
    from consultations.selectors import OPEN_STATUSES, overdue_q

    status = Consultation.Status
    mine = Q(assigned_to=user)
    counts = Consultation.objects.aggregate(
        mine_open=Count("pk", filter=mine & Q(status__in=OPEN_STATUSES)),
        mine_overdue=Count("pk", filter=mine & overdue_q(today)),
        overdue=Count("pk", filter=overdue_q(today)),
        unassigned=Count("pk", filter=Q(status=status.NEW, assigned_to__isnull=True)),
        waiting=Count("pk", filter=Q(status=status.ANSWERED)),
    )
    # The list sorted by reply-by date: the overdue ones come first.
    list_display = list(admin.site._registry[Consultation].list_display)
    by_reply_by = str(list_display.index("reply_by_display") + 1)
    label = "consultations.consultation"
    officer = str(user.pk)
    my_cases_url = _list_url(label, officer=officer, state="open", o=by_reply_by)
    section = DeskSection(
        "consultations",
        _("特別相談窓口"),
        [
            Queue(
                "my_open",
                _("自分の担当で未完了の相談"),
                counts["mine_open"],
                my_cases_url,
                help=_("回答期限の早い順（期限超過が先頭）"),
            ),
            Queue(
                "my_overdue",
                _("自分の担当で回答期限を過ぎた相談"),
                counts["mine_overdue"],
                _list_url(label, officer=officer, overdue="yes", o=by_reply_by),
                urgent=True,
            ),
            Queue(
                "overdue",
                _("回答期限を過ぎた相談（窓口全体）"),
                counts["overdue"],
                _list_url(label, overdue="yes", o=by_reply_by),
                urgent=True,
            ),
            Queue(
                "unassigned",
                _("担当者が決まっていない新規の相談"),
                counts["unassigned"],
                _list_url(label, officer="none", status__exact=status.NEW, o=by_reply_by),
            ),
            Queue(
                "waiting",
                _("事業者からの返信待ちの相談"),
                counts["waiting"],
                _list_url(label, state="waiting"),
                help=_("回答済みで、事業者からの連絡を待っているもの"),
            ),
        ],
    )
    my_cases = list(
        Consultation.objects.filter(mine, status__in=OPEN_STATUSES)
        .select_related("organisation")
        .order_by("reply_by", "received_at")[:MY_CASES_SHOWN]
    )
    for case in my_cases:
        case.overdue = case.reply_by < today
    return section, my_cases, my_cases_url


def _dispatch_section(user, today) -> DeskSection:
    from dispatch.models import Dispatch, Visit

    tomorrow = today + datetime.timedelta(days=1)
    applied = Dispatch.objects.filter(status=Dispatch.Status.APPLIED).count()
    held = ~Q(status=Visit.Status.CANCELLED)
    visits = Visit.objects.aggregate(
        disputed=Count("pk", filter=Q(status=Visit.Status.DISPUTED)),
        today=Count("pk", filter=held & Q(date=today)),
        tomorrow=Count("pk", filter=held & Q(date=tomorrow)),
    )
    label = "dispatch.dispatch"
    return DeskSection(
        "dispatch",
        _("専門家派遣"),
        [
            Queue(
                "applied",
                _("審査待ちの派遣申込"),
                applied,
                _list_url(label, status__exact=Dispatch.Status.APPLIED),
            ),
            Queue(
                "disputed",
                _("事業者から異議のある実施報告"),
                visits["disputed"],
                _list_url(label, visit="disputed"),
                urgent=True,
            ),
            Queue(
                "visits_today", _("本日の派遣"), visits["today"], _list_url(label, visit="today")
            ),
            Queue(
                "visits_tomorrow",
                _("明日の派遣"),
                visits["tomorrow"],
                _list_url(label, visit="tomorrow"),
            ),
        ],
    )


def _seminar_section(user, today) -> DeskSection:
    from seminars.models import Seminar

    held = ~Q(status=Seminar.Status.CANCELLED) & Q(kind=Seminar.Kind.SEMINAR)
    start, end = _day_bounds(today)
    after = start_of_day(today + datetime.timedelta(days=2))
    counts = Seminar.objects.filter(held, starts_at__gte=start, starts_at__lt=after).aggregate(
        today=Count("pk", filter=Q(starts_at__lt=end)),
        tomorrow=Count("pk", filter=Q(starts_at__gte=end)),
    )
    label = "seminars.seminar"
    return DeskSection(
        "seminars",
        _("セミナー"),
        [
            Queue(
                "seminars_today",
                _("本日のセミナー"),
                counts["today"],
                _list_url(label, held="today"),
            ),
            Queue(
                "seminars_tomorrow",
                _("明日のセミナー"),
                counts["tomorrow"],
                _list_url(label, held="tomorrow"),
            ),
        ],
    )


def _registry_section(user, today) -> DeskSection:
    from companies.models import Organisation

    flagged = Organisation.objects.filter(possible_duplicate_of__isnull=False).count()
    return DeskSection(
        "companies",
        _("事業者"),
        [
            Queue(
                "duplicates",
                _("重複の可能性がある事業者（確認待ち）"),
                flagged,
                _list_url("companies.organisation", duplicate="pending"),
                help=_("申込フォームから登録され、既存の事業者と同じか確認が必要なもの"),
            )
        ],
    )


def desk_home(*, user, today: datetime.date | None = None) -> DeskHome:
    """The desk officer's queues for ``today`` (JST), each a count and the list behind it; the
    sections the user may not view are left out."""
    today = today or clock.today()
    sections, my_cases, my_cases_url = [], [], ""
    if _can_view(user, "consultations.consultation"):
        section, my_cases, my_cases_url = _consultation_section(user, today)
        sections.append(section)
    if _can_view(user, "dispatch.dispatch"):
        sections.append(_dispatch_section(user, today))
    if _can_view(user, "seminars.seminar"):
        sections.append(_seminar_section(user, today))
    if _can_view(user, "companies.organisation"):
        sections.append(_registry_section(user, today))
    record_url = ""
    if user.has_perm("consultations.add_consultation"):
        record_url = reverse("admin:consultations_consultation_record")
    return DeskHome(
        today=today,
        sections=sections,
        my_cases=my_cases,
        my_cases_url=my_cases_url,
        record_url=record_url,
    )
