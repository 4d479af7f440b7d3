"""Main journeys in a real browser (Playwright driving Debian's Chromium)."""

import re

import pytest

from kosha_portal.mail.models import OutboundEmail
from seminars.models import Registration
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]


def test_register_find_confirmation_and_cancel_through_the_personal_link(
    page, live_server, artifacts_dir, settings, delivered_access_link
):
    settings.SITE_URL = live_server.url
    page.set_default_timeout(10_000)
    seminar = SeminarFactory(venue_seats=1, online_seats=5)
    page.goto(f"{live_server.url}/seminars/")
    page.get_by_role("link", name=re.compile(seminar.title)).click()
    page.locator("#id_org_name").fill("株式会社ブラウザ商店")
    page.locator("#id_org_industry").select_option("retail")  # required, never preselected
    page.locator("#id_name").fill("鈴木 一郎")
    page.locator("#id_name_kana").fill("すずき いちろう")
    page.locator("#id_email").fill("ichiro@example.jp")
    page.get_by_label("会場で参加").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="申し込む").click()
    page.get_by_text("ご参加が確定しました").wait_for()
    page.screenshot(path=str(artifacts_dir / "seminar-registered.png"), full_page=True)

    waiting = register(seminar, 2)  # the venue is now full: the next one waits
    assert waiting.status == "waiting"
    # The confirmation is in the outbox (the delivered copy carries the working link).
    assert OutboundEmail.objects.filter(
        to="ichiro@example.jp", template="seminars/emails/confirmation"
    ).exists()
    page.goto(live_server.url + delivered_access_link("ichiro@example.jp"))
    page.get_by_text("参加確定").first.wait_for()
    page.get_by_role("link", name="お申込みをキャンセルする").click()
    page.get_by_role("button", name="キャンセルする").click()
    page.get_by_text("お申込みをキャンセルしました").wait_for()
    page.screenshot(path=str(artifacts_dir / "seminar-cancelled.png"), full_page=True)
    assert Registration.objects.get(email="ichiro@example.jp").status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"


def test_staff_checks_an_attendee_in_on_a_tablet(
    page, live_server, artifacts_dir, desk_user, browser_login
):
    page.set_default_timeout(10_000)
    seminar = SeminarFactory(venue_seats=10)
    register(seminar, 1)
    sato = register(seminar, 2, name="佐藤 次郎", name_kana="サトウ ジロウ")
    page.set_viewport_size({"width": 600, "height": 900})
    browser_login(page, desk_user)  # password and second factor (tests/conftest.py)
    page.goto(f"{live_server.url}/seminars/{seminar.pk}/checkin/")
    page.get_by_label("氏名・フリガナ・事業者名で検索").fill("さとう")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("button", name="佐藤 次郎 さんを出席にする").click()
    page.get_by_text("佐藤 次郎 さんの出席を記録しました").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
    page.screenshot(path=str(artifacts_dir / "seminar-checkin-tablet.png"), full_page=True)
    assert Registration.objects.get(pk=sato.pk).status == "attended"


def _login(page, live_server, browser_login, user, next_url=""):
    """A staff session that passed the password and the second factor (tests/conftest.py)."""
    browser_login(page, user)
    page.goto(f"{live_server.url}{next_url or '/after-login/'}")


