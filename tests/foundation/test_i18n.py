"""The English catalogue: every message is translated, and the public pages render in English.

The .mo file is git-ignored and built by ``scripts/test`` (``compilemessages``); if it is missing
or older than the .po file (e.g. when running this file directly), it is compiled here first.
"""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import trans_real

from tests import timeline

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def parse_po(path: Path) -> list[dict]:
    """A minimal .po reader: one dict per entry with its flags, msgid(s) and msgstr(s)."""
    entries: list[dict] = []
    entry: dict = {}
    key = None

    def flush():
        if "msgid" in entry:
            entries.append(dict(entry))
        entry.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
        elif line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            if "msgid" in entry:
                flush()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            if "msgid" in entry:
                flush()
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key == "msgid" and "msgid" in entry:
                flush()
            entry[key] = ast.literal_eval(value)
    flush()
    return entries


ENTRIES = parse_po(PO_FILE)
MESSAGES = [e for e in ENTRIES if e["msgid"] and not e.get("obsolete")]


def test_catalogue_has_entries_and_english_header():
    assert len(MESSAGES) > 1000
    header = next(e for e in ENTRIES if e["msgid"] == "")
    assert "fuzzy" not in header.get("flags", set())
    assert "Language: en\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]


def test_no_fuzzy_entries():
    fuzzy = [e["msgid"] for e in ENTRIES if "fuzzy" in e.get("flags", set())]
    assert fuzzy == []


def test_every_message_is_translated():
    untranslated = []
    for e in MESSAGES:
        if "msgid_plural" in e:
            forms = [e.get("msgstr[0]", ""), e.get("msgstr[1]", "")]
        else:
            forms = [e.get("msgstr", "")]
        if not all(forms):
            untranslated.append(e["msgid"])
    assert untranslated == []


JS_PO_FILE = PO_FILE.with_name("djangojs.po")


@pytest.mark.django_db
def test_javascript_catalogue_is_complete_and_served_in_english(client):
    """The messages of static/js (``make messages`` also runs ``-d djangojs``) are translated,
    and the JavaScript catalogue the pages load gives them in English."""
    entries = parse_po(JS_PO_FILE)
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header.get("flags", set()) and "Language: en\n" in header["msgstr"]
    messages = [e for e in entries if e["msgid"] and not e.get("obsolete")]
    assert any("添付できるファイルは" in e["msgid"] for e in messages)
    assert [e["msgid"] for e in messages if "fuzzy" in e.get("flags", set())] == []
    assert [e["msgid"] for e in messages if not e.get("msgstr")] == []
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    catalogue = client.get(reverse("javascript-catalog")).content.decode()
    assert "You can attach up to %(max)s files." in catalogue


def test_translations_keep_placeholders_and_newlines():
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\d*\}")
    problems = []
    for e in MESSAGES:
        msgstrs = [v for k, v in e.items() if k.startswith("msgstr")]
        for s in msgstrs:
            if sorted(placeholder.findall(s)) != sorted(placeholder.findall(e["msgid"])):
                problems.append((e["msgid"], s))
            if s.startswith("\n") != e["msgid"].startswith("\n") or (
                s.endswith("\n") != e["msgid"].endswith("\n")
            ):
                problems.append((e["msgid"], s))
    assert problems == []


