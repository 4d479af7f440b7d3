"""The triage list's rows come from kosha_portal.admin_results, which must render exactly what
Django's admin renders for the same page (issue 17: the same HTML at a fraction of the cost)."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.urls import resolve

from consultations.models import Consultation
from kosha_portal import admin_results
from tests import timeline

pytestmark = pytest.mark.django_db
LIST = "/admin/consultations/consultation/"


@pytest.fixture
def varied_consultations(make_consultation, desk_user):
    """Rows that take every branch of the list's columns: an officer or none, overdue or not,
    the dispatch need undecided, needed and not needed, several requested supports, a name
    that must be escaped."""
    made = [
        make_consultation(email=f"row{i}@example.jp", requested_support=support)
        for i, support in enumerate([["advice"], ["advice", "seminar"], ["dispatch"], []])
    ]
    Consultation.objects.filter(pk=made[0].pk).update(assigned_to=desk_user, dispatch_need=True)
    Consultation.objects.filter(pk=made[1].pk).update(reply_by="2026-11-30", dispatch_need=False)
    Consultation.objects.filter(pk=made[2].pk).update(status=Consultation.Status.CLOSED)
    made[3].organisation.name = '株式会社<b>"テスト"</b>&商事'
    made[3].organisation.save(update_fields=["name"])
    return made


def _changelist(rf, user, query):
    request = rf.get(LIST + query)
    request.user = user
    request.resolver_match = resolve(LIST)  # what the admin's preserved filters are read from
    cl = admin.site._registry[Consultation].get_changelist_instance(request)
    cl.formset = None  # as changelist_view sets it for a list without editable columns
    return cl


@pytest.mark.time_machine(timeline.NOW)
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=new&overdue=yes",
        "?overdue=yes",
        "?q=テスト",
        "?o=-6.1",
        "?support=advice&channel__exact=web",
    ],
)
def test_the_triage_rows_are_the_html_djangos_admin_renders(
    rf, desk_user, varied_consultations, query
):
    cl = _changelist(rf, desk_user, query)
    ours = [list(row) for row in admin_results.results(cl)]
    djangos = [list(row) for row in admin_list.results(cl)]
    assert ours == djangos
    assert ours, "the page must have rows to compare"
    if query:
        assert "?_changelist_filters=" in "".join(ours[0])


@pytest.mark.time_machine(timeline.NOW)
def test_row_links_keep_the_filters_and_names_are_escaped(rf, desk_user, varied_consultations):
    cl = _changelist(rf, desk_user, "?status__exact=new")
    html = "".join(str(cell) for row in admin_results.results(cl) for cell in row)
    first = varied_consultations[0]
    assert (
        f'<a href="/admin/consultations/consultation/{first.pk}/change/'
        "?_changelist_filters=status__exact%3Dnew"
    ) in html
    assert "株式会社&lt;b&gt;&quot;テスト&quot;&lt;/b&gt;&amp;商事" in html
    assert "<b>" not in html


def test_the_triage_page_renders_its_rows_with_the_fast_tag(desk_client, varied_consultations):
    html = desk_client.get(LIST).content.decode()
    for consultation in varied_consultations:
        assert f'/admin/consultations/consultation/{consultation.pk}/change/"' in html
    assert 'class="field-dispatch_need_display"><img src="' in html
    assert html.count('<tr><th class="field-reference">') == len(varied_consultations)


def test_a_column_django_finds_another_way_falls_back_to_djangos_rows(
    rf, desk_user, varied_consultations, monkeypatch
):
    model_admin = admin.site._registry[Consultation]
    monkeypatch.setattr(model_admin, "list_display", ["reference", "organisation__name", "status"])
    cl = _changelist(rf, desk_user, "")
    ours = [list(row) for row in admin_results.results(cl)]
    assert ours == [list(row) for row in admin_list.results(cl)]
    assert "株式会社" in "".join(ours[0]) or any("株式会社" in "".join(r) for r in ours)
