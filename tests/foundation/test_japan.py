"""Japanese data helpers (DOMAIN §7): 法人番号, 郵便番号, phones, kana, company-name keys, 和暦,
年度 and the desk's business-day calendar."""

import datetime

import pytest
from django import forms
from django.template import Context, Template

from kosha_portal.japan.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
    previous_business_day,
)
from kosha_portal.japan.corporate_number import (
    corporate_number_check_digit,
    is_valid_corporate_number,
)
from kosha_portal.japan.fiscal import fiscal_year_bounds, fiscal_year_label, fiscal_year_of
from kosha_portal.japan.forms import (
    CorporateNumberField,
    KanaField,
    PhoneField,
    PostalCodeField,
    YenField,
)
from kosha_portal.japan.models import ClosureDay
from kosha_portal.japan.normalize import company_name_key, normalize_kana
from kosha_portal.japan.phone import normalize_phone
from kosha_portal.japan.postal import lookup_postal_code, normalize_postal_code
from kosha_portal.japan.wareki import format_wareki

D = datetime.date

# --- 法人番号 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["7000012050002", "4011001098993", "2120901007402"])
def test_corporate_number_valid_examples(number):
    assert is_valid_corporate_number(number)
    assert corporate_number_check_digit(number[1:]) == int(number[0])


@pytest.mark.parametrize(
    "number",
    [
        "8000012050002",  # wrong check digit
        "6000012050002",  # wrong check digit
        "700001205000",  # 12 digits
        "70000120500021",  # 14 digits
        "70000120500A2",  # a letter inside
        "7000012050002X",  # a trailing letter must not be dropped silently
        "abcdefghijklm",
        "",
    ],
)
def test_corporate_number_invalid_examples(number):
    assert not is_valid_corporate_number(number)


