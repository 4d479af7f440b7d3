"""The rows of a busy changelist, rendered as Django's admin renders them without its per-cell
generic work.

Django's ``items_for_result`` works every cell out from scratch: it looks the column up on the
model and on the admin (``lookup_field``), reverses the row's change URL and merges the preserved
filters into it (resolving that URL again, for every row), and builds each cell through
``format_html``. On the triage list (50 rows × 9 columns) that was most of the page's time
(issue 17). Here each column is looked up once per page, and every row's link comes from one
reversed and filter-merged URL in which only the primary key changes. The HTML is Django's, byte
for byte (tests/consultations/test_admin_rows.py renders the same pages both ways); a changelist
this does not cover (editable rows, popups, ``to_field``, a column Django would find by a related
lookup or on the model) is rendered by Django's own ``items_for_result``."""

import datetime
from collections.abc import Callable

from django.contrib.admin.templatetags.admin_list import ResultList, _coerce_field_name
from django.contrib.admin.templatetags.admin_list import results as django_results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString

# Stands for an integer primary key in the one URL reversed per page: letters only, so neither
# the admin's quote() nor reverse() changes it, and nothing else in an admin URL looks like it.
PK_PLACEHOLDER = "KoshaPrimaryKeyPlaceholder"


class _Column:
    """One column of the list, looked up once: how to get a row's value and how Django shows it."""

    def __init__(self, cl, index: int, field_name, *, is_link: bool, is_first_link: bool):
        model_admin = cl.model_admin
        self.empty = model_admin.get_empty_value_display()
        self.css = f"field-{_coerce_field_name(field_name, index)}"
        self.is_link = is_link
        self.tag = "th" if is_first_link else "td"
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, field_name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            self.field = None
            if callable(field_name):
                self.attr = field_name
            elif hasattr(model_admin, field_name) and field_name != "__str__":
                self.attr = getattr(model_admin, field_name)
            else:
                raise _NotCovered(field_name) from None
            self.boolean = getattr(self.attr, "boolean", False)
            self.empty = getattr(self.attr, "empty_value_display", self.empty)
            self.value: Callable = self.attr
            self.shown: dict = {}  # a boolean column's three icons, built once per page
        else:
            name = field_name
            self.value = lambda obj: getattr(obj, name)
            self.nowrap = isinstance(
                self.field, models.DateField | models.TimeField | models.ForeignKey
            )
            self.many_to_one = isinstance(self.field.remote_field, models.ManyToOneRel)
            if self.field.auto_created:
                raise _NotCovered(field_name)
            # A column with choices shows a handful of labels (lazy translations): each is
            # translated and escaped once per page.
            self.shown = {} if self.field.flatchoices else None

    def cell(self, obj, url: str | None) -> SafeString:
        css = self.css
        try:
            value = self.value(obj)
        except ObjectDoesNotExist:
            shown = self.empty
        else:
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if self.field is None:
                if self.boolean:
                    shown = self.shown.get(value)
                    if shown is None:
                        shown = self.shown[value] = display_for_value(value, self.empty, True)
                else:
                    shown = display_for_value(value, self.empty, False)
                if isinstance(value, datetime.date | datetime.time):
                    css += " nowrap"
            else:
                if self.many_to_one:
                    shown = self.empty if value is None else value
                else:
                    cacheable = self.shown is not None and isinstance(value, str | int | None)
                    shown = self.shown.get(value) if cacheable else None
                    if shown is None:
                        shown = display_for_field(
                            value, self.field, self.empty, avoid_link=self.is_link
                        )
                        if cacheable:
                            shown = self.shown[value] = conditional_escape(shown)
                if self.nowrap:
                    css += " nowrap"
        shown = conditional_escape(shown)
        if self.is_link and url is not None:
            shown = f'<a href="{url}">{shown}</a>'
        return SafeString(f'<{self.tag} class="{css}">{shown}</{self.tag}>')


class _NotCovered(Exception):
    """A column this module does not render as Django would; Django renders the page."""


def _link_columns(cl) -> list[bool]:
    """Which columns link to the change page (as items_for_result's link_in_col)."""
    links, first = [], True
    for field_name in cl.list_display:
        if cl.list_display_links is None:
            is_link = False
        elif first and not cl.list_display_links:
            is_link = True
        else:
            is_link = field_name in cl.list_display_links
        links.append(is_link)
        first = first and not is_link
    return links


def _change_url_template(cl) -> str | None:
    """The change URL of a row with the preserved filters merged in, escaped for an attribute,
    with PK_PLACEHOLDER for the primary key; None when the admin has no change URL."""
    try:
        return _change_url(cl, _Placeholder(cl.pk_attname))
    except NoReverseMatch:
        return None


def _change_url(cl, obj) -> str:
    """``obj``'s change URL as Django's link has it: preserved filters merged in, escaped."""
    url = cl.url_for_result(obj)
    return escape(
        add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    )


class _Placeholder:
    def __init__(self, pk_attname: str):
        setattr(self, pk_attname, PK_PLACEHOLDER)


def results(cl):
    """The rows of ``cl`` as admin_list.results yields them."""
    if getattr(cl, "formset", None) or cl.is_popup or cl.to_field:
        yield from django_results(cl)
        return
    links = _link_columns(cl)
    try:
        columns = [
            _Column(
                cl,
                index,
                name,
                is_link=links[index],
                is_first_link=links[index] and not any(links[:index]),
            )
            for index, name in enumerate(cl.list_display)
        ]
    except _NotCovered:
        yield from django_results(cl)
        return
    template = _change_url_template(cl) if any(links) else None
    pk_attname = cl.pk_attname
    for obj in cl.result_list:
        url = None
        if template is not None:
            pk = getattr(obj, pk_attname)
            url = (
                template.replace(PK_PLACEHOLDER, str(pk))
                if type(pk) is int
                else _change_url(cl, obj)
            )
        yield ResultList(None, [column.cell(obj, url) for column in columns])
