"""What an announcement looks like in the recipient's mailbox: subject, text and optional HTML,
the footer the law requires (送信者の名称・住所・問合せ先, how to refuse further mail) and the
RFC 8058 unsubscribe headers; and the confirmation mail of the subscribe page."""

from urllib.parse import quote

import nh3
from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .models import Announcement, Subscriber

TEMPLATE = "announcements/emails/announcement"
CONFIRM_TEMPLATE = "announcements/emails/confirm"
SUBJECT_PREFIX = "【東京都中小企業振興公社】"
# A token no subscriber has: the links in a test send look real and open the "invalid link" page.
TEST_TOKEN = "test-send"  # noqa: S105 - not a secret

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"style"},
}


def sanitize_html(html: str) -> str:
    """Staff's HTML with only harmless markup left: no scripts, event handlers, forms, frames,
    images or other remote loads (a tracking pixel would tell who opened the mail), links only to
    http(s) and mailto."""
    if not (html or "").strip():
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def full_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if subject.startswith(SUBJECT_PREFIX):
        subject = subject[len(SUBJECT_PREFIX) :].lstrip()
    return f"{SUBJECT_PREFIX}{subject}"


def unsubscribe_mailto(token: str) -> str:
    address = settings.ANNOUNCEMENT_UNSUBSCRIBE_MAILTO
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


def unsubscribe_headers(token: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058: the mail program's unsubscribe button POSTs to the https URL (no
    login, no cookie); the mailto is read by the desk, which unsubscribes by the token."""
    from django.urls import reverse

    one_click = settings.SITE_URL + reverse("announcements:one_click", args=[token])
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "kosha-portal"
    return {
        "List-Unsubscribe": f"<{one_click}>, <{unsubscribe_mailto(token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<announcements.{domain}>",
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
    }


def announcement_context(announcement: Announcement, *, token: str, test: bool = False) -> dict:
    from django.urls import reverse

    html = sanitize_html(announcement.body_html)
    return {
        "subject": full_subject(announcement.subject),
        "test": test,
        "body_text": announcement.body_text.strip(),
        "body_html": mark_safe(html),  # noqa: S308 - sanitised above (nh3 allow-list)
        "has_html": bool(html),
        "unsubscribe_url": settings.SITE_URL + reverse("announcements:unsubscribe", args=[token]),
        "unsubscribe_mailto_address": settings.ANNOUNCEMENT_UNSUBSCRIBE_MAILTO,
        "unsubscribe_mail_subject": f"unsubscribe {token}",
        "subscribe_url": settings.SITE_URL + reverse("announcements:subscribe"),
    }


def announcement_message(
    announcement: Announcement, subscriber: Subscriber, *, token: str | None = None
) -> dict:
    """The template, context, language and headers of one recipient's message (with ``token``
    in place of the subscriber's own, for rendering once and filling it in per recipient)."""
    token = token or subscriber.unsubscribe_token
    return {
        "template": TEMPLATE,
        "context": announcement_context(announcement, token=token),
        "language": subscriber.language,
        "headers": unsubscribe_headers(token),
    }


def test_subject_note() -> str:
    return _("【テスト送信】")
