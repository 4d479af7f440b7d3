"""Keyboard only (WCAG 2.1.1, 2.4.3, 3.3.1): the intake form and a seminar registration are
filled in and sent with Tab, Space, Enter and the arrow keys; focus then lands on the error
summary, and Enter on each of its links puts focus on that field (a group's first input)."""

import pytest
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests import timeline
from tests.seminars.factories import SeminarFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]

ACTIVE = "document.activeElement"


def active(page, expression="id"):
    return page.evaluate(f"{ACTIVE} && {ACTIVE}.{expression}")


def tab_until(page, condition: str, *, back=False, limit=250):
    """Press Tab (Shift+Tab with ``back``) until ``condition`` (JS on ``el``) holds for the
    focused element."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(f"(el => !!el && ({condition}))({ACTIVE})"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def follow_every_summary_link(page):
    # The page's script moves focus once it has run, which may be after the summary is parsed.
    try:
        page.wait_for_function(
            f"() => {ACTIVE} && {ACTIVE}.id === 'error-summary'", timeout=5000, polling=50
        )
    except PlaywrightTimeout:
        raise AssertionError(f"focus is not on the error summary but on {active(page)!r}") from None
    targets = page.eval_on_selector_all(
        "#error-summary a[data-summary-target]", "links => links.map(a => a.dataset.summaryTarget)"
    )
    assert targets, "the summary lists no field"
    for target in targets:
        tab_until(page, f"el.dataset && el.dataset.summaryTarget === {target!r}", back=True)
        page.keyboard.press("Enter")
        assert active(page) == target, f"Enter on the link to #{target} focused {active(page)!r}"
        # Back up to the summary: the next link is reached from there.
        tab_until(page, "el.id === 'error-summary' || el.closest('#error-summary')", back=True)
    return targets


def test_intake_form_by_keyboard_reaches_each_field_from_the_error_summary(page, live_server):
    page.goto(live_server.url + reverse("consultations:new"))
    # A radio group: Space picks the first option, the arrow key moves the choice.
    tab_until(page, "el.name === 'contact_way'")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("input[name=contact_way]:checked", "el => el.value") == "phone"
    # A checkbox group: Space ticks the focused box.
    tab_until(page, "el.name === 'places'")
    page.keyboard.press("Space")
    tab_until(page, "el.name === 'privacy_consent'")
    page.keyboard.press("Space")
    tab_until(page, "el.type === 'submit' && !!el.closest('form.consultation-form')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")

    targets = follow_every_summary_link(page)
    assert targets[0] == "id_org_name"  # 事業者の情報 first, as on the form
    assert "id_requested_support_0" in targets  # a checkbox group: its first box
    assert not {"id_contact_way_0", "id_places_0", "id_privacy_consent"} & set(targets)


def test_seminar_registration_by_keyboard_reaches_each_field_from_the_error_summary(
    page, live_server
):
    seminar = SeminarFactory()
    page.goto(live_server.url + reverse("seminars:detail", args=[seminar.pk]))
    tab_until(page, "el.type === 'submit' && !!el.closest('form.registration-form')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")

    targets = follow_every_summary_link(page)
    groups = page.eval_on_selector_all(
        "#error-summary a[data-summary-target]",
        "links => links.map(a => document.getElementById(a.dataset.summaryTarget).type)",
    )
    assert "radio" in groups, "the summary should link the attendance group (参加方法)"
    assert len(targets) == len(set(targets))
