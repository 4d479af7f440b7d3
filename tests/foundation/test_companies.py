"""The one organisation registry: form mixin, find-or-create by 法人番号 and by the normalised
name with the postal code and phone (also under concurrent submissions), possible duplicates
flagged for the desk, required 業種区分, and staff edits through the services."""

import threading

import pytest
from django import forms
from django.db import IntegrityError, connection, transaction

from companies.forms import OrganisationFieldsMixin
from companies.models import Organisation
from companies.services import (
    organisation_duplicates,
    organisation_find_or_create,
)
from companies.sme import Industry
from kosha_portal.audit.models import AuditEvent
from tests import timeline
from tests.factories import OrganisationFactory


class ApplicationForm(OrganisationFieldsMixin, forms.Form):
    pass


FORM_DATA = {
    "org_kind": "corporation",
    "org_name": "㈱ 山田商店",
    "org_name_kana": "やまだしょうてん",
    "org_corporate_number": "７０００－０１２０－５０００２",
    "org_postal_code": "１０１－００２５",
    "org_prefecture": "東京都",
    "org_municipality": "千代田区",
    "org_address": "神田佐久間町１－９",
    "org_phone": "０３－３２５１－７８８１",
    "org_main_business": "飲食店の経営",
    "org_industry": Industry.RETAIL,
    "org_capital_yen": "50,000,000円",
    "org_employees": "５１",
}


@pytest.mark.django_db
def test_form_normalises_and_creates_one_registry_row():
    form = ApplicationForm(FORM_DATA)
    assert form.is_valid(), form.errors
    data = form.organisation_data()
    assert data["corporate_number"] == "7000012050002"
    assert data["postal_code"] == "101-0025"
    assert data["phone"] == "03-3251-7881"
    assert data["name_kana"] == "ヤマダショウテン"
    assert data["employees"] == 51
    assert data["capital_yen"] == 50_000_000
    organisation = organisation_find_or_create(data=data, actor="company:test")
    assert organisation.prefecture_code == "13"
    assert organisation.name_key == "山田商店"
    assert organisation.in_tokyo
    assert organisation.sme_verdict().is_sme
    assert (
        AuditEvent.objects.filter(
            action="organisation.create", object_id=str(organisation.pk)
        ).count()
        == 1
    )

    again = organisation_find_or_create(data={**data, "name": "別名で入力"}, actor="company:test")
    assert again.pk == organisation.pk
    again.refresh_from_db()
    assert (
        again.name == "(株) 山田商店"
    )  # NFKC; an anonymous submitter does not overwrite the registry


@pytest.mark.django_db
def test_form_errors_are_japanese_and_beside_each_field():
    form = ApplicationForm(
        {
            **FORM_DATA,
            "org_corporate_number": "7000012050003",
            "org_postal_code": "12",
            "org_name": "",
        }
    )
    assert not form.is_valid()
    assert set(form.errors) == {"org_corporate_number", "org_postal_code", "org_name"}
    # The glossary's wording, naming the field (never Django's 「このフィールドは必須です。」).
    assert form.errors["org_name"] == ["事業者名（会社名・屋号）を入力してください。"]


