"""The intake form's error summary (JIS X 8341-3 / WCAG 2.1: 1.3.1, 2.4.3, 3.3.1, 4.1.2).

It lists the problems in the order of the form, links each to the input to correct (a group's
first input), never nests the consent item's privacy link in its own link, counts only the
fields' problems, and says once, and only if something was attached, that attachments must be
chosen again. The browser side (Enter on a link focuses the field) is in test_keyboard_e2e.py."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import PNG, intake_payload

pytestmark = pytest.mark.django_db
URL = "/consultations/new/"


def summary_of(html: str) -> str:
    match = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def summary_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the summary."""
    return [
        (href, re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', summary_of(html), re.S)
    ]


def test_summary_links_follow_the_form_order_and_point_at_each_group_s_first_input(client):
    payload = intake_payload(
        org_name="",  # 事業者の情報 comes first on the form
        contact_email="",
        contact_way=None,  # a radio group
        places=None,  # a checkbox group
        requested_support=None,
        privacy_consent=None,
    )
    html = client.post(URL, payload).content.decode()
    hrefs = [href for href, _text in summary_links(html)]
    assert hrefs == [
        "#id_org_name",
        "#id_contact_email",
        "#id_contact_way_0",
        "#id_places_0",
        "#id_requested_support_0",
        "#id_privacy_consent",
    ]
    for href in hrefs:
        assert f'id="{href[1:]}"' in html, f"{href} points at nothing"
    assert "入力内容に不備があります（6件）" in summary_of(html)


def test_consent_item_names_the_consent_without_nesting_the_privacy_link(client):
    html = client.post(URL, intake_payload(privacy_consent=None)).content.decode()
    summary = summary_of(html)
    assert summary_links(html) == [
        (
            "#id_privacy_consent",
            "個人情報の取扱いへの同意：ご相談をお受けするには、個人情報の取扱いへの同意が必要です。",
        )
    ]
    assert summary.count("<a ") == 1 and "/privacy/" not in summary


def test_an_error_of_the_whole_form_is_listed_but_not_counted_as_a_field(client):
    html = client.post(URL, intake_payload(started="forged", org_name="")).content.decode()
    summary = summary_of(html)
    assert "入力の有効期限が切れたか" in summary
    assert "入力内容に不備があります（1件）" in summary
    assert [href for href, _ in summary_links(html)] == ["#id_org_name"]


def test_required_groups_and_selects_carry_a_programmatic_required_state(client):
    html = client.get(URL).content.decode()

    def tag(pattern):
        found = re.findall(pattern, html)
        assert found, pattern
        return found

    for select in tag(r'<select name="org_(?:kind|industry)"[^>]*>'):
        assert " required" in select or 'aria-required="true"' in select, select
    for box in tag(r'<input type="checkbox"[^>]*name="(?:places|requested_support)"[^>]*>'):
        assert 'aria-required="true"' in box, box
    for radio in tag(r'<input type="radio"[^>]*name="contact_way"[^>]*>'):
        assert " required" in radio, radio
    # Optional groups say nothing of the kind.
    for box in tag(r'<input type="checkbox"[^>]*name="damages"[^>]*>'):
        assert "required" not in box, box


def test_attachment_notice_appears_once_and_only_when_something_was_attached(client):
    without = client.post(URL, intake_payload(org_name="")).content.decode()
    assert "添付ファイルはもう一度選択してください" not in without
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    attached = client.post(URL, {**intake_payload(org_name=""), "attachments": [upload]})
    assert attached.content.decode().count("添付ファイルはもう一度選択してください") == 1
