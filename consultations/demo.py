"""Demo consultations: the leaflet's three examples (DOMAIN §2), with fictional Tokyo companies.
Idempotent: each example is recognised by its contact address."""

from django.contrib.auth import get_user_model

from .models import Consultation
from .services import (
    consultation_dispatch_need_determine,
    consultation_reply_send,
    consultation_start,
    consultation_submit,
    reference_sequences_take,
)

EXAMPLES = [
    {
        "organisation": {
            "kind": "corporation",
            "name": "株式会社すずらん食堂",
            "name_kana": "スズランショクドウ",
            "postal_code": "130-0022",
            "prefecture": "東京都",
            "municipality": "墨田区",
            "address": "江東橋2-1-1",
            "phone": "03-5600-0001",
            "main_business": "定食店の経営",
            "industry": "retail",
            "capital_yen": 5_000_000,
            "employees": 14,
        },
        "data": {
            "contact_name": "鈴木 一郎",
            "contact_kana": "スズキ イチロウ",
            "contact_department": "",
            "contact_role": "代表取締役",
            "contact_email": "demo-suzuran@example.jp",
            "contact_phone": "03-5600-0001",
            "contact_way": "phone",
            "contact_time": "afternoon",
            "places": ["shop", "phone"],
            "behaviour_types": ["long_confinement", "repeat", "verbal_abuse"],
            "damages": ["staff_left"],
            "measures": [],
            "requested_support": ["advice", "dispatch"],
            "description": "ある常連のお客様が、料理の温度や配膳の順番など些細な不備を理由に、"
            "来店のたびに1時間以上クレームを続けます。電話でも繰り返し苦情があり、"
            "対応したアルバイト2名が退職してしまいました。店としての対応方針を"
            "決めたいと考えています。",
        },
        "dispatch_need": "店舗としての基本方針と対応マニュアルの整備が必要なため、専門家派遣が有効と判断。",
        "reply": "ご相談ありがとうございます。まずは対応の記録（日時・内容・対応者）を残すこと、"
        "対応時間の上限を店として決めることをお勧めします。専門家派遣もご利用いただけます。",
    },
    {
        "organisation": {
            "kind": "corporation",
            "name": "合同会社あおぞらネットショップ",
            "name_kana": "アオゾラネットショップ",
            "postal_code": "150-0002",
            "prefecture": "東京都",
            "municipality": "渋谷区",
            "address": "渋谷1-2-3 あおぞらビル4F",
            "phone": "03-6400-0002",
            "main_business": "衣料品のネット販売",
            "industry": "retail",
            "capital_yen": 3_000_000,
            "employees": 6,
        },
        "data": {
            "contact_name": "青木 美咲",
            "contact_kana": "アオキ ミサキ",
            "contact_department": "カスタマーサポート",
            "contact_role": "リーダー",
            "contact_email": "demo-aozora@example.jp",
            "contact_phone": "",
            "contact_way": "email",
            "contact_time": "any",
            "places": ["email_chat", "phone"],
            "behaviour_types": ["verbal_abuse", "threat"],
            "damages": [],
            "measures": ["internal_contact"],
            "requested_support": ["advice", "seminar"],
            "description": "ネット販売の購入者から、商品の色味が写真と違うという理由で、"
            "人格を否定するようなひどいクレームのメールが毎日のように届きます。"
            "返品対応は済んでいますが収まりません。",
        },
    },
    {
        "organisation": {
            "kind": "sole_proprietor",
            "name": "ひまわり整体院",
            "name_kana": "ヒマワリセイタイイン",
            "postal_code": "180-0004",
            "prefecture": "東京都",
            "municipality": "武蔵野市",
            "address": "吉祥寺本町1-1-1",
            "phone": "0422-00-0003",
            "main_business": "整体院",
            "industry": "services",
            "capital_yen": None,
            "employees": 2,
        },
        "data": {
            "contact_name": "日向 健",
            "contact_kana": "ヒナタ ケン",
            "contact_department": "",
            "contact_role": "院長",
            "contact_email": "demo-himawari@example.jp",
            "contact_phone": "0422-00-0003",
            "contact_way": "either",
            "contact_time": "morning",
            "places": ["sns"],
            "behaviour_types": ["online_defamation"],
            "damages": ["reputation", "financial"],
            "measures": [],
            "requested_support": ["advice"],
            "description": "口コミサイトに事実無根の書き込みが続き、書き込みの中で別の整体院へ"
            "誘導されています。予約が減っており、どう対応すべきか相談したいです。",
        },
    },
]