@pytest.mark.django_db
def test_duplicates_by_name_key_and_corporate_number_constraint():
    first = OrganisationFactory(name="株式会社 山田商店", corporate_number="")
    second = OrganisationFactory(name="ｶﾌﾞｼｷｶﾞｲｼｬ山田商店", corporate_number="")
    unrelated = OrganisationFactory(name="(株)田中商店")
    assert list(organisation_duplicates(first)) == [second]
    assert unrelated not in organisation_duplicates(first)
    OrganisationFactory(corporate_number="4011001098993")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(corporate_number="4011001098993")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(kind="company")


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_with_the_same_corporate_number_make_one_row():
    data = {
        "kind": "corporation",
        "name": "株式会社同時商店",
        "corporate_number": "2120901007402",
        "postal_code": "101-0025",
        "industry": Industry.SERVICES,
    }
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(organisation_find_or_create(data=dict(data), actor="company:x").pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Organisation.objects.filter(corporate_number="2120901007402").count() == 1
    assert len(set(results)) == 1 and len(results) == 4


# --- one organisation record: the public forms find the existing row ----------------------------

HANAMIZUKI_NUMBER = "7000012050002"


def _hanamizuki(**overrides):
    values = {
        "name": "株式会社ハナミズキ商店",
        "name_kana": "ハナミズキショウテン",
        "corporate_number": HANAMIZUKI_NUMBER,
        "postal_code": "101-0025",
        "municipality": "千代田区",
        "address": "神田佐久間町1-9 ハナビル1F",
        "phone": "03-3251-7881",
        "industry": Industry.RETAIL,
        "employees": 12,
    }
    values.update(overrides)
    return OrganisationFactory(**values)


def _public_org(**overrides) -> dict:
    data = {
        "org_kind": "corporation",
        "org_name": "ハナミズキ商店",
        "org_name_kana": "",
        "org_corporate_number": "",
        "org_postal_code": "１０１－００２５",
        "org_prefecture": "東京都",
        "org_municipality": "千代田区",
        "org_address": "神田佐久間町1-9",
        "org_phone": "",
        "org_main_business": "花の小売",
        "org_industry": "retail",
        "org_capital_yen": "",
        "org_employees": "",
    }
    data.update(overrides)
    return data


def _seminar_post(client, seminar, **org):
    from tests.seminars.test_views import form_data

    data = {**form_data(n=1), **_public_org(**org), "email": "hana.seminar@example.jp"}
    return client.post(f"/seminars/{seminar.pk}/", data)


def _school_post(client, **org):
    from tests.school.test_views import _form_data

    data = {**_form_data(), **_public_org(**org), "contact_email": "hana.school@example.jp"}
    return client.post("/school/apply/", data)


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_seminar_and_school_forms_typed_differently_attach_to_the_existing_company(client):
    from school.models import Application
    from seminars.models import Registration
    from tests.school.factories import recruiting_cohort
    from tests.seminars.factories import SeminarFactory

    existing = _hanamizuki()
    seminar, _cohort = SeminarFactory(), recruiting_cohort()

    response = _seminar_post(client, seminar, org_name="(株)ハナミズキ商店")
    assert response.status_code == 302, response.content.decode()[:2000]
    response = _school_post(client, org_name="ハナミズキ商店")
    assert response.status_code == 302, response.content.decode()[:2000]

    assert Registration.objects.get(email="hana.seminar@example.jp").organisation_id == existing.pk
    assert Application.objects.get().organisation_id == existing.pk
    assert Organisation.objects.count() == 1
    existing.refresh_from_db()
    # What the registry already held stays as staff entered it.
    assert existing.name == "株式会社ハナミズキ商店"
    assert existing.address == "神田佐久間町1-9 ハナビル1F"


@pytest.mark.django_db
def test_the_same_name_with_a_matching_phone_decides_between_two_rows_at_one_postal_code():
    _hanamizuki(corporate_number="", phone="03-1111-1111")
    second = _hanamizuki(corporate_number="", phone="03-2222-2222")
    found = organisation_find_or_create(
        data={"name": "ハナミズキ商店", "postal_code": "101-0025", "phone": "03-2222-2222"},
        actor="company:x",
    )
    assert found.pk == second.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("submitted", "basis"),
    [
        ({"postal_code": "101-0025", "phone": "03-9999-0000"}, "phone_differs"),
        ({"postal_code": "160-0023", "phone": ""}, "other_place"),
        ({"postal_code": "", "phone": ""}, "no_postal"),
    ],
)
def test_an_uncertain_match_creates_a_row_flagged_for_the_desk(submitted, basis, desk_client):
    existing = _hanamizuki()
    created = organisation_find_or_create(
        data={"name": "ハナミズキ商店", **submitted}, actor="company:x"
    )
    assert created.pk != existing.pk
    assert created.possible_duplicate_of_id == existing.pk
    assert created.duplicate_basis == basis
    event = AuditEvent.objects.get(action="organisation.create", object_id=str(created.pk))
    assert event.changes == {"possible_duplicate_of": existing.pk, "basis": basis}
    # The desk's queue lists it.
    queue = desk_client.get("/admin/companies/organisation/?duplicate=pending")
    assert list(queue.context["cl"].queryset) == [created]


@pytest.mark.django_db
def test_a_row_with_the_same_phone_but_another_name_is_a_suspect_only():
    existing = _hanamizuki()
    created = organisation_find_or_create(
        data={"name": "花水木フラワー", "postal_code": "101-0025", "phone": "03-3251-7881"},
        actor="company:x",
    )
    assert created.pk != existing.pk
    assert (created.possible_duplicate_of_id, created.duplicate_basis) == (
        existing.pk,
        "same_phone",
    )


@pytest.mark.django_db
def test_of_several_rows_with_the_same_phone_the_oldest_is_the_suspect():
    oldest = _hanamizuki(name="ハナミズキ本店", corporate_number="")
    _hanamizuki(name="ハナミズキ支店", corporate_number="")
    created = organisation_find_or_create(
        data={"name": "花水木フラワー", "postal_code": "101-0025", "phone": "03-3251-7881"},
        actor="company:x",
    )
    assert (created.possible_duplicate_of_id, created.duplicate_basis) == (oldest.pk, "same_phone")


