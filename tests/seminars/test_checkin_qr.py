"""Check-in at the door by the confirmation's QR code (its token) or its short code: a code checks
in only its own registration, for its own event, once; the second scan says when the first was
recorded; cancelled and waiting registrations are refused; each check-in is audited; two scans at
once check in once. The confirmation mail carries the QR code as an inline image and the short
code in its text, and the registrant's page shows both."""

import threading
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes

import pytest
from django.db import connection
from django.urls import reverse

from kosha_portal.audit.services import audit_events_for
from seminars import qr, services
from seminars.models import CHECKIN_CODE_ALPHABET, Registration
from tests import race, timeline
from tests.timeline import jst

from .factories import SeminarFactory, register
from .test_views import open_link

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

DOOR_OPENS = jst(2027, 1, 6, 13, 42)


def _scan(seminar, value, *, actor="door", now=DOOR_OPENS):
    return services.registration_check_in_by_code(
        seminar=seminar, value=value, actor=actor, now=now
    )


def _refusal(seminar, value, **kwargs) -> services.CheckInRefused:
    with pytest.raises(services.CheckInRefused) as caught:
        _scan(seminar, value, **kwargs)
    return caught.value


def test_each_registration_gets_an_unguessable_token_and_a_short_code_of_the_safe_alphabet():
    seminar = SeminarFactory(venue_seats=10)
    registrations = [register(seminar, n) for n in range(5)]
    tokens = {r.checkin_token for r in registrations}
    assert len(tokens) == 5 and all(len(token) >= 32 for token in tokens)
    for registration in registrations:
        assert len(registration.checkin_code) == 8
        assert set(registration.checkin_code) <= set(CHECKIN_CODE_ALPHABET)
        assert not set("0O1IL2Z5S8B") & set(registration.checkin_code)


def test_a_new_registration_never_reuses_a_short_code_of_its_event(monkeypatch):
    seminar = SeminarFactory(venue_seats=10)
    drawn = iter(["AAAAAAAA", "AAAAAAAA", "AAAAAAAA", "CCCCCCCC"])
    monkeypatch.setattr(services, "checkin_code_new", lambda: next(drawn))
    first, second = register(seminar, 1), register(seminar, 2)
    assert (first.checkin_code, second.checkin_code) == ("AAAAAAAA", "CCCCCCCC")


def test_a_qr_token_checks_in_its_registration_once_and_is_refused_for_another_event():
    seminar = SeminarFactory(venue_seats=5, title="本日のセミナー")
    other_event = SeminarFactory(venue_seats=5, title="別の日のセミナー")
    hanako = register(seminar, 1)
    bystander = register(seminar, 2)

    refused = _refusal(other_event, hanako.checkin_token)
    assert refused.code == "other_event"
    assert "別のイベント" in refused.message and "本日のセミナー" in refused.message
    assert Registration.objects.get(pk=hanako.pk).status == "confirmed"

    result = _scan(seminar, hanako.checkin_token)
    assert result.registration.pk == hanako.pk
    assert "山田 花子1 さんの出席を記録しました" in result.message
    hanako.refresh_from_db()
    assert hanako.status == "attended" and hanako.attended_at == DOOR_OPENS
    assert Registration.objects.get(pk=bystander.pk).status == "confirmed"

    again = _refusal(seminar, hanako.checkin_token, now=DOOR_OPENS.replace(minute=55))
    assert again.code == "already" and again.registration.pk == hanako.pk
    assert Registration.objects.get(pk=hanako.pk).attended_at == DOOR_OPENS


def test_the_second_scan_says_when_the_first_was_recorded_in_japan_time():
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    _scan(seminar, hanako.checkin_code)
    refused = _refusal(seminar, hanako.checkin_token)
    assert refused.message == "山田 花子1 さんは 13:42 に受付済みです。"


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: f"{code[:4]}-{code[4:]}",
        lambda code: f" {code[:4]} {code[4:]} ",
        # Full width, as a Japanese input method types it.
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),
    ],
    ids=["as-is", "lower-case", "hyphen", "spaces", "full-width"],
)
def test_the_short_code_checks_in_however_it_is_typed(typed):
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    assert _scan(seminar, typed(hanako.checkin_code)).registration.pk == hanako.pk
    assert Registration.objects.get(pk=hanako.pk).status == "attended"


def test_a_short_code_of_another_event_or_no_event_is_refused_with_a_clear_message():
    seminar, other_event = SeminarFactory(venue_seats=5), SeminarFactory(venue_seats=5)
    elsewhere = register(other_event, 1)
    refused = _refusal(seminar, elsewhere.checkin_code)
    assert refused.code == "other_event" and "このイベントでは受付できません" in refused.message
    unknown = next(
        code
        for code in ("QQQQQQQQ", "WWWWWWWW")
        if not Registration.objects.filter(checkin_code=code).exists()
    )
    assert _refusal(seminar, unknown).code == "unknown"
    assert _refusal(seminar, "   ").code == "empty"
    assert Registration.objects.get(pk=elsewhere.pk).status == "confirmed"