class CorporateNumberForm(forms.Form):
    number = CorporateNumberField()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("７００００１２０５０００２", "7000012050002"),  # full-width digits
        ("4011-0010-98993", "4011001098993"),
        ("2120901007402", "2120901007402"),
        ("", ""),  # optional: sole proprietors have none
    ],
)
def test_corporate_number_field_accepts_and_normalises(typed, stored):
    form = CorporateNumberForm({"number": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["number"] == stored


@pytest.mark.parametrize("typed", ["7000012050003", "700001205000", "7000012050002X"])
def test_corporate_number_field_rejects_politely(typed):
    form = CorporateNumberForm({"number": typed})
    assert not form.is_valid()
    message = form.errors["number"][0]
    assert "法人番号は13桁の数字です" in message
    assert message.endswith("。")


# --- 郵便番号 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["１０１－００２５", "101-0025", "1010025", "101ー0025", "〒101−0025"]
)
def test_postal_code_normalised(typed):
    assert normalize_postal_code(typed) == "101-0025"


@pytest.mark.parametrize("typed", ["101-002", "10100255", "abc-defg", ""])
def test_postal_code_rejected(typed):
    assert normalize_postal_code(typed) == ""


def test_postal_code_lookup_full_width():
    areas = lookup_postal_code("１０１－００２５")
    assert len(areas) == 1
    area = areas[0]
    assert (area.postal_code, area.prefecture, area.municipality, area.town) == (
        "101-0025",
        "東京都",
        "千代田区",
        "神田佐久間町",
    )
    assert area.prefecture_code == "13"


def test_postal_code_lookup_unknown_is_empty():
    assert lookup_postal_code("000-0000") == []


def test_postal_code_endpoint(client):
    response = client.get("/api/postal-code/", {"code": "１０１－００２５"})
    assert response.status_code == 200
    data = response.json()
    assert data["postal_code"] == "101-0025"
    assert data["areas"] == [
        {
            "postal_code": "101-0025",
            "prefecture": "東京都",
            "prefecture_code": "13",
            "municipality": "千代田区",
            "town": "神田佐久間町",
            "kind": "area",
            "municipality_code": "13101",
            "street": "",
            "office_name": "",
        }
    ]


def test_postal_code_endpoint_unknown_and_garbage(client):
    unknown = client.get("/api/postal-code/", {"code": "000-0000"})
    assert unknown.status_code == 404
    assert unknown.json() == {"postal_code": "000-0000", "areas": []}
    garbage = client.get("/api/postal-code/", {"code": "東京"})
    assert garbage.status_code == 400
    assert client.get("/api/postal-code/").status_code == 400
    assert client.post("/api/postal-code/", {"code": "1010025"}).status_code == 405


class AddressForm(forms.Form):
    postal_code = PostalCodeField()
    phone = PhoneField()
    kana = KanaField()


def test_postal_and_phone_fields_normalise_full_width_input():
    form = AddressForm(
        {
            "postal_code": "１０１－００２５",
            "phone": "０３（３２５１）７８８１",
            "kana": "やまだ　ﾀﾛｳ",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "postal_code": "101-0025",
        "phone": "03-3251-7881",
        "kana": "ヤマダ タロウ",
    }


def test_fields_reject_with_japanese_messages():
    form = AddressForm({"postal_code": "101", "phone": "12345", "kana": "Yamada"})
    assert not form.is_valid()
    assert form.errors["postal_code"] == ["郵便番号は7桁の数字で入力してください（例：101-0025）。"]
    assert form.errors["phone"] == ["電話番号を市外局番から入力してください（例：03-3251-7881）。"]
    assert form.errors["kana"] == ["フリガナは全角カタカナ（またはひらがな）で入力してください。"]


class CapitalForm(forms.Form):
    capital = YenField(required=False)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("50,000,000", 50_000_000),
        ("５０，０００，０００円", 50_000_000),
        ("３００００００", 3_000_000),
        ("10 000 000", 10_000_000),
        ("", None),
    ],
)
def test_yen_field_accepts_commas_full_width_and_yen_sign(typed, amount):
    form = CapitalForm({"capital": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["capital"] == amount


@pytest.mark.parametrize("typed", ["5千万だいたい", "-1", "abc"])
def test_yen_field_rejects_politely(typed):
    form = CapitalForm({"capital": typed})
    assert not form.is_valid()
    assert form.errors["capital"][0] == (
        "金額を読み取れませんでした。数字か「億」「万」を使って入力してください"
        "（例：50,000,000、5,000万円、1億）。"
    )
    # 「1億」 needs the full keyboard, not the numeric pad.
    assert 'inputmode="text"' in str(form["capital"])


# --- phones, kana, names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "formatted"),
    [
        ("0332517881", "03-3251-7881"),
        ("03-3251-7881", "03-3251-7881"),
        ("０３－３２５１－７８８１", "03-3251-7881"),
        ("+81 3 3251 7881", "03-3251-7881"),
        ("09012345678", "090-1234-5678"),
        ("080 1234 5678", "080-1234-5678"),
        ("05012345678", "050-1234-5678"),
        ("0120123456", "0120-123-456"),
    ],
)
def test_phone_formatting(typed, formatted):
    assert normalize_phone(typed) == formatted


@pytest.mark.parametrize("typed", ["12345", "0312345", "033251788199", "", "phone"])
def test_phone_invalid(typed):
    assert normalize_phone(typed) == ""


def test_kana_normalisation():
    assert normalize_kana("やまだ　ﾀﾛｳ") == "ヤマダ タロウ"
    assert normalize_kana("ｶﾌﾞｼｷｶﾞｲｼｬ") == "カブシキガイシャ"


@pytest.mark.parametrize(
    "variant",
    [
        "株式会社山田商店",
        "(株)山田商店",
        "（株）山田商店",
        "㈱山田商店",
        "㈱ 山田商店",
        "カブシキガイシャ山田商店",
        "ｶﾌﾞｼｷｶﾞｲｼｬ 山田商店",
        "株式会社　山田　商店",
        "株式会社山田商店",
    ],
)
def test_company_name_key_matches_variants(variant):
    assert company_name_key(variant) == company_name_key("株式会社山田商店") == "山田商店"


def test_company_name_key_full_width_letters_and_different_names():
    assert company_name_key("株式会社ＡＢＣ") == company_name_key("ABC 株式会社") == "abc"
    assert company_name_key("株式会社山田商店") != company_name_key("株式会社山田商会")


# --- 和暦 and 年度 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (D(2019, 4, 30), "平成31年4月30日(火)"),
        (D(2019, 5, 1), "令和元年5月1日(水)"),
        (D(2020, 1, 1), "令和2年1月1日(水)"),
        (D(2023, 4, 3), "令和5年4月3日(月)"),
        (D(1989, 1, 7), "昭和64年1月7日(土)"),
        (D(1989, 1, 8), "平成元年1月8日(日)"),
    ],
)
def test_wareki(day, text):
    assert format_wareki(day) == text


def test_wareki_of_aware_datetime_uses_tokyo_date():
    # 2019-04-30 15:30 UTC is already 2019-05-01 in Tokyo.
    instant = datetime.datetime(2019, 4, 30, 15, 30, tzinfo=datetime.UTC)
    assert format_wareki(instant) == "令和元年5月1日(水)"


