"""A personal link opens its own target (and what derives from it), never a whole organisation."""

import pytest
from django.urls import reverse

from companies.services import organisation_merge
from consultations.models import Consultation
from dispatch.services import dispatch_withdraw
from kosha_portal.accounts.services import access_link_issue
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory
from tests.school.factories import ApplicationFactory

from .conftest import intake_payload

pytestmark = pytest.mark.django_db

VICTIM_NUMBER = "7000012050002"


def _open(client, token: str):
    response = client.get(f"/access/{token}/")
    assert response.status_code == 302
    return response


def test_typing_another_companys_corporate_number_opens_only_the_new_consultation(
    client, delivered_access_link, django_capture_on_commit_callbacks
):
    victim = OrganisationFactory(name="株式会社ひがい商事", corporate_number=VICTIM_NUMBER)
    year = f.program_year(2026)
    their_dispatch = f.applied_dispatch(year, organisation=victim)
    their_consultation = their_dispatch.consultation
    their_application = ApplicationFactory(organisation=victim)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consultations:new"),
            intake_payload(
                org_corporate_number=VICTIM_NUMBER, contact_email="stranger@attacker.example"
            ),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    mine = Consultation.objects.get(contact_email="stranger@attacker.example")
    # The registry reuses the organisation; the link must not inherit its records.
    assert mine.organisation_id == victim.pk

    opened = client.get(delivered_access_link("stranger@attacker.example"))
    assert opened["Location"] == mine.get_portal_url()
    assert client.get(mine.get_portal_url()).status_code == 200
    for url in (
        their_consultation.get_portal_url(),
        reverse("dispatch:application_new", args=[their_consultation.reference]),
        their_dispatch.get_portal_url(),
        reverse("dispatch:company_completion_pdf", args=[their_dispatch.reference]),
        their_application.get_portal_url(),
    ):
        assert client.get(url).status_code == 404, url
    withdraw = reverse("dispatch:company_withdraw", args=[their_dispatch.reference])
    assert client.post(withdraw).status_code == 404
    their_dispatch.refresh_from_db()
    assert their_dispatch.status == their_dispatch.Status.APPLIED

    my_page = client.get("/my/").content.decode()
    assert mine.reference in my_page
    assert their_consultation.reference not in my_page
    assert their_dispatch.reference not in my_page
    assert their_application.get_portal_url() not in my_page


def _two_dispatches_of_one_company():
    year = f.program_year(2026)
    other = f.applied_dispatch(year)
    dispatch_withdraw(dispatch=other, reason="再申込のため", actor="test")
    return f.applied_dispatch(year, organisation=other.organisation), other


def test_the_dispatch_of_a_consultation_is_reached_through_the_consultations_link(client):
    dispatch, other = _two_dispatches_of_one_company()
    _link, token = access_link_issue(
        email=dispatch.contact_email,
        organisation=dispatch.organisation,
        target=dispatch.consultation,
    )
    _open(client, token)
    assert client.get(dispatch.get_portal_url()).status_code == 200
    # The same company's other consultation and its dispatch need their own link.
    assert client.get(other.get_portal_url()).status_code == 404
    assert client.get(other.consultation.get_portal_url()).status_code == 404
    my_page = client.get("/my/").content.decode()
    assert dispatch.reference in my_page and other.reference not in my_page


def test_a_dispatch_link_opens_the_dispatch_but_not_the_other_dispatches(client):
    dispatch, other = _two_dispatches_of_one_company()
    _link, token = access_link_issue(
        email=dispatch.contact_email, organisation=dispatch.organisation, target=dispatch
    )
    _open(client, token)
    assert client.get(dispatch.get_portal_url()).status_code == 200
    assert client.get(other.get_portal_url()).status_code == 404


def test_after_a_merge_the_removed_organisations_link_still_opens_only_its_target(
    client, make_consultation, desk_user
):
    keep, remove = OrganisationFactory(), OrganisationFactory()
    kept_consultation = make_consultation(organisation=keep, email="keep@example.jp")
    removed_consultation = make_consultation(organisation=remove, email="remove@example.jp")
    link, token = access_link_issue(
        email="remove@example.jp", organisation=remove, target=removed_consultation
    )
    organisation_merge(keep=keep, remove=remove, actor=desk_user)
    link.refresh_from_db()
    assert link.organisation_id == keep.pk  # moved with the records, as metadata only

    _open(client, token)
    assert client.get(removed_consultation.get_portal_url()).status_code == 200
    assert client.get(kept_consultation.get_portal_url()).status_code == 404
    my_page = client.get("/my/").content.decode()
    assert removed_consultation.reference in my_page
    assert kept_consultation.reference not in my_page