def test_staff_cancels_a_seminar_through_the_confirmation_page(
    page, live_server, artifacts_dir, desk_user, browser_login
):
    import base64

    import icalendar

    from seminars.models import Seminar

    page.set_default_timeout(15_000)
    seminar = SeminarFactory(venue_seats=1, online_seats=5)
    confirmed = register(seminar, 1)
    waiting = register(seminar, 2)
    reason = "講師の急病のため、やむを得ず中止いたします。"
    _login(page, live_server, browser_login, desk_user)

    # The reason is typed and saved on the seminar first...
    page.goto(f"{live_server.url}/admin/seminars/seminar/{seminar.pk}/change/")
    page.locator("#id_cancel_reason").fill(reason)
    page.locator('input[name="_continue"]').click()
    page.get_by_text("変更しました").first.wait_for()

    # ...then the action asks for confirmation before anything happens.
    page.goto(f"{live_server.url}/admin/seminars/seminar/")
    page.locator(f'input[name="_selected_action"][value="{seminar.pk}"]').check()
    page.locator('select[name="action"]').select_option("cancel")
    page.locator('button[name="index"]').click()
    page.get_by_role("heading", name="セミナーの中止の確認").wait_for()
    page.get_by_text("お知らせを送る方：2名（参加確定1名、キャンセル待ち1名）").wait_for()
    field = page.locator(f"#id_reason_{seminar.pk}")
    assert field.input_value() == reason  # not lost
    assert Seminar.objects.get(pk=seminar.pk).status == "published"
    page.screenshot(path=str(artifacts_dir / "seminar-cancel-confirmation.png"), full_page=True)

    page.get_by_role("button", name="セミナーを中止し、申込者に通知する").click()
    page.get_by_text("申込者2名に中止のお知らせを送りました").wait_for()
    seminar.refresh_from_db()
    assert (seminar.status, seminar.cancel_reason) == ("cancelled", reason)
    mails = OutboundEmail.objects.filter(template="seminars/emails/seminar_cancelled")
    assert sorted(mails.values_list("to", flat=True)) == sorted([confirmed.email, waiting.email])
    to_confirmed = mails.get(to=confirmed.email)
    assert reason in to_confirmed.body_text
    calendar = icalendar.Calendar.from_ical(
        base64.b64decode(to_confirmed.attachments[0]["content"])
    )
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(next(iter(calendar.walk("VEVENT")))["UID"]) == confirmed.ics_uid

    page.goto(f"{live_server.url}/seminars/{seminar.pk}/")
    page.get_by_text(reason).wait_for()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_top_menu_keeps_its_words_whole_at_820_px(
    page, live_server, artifacts_dir, desk_user, language, browser_login
):
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 820, "height": 900})
    _login(page, live_server, browser_login, desk_user)
    if language == "en":
        page.goto(f"{live_server.url}/")
        page.locator('#language-form button[value="en"]').click()
        page.wait_for_load_state()
    page.goto(f"{live_server.url}/")
    broken = page.evaluate(
        """() => [...document.querySelectorAll('#main-nav .nav-link, #main-nav .navbar-text')]
            .filter(el => el.offsetParent !== null)
            .filter(el => {
              const range = document.createRange();
              range.selectNodeContents(el);
              const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
              return lines.size > 1;
            })
            .map(el => el.textContent.trim())"""
    )
    page.screenshot(path=str(artifacts_dir / f"top-menu-820-{language}.png"))
    assert broken == []
    assert page.locator("#main-nav").is_visible()  # the menu is shown, not collapsed
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_checkin_on_a_tablet_shows_the_venue_by_default(
    page, live_server, artifacts_dir, desk_user, browser_login
):
    page.set_default_timeout(10_000)
    seminar = SeminarFactory(venue_seats=10, online_seats=10)
    register(seminar, 1, name="会場 一郎", name_kana="カイジョウ イチロウ")
    register(seminar, 2, fmt="online", name="遠隔 花子", name_kana="エンカク ハナコ")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet held upright
    _login(page, live_server, browser_login, desk_user, f"/seminars/{seminar.pk}/checkin/")
    list_ = page.locator("#checkin-list")
    list_.get_by_text("会場 一郎").wait_for()
    assert list_.get_by_text("遠隔 花子").count() == 0
    button = page.get_by_role("button", name="会場 一郎 さんを出席にする")
    assert button.bounding_box()["height"] >= 44  # a finger-sized target
    button.click()
    page.get_by_text("会場 一郎 さんの出席を記録しました").wait_for()
    assert page.get_by_role("link", name="会場（1名）").get_attribute("aria-current") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.screenshot(path=str(artifacts_dir / "seminar-checkin-ipad.png"), full_page=True)
    page.get_by_role("link", name="オンライン（1名）").click()
    list_.get_by_text("遠隔 花子").wait_for()
    assert list_.get_by_text("会場 一郎").count() == 0