def test_cancelled_and_waiting_registrations_are_refused_at_the_door():
    seminar = SeminarFactory(venue_seats=1)
    cancelled = register(seminar, 1)
    services.registration_cancel(registration=cancelled, reason="都合により", actor="desk")
    register(seminar, 2)  # takes the freed seat
    waiting = register(seminar, 3, join_waitlist=True)
    assert waiting.status == "waiting"

    refused = _refusal(seminar, cancelled.checkin_code)
    assert refused.code == "cancelled" and "キャンセル済み" in refused.message
    refused = _refusal(seminar, waiting.checkin_token)
    assert refused.code == "waiting" and "キャンセル待ち" in refused.message
    assert Registration.objects.get(pk=cancelled.pk).status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "waiting"


def test_each_check_in_is_audited_with_how_it_was_made(desk_user):
    seminar = SeminarFactory(venue_seats=5)
    by_qr, by_code, by_list = register(seminar, 1), register(seminar, 2), register(seminar, 3)
    _scan(seminar, by_qr.checkin_token, actor=desk_user)
    _scan(seminar, by_code.checkin_code, actor=desk_user)
    services.registration_check_in(registration=by_list, actor=desk_user)
    for registration, method in ((by_qr, "token"), (by_code, "code"), (by_list, "list")):
        event = audit_events_for(registration).get(action="seminar_registration.check_in")
        assert event.changes["method"] == method
        assert event.actor == desk_user


def test_a_no_show_who_arrives_late_is_checked_in_by_the_code():
    seminar = SeminarFactory(venue_seats=5)
    late = register(seminar, 1)
    services.seminar_finish(seminar=seminar, actor="desk", now=timeline.SEMINAR_ENDS)
    assert Registration.objects.get(pk=late.pk).status == "no_show"
    _scan(seminar, late.checkin_code, now=timeline.SEMINAR_ENDS)
    assert Registration.objects.get(pk=late.pk).status == "attended"


SCANNERS = 6


def _scan_at_once(seminar, value):
    barrier = threading.Barrier(SCANNERS)
    outcomes = []

    def scan(_n):
        try:
            barrier.wait(timeout=30)
            _scan(seminar, value)
            outcomes.append("checked_in")
        except services.CheckInRefused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        list(pool.map(scan, range(SCANNERS)))
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_the_same_code_scanned_at_several_tablets_at_once_checks_in_once():
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    outcomes = _scan_at_once(seminar, hanako.checkin_code)
    assert sorted(outcomes) == ["already"] * (SCANNERS - 1) + ["checked_in"]
    events = audit_events_for(hanako).filter(action="seminar_registration.check_in")
    assert events.count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_the_row_lock_the_same_scans_check_in_several_times(monkeypatch):
    """Control run: the same threads, reading the registration without FOR UPDATE and each
    waiting until all have read, all record a check-in."""
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)

    def find_without_lock(seminar, kind, value):
        lookup = {"checkin_token": value} if kind == "token" else {"checkin_code": value}
        return Registration.objects.select_related("seminar").get(seminar=seminar, **lookup)

    race.without_lock(monkeypatch, services, "_checkin_find", find_without_lock)
    race.pause_after(monkeypatch, services, "_checkin_find", parties=SCANNERS)
    outcomes = _scan_at_once(seminar, hanako.checkin_code)
    assert outcomes.count("checked_in") > 1


# --- the confirmation mail and the registrant's page -------------------------------------------


def _delivered(capture, make):
    """What ``make`` writes to the outbox, delivered (the send task runs after commit)."""
    with capture(execute=True):
        return make()


def _mime(message):
    return message_from_bytes(message.message().as_bytes())


