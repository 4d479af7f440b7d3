"""The focus indicator (WCAG 2.4.7, 1.4.11) and the header at 1280 px, measured in Chromium.

Every element Tab reaches on the intake form and the seminar page shows a solid outline at least
2 px wide whose colour has 3:1 against the page, whatever Bootstrap's own :focus rules say, and a
form control's border does not lighten when it takes focus."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests import timeline
from tests.seminars.factories import SeminarFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]

MEASURE = """() => {
  const el = document.activeElement;
  const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).map(v => v / 255).map(
      v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  // The colour behind the outline: the first ancestor with an opaque background.
  let back = "rgb(255, 255, 255)";
  for (let n = el.parentElement; n; n = n.parentElement) {
    const bg = getComputedStyle(n).backgroundColor;
    if (bg && !bg.startsWith("rgba(0, 0, 0, 0)") && bg !== "transparent") { back = bg; break; }
  }
  const style = getComputedStyle(el);
  return {
    what: el.tagName + (el.id ? "#" + el.id : "") + (el.name ? "[" + el.name + "]" : "")
      + (el.value ? "=" + el.value : "") + (el.getAttribute("href") || "")
      + " " + (el.textContent || "").trim().slice(0, 30),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: ratio(style.outlineColor, back),
    border: lum(style.borderTopColor),
  };
}"""


def _tab_through(page, limit=80):
    seen, problems = set(), []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(MEASURE)
        if focus["what"] in seen or focus["what"].startswith("BODY"):
            continue
        seen.add(focus["what"])
        if focus["style"] in ("none", "hidden") or focus["width"] < 2 or focus["contrast"] < 3:
            problems.append(focus)
    return seen, problems


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_focusable_element_shows_a_2px_3_to_1_outline(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("consultations:new"))
    seen, problems = _tab_through(page)
    assert len(seen) > 30, seen  # the menu, the form's inputs, groups and the submit button
    assert problems == []

    seminar = SeminarFactory()
    page.goto(live_server.url + reverse("seminars:detail", args=[seminar.pk]))
    seen, problems = _tab_through(page, limit=40)
    assert problems == []


def test_a_form_control_s_border_does_not_lighten_on_focus(page, live_server):
    page.goto(live_server.url + reverse("consultations:new"))
    for selector in ("#id_org_name", "#id_org_kind", "#id_description", "#id_places_0"):
        before = page.eval_on_selector(selector, "el => getComputedStyle(el).borderTopColor")
        page.focus(selector)
        after = page.evaluate(MEASURE)
        assert after["what"].startswith(("INPUT", "SELECT", "TEXTAREA"))
        page.evaluate("document.activeElement.blur()")
        lum_before = page.evaluate(
            """c => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(
                v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
              return 0.2126 * r + 0.7152 * g + 0.0722 * b; }""",
            before,
        )
        assert after["border"] <= lum_before + 1e-6, f"{selector}: the border lightens on focus"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_header_phone_and_hours_stay_beside_the_title_at_1280px(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("home"))
    title = page.locator(".site-header-title").bounding_box()
    contact = page.locator(".site-header-contact").bounding_box()
    assert contact["y"] < title["y"] + title["height"], "the contact block wrapped under the title"
    assert contact["x"] >= title["x"] + title["width"]