def test_wareki_template_filter():
    template = Template(
        '{% load japan %}{{ a|wareki }} / {{ b|wareki }} / {{ c|wareki:"noweekday" }}'
        " / {{ fy|nendo }} / {{ none|wareki }}."
    )
    rendered = template.render(
        Context(
            {"a": D(2019, 4, 30), "b": D(2019, 5, 1), "c": D(2023, 4, 3), "fy": 2023, "none": None}
        )
    )
    assert rendered == "平成31年4月30日(火) / 令和元年5月1日(水) / 令和5年4月3日 / 令和5年度 / ."


def test_wareki_filter_accepts_iso_strings_from_frozen_json_contexts():
    template = Template("{% load japan %}{{ a|wareki }}|{{ b|wareki }}|{{ c|wareki }}")
    rendered = template.render(
        Context({"a": "2019-05-01", "b": "2023-04-03T10:00:00+09:00", "c": "not a date"})
    )
    assert rendered == "令和元年5月1日(水)|令和5年4月3日(月)|"


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (D(2023, 4, 1), 2023),
        (D(2023, 4, 3), 2023),
        (D(2024, 3, 31), 2023),
        (D(2024, 4, 1), 2024),
        (D(2023, 3, 31), 2022),
    ],
)
def test_fiscal_year_of(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


def test_fiscal_year_labels_and_bounds():
    assert fiscal_year_label(2023) == "令和5年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2018) == "平成30年度"
    assert fiscal_year_bounds(2023) == (D(2023, 4, 1), D(2024, 3, 31))


# --- business days --------------------------------------------------------------------------------

needs_db = pytest.mark.django_db


@needs_db
@pytest.mark.parametrize(
    "day",
    [
        D(2023, 12, 29),
        D(2023, 12, 31),
        D(2024, 1, 2),
        D(2024, 1, 3),
        D(2025, 12, 29),
        D(2026, 1, 3),
    ],
)
def test_year_end_closure(day):
    assert not is_business_day(day)


@needs_db
def test_year_end_neighbours_are_business_days():
    assert is_business_day(D(2023, 12, 28))  # Thursday
    assert is_business_day(D(2024, 1, 4))  # Thursday
    assert next_business_day(D(2023, 12, 28)) == D(2024, 1, 4)
    assert previous_business_day(D(2024, 1, 4)) == D(2023, 12, 28)
    assert business_days_between(D(2023, 12, 28), D(2024, 1, 4)) == 1


@needs_db
def test_substitute_holidays():
    assert not is_business_day(D(2024, 2, 12))  # 振替休日 for 建国記念の日 on a Sunday
    assert not is_business_day(D(2025, 5, 6))  # 振替休日 for みどりの日 on a Sunday
    assert is_business_day(D(2024, 2, 13))
    # Friday 2024-02-09 → weekend → Monday substitute holiday → Tuesday.
    assert next_business_day(D(2024, 2, 9)) == D(2024, 2, 13)
    # Golden Week 2025: 5/3 Sat, 5/4 Sun, 5/5 Mon holiday, 5/6 Tue substitute.
    assert next_business_day(D(2025, 5, 2)) == D(2025, 5, 7)


@needs_db
def test_closure_day_added_by_staff_in_admin(desk_client):
    day = D(2024, 6, 14)  # an ordinary Friday
    assert is_business_day(day)
    response = desk_client.post(
        "/admin/japan/closureday/add/", {"date": "2024-06-14", "reason": "システム更新のため"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ClosureDay.objects.filter(date=day).exists()
    assert not is_business_day(day)
    assert next_business_day(D(2024, 6, 13)) == D(2024, 6, 17)


@needs_db
def test_add_business_days_forward_and_backward():
    assert add_business_days(D(2024, 2, 9), 0) == D(2024, 2, 9)
    assert add_business_days(D(2024, 2, 9), 2) == D(2024, 2, 14)
    # Five business days before 2024-01-05 (Fri): 1/4, 12/28, 12/27, 12/26, 12/25.
    assert add_business_days(D(2024, 1, 5), -5) == D(2023, 12, 25)
    assert add_business_days(D(2024, 2, 13), -1) == D(2024, 2, 9)
    assert business_days_between(D(2024, 1, 5), D(2023, 12, 25)) == -5


def test_person_names_are_family_name_first(make_user):
    from kosha_portal.japan.names import person_name

    assert person_name(make_user("sato", last_name="佐藤", first_name="一郎")) == "佐藤 一郎"
    assert person_name(make_user("nameless")) == "nameless"
