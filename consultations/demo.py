"""Demo consultations: the leaflet's three examples (DOMAIN §2), with fictional Tokyo companies.
Idempotent: each example is recognised by its contact address."""

from django.contrib.auth import get_user_model

from .models import Consultation
from .services import (
    consultation_dispatch_need_determine,
    consultation_reply_send,
    consultation_start,
    consultation_submit,
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
