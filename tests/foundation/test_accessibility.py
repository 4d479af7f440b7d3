"""WCAG 2.1 A/AA in Chromium with axe-core (static/vendor/axe-core), page by page.

The pages are those the permission matrix (test_permission_matrix.py) lets open: every HTML page
that answers 200 to nobody (public), to company A's personal links (company-link pages) and to
expert X (expert pages), plus the intake form and a seminar registration in their error state.
Each is checked in Japanese and in English, at 1280 px and at 390 px, and at 390 and 320 px for
sideways scrolling. One browser context per language and width; the visitor's session cookie is
swapped inside it (anon → company links → expert)."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dispatch import services as dispatch_services
from tests.foundation import test_permission_matrix as matrix

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(matrix.NOW),
]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Downloads and data, not pages.
NOT_PAGES = {
    "healthz",
    "javascript-catalog",
    "japan:postal_code",
    "consultations:attachment",
    "dispatch:company_completion_pdf",
    "dispatch:company_visit_pdf",
    "dispatch:expert_completion_pdf",
    "dispatch:expert_visit_pdf",
}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def pages_for(role: str, world, *, skip=()) -> list[tuple[str, str]]:
    """(name, url) of the HTML pages that answer 200 to ``role`` on a GET."""
    column = matrix.ROLES.index(role)
    found = []
    for name, (method, build) in matrix.TARGETS.items():
        if name in NOT_PAGES or name in skip or method != "GET" or name.startswith("admin:"):
            continue
        if matrix.MATRIX.get(name, (None,) * len(matrix.ROLES))[column] != matrix.OK:
            continue
        found.append((name, build(world)))
    return found


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]
        })""",
        WCAG21_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(
            n["target"][0] if len(n["target"]) == 1 else str(n["target"]) for n in v["nodes"][:4]
        )
        + (f" — {v['nodes'][0].get('failureSummary', '')[:300]}" if v["nodes"] else "")
        for v in result["violations"]
    ]


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0 when it does not scroll sideways)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


class Audit:
    """axe on the page as it is, and (on a phone) no sideways scroll at 390 and 320 px."""

    def __init__(self, page, problems, language, viewport, *, narrow):
        self.page, self.problems, self.viewport, self.narrow = page, problems, viewport, narrow
        self.prefix = f"[{language} {viewport['width']}px]"

    def check(self, label):
        where = f"{self.prefix} {label}"
        self.problems.extend(f"{where}: {v}" for v in axe_violations(self.page))
        if self.narrow:
            for width in (390, 320):
                self.page.set_viewport_size({"width": width, "height": self.viewport["height"]})
                if (extra := sideways(self.page)) > 0:
                    self.problems.append(f"{where}: scrolls sideways by {extra}px at {width}px")
            self.page.set_viewport_size(self.viewport)


def session_cookie(live_server, *, user=None, tokens=()) -> dict:
    client = Client()
    if user is not None:
        client.force_login(user)
    for token in tokens:
        assert client.get(reverse("accounts:access_link", args=[token])).status_code == 302
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _expert_with_a_scheduled_visit(world) -> tuple[str, str]:
    """Expert X's second dispatch, still running, with a visit to come (the cancel button), and
    the form of that visit's report (the matrix's own visit is already reported)."""
    from tests.dispatch import factories as dispatch_factories

    expert_x = world.users["exp_x"].expert
    dispatch = dispatch_factories.decided_dispatch(
        world.dispatch_a.program_year, the_expert=expert_x, planned=2
    )
    visit = dispatch_services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 12, 8),
        start_time=datetime.time(14),
        mode="onsite",
        place="本社会議室",
        actor=expert_x.user,
    )
    return (
        reverse("dispatch:expert_dispatch", args=[dispatch.reference]),
        reverse("dispatch:expert_visit_report", args=[dispatch.reference, visit.pk]),
    )


def test_every_public_company_and_expert_page_has_no_wcag21_aa_violation_nor_sideways_scroll(
    browser, live_server, artifacts_dir
):
    world = matrix._build_world()
    public = pages_for("anon", world)
    public_names = {name for name, _url in public}
    company = pages_for("link_a", world, skip=public_names)
    expert = pages_for("exp_x", world, skip=public_names)
    dispatch_url, report_url = _expert_with_a_scheduled_visit(world)
    expert += [
        ("dispatch:expert_dispatch (visit to come)", dispatch_url),
        ("dispatch:expert_visit_report (form)", report_url),
    ]
    assert len(public) >= 10 and len(company) >= 6 and len(expert) >= 4, (public, company, expert)
    visitors = [
        (None, public),
        (session_cookie(live_server, tokens=world.tokens["link_a"]), company),
        (session_cookie(live_server, user=world.users["exp_x"]), expert),
    ]

    problems: list[str] = []
    for language in ("ja", "en"):
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(
                viewport=viewport,
                bypass_csp=True,  # axe is injected as an inline script
                locale="ja-JP" if language == "ja" else "en-GB",
            )
            page = context.new_page()
            audit = Audit(page, problems, language, viewport, narrow=width_name == "phone")
            language_cookie = {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
            for cookie, pages in visitors:
                context.clear_cookies()
                context.add_cookies([language_cookie] + ([cookie] if cookie else []))
                for name, url in pages:
                    response = page.goto(live_server.url + url)
                    assert response.ok, (name, url, response.status)
                    audit.check(name)
                if cookie is None:
                    # The forms in their error state.
                    page.goto(live_server.url + reverse("consultations:new"))
                    page.locator("form.consultation-form button[type=submit]").click()
                    page.wait_for_selector("#error-summary")
                    audit.check("consultations:new (errors)")
                    page.goto(live_server.url + reverse("seminars:detail", args=[world.seminar.pk]))
                    page.locator("form.registration-form button[type=submit]").click()
                    page.wait_for_selector("#error-summary")
                    audit.check("seminars:detail (errors)")
            context.close()
    (artifacts_dir / "axe_violations.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert not problems, "\n".join(problems)