def test_the_confirmation_mail_carries_the_qr_code_inline_and_the_short_code(
    mail_outbox, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(venue_seats=5)
    hanako = _delivered(django_capture_on_commit_callbacks, lambda: register(seminar, 1))
    message = mail_outbox[-1]
    assert message.to == [hanako.email]
    assert f"受付コード：{hanako.checkin_code_display}" in message.body
    parsed = _mime(message)
    assert parsed.get_content_type() == "multipart/mixed"
    related = [part for part in parsed.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1
    inner = related[0].get_payload()
    assert inner[0].get_content_type() == "multipart/alternative"
    html = next(p for p in inner[0].walk() if p.get_content_type() == "text/html")
    html_text = html.get_payload(decode=True).decode(html.get_content_charset())
    assert f'src="cid:{qr.CONTENT_ID}"' in html_text
    assert hanako.checkin_code_display in html_text
    image = inner[1]
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == f"<{qr.CONTENT_ID}>"
    assert image.get_content_disposition() == "inline"
    # The image is the QR code of this registration's token (segno renders it the same way).
    assert image.get_payload(decode=True) == qr.checkin_qr_png(hanako)
    # The calendar file is still an attachment of its own, outside the related part.
    attachments = [p.get_filename() for p in parsed.get_payload()[1:]]
    assert attachments == ["seminar.ics"]


def test_the_promotion_mail_carries_the_qr_code_and_the_waiting_mail_does_not(
    mail_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    seminar = SeminarFactory(venue_seats=1)
    first = register(seminar, 1)
    waiting = _delivered(capture, lambda: register(seminar, 2, join_waitlist=True))
    waiting_mail = mail_outbox[-1]
    assert waiting_mail.to == [waiting.email]
    assert "受付コード" not in waiting_mail.body
    assert not [p for p in _mime(waiting_mail).walk() if p.get_content_type() == "image/png"]
    _delivered(
        capture,
        lambda: services.registration_cancel(registration=first, reason="都合により", actor="desk"),
    )
    promoted = next(m for m in reversed(mail_outbox) if m.to == [waiting.email])
    assert waiting.checkin_code_display in promoted.body
    assert [p for p in _mime(promoted).walk() if p.get_content_type() == "image/png"]


def test_an_online_participant_gets_no_qr_code(
    client, mail_outbox, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(online_seats=5)
    online = _delivered(
        django_capture_on_commit_callbacks, lambda: register(seminar, 1, fmt="online")
    )
    assert "受付コード" not in mail_outbox[-1].body
    assert not [p for p in _mime(mail_outbox[-1]).walk() if p.get_content_type() == "image/png"]
    open_link(client, online)
    html = client.get(online.get_portal_url()).content.decode()
    assert "<svg" not in html and online.checkin_code_display not in html


def test_the_registration_page_shows_the_qr_code_and_the_short_code(client):
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    open_link(client, hanako)
    response = client.get(hanako.get_portal_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert qr.checkin_qr_svg(hanako) in html  # inline SVG: nothing for the CSP to refuse
    assert f'id="checkin-code">{hanako.checkin_code_display}<' in html


# --- the door's page ------------------------------------------------------------------------------


def test_the_typed_code_checks_in_and_the_page_shows_who_it_was(desk_client):
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    url = reverse("seminars:checkin_scan", args=[seminar.pk])
    response = desk_client.post(url, {"code": hanako.checkin_code_display.lower()})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("seminars:checkin", args=[seminar.pk]))
    html = desk_client.get(response["Location"]).content.decode()
    assert 'class="checkin-result-name mb-1">山田 花子1<' in html
    assert "さんの出席を記録しました" in html and "alert-success" in html
    assert "山田 花子1 さんの出席を取り消します。よろしいですか。" in html  # undo, confirmed
    assert Registration.objects.get(pk=hanako.pk).status == "attended"
    # Shown once: a reload does not repeat the result.
    assert "checkin-result-name" not in desk_client.get(response["Location"]).content.decode()

    desk_client.post(url, {"code": hanako.checkin_code})
    html = desk_client.get(response["Location"]).content.decode()
    assert "に受付済みです" in html and "alert-warning" in html


def test_a_refused_code_is_shown_as_an_error_on_the_door_page(desk_client):
    seminar, other_event = SeminarFactory(venue_seats=5), SeminarFactory(venue_seats=5)
    elsewhere = register(other_event, 1)
    url = reverse("seminars:checkin_scan", args=[seminar.pk])
    response = desk_client.post(url, {"code": elsewhere.checkin_token}, follow=True)
    html = response.content.decode()
    assert "alert-danger" in html and "別のイベント" in html
    assert Registration.objects.get(pk=elsewhere.pk).status == "confirmed"


def test_an_empty_code_gets_a_polite_message_beside_the_field(desk_client):
    seminar = SeminarFactory(venue_seats=5)
    response = desk_client.post(reverse("seminars:checkin_scan", args=[seminar.pk]), {"code": ""})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert "受付コードを入力するか、QRコードを読み取ってください。" in response.content.decode()


def test_the_door_page_offers_the_camera_and_the_vendored_decoder(desk_client):
    seminar = SeminarFactory(venue_seats=5)
    html = desk_client.get(reverse("seminars:checkin", args=[seminar.pk])).content.decode()
    assert 'id="checkin-scanner"' in html and "/static/vendor/jsqr/jsQR.js" in html
    assert "/static/js/checkin.js" in html and "csrfmiddlewaretoken" in html


def test_the_check_in_by_code_is_for_staff_only(client, make_user):
    seminar = SeminarFactory(venue_seats=5)
    hanako = register(seminar, 1)
    url = reverse("seminars:checkin_scan", args=[seminar.pk])
    assert client.post(url, {"code": hanako.checkin_code}).status_code == 302  # to login
    client.force_login(make_user("plain"))
    assert client.post(url, {"code": hanako.checkin_code}).status_code == 404
    assert Registration.objects.get(pk=hanako.pk).status == "confirmed"


def test_an_english_registrant_reads_the_check_in_code_in_english(
    mail_outbox, django_capture_on_commit_callbacks
):
    from .factories import ORG, participant

    seminar = SeminarFactory(venue_seats=5)

    def make():
        return services.registration_create(
            seminar_id=seminar.pk,
            participant=participant(1),
            organisation_data=ORG,
            join_waitlist=False,
            actor="test",
            language="en",
        )

    registration = _delivered(django_capture_on_commit_callbacks, make)
    body = mail_outbox[-1].body
    assert f"Check-in code: {registration.checkin_code_display}" in body
    assert "please show the QR code in this email at the reception desk" in body
    assert "受付" not in body