def load(stdout):
    desk = get_user_model().objects.filter(username="desk").first()
    actor = desk or "demo"
    for example in EXAMPLES:
        email = example["data"]["contact_email"]
        if Consultation.objects.filter(contact_email=email).exists():
            continue
        consultation = consultation_submit(
            organisation_data=example["organisation"],
            data=example["data"],
            privacy_consented=True,
            actor="demo",
        )
        if desk is not None and example.get("reply"):
            consultation = consultation_start(consultation=consultation, actor=actor)
            consultation_reply_send(consultation=consultation, body=example["reply"], actor=actor)
        if example.get("dispatch_need"):
            consultation_dispatch_need_determine(
                consultation=consultation, needed=True, reason=example["dispatch_need"], actor=actor
            )
        stdout.write(f"  consultation {consultation.reference}: {consultation.organisation}")


# --- history for the program reports (実績報告) ---------------------------------------------------
# Fictional companies across industries and municipalities (two outside Tokyo); the consultations
# are spread over last fiscal year and this one up to yesterday, with replies and status history.
HISTORY_EMAIL = "demo-history-{n}@example.jp"
HISTORY_COMPANIES = [
    # name, kana, prefecture, code, municipality, industry, main business
    ("株式会社かもめ食堂", "カモメショクドウ", "東京都", "13", "千代田区", "retail", "定食店"),
    ("有限会社みなと酒販", "ミナトシュハン", "東京都", "13", "港区", "wholesale", "酒類卸売業"),
    (
        "株式会社新宿ホテルサービス",
        "シンジュクホテルサービス",
        "東京都",
        "13",
        "新宿区",
        "inn",
        "ビジネスホテル",
    ),
    ("株式会社たいとう介護", "タイトウカイゴ", "東京都", "13", "台東区", "services", "訪問介護"),
    (
        "株式会社世田谷ベーカリー",
        "セタガヤベーカリー",
        "東京都",
        "13",
        "世田谷区",
        "retail",
        "パン製造小売",
    ),
    (
        "株式会社渋谷ネット通販",
        "シブヤネットツウハン",
        "東京都",
        "13",
        "渋谷区",
        "retail",
        "衣料品のネット販売",
    ),
    (
        "株式会社ねりま不動産",
        "ネリマフドウサン",
        "東京都",
        "13",
        "練馬区",
        "services",
        "不動産仲介",
    ),
    ("株式会社足立運輸", "アダチウンユ", "東京都", "13", "足立区", "manufacturing", "運送業"),
    (
        "株式会社江戸川クリーニング",
        "エドガワクリーニング",
        "東京都",
        "13",
        "江戸川区",
        "services",
        "クリーニング店",
    ),
    (
        "株式会社八王子システム",
        "ハチオウジシステム",
        "東京都",
        "13",
        "八王子市",
        "software",
        "ソフトウェア開発",
    ),
    ("株式会社立川歯科", "タチカワシカ", "東京都", "13", "立川市", "services", "歯科医院"),
    (
        "株式会社町田学習塾",
        "マチダガクシュウジュク",
        "東京都",
        "13",
        "町田市",
        "services",
        "学習塾",
    ),
    (
        "株式会社みずほ美容室",
        "ミズホビヨウシツ",
        "東京都",
        "13",
        "西多摩郡瑞穂町",
        "services",
        "美容室",
    ),
    ("株式会社大島観光", "オオシマカンコウ", "東京都", "13", "大島町", "inn", "民宿"),
    (
        "株式会社よこはま食品",
        "ヨコハマショクヒン",
        "神奈川県",
        "14",
        "横浜市中区",
        "wholesale",
        "食品卸",
    ),
    (
        "株式会社さいたまコール",
        "サイタマコール",
        "埼玉県",
        "11",
        "さいたま市大宮区",
        "services",
        "コールセンター",
    ),
]