def test_at_the_door_staff_checks_an_attendee_in_by_the_short_code_from_the_confirmation_mail(
    page, live_server, artifacts_dir, desk_user, browser_login
):
    """Tablet viewport (iPad Air, upright): the code is read from the confirmation mail in the
    outbox, typed at the door, the name and the result are shown large, a second entry says when
    the first was recorded, and the undo asks first."""
    page.set_default_timeout(15_000)
    seminar = SeminarFactory(venue_seats=10)
    register(seminar, 1)
    sato = register(seminar, 2, name="佐藤 次郎", name_kana="サトウ ジロウ")
    page.set_viewport_size({"width": 820, "height": 1180})
    _login(page, live_server, browser_login, desk_user)

    mail = OutboundEmail.objects.get(to=sato.email, template="seminars/emails/confirmation")
    page.goto(f"{live_server.url}/admin/mail/outboundemail/{mail.pk}/change/")
    body = page.locator(".field-body_text .readonly").inner_text()
    code = re.search(r"受付コード：([A-Z0-9]{4}-[A-Z0-9]{4})", body).group(1)
    assert "checkin-qr.png" in page.locator(".field-attachment_names .readonly").inner_text()

    page.goto(f"{live_server.url}/seminars/{seminar.pk}/checkin/")
    page.get_by_role("textbox", name="受付コード").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="受付する").click()
    result = page.locator("#checkin-result")
    result.get_by_text("佐藤 次郎 さんの出席を記録しました").wait_for()
    name = result.locator(".checkin-result-name")
    assert name.inner_text() == "佐藤 次郎"
    assert float(name.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 32
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    page.screenshot(path=str(artifacts_dir / "seminar-checkin-code-tablet.png"), full_page=True)
    assert Registration.objects.get(pk=sato.pk).status == "attended"

    page.get_by_role("textbox", name="受付コード").fill(code)
    page.get_by_role("button", name="受付する").click()
    result.get_by_text("佐藤 次郎 さんは 10:00 に受付済みです。").wait_for()

    # Undo asks first; dismissing keeps the check-in, accepting undoes it.
    undo = result.get_by_role("button", name="佐藤 次郎 さんの出席を取り消す")
    page.once("dialog", lambda dialog: dialog.dismiss())
    undo.click()
    assert Registration.objects.get(pk=sato.pk).status == "attended"
    page.once("dialog", lambda dialog: dialog.accept())
    undo.click()
    page.get_by_text("佐藤 次郎 さんの出席を取り消しました").wait_for()
    assert Registration.objects.get(pk=sato.pk).status == "confirmed"


def _qr_video(path, text: str, *, width=640, height=480, frames=3):
    """A Y4M video of the QR code of ``text``, for Chromium's fake camera."""
    import segno

    rows = list(segno.make(text, error="m").matrix_iter(scale=10, border=4))
    top, left = (height - len(rows)) // 2, (width - len(rows[0])) // 2
    luma = bytearray([235]) * (width * height)  # white
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 16
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(
        f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode() + frame * frames
    )
    return path


def test_at_the_door_the_camera_reads_the_qr_code_and_checks_the_attendee_in_once(
    playwright,
    browser_type_launch_args,
    live_server,
    artifacts_dir,
    desk_user,
    browser_login,
    tmp_path,
):
    """Chromium's fake camera shows the QR code of the confirmation; the page decodes it (jsQR,
    vendored: this Chromium has no BarcodeDetector) and sends it. The code still in front of the
    camera when the page comes back is not sent again."""
    from kosha_portal.audit.services import audit_events_for

    seminar = SeminarFactory(venue_seats=10)
    sato = register(seminar, 2, name="佐藤 次郎", name_kana="サトウ ジロウ")
    video = _qr_video(tmp_path / "qr.y4m", sato.checkin_token)
    args = browser_type_launch_args
    browser = playwright.chromium.launch(
        **{
            **args,
            "args": [
                *args["args"],
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        }
    )
    try:
        context = browser.new_context(
            locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 820, "height": 1180}
        )
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(20_000)
        browser_login(page, desk_user)
        page.goto(f"{live_server.url}/seminars/{seminar.pk}/checkin/")
        page.get_by_role("button", name="カメラで読み取る").click()
        result = page.locator("#checkin-result")
        result.get_by_text("佐藤 次郎 さんの出席を記録しました").wait_for()
        # The camera is back on for the next attendee...
        page.get_by_role("button", name="カメラを止める").wait_for()
        page.wait_for_timeout(2000)
        # ...and the same code, still in view, was not sent a second time.
        assert result.get_by_text("出席を記録しました").count() == 1
        page.screenshot(path=str(artifacts_dir / "seminar-checkin-camera.png"), full_page=True)
        # Debian's Chromium on Linux has no BarcodeDetector: the vendored decoder did the work.
        if not page.evaluate("'BarcodeDetector' in window"):
            assert page.evaluate("typeof window.jsQR") == "function"
        page.get_by_role("button", name="カメラを止める").click()
        assert Registration.objects.get(pk=sato.pk).status == "attended"
        events = audit_events_for(sato).filter(action="seminar_registration.check_in")
        assert [event.changes["method"] for event in events] == ["token"]
    finally:
        browser.close()