@pytest.mark.django_db
def test_a_name_elsewhere_outranks_another_company_of_the_same_phone():
    same_phone = _hanamizuki(name="花水木フラワー", corporate_number="")
    same_name = _hanamizuki(postal_code="160-0023", phone="03-0000-1111")
    created = organisation_find_or_create(
        data={"name": "ハナミズキ商店", "postal_code": "101-0025", "phone": "03-3251-7881"},
        actor="company:x",
    )
    assert created.pk not in (same_phone.pk, same_name.pk)
    assert (created.possible_duplicate_of_id, created.duplicate_basis) == (
        same_name.pk,
        "other_place",
    )


@pytest.mark.django_db
def test_the_phone_decides_when_the_only_same_name_has_another_corporate_number():
    _hanamizuki()  # the same name, with its own 法人番号
    same_phone = _hanamizuki(name="花水木フラワー", corporate_number="", phone="03-5555-0101")
    created = organisation_find_or_create(
        data={
            "name": "ハナミズキ商店",
            "corporate_number": "4011001098993",
            "postal_code": "101-0025",
            "phone": "03-5555-0101",
        },
        actor="company:x",
    )
    assert (created.possible_duplicate_of_id, created.duplicate_basis) == (
        same_phone.pk,
        "same_phone",
    )


@pytest.mark.django_db
def test_another_corporate_number_is_another_company_even_with_the_same_name():
    existing = _hanamizuki()
    other = organisation_find_or_create(
        data={
            "name": "株式会社ハナミズキ商店",
            "corporate_number": "4011001098993",
            "postal_code": "101-0025",
        },
        actor="company:x",
    )
    assert other.pk != existing.pk
    assert other.possible_duplicate_of_id is None