def load_history(stdout, *, now=None) -> list:
    """About 150 consultations over last fiscal year and this one (idempotent, bulk-written in
    one go so that ``load_demo`` stays fast). Returns nothing new when they already exist."""
    import datetime
    import random

    from django.contrib.contenttypes.models import ContentType

    from companies.models import Organisation
    from kosha_portal import clock
    from kosha_portal.audit.models import AuditEvent
    from kosha_portal.japan.business_days import BusinessCalendar
    from kosha_portal.japan.deadlines import JST, start_of_day
    from kosha_portal.japan.fiscal import fiscal_year_of

    from .models import (
        BehaviourType,
        ConsultationMessage,
        Damage,
        Place,
        RequestedSupport,
    )

    if Consultation.objects.filter(contact_email__startswith="demo-history-").exists():
        return []
    now = now or clock.now()
    today = now.astimezone(JST).date()
    first_day = datetime.date(fiscal_year_of(today) - 1, 4, 1)
    rng = random.Random(20260401)  # noqa: S311 - demo data, reproducible
    organisations = []
    for name, kana, prefecture, code, municipality, industry, business in HISTORY_COMPANIES:
        organisation, _created = Organisation.objects.get_or_create(
            name=name,
            defaults={
                "name_kana": kana,
                "prefecture": prefecture,
                "prefecture_code": code,
                "municipality": municipality,
                "industry": industry,
                "main_business": business,
                "employees": rng.randint(3, 80),
            },
        )
        organisations.append(organisation)
    calendar = BusinessCalendar(first_day, today + datetime.timedelta(days=30))

    def business_days_after(day, count):
        while count:
            day += datetime.timedelta(days=1)
            count -= calendar.is_business_day(day)
        return day

    rows, history = [], []
    day = first_day
    while day < today:
        for _ in range(rng.choices([0, 1, 2], weights=[70, 24, 6])[0]):
            received = start_of_day(day) + datetime.timedelta(minutes=rng.randint(8 * 60, 20 * 60))
            age = (today - day).days
            reply_day = business_days_after(day, rng.choices([0, 1, 2, 3], weights=[3, 6, 2, 1])[0])
            answered = (
                datetime.datetime.combine(reply_day, datetime.time(rng.randint(9, 16)), tzinfo=JST)
                if age > 3 and rng.random() < 0.93
                else None
            )
            stamps = []
            if answered and answered < now:
                stamps = [("in_progress", answered), ("answered", answered)]
                if age > 25 and rng.random() < 0.7:
                    stamps.append(
                        ("closed", answered + datetime.timedelta(days=rng.randint(5, 20)))
                    )
            elif age > 3:
                stamps = [("in_progress", received + datetime.timedelta(hours=20))]
                if rng.random() < 0.3:
                    stamps.append(("withdrawn", received + datetime.timedelta(days=3)))
            stamps = [(s, at) for s, at in stamps if at < now]
            status = stamps[-1][0] if stamps else Consultation.Status.NEW
            fiscal_year = fiscal_year_of(day)
            rows.append(
                Consultation(
                    fiscal_year=fiscal_year,
                    organisation=rng.choice(organisations),
                    channel=rng.choices(["web", "phone", "visit", "email"], weights=[6, 3, 1, 1])[
                        0
                    ],
                    status=status,
                    received_at=received,
                    reply_by=business_days_after(day, 1),
                    started_at=stamps[0][1] if stamps else None,
                    answered_at=answered if status in ("answered", "closed") else None,
                    closed_at=stamps[-1][1] if status == "closed" else None,
                    withdrawn_at=stamps[-1][1] if status == "withdrawn" else None,
                    contact_name="デモ 利用者",
                    contact_email=HISTORY_EMAIL.format(n=len(rows) + 1),
                    places=rng.sample([c for c, _l in Place.choices], rng.randint(1, 2)),
                    behaviour_types=rng.sample(
                        [c for c, _l in BehaviourType.choices], rng.randint(1, 3)
                    ),
                    damages=rng.sample([c for c, _l in Damage.choices], rng.randint(0, 2)),
                    requested_support=rng.sample(
                        [c for c, _l in RequestedSupport.choices], rng.randint(1, 2)
                    ),
                    description="（デモ）繰り返しの苦情への対応について相談したい。",
                    privacy_notice_version="2026-04",
                    privacy_consented_at=received,
                    dispatch_need=rng.choice([True, True, False, None]) if stamps else None,
                    dispatch_need_decided_on=reply_day if stamps else None,
                )
            )
            history.append(stamps)
        day += datetime.timedelta(days=1)
    # Numbers are taken as the intake takes them, so later submissions continue after them.
    for fiscal_year in sorted({c.fiscal_year for c in rows}):
        of_year = [c for c in rows if c.fiscal_year == fiscal_year]
        for c, sequence in zip(
            of_year, reference_sequences_take(fiscal_year, len(of_year)), strict=True
        ):
            c.sequence = sequence
            c.reference = f"{fiscal_year}-{sequence:04d}"
    created = Consultation.objects.bulk_create(rows)
    replies = ConsultationMessage.objects.bulk_create(
        [
            ConsultationMessage(consultation=c, kind="reply", body="（デモ）ご相談への回答です。")
            for c in created
            if c.answered_at
        ]
    )
    for message in replies:
        message.created_at = message.consultation.answered_at
    ConsultationMessage.objects.bulk_update(replies, ["created_at"])
    content_type = ContentType.objects.get_for_model(Consultation)
    events = AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_label="demo",
                action=f"consultation.status.{to}",
                content_type=content_type,
                object_id=str(c.pk),
                object_repr=c.reference,
                changes={"to": to},
            )
            for c, stamps in zip(created, history, strict=True)
            for to, _at in stamps
        ]
    )
    stamps = [at for s in history for _to, at in s]
    for event, at in zip(events, stamps, strict=True):
        event.created_at = at
    AuditEvent.objects.bulk_update(events, ["created_at"])
    stdout.write(f"  report history: {len(created)} consultations since {first_day}")
    return created
