"""Merging two registry rows keeps many-to-many links, refuses clashes with a message, and the
admin merge page answers 404 for an unknown row and needs the delete permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from companies.models import Organisation
from companies.services import organisation_merge
from kosha_portal.errors import DomainError
from school.models import Application
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory
from tests.school.factories import ApplicationFactory, CohortFactory

pytestmark = pytest.mark.django_db


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


def test_admin_merge_page_shows_the_clash_instead_of_an_error(desk_client):
    keep, remove = OrganisationFactory(), OrganisationFactory()
    cohort = CohortFactory()
    ApplicationFactory(cohort=cohort, organisation=keep)
    ApplicationFactory(cohort=cohort, organisation=remove)
    url = reverse("admin:companies_organisation_merge", args=[keep.pk])
    response = desk_client.post(url, {"remove": remove.pk})
    assert response.status_code == 200
    assert "統合すると重複します" in response.content.decode()


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
    url = reverse("admin:companies_organisation_merge", args=[keep.pk])
    response = client.post(url, {"remove": remove.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert Organisation.objects.filter(pk=remove.pk).exists()
