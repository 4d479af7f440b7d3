import io
import zipfile

import pytest

from consultations.forms import started_token
from consultations.services import consultation_submit
from tests.factories import OrganisationFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _fast_intake(settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    settings.CONSULTATION_RATE_LIMIT = 5


def intake_payload(**overrides) -> dict:
    data = {
        "org_kind": "corporation",
        "org_name": "株式会社かもめ商店",
        "org_name_kana": "カモメショウテン",
        "org_corporate_number": "",
        "org_postal_code": "１０１－００２５",
        "org_prefecture": "東京都",
        "org_municipality": "千代田区",
        "org_address": "神田佐久間町１－９",
        "org_phone": "０３－３２５１－７８８１",
        "org_main_business": "雑貨の小売",
        "org_industry": "retail",
        "org_capital_yen": "3000000",
        "org_employees": "8",
        "contact_name": "鴎 太郎",
        "contact_kana": "かもめ たろう",
        "contact_department": "総務部",
        "contact_role": "部長",
        "contact_email": "Taro@Kamome.Example.jp",
        "contact_phone": "０９０－１２３４－５６７８",
        "contact_way": "either",
        "contact_time": "morning",
        "places": ["shop", "phone"],
        "behaviour_types": ["long_confinement", "repeat"],
        "damages": ["staff_left"],
        "measures": ["manual"],
        "requested_support": ["advice", "dispatch"],
        "description": "同じお客様から些細な不備を理由に何度も長時間のクレームがあり、アルバイトが退職しました。",
        "privacy_consent": "on",
        "website": "",
        "started": started_token(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def organisation_data(**overrides) -> dict:
    data = {
        "kind": "corporation",
        "name": "株式会社テスト商事",
        "name_kana": "テストショウジ",
        "corporate_number": "",
        "postal_code": "101-0025",
        "prefecture": "東京都",
        "municipality": "千代田区",
        "address": "神田佐久間町1-9",
        "phone": "",
        "main_business": "小売",
        "industry": "retail",
        "capital_yen": None,
        "employees": None,
    }
    data.update(overrides)
    return data


def consultation_data(**overrides) -> dict:
    data = {
        "contact_name": "山田 花子",
        "contact_kana": "ヤマダ ハナコ",
        "contact_department": "",
        "contact_role": "",
        "contact_email": "hanako@example.jp",
        "contact_phone": "",
        "contact_way": "email",
        "contact_time": "any",
        "places": ["shop"],
        "behaviour_types": ["verbal_abuse"],
        "damages": [],
        "measures": [],
        "requested_support": ["advice"],
        "description": "暴言が続いています。",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_consultation():
    def make(*, organisation=None, email="hanako@example.jp", **overrides):
        org_data = organisation_data()
        if organisation is not None:
            org_data = organisation_data(
                name=organisation.name, corporate_number=organisation.corporate_number
            )
        consultation = consultation_submit(
            organisation_data=org_data,
            data=consultation_data(contact_email=email, **overrides),
            privacy_consented=True,
            actor="test",
        )
        if organisation is not None and consultation.organisation_id != organisation.pk:
            from consultations.models import Consultation

            Consultation.objects.filter(pk=consultation.pk).update(organisation=organisation)
            consultation.refresh_from_db()
        return consultation

    return make


__all__ = ["OrganisationFactory", "PDF", "PNG", "docx_bytes", "intake_payload"]
