"""Builders for seminar tests, at the fixed dates of tests/timeline.py: the seminar is on
2027-01-06 14:00-16:00 JST, registration runs from 2026-11-16 10:00 to 2027-01-03 14:00, and the
early reminder (3 business days before) falls on 2026-12-28 across the year-end closure. Tests
that register freeze the clock inside that window (timeline.NOW)."""

import factory

from seminars.models import Seminar
from tests import timeline
from tests.factories import OrganisationFactory  # noqa: F401 - re-exported for the tests


class SeminarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seminar

    fiscal_year = 2026
    number = factory.Sequence(lambda n: n + 1)
    part = "現場対応編"
    title = factory.Sequence(lambda n: f"現場でのカスタマーハラスメント対応術 その{n}")
    lecturer = "山田 太郎（中小企業診断士）"
    starts_at = timeline.SEMINAR_STARTS
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + (timeline.SEMINAR_ENDS - timeline.SEMINAR_STARTS)
    )
    format = Seminar.Format.HYBRID
    venue_name = "秋葉原庁舎 第1会議室"
    venue_address = "東京都千代田区神田佐久間町1-9"
    venue_map_url = "https://maps.example.jp/akihabara"
    online_url = "https://webinar.example.jp/j/SECRET-ONLINE-123"
    venue_seats = 2
    online_seats = 2
    registration_opens_at = timeline.SEMINAR_REGISTRATION_OPENS
    registration_closes_at = factory.LazyAttribute(
        lambda o: o.starts_at - (timeline.SEMINAR_STARTS - timeline.SEMINAR_REGISTRATION_CLOSES)
    )
    status = Seminar.Status.PUBLISHED
    published_at = timeline.SEMINAR_REGISTRATION_OPENS


ORG = {
    "kind": "corporation",
    "name": "株式会社テスト商店",
    "name_kana": "テストショウテン",
    "corporate_number": "",
    "postal_code": "101-0025",
    "prefecture": "東京都",
    "municipality": "千代田区",
    "address": "神田佐久間町1-9",
    "phone": "",
    "main_business": "小売業",
    "industry": "retail",
    "capital_yen": None,
    "employees": None,
}


def participant(n=0, *, fmt="venue", **extra):
    return {
        "name": f"山田 花子{n}",
        "name_kana": "ヤマダ ハナコ",
        "department": "総務部",
        "role": "課長",
        "email": f"hanako{n}@example.jp",
        "phone": "03-3251-7881",
        "format": fmt,
        "question": "",
        "heard_from": "kosha_web",
        **extra,
    }


def register(seminar, n=0, *, fmt="venue", join_waitlist=True, org=None, now=None, **extra):
    from seminars.services import registration_create

    return registration_create(
        seminar_id=seminar.pk,
        participant=participant(n, fmt=fmt, **extra),
        organisation_data=dict(org or ORG, name=(org or {}).get("name", f"株式会社テスト商店{n}")),
        join_waitlist=join_waitlist,
        actor="test",
        now=now,
    )