@pytest.mark.django_db
def test_a_certain_match_fills_descriptive_blanks_only_and_spares_confirmed_rows(desk_user):
    from kosha_portal import clock

    bare = _hanamizuki(corporate_number="", employees=None, capital_yen=None, name_kana="")
    found = organisation_find_or_create(
        data={
            "name": "ハナミズキ商店",
            "postal_code": "101-0025",
            "corporate_number": HANAMIZUKI_NUMBER,
            "employees": 80,
            "address": "別の番地",
            "name_kana": "ハナミズキ",
        },
        actor="company:x",
    )
    assert found.pk == bare.pk
    bare.refresh_from_db()
    assert (bare.employees, bare.name_kana) == (80, "ハナミズキ")
    # Identity and contacts stay as they were: a typed 法人番号 or address is not adopted.
    assert bare.corporate_number == ""
    assert bare.address == "神田佐久間町1-9 ハナビル1F"
    event = AuditEvent.objects.get(action="organisation.fill")
    assert sorted(event.changes["fields"]) == ["employees", "name_kana"]

    # A 法人番号 is public: whoever types one must not give the company their phone number.
    numbered = _hanamizuki(name="株式会社ツバキ", corporate_number="4011001098993", phone="")
    organisation_find_or_create(
        data={"name": "ツバキ", "corporate_number": "4011001098993", "phone": "090-1111-2222"},
        actor="company:x",
    )
    numbered.refresh_from_db()
    assert numbered.phone == ""

    confirmed = _hanamizuki(name="株式会社モクレン", corporate_number="", employees=None, phone="")
    Organisation.objects.filter(pk=confirmed.pk).update(
        registry_confirmed_at=clock.now(), registry_confirmed_by=desk_user
    )
    organisation_find_or_create(
        data={"name": "モクレン", "postal_code": "101-0025", "employees": 5}, actor="company:x"
    )
    confirmed.refresh_from_db()
    assert confirmed.employees is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_unnumbered_company_make_one_row():
    data = {"kind": "corporation", "name": "㈱同時花店", "postal_code": "101-0025"}
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit(name):
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(
                    organisation_find_or_create(data={**data, "name": name}, actor="c").pk
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    names = ["㈱同時花店", "株式会社同時花店", "同時花店", "カブシキガイシャ同時花店"]
    threads = [threading.Thread(target=submit, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert Organisation.objects.filter(name_key="同時花店").count() == 1


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_a_seminar_registrant_attached_to_a_company_sees_none_of_its_other_records(
    client, delivered_access_link, django_capture_on_commit_callbacks
):
    from consultations.models import Consultation
    from seminars.models import Registration
    from tests.dispatch import factories as dispatch_factories
    from tests.seminars.factories import SeminarFactory

    existing = _hanamizuki()
    their_consultation = dispatch_factories.consultation(existing)
    seminar = SeminarFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert _seminar_post(client, seminar, org_name="ハナミズキ商店").status_code == 302
    mine = Registration.objects.get(email="hana.seminar@example.jp")
    assert mine.organisation_id == existing.pk

    opened = client.get(delivered_access_link("hana.seminar@example.jp"))
    assert opened.status_code == 302
    assert client.get(mine.get_portal_url()).status_code == 200
    assert client.get(their_consultation.get_portal_url()).status_code == 404
    my_page = client.get("/my/").content.decode()
    assert their_consultation.reference not in my_page
    assert Consultation.objects.filter(organisation=existing).count() == 1


# --- required means required ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_public_forms_preselect_no_industry_and_refuse_a_missing_one_beside_the_field(client):
    from school.models import Application
    from seminars.models import Registration
    from tests.consultations.conftest import intake_payload
    from tests.school.factories import recruiting_cohort
    from tests.seminars.factories import SeminarFactory

    seminar, _cohort = SeminarFactory(), recruiting_cohort()
    for url in ("/consultations/new/", f"/seminars/{seminar.pk}/", "/school/apply/"):
        page = client.get(url)
        industry = page.context["form"]["org_industry"]
        assert industry.value() in (None, ""), url
        assert "selected>" not in str(industry).replace('value="" selected>', ""), url

    responses = [
        client.post("/consultations/new/", intake_payload(org_industry="")),
        _seminar_post(client, seminar, org_industry=""),
        _school_post(client, org_industry=""),
    ]
    for response in responses:
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["org_industry"] == ["業種区分を選択してください。"]
        assert "業種区分を選択してください。" in response.content.decode()
        # The rest of the input is kept.
        assert form["org_name"].value() in ("株式会社かもめ商店", "ハナミズキ商店")
    assert not Organisation.objects.exists()
    assert not Registration.objects.exists() and not Application.objects.exists()


# --- staff edits go through the services ----------------------------------------------------------


def _admin_form(organisation, **changes) -> dict:
    data = {
        name: getattr(organisation, name) if getattr(organisation, name) is not None else ""
        for name in (
            "kind",
            "name",
            "name_kana",
            "corporate_number",
            "representative",
            "postal_code",
            "prefecture",
            "municipality",
            "address",
            "phone",
            "email",
            "main_business",
            "industry",
            "capital_yen",
            "employees",
        )
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_every_admin_save_of_an_organisation_goes_through_its_services(desk_client, monkeypatch):
    from companies import admin as companies_admin
    from companies import services

    calls = []

    def spy(name):
        real = getattr(services, name)

        def wrapper(**kwargs):
            calls.append(name)
            return real(**kwargs)

        monkeypatch.setattr(companies_admin, name, wrapper)

    spy("organisation_update")
    spy("organisation_create")
    organisation = _hanamizuki(phone="")
    url = f"/admin/companies/organisation/{organisation.pk}/change/"
    # A new postal code (新宿区西新宿) and nothing else about the place.
    response = desk_client.post(
        url, _admin_form(organisation, postal_code="163-8001", industry="services")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["organisation_update"]
    organisation.refresh_from_db()
    # The service's area fill-in: prefecture, municipality and code follow the postal code.
    assert (organisation.prefecture, organisation.municipality) == ("東京都", "新宿区")
    assert organisation.prefecture_code == "13"
    event = AuditEvent.objects.get(action="organisation.update", object_id=str(organisation.pk))
    assert "postal_code" in event.changes["fields"] and "municipality" in event.changes["fields"]
    assert event.changes["values"]["industry"] == ["retail", "services"]
    assert "163-8001" not in str(event.changes)  # a postal code can be a sole proprietor's home
    assert not AuditEvent.objects.filter(action="admin.change").exists()

    response = desk_client.post(
        "/admin/companies/organisation/add/",
        _admin_form(
            organisation,
            name="株式会社電話だけ商会",
            corporate_number="",
            postal_code="101-0025",
            prefecture="",
            municipality="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls == ["organisation_update", "organisation_create"]
    added = Organisation.objects.get(name="株式会社電話だけ商会")
    assert (added.prefecture, added.municipality) == ("東京都", "千代田区")


@pytest.mark.django_db
def test_an_admin_edit_that_breaks_a_registry_rule_is_refused_beside_the_field(desk_client):
    first = _hanamizuki()
    second = _hanamizuki(name="株式会社ツバキ", corporate_number="")
    url = f"/admin/companies/organisation/{second.pk}/change/"
    response = desk_client.post(url, _admin_form(second, corporate_number=HANAMIZUKI_NUMBER))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["corporate_number"]
    assert f"事業者ID {first.pk}" in errors[0]
    second.refresh_from_db()
    assert second.corporate_number == ""


@pytest.mark.django_db
def test_registry_confirmation_is_recorded_with_the_officer(desk_client, desk_user):
    organisation = _hanamizuki()
    url = f"/admin/companies/organisation/{organisation.pk}/change/"
    response = desk_client.post(url, {**_admin_form(organisation), "confirm_registry": "on"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.registry_confirmed_by == desk_user
    page = desk_client.get(url).content.decode()
    assert "登記情報を確認済みにした" in page and "窓口 花子 が確認" in page
