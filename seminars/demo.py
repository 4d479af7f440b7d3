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
    day = today + datetime.timedelta(days=30)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    year = fiscal_year_of(day)
    _seminar, created = Seminar.objects.get_or_create(
        fiscal_year=year,
        number=1,
        defaults={
            "part": "基礎編",
            "title": "はじめてのカスタマーハラスメント対策 ― 基本方針と相談体制づくり",
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
    stdout.write(f"seminar FY{year} 第1回 {'created' if created else 'exists'}\n")
