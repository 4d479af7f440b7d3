"""Merging two registry rows: the officer sees both records side by side and picks each field's
value (the defaults keep the better data), every record moves, the 法人番号 is never dropped,
the audit event explains the merge without personal values; many-to-many links are kept,
clashes refused with a message, and the page needs the delete permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from companies.models import Organisation
from companies.services import merge_defaults, organisation_find_or_create, organisation_merge
from companies.sme import Industry
from consultations.models import Consultation
from dispatch.models import Dispatch
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from school.models import Application
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory
from tests.school.factories import ApplicationFactory, CohortFactory

pytestmark = pytest.mark.django_db

NUMBER = "7000012050002"


def _url(keep, remove=None):
    url = reverse("admin:companies_organisation_merge", args=[keep.pk])
    return url + (f"?remove={remove.pk}" if remove is not None else "")


def _issue_pair():
    """The records of issue 11: the registry row with its 法人番号, and a consultation's row typed
    as 「ハナミズキ商店」 with the industry left at その他 and the building name missing."""
    registered = OrganisationFactory(
        name="株式会社ハナミズキ商店",
        name_kana="ハナミズキショウテン",
        corporate_number=NUMBER,
        address="神田佐久間町1-9 ハナビル1F",
        industry=Industry.RETAIL,
        employees=60,
        capital_yen=100_000_000,
        phone="03-3251-7881",
    )
    typed = OrganisationFactory(
        name="ハナミズキ商店",
        name_kana="",
        corporate_number="",
        address="神田佐久間町1-9",
        industry=Industry.OTHER,
        employees=60,
        capital_yen=100_000_000,
        phone="",
        representative="花水木 太郎",
    )
    return registered, typed


def test_the_defaults_keep_the_legal_name_the_industry_and_the_longer_address():
    registered, typed = _issue_pair()
    # Whichever record the officer opened first.
    for keep, remove in ((typed, registered), (registered, typed)):
        defaults = merge_defaults(keep, remove)
        side = {"keep": keep, "remove": remove}
        assert side[defaults["name"]].name == "株式会社ハナミズキ商店"
        assert side[defaults["industry"]].industry == Industry.RETAIL
        assert side[defaults["address"]].address == "神田佐久間町1-9 ハナビル1F"
        assert side[defaults["representative"]].representative == "花水木 太郎"
        assert side[defaults["phone"]].phone == "03-3251-7881"

    merged = organisation_merge(keep=typed, remove=registered, actor="staff")
    assert (merged.name, merged.corporate_number, merged.industry) == (
        "株式会社ハナミズキ商店",
        NUMBER,
        Industry.RETAIL,
    )
    assert merged.address == "神田佐久間町1-9 ハナビル1F"
    assert merged.representative == "花水木 太郎"
    # The SME test still uses the retail limits (50 employees): 60 is not an SME.
    assert not merged.sme_verdict().is_sme


def test_a_registry_confirmed_value_wins_over_a_longer_one(desk_user):
    from kosha_portal import clock

    confirmed = OrganisationFactory(name="株式会社モクレン", address="丸の内1-1")
    other = OrganisationFactory(name="株式会社モクレン", address="丸の内1-1 モクレンタワー")
    Organisation.objects.filter(pk=confirmed.pk).update(
        registry_confirmed_at=clock.now(), registry_confirmed_by=desk_user
    )
    confirmed.refresh_from_db()
    assert merge_defaults(other, confirmed)["address"] == "remove"


def test_the_officers_choices_decide_and_every_record_moves(desk_user):
    registered, typed = _issue_pair()
    Organisation.objects.filter(pk=registered.pk).update(capital_yen=10_000_000)  # an SME
    registered.refresh_from_db()
    consultation = dispatch_factories.consultation(typed)
    year = dispatch_factories.program_year(2026)
    dispatch = dispatch_factories.applied_dispatch(year, organisation=registered)
    # The officer keeps the typed row's id, but the legal name of the registry row, and the
    # typed row's industry on purpose.
    merged = organisation_merge(
        keep=typed,
        remove=registered,
        actor=desk_user,
        choices={"name": "remove", "industry": "keep", "corporate_number": "keep"},
    )
    assert merged.pk == typed.pk
    assert not Organisation.objects.filter(pk=registered.pk).exists()
    assert (merged.name, merged.industry) == ("株式会社ハナミズキ商店", Industry.OTHER)
    assert merged.corporate_number == NUMBER  # never dropped, whatever was chosen
    assert merged.name_key == "ハナミズキ商店"
    consultation.refresh_from_db()
    dispatch.refresh_from_db()
    assert consultation.organisation.name == "株式会社ハナミズキ商店"
    assert dispatch.organisation_id == merged.pk

    event = AuditEvent.objects.get(action="organisation.merge")
    assert event.changes["removed"] == f"事業者 #{registered.pk}"
    assert event.changes["kept"]["name"] == "remove"
    assert event.changes["kept"]["industry"] == "keep"
    assert event.changes["values"]["industry"] == ["other", "retail"]
    # Names, addresses, phones and representatives stay out of the audit trail.
    text = str(event.changes)
    for personal in ("ハナミズキ", "ハナビル", "03-3251-7881", "花水木"):
        assert personal not in text
    assert "consultations.Consultation.organisation" in event.changes["moved"]


def test_the_merge_page_shows_both_records_and_the_history_explains_the_merge(desk_client):
    registered, typed = _issue_pair()
    page = desk_client.get(_url(typed, registered))
    assert page.status_code == 200
    html = page.content.decode()
    assert "株式会社ハナミズキ商店" in html and "ハナミズキ商店" in html
    assert "小売業（飲食店を含む）" in html and "その他の業種" in html
    form = page.context["form"]
    assert form["pick_name"].value() == "remove"
    assert form["pick_industry"].value() == "remove"
    assert "pick_corporate_number" not in form.fields

    # Without the confirmation nothing happens.
    refused = desk_client.post(_url(typed, registered), {"decision": "merge"})
    assert refused.status_code == 200
    assert "確認の欄にチェックを入れてください" in refused.content.decode()
    assert Organisation.objects.count() == 2

    choices = {f"pick_{name}": value for name, value in form.initial.items()}
    choices.update(
        {k: form[k].value() for k in form.fields if k.startswith("pick_")},
        pick_industry="keep",
        confirm="on",
        decision="merge",
    )
    response = desk_client.post(_url(typed, registered), choices, follow=True)
    assert response.status_code == 200
    typed.refresh_from_db()
    assert (typed.name, typed.industry) == ("株式会社ハナミズキ商店", Industry.OTHER)
    html = response.content.decode()
    assert f"事業者ID {registered.pk} を事業者ID {typed.pk} に統合しました" in html
    # The history sentence: which record's value was kept, values for non-personal fields.
    assert f"事業者 #{registered.pk}を統合" in html
    assert "事業者名は統合元の値を採用" in html
    assert "「その他の業種」を採用（他方は「小売業（飲食店を含む）」）" in html


def test_a_flagged_row_can_be_confirmed_as_another_company(desk_client):
    existing = OrganisationFactory(name="株式会社サクラ", phone="03-1111-1111")
    flagged = organisation_find_or_create(
        data={"name": "サクラ", "postal_code": existing.postal_code, "phone": "03-2222-2222"},
        actor="company:x",
    )
    assert flagged.possible_duplicate_of_id == existing.pk
    response = desk_client.post(_url(existing, flagged), {"decision": "distinct"}, follow=True)
    assert "別の事業者であることを記録し" in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.possible_duplicate_of_id is None
    assert Organisation.objects.count() == 2
    assert AuditEvent.objects.filter(action="organisation.duplicate_dismiss").count() == 1


def test_merging_a_flagged_row_clears_its_flag():
    existing = OrganisationFactory(name="株式会社サクラ", phone="03-1111-1111")
    flagged = organisation_find_or_create(
        data={"name": "サクラ", "postal_code": existing.postal_code, "phone": "03-2222-2222"},
        actor="company:x",
    )
    merged = organisation_merge(keep=flagged, remove=existing, actor="staff")
    assert merged.possible_duplicate_of_id is None and merged.duplicate_basis == ""


def test_the_pick_step_lists_candidates_and_refuses_an_unknown_id(desk_client):
    registered, typed = _issue_pair()
    page = desk_client.get(_url(registered)).content.decode()
    assert f"?remove={typed.pk}" in page
    refused = desk_client.get(_url(registered) + "?remove=999999").content.decode()
    assert "このIDの事業者は見つかりません。" in refused
    same = desk_client.get(_url(registered) + f"?remove={registered.pk}").content.decode()
    assert "同じ事業者同士は統合できません。" in same


def test_merge_keeps_the_experts_barred_from_the_removed_row():
    keep, remove = OrganisationFactory(), OrganisationFactory()
    barred = dispatch_factories.expert("利害 一郎")
    both = dispatch_factories.expert("利害 二郎")
    barred.conflicts.add(remove)
    both.conflicts.add(keep, remove)

    organisation_merge(keep=keep, remove=remove, actor="staff")

    assert not Organisation.objects.filter(pk=remove.pk).exists()
    assert list(barred.conflicts.all()) == [keep]
    assert list(both.conflicts.all()) == [keep]


def test_merge_of_two_applicants_to_one_cohort_is_refused_with_a_message():
    keep, remove = OrganisationFactory(), OrganisationFactory()
    cohort = CohortFactory()
    ApplicationFactory(cohort=cohort, organisation=keep)
    ApplicationFactory(cohort=cohort, organisation=remove)

    with pytest.raises(DomainError) as caught:
        organisation_merge(keep=keep, remove=remove, actor="staff")

    assert caught.value.code == "conflict"
    assert "スクール" in caught.value.message and "重複" in caught.value.message
    assert Organisation.objects.filter(pk=remove.pk).exists()
    assert Application.objects.filter(organisation=remove).count() == 1


def test_two_different_corporate_numbers_are_never_merged():
    keep = OrganisationFactory(corporate_number=NUMBER)
    remove = OrganisationFactory(corporate_number="4011001098993")
    with pytest.raises(DomainError) as caught:
        organisation_merge(keep=keep, remove=remove, actor="staff")
    assert caught.value.code == "different_number"


def test_admin_merge_page_shows_the_clash_instead_of_an_error(desk_client):
    keep, remove = OrganisationFactory(), OrganisationFactory()
    cohort = CohortFactory()
    ApplicationFactory(cohort=cohort, organisation=keep)
    ApplicationFactory(cohort=cohort, organisation=remove)
    response = desk_client.post(_url(keep, remove), {"decision": "merge", "confirm": "on"})
    assert response.status_code == 200
    assert "統合すると重複します" in response.content.decode()
    assert Consultation.objects.count() == 0 and Dispatch.objects.count() == 0


def test_admin_merge_page_for_an_unknown_row_is_404(desk_client):
    url = reverse("admin:companies_organisation_merge", args=[999999])
    assert desk_client.get(url).status_code == 404


def test_admin_merge_needs_the_delete_permission(client, make_user):
    keep, remove = OrganisationFactory(), OrganisationFactory()
    editor = make_user("org-editor", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="companies",
            codename__in=["view_organisation", "change_organisation"],
        )
    )
    client.force_login(editor)
    response = client.post(_url(keep, remove), {"decision": "merge", "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert Organisation.objects.filter(pk=remove.pk).exists()
