"""Demo seminars: the leaflet's 第2回 and 第3回 (FY2023, finished) and one upcoming seminar open
for registration about a month from today. Idempotent (natural key: 年度 + 回)."""

import datetime

from kosha_portal import clock
from kosha_portal.japan.deadlines import JST, end_of_day
from kosha_portal.japan.fiscal import fiscal_year_of

from .models import Seminar

VENUE = {
    "venue_name": "東京都産業労働局秋葉原庁舎 第1会議室",
    "venue_address": "東京都千代田区神田佐久間町1-9",
    "venue_map_url": "https://www.openstreetmap.org/search?query=%E7%A7%8B%E8%91%89%E5%8E%9F%E5%BA%81%E8%88%8E",
}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=JST)


UPCOMING_TITLE = "はじめてのカスタマーハラスメント対策 ― 基本方針と相談体制づくり"
# Past seminars for the program reports: three a year, in July, September and November.
HISTORY = [
    (1, "基礎編", "カスタマーハラスメントの基礎知識と判断基準", 7),
    (2, "社内体制構築編", "カスタマーハラスメントに対応するための社内体制と法的知識", 9),
    (3, "現場対応編", "現場でのカスタマーハラスメント対応術", 11),
]


def history_slots(fiscal_year: int) -> list[datetime.date]:
    """The days of the demo's past seminars of a fiscal year (third Wednesday of the month)."""
    days = []
    for _number, _part, _title, month in HISTORY:
        day = datetime.date(fiscal_year, month, 15)
        while day.weekday() != 2:
            day += datetime.timedelta(days=1)
        days.append(day)
    return days


def _history_cutoff(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=3)


def load_history(stdout, *, today: datetime.date) -> None:
    """Finished seminars of last fiscal year and of this one before today, with registrations,
    attendance and survey answers (bulk-written; idempotent per seminar)."""
    import random

    from companies.models import Organisation

    from .models import Registration, SurveyResponse

    rng = random.Random(20260403)  # noqa: S311 - demo data, reproducible
    organisations = list(Organisation.objects.order_by("pk")[:20])
    if not organisations:
        return
    current = fiscal_year_of(today)
    for fiscal_year in (current - 1, current):
        for (number, part, title, _month), day in zip(
            HISTORY, history_slots(fiscal_year), strict=True
        ):
            if day >= _history_cutoff(today):
                continue
            seminar, created = Seminar.objects.get_or_create(
                kind=Seminar.Kind.SEMINAR,
                fiscal_year=fiscal_year,
                number=number,
                defaults={
                    "part": part,
                    "title": title,
                    "lecturer": "中小企業診断士・弁護士（公社登録専門家）",
                    "starts_at": _at(day, 14),
                    "ends_at": _at(day, 16),
                    "format": Seminar.Format.HYBRID,
                    **VENUE,
                    "venue_seats": 40,
                    "online_seats": 80,
                    "registration_opens_at": _at(day - datetime.timedelta(days=45), 10),
                    "registration_closes_at": end_of_day(day - datetime.timedelta(days=3)),
                    "status": Seminar.Status.FINISHED,
                    "published_at": _at(day - datetime.timedelta(days=45), 10),
                    "finished_at": _at(day, 17),
                },
            )
            if not created or seminar.registrations.exists():
                continue
            heard = [code for code, _label in Registration.HeardFrom.choices] + [""]
            registrations = []
            for i in range(rng.randint(35, 70)):
                status = rng.choices(["attended", "no_show", "cancelled"], weights=[72, 16, 12])[0]
                registrations.append(
                    Registration(
                        seminar=seminar,
                        organisation=rng.choice(organisations),
                        name="デモ 参加者",
                        name_kana="デモ サンカシャ",
                        email=f"demo-seminar-{seminar.pk}-{i}@example.jp",
                        format=rng.choice(["venue", "online", "online"]),
                        heard_from=rng.choice(heard),
                        consent_at=seminar.registration_opens_at,
                        privacy_notice_version="2026-04",
                        status=status,
                        attended_at=seminar.starts_at if status == "attended" else None,
                        no_show_at=seminar.finished_at if status == "no_show" else None,
                        cancelled_at=seminar.starts_at - datetime.timedelta(days=5)
                        if status == "cancelled"
                        else None,
                    )
                )
            Registration.objects.bulk_create(registrations)
            SurveyResponse.objects.bulk_create(
                [
                    SurveyResponse(
                        registration=r,
                        satisfaction=rng.choice([5, 5, 4, 4, 3]),
                        usefulness=rng.choice([5, 4, 4, 3]),
                    )
                    for r in registrations
                    if r.status == "attended" and rng.random() < 0.45
                ]
            )
            stdout.write(f"seminar FY{fiscal_year} 第{number}回 (history) created\n")


def load(stdout) -> None:
    past = [
        (
            2,
            "社内体制構築編",
            "カスタマーハラスメントに対応するための社内体制と法的知識",
            datetime.date(2023, 9, 13),
        ),
        (3, "現場対応編", "現場でのカスタマーハラスメント対応術", datetime.date(2023, 11, 15)),
    ]
    for number, part, title, day in past:
        _seminar, created = Seminar.objects.get_or_create(
            kind=Seminar.Kind.SEMINAR,
            fiscal_year=2023,
            number=number,
            defaults={
                "part": part,
                "title": title,
                "lecturer": "中小企業診断士・弁護士（公社登録専門家）",
                "starts_at": _at(day, 14),
                "ends_at": _at(day, 16),
                "format": Seminar.Format.HYBRID,
                **VENUE,
                "venue_seats": 60,
                "online_seats": 100,
                "registration_opens_at": _at(day - datetime.timedelta(days=45), 10),
                "registration_closes_at": end_of_day(day - datetime.timedelta(days=3)),
                "status": Seminar.Status.FINISHED,
                "published_at": _at(day - datetime.timedelta(days=45), 10),
                "finished_at": _at(day, 17),
            },
        )
        stdout.write(f"seminar FY2023 第{number}回 {'created' if created else 'exists'}\n")
    today = clock.today()
    load_history(stdout, today=today)
    day = today + datetime.timedelta(days=30)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    year = fiscal_year_of(day)
    # Numbered after the seminars already held that year (the history below).
    number = len([slot for slot in history_slots(year) if slot < _history_cutoff(today)]) + 1
    _seminar, created = Seminar.objects.get_or_create(
        kind=Seminar.Kind.SEMINAR,
        fiscal_year=year,
        title=UPCOMING_TITLE,
        defaults={
            "number": number,
            "part": "基礎編",
            "description": "カスハラの判断基準（要求内容の妥当性・手段態様の相当性）、基本方針の作り方、"
            "社内相談窓口の設け方を、事例を交えて解説します。",
            "lecturer": "中小企業診断士（公社登録専門家）",
            "starts_at": _at(day, 14),
            "ends_at": _at(day, 16),
            "format": Seminar.Format.HYBRID,
            **VENUE,
            "venue_seats": 50,
            "online_seats": 100,
            "online_url": "https://webinar.example.jp/j/kosha-seminar-demo",
            "seats_per_company": 3,
            "registration_opens_at": clock.now() - datetime.timedelta(days=1),
            "registration_closes_at": end_of_day(day - datetime.timedelta(days=3)),
            "status": Seminar.Status.PUBLISHED,
            "published_at": clock.now(),
        },
    )
    stdout.write(f"seminar FY{year} 第{_seminar.number}回 {'created' if created else 'exists'}\n")