def test_key_terms_use_the_established_renderings():
    by_id = {e["msgid"]: e.get("msgstr") for e in MESSAGES}
    assert by_id["特別相談窓口"] == "Special Consultation Desk"
    assert by_id["専門家派遣"] == "Expert Dispatch"
    assert by_id["セミナー"] == "Seminars"
    assert (
        by_id["東京都サービス生産性革新スクール"] == "Tokyo Service Productivity Innovation School"
    )
    assert (
        by_id["公益財団法人 東京都中小企業振興公社"]
        == "Tokyo Metropolitan Small and Medium Enterprise Support Center"
    )
    assert by_id["相談番号"] == "Consultation number"
    assert by_id["法人番号"] == "Corporate number"
    assert by_id["郵便番号"] == "Postal code"
    assert by_id["年度"] == "Fiscal year"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """Compile the .mo if it is missing or stale, and make Django reload it."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.fail("locale/en/LC_MESSAGES/django.mo is missing: run compilemessages")
        subprocess.run([msgfmt, "--check", "-o", str(MO_FILE), str(PO_FILE)], check=True)
        trans_real._translations = {}
        trans_real._default = None
    yield


# Each public page: English phrases that must appear and Japanese headings that must not.
PUBLIC_PAGES = {
    "/": (
        [
            "Special Consultation Desk",
            "Expert Dispatch",
            "Seminars",
            "customer harassment",
            "Tokyo Service Productivity Innovation School",
            "Skip to main content",
        ],
        ["特別相談窓口", "専門家派遣", "セミナー一覧", "カスタマーハラスメント", "本文へ移動"],
    ),
    "/consultations/new/": (
        [
            "Special Consultation Desk – Consultation form",
            "Contact person",
            "Postal code",
            "Submit consultation",
            "Desk opening hours",
        ],
        ["ご相談フォーム", "ご担当者", "郵便番号", "この内容で相談する", "窓口の受付時間"],
    ),
    "/seminars/": (
        ["Customer Harassment Countermeasures Seminars", "Upcoming seminars", "Past seminars"],
        ["カスタマーハラスメント対策セミナー", "開催予定のセミナー", "過去のセミナー"],
    ),
    "/school/": (
        ["Tokyo Service Productivity Innovation School", "Recommended for", "What you will gain"],
        ["東京都サービス生産性革新スクール", "このような方におすすめです", "受講して得られること"],
    ),
    "/school/apply/": (
        ["There is currently no term accepting applications.", "Back to School information"],
        ["現在、お申込みを受け付けている期はありません", "スクールのご案内に戻る"],
    ),
    "/login/": (
        ["Staff and expert login", "Log in"],
        ["職員・専門家ログイン", "ログイン"],
    ),
    "/privacy/": (
        ["Handling of personal information", "1. Purposes of use", "2. Provision to third parties"],
        ["個人情報の取扱いについて", "利用目的", "第三者への提供"],
    ),
    "/my/resend/": (
        ["Resend personal link", "Send link", "Email address"],
        ["個人用リンクの再送", "リンクを送る", "メールアドレス"],
    ),
}


@pytest.fixture
def english_client(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(PUBLIC_PAGES))
def test_public_pages_in_english_after_switching_language(english_client, url):
    response = english_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    expected, absent = PUBLIC_PAGES[url]
    for phrase in expected:
        assert phrase in html, f"{url}: missing {phrase!r}"
    for phrase in absent:
        assert phrase not in html, f"{url}: still shows {phrase!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/consultations/new/", "/privacy/"])
def test_accept_language_header_selects_english(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Tokyo Metropolitan Small and Medium Enterprise Support Center" in html


@pytest.mark.django_db
def test_school_application_form_in_english(english_client):
    from tests.school.factories import recruiting_cohort

    recruiting_cohort()
    response = english_client.get("/school/apply/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for phrase in ["About your business", "Contact person", "Participant 1", "Apply"]:
        assert phrase in html
    for phrase in ["事業者について", "ご担当者（連絡先）", "申し込む"]:
        assert phrase not in html


@pytest.mark.django_db
def test_japanese_remains_the_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "特別相談窓口" in html


JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef〒]")


def _dispatch_email_context():
    from types import SimpleNamespace

    organisation = SimpleNamespace(name="Acme Ltd.")
    dispatch = SimpleNamespace(
        reference="D-2026-0007",
        contact_name="Hanako Sato",
        organisation=organisation,
        theme="Handling complaints",
        decision_number="R8-12",
        planned_visits=3,
        expert=SimpleNamespace(name="Taro Yamada"),
    )
    visit = SimpleNamespace(number=2, place="Head office", online_url="")
    return {
        "dispatch": dispatch,
        "visit": visit,
        "expert": dispatch.expert,
        "consultation": SimpleNamespace(contact_name="Hanako Sato"),
        "url": "https://example.jp/access/x/",
    }


DISPATCH_EMAILS = sorted(
    p.name.removesuffix(".subject.txt")
    for p in (Path(settings.BASE_DIR) / "templates" / "dispatch" / "emails").glob("*.subject.txt")
)


@pytest.mark.parametrize("name", DISPATCH_EMAILS)
def test_dispatch_email_subjects_are_translated(name):
    from kosha_portal.mail.services import render_email

    subject, _text, _html = render_email(f"dispatch/emails/{name}", _dispatch_email_context(), "en")
    assert subject and not JAPANESE.search(subject), subject
    ja_subject, _text, _html = render_email(
        f"dispatch/emails/{name}", _dispatch_email_context(), "ja"
    )
    assert "東京都中小企業振興公社" in ja_subject or "専門家派遣" in ja_subject


def test_dispatch_email_in_english_has_english_subject_and_greeting():
    from kosha_portal.mail.services import render_email

    context = _dispatch_email_context()
    subject, text, html = render_email("dispatch/emails/reminder_report_overdue", context, "en")
    assert subject == (
        "[Tokyo Metropolitan Small and Medium Enterprise Support Center] "
        "Please submit your visit report (D-2026-0007, visit 2)"
    )
    assert text.startswith("Dear Taro Yamada,")
    assert "Business name: Acme Ltd." in text
    assert "様" not in text and "：" not in text and "様" not in html

    subject, text, _html = render_email("dispatch/emails/reminder_report_overdue", context, "ja")
    assert subject == "【東京都中小企業振興公社】実施報告のご提出のお願い（D-2026-0007 第2回）"
    assert text.startswith("Taro Yamada 様")
    assert "事業者名：Acme Ltd." in text


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)  # inside the factory seminar's registration window
def test_seminar_ics_in_english_has_no_japanese_labels():
    from seminars.ics import registration_ics
    from tests.seminars.factories import SeminarFactory, register

    seminar = SeminarFactory(number=5, part="", title="Dealing with complaints")
    for fmt in ("online", "venue"):
        registration = register(seminar, 1 if fmt == "online" else 2, fmt=fmt)
        registration.language = "en"
        data = registration_ics(registration).decode()
        for label in (
            "【セミナー】",
            "講師：",
            "オンライン参加URL：",
            "地図：",
            "第5回",
            "オンライン",
        ):
            assert label not in data
        assert "[Seminar] Seminar 5: “Dealing with complaints”" in data
        assert "Instructor: " in data
        registration.language = "ja"
        assert (
            "【セミナー】第5回『Dealing with complaints』"
            in registration_ics(registration).decode()
        )


@pytest.mark.django_db
def test_footer_contacts_use_english_punctuation(english_client):
    html = english_client.get("/").content.decode()
    footer = html[html.index("<footer") :]
    assert "Consultation desk" in footer and "Expert Dispatch and Seminars" in footer
    assert "／" not in footer and "〒" not in footer


def test_python_labels_follow_the_language():
    from django.utils import translation

    from kosha_portal.japan.templatetags.japan import yen
    from school.models import Cohort

    cohort = Cohort(number=3, title="School")
    assert yen(1500000) == "1,500,000円" and cohort.label == "第3期"
    with translation.override("en"):
        assert yen(1500000) == "¥1,500,000"
        assert cohort.label == "Cohort 3" and str(cohort) == "Cohort 3 School"
