"""The one organisation registry: form mixin, find-or-create by 法人番号 (also under concurrent
submissions), name-key duplicates, constraints."""

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
    assert form.errors["org_name"] == ["このフィールドは必須です。"]


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
