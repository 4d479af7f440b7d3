"""One voice in Japanese (GLOSSARY.md): the Japanese templates (pages, emails, PDFs) and the
catalogue's source strings (every msgid: Python, admin labels, JS) hold none of the variants the
glossary forbids."""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_SUFFIXES = {".html", ".txt"}

# A kanji (CJK unified ideograph): 取消 followed by one is a fixed compound noun (取消日時).
_KANJI = "\u4e00-\u9fff"
_COUNTER = "[名回件社](?![簿答])"  # 名簿, 回答 are words of their own
_NUMBER = r"(?:[0-9０-９]|\}\}|%\(\w+\)[sd])"  # a number's end: digit, {{ n }}, %(n)s
_NUMBER_START = r"(?:[0-9０-９]|\{\{|%\()"

# Bracketed marks that are not a subject's sender prefix: a resend or test mark placed before it,
# and the labels of .ics calendar entries.
_MARKS = "再送|テスト送信|セミナー|説明会|中止・取消し"

RULES: list[tuple[str, re.Pattern, str]] = [
    ("personal-link", re.compile("専用リンク|マイリンク"), "個人用リンク"),
    (
        "django-required",
        re.compile("このフィールドは必須です|この項目は入力が必要です"),
        "「入力してください。」/「選択してください。」",
    ),
    # 〜済 → 〜済み; 決済, 返済, 経済, 救済, 弁済, 完済 and the verb 済む/済ませる are other words.
    ("zumi", re.compile("(?<![経決返救弁完])済(?![みまむん])"), "〜済み"),
    ("counter-space", re.compile(_NUMBER + "[ \u3000]+" + _COUNTER), "4回, 確定2名 (no space)"),
    (
        "space-before-number",
        re.compile("(?:確定|残り|定員|合計)[ \u3000]+" + _NUMBER_START),
        "確定2名 (no space)",
    ),
    (
        "ordinal-space",
        re.compile(
            "第[ \u3000]+"
            f"|{_NUMBER}[ \u3000]+期"
            "|期[ \u3000]+[へにのを]"
            r"|(?:label \}\}|%\(\w*label\)s)[ \u3000]+[へにのを]"  # 第2期 へ from {{ cohort_label }}
        ),
        "第2期へ (no space)",
    ),
    (
        "company-sama",
        re.compile(
            "(?:株式会社|有限会社|合同会社|合資会社|合名会社)[^\\s<「」]*[ \u3000]*様"
            r"|\{\{\s*[\w.]*(?:organisation|company)[\w.]*\s*\}\}[ \u3000]*様"
        ),
        "株式会社〇〇 御中 (a company on its own is 御中)",
    ),
    (
        "torikeshi-noun",
        re.compile(f"取消(?![し{_KANJI}])|取り消し(?![まてたなさ、])"),
        "取消し (noun, button) / 取り消す (verb)",
    ),
    (
        "consent-error",
        re.compile("[^\\s「\"'>]個人情報の取扱いへの同意が必要です|同意してください"),
        "「個人情報の取扱いへの同意が必要です。」",
    ),
    (
        "subject-prefix",
        re.compile(f"【(?!(?:東京都中小企業振興公社|{_MARKS})】)[^】]{{1,20}}】"),
        "【東京都中小企業振興公社】",
    ),
    (
        "missing-buttons",
        re.compile("「確認しました」|「内容が異なる」"),
        "「報告内容を確認しました」「異議を伝える」",
    ),
    (
        "error-summary",
        re.compile("件の項目に誤りがあります"),
        "「入力内容に不備があります（N件）」",
    ),
    ("iso-date", re.compile(r'date:"Y-m-d|\|date:"c"|isoformat\s*\}\}'), "和暦 (|wareki)"),
]


@dataclass(frozen=True)
class Finding:
    where: str
    rule: str
    text: str
    use: str

    def __str__(self):
        return f"{self.where}: {self.rule}: {self.text!r} → {self.use}"


# Staff tables of log entries (logins, devices, audit) keep sortable ISO timestamps; pages and
# mails addressed to companies and experts do not.
STAFF_LOG_PATHS = ("/admin/", "/staff/", "accounts/security.html")


def scan_text(text: str, where: str) -> list[Finding]:
    found = []
    staff_log = any(part in where for part in STAFF_LOG_PATHS)
    for number, line in enumerate(text.splitlines(), start=1):
        for rule, pattern, use in RULES:
            if rule == "iso-date" and staff_log:
                continue
            for match in pattern.finditer(line):
                context = line[max(0, match.start() - 12) : match.end() + 12].strip()
                found.append(Finding(f"{where}:{number}", rule, context, use))
    return found


def po_msgids(path: Path) -> list[tuple[int, str]]:
    """The source strings (msgid and msgid_plural) of a .po file with their line numbers."""
    entries, current, start, collecting = [], [], 0, False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(("msgid ", "msgid_plural ")):
            if current:
                entries.append((start, "".join(current)))
            current, start, collecting = [], number, True
            line = line.split(" ", 1)[1]
        elif line.startswith("msgstr"):
            collecting = False
            continue
        if collecting and line.startswith('"'):
            current.append(line[1:-1].encode().decode("unicode_escape").encode("latin-1").decode())
    if current:
        entries.append((start, "".join(current)))
    return [(n, text) for n, text in entries if text]


def scan(paths) -> list[Finding]:
    found = []
    for path in paths:
        path = Path(path)
        if path.suffix == ".po":
            for number, msgid in po_msgids(path):
                found += scan_text(msgid, f"{path.name}:{number}")
        else:
            found += scan_text(
                path.read_text(encoding="utf-8"),
                str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            )
    return found


def japanese_sources() -> list[Path]:
    templates = [p for p in (ROOT / "templates").rglob("*") if p.suffix in TEMPLATE_SUFFIXES]
    catalogues = sorted((ROOT / "locale").rglob("*.po"))
    return sorted(templates) + catalogues


def test_templates_and_source_strings_follow_the_glossary():
    sources = japanese_sources()
    assert len(sources) > 100 and any(p.suffix == ".po" for p in sources)
    findings = scan(sources)
    assert not findings, "\n".join(str(f) for f in findings)


def test_scanner_fails_on_a_planted_forbidden_variant(tmp_path):
    planted = tmp_path / "planted.html"
    planted.write_text(
        "{% load i18n %}\n"
        '<p>{% translate "専用リンクからお進みください。" %}</p>\n'
        "<p>{{ organisation.name }} 様</p><p>株式会社かんだ商店 様</p>\n"
        '<p>{% translate "報告済" %}</p><p>確定 2名</p><p>{{ n }} 名</p><p>第2期 へ</p>\n'
        '<button>{% translate "取消" %}</button><p>このフィールドは必須です。</p>\n',
        encoding="utf-8",
    )
    rules = {f.rule for f in scan([planted])}
    assert rules >= {
        "personal-link",
        "company-sama",
        "zumi",
        "space-before-number",
        "counter-space",
        "ordinal-space",
        "torikeshi-noun",
        "django-required",
    }
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n\nmsgid "ご相談をお受けするには、個人情報の取扱いへの同意が必要です。"\n'
        'msgstr "x"\n\nmsgid ""\n"【専門家派遣】実施報告に"\n"異議がありました"\nmsgstr "y"\n',
        encoding="utf-8",
    )
    assert {f.rule for f in scan([catalogue])} == {"consent-error", "subject-prefix"}


def test_scanner_accepts_the_glossarys_own_forms(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(
        "{{ organisation.name }} 御中<br>{{ name }} 様 報告済み キャンセル済み 取消し 取り消す "
        "取り消しました 取消日時 確定2名 第2期へ 4回 決済 「個人情報の取扱いへの同意が必要です。」 "
        "【東京都中小企業振興公社】専門家派遣のご案内 「報告内容を確認しました」\n",
        encoding="utf-8",
    )
    assert scan([good]) == []


def test_required_fields_say_enter_or_choose_never_djangos_default():
    from django import forms
    from django.contrib.auth.forms import AuthenticationForm
    from django.utils import translation

    class Sample(forms.Form):
        name = forms.CharField()
        kind = forms.ChoiceField(choices=[("a", "A")])
        agree = forms.BooleanField()
        file = forms.FileField()

    with translation.override("ja"):
        sample, login = Sample(data={}), AuthenticationForm(data={})
        assert not sample.is_valid() and not login.is_valid()
        assert sample.errors["name"] == ["入力してください。"]
        assert sample.errors["kind"] == sample.errors["agree"] == ["選択してください。"]
        assert sample.errors["file"] == ["選択してください。"]
        # Declared by Django before the portal's apps were ready.
        assert login.errors["username"] == ["入力してください。"]
        assert "このフィールドは必須です。" not in str(sample.errors) + str(login.errors)
    with translation.override("en"):
        assert Sample(data={}).errors["name"] == ["This field is required."]


def test_school_mails_are_signed_by_the_schools_own_desk(settings):
    from kosha_portal.mail.services import render_email

    settings.SCHOOL_CONTACT = {
        **settings.SCHOOL_CONTACT,
        "name": "総合支援部 総合支援課 スクール担当（テスト）",
    }
    context = {"organisation_name": "株式会社かんだ商店", "contact_name": "山田 太郎"}
    context["cohort_label"] = "第2期"
    subject, text, html = render_email("school/emails/application_accepted", context, "ja")
    assert subject.startswith("【東京都中小企業振興公社】東京都サービス生産性革新スクール（第2期）")
    for body in (text, html):
        assert "スクール担当（テスト）" in body
        assert "カスタマーハラスメント対策支援担当" not in body
    _subject, text, _html = render_email(
        "dispatch/emails/report_filed", {"dispatch": {}, "visit": {}}, "ja"
    )
    assert "「報告内容を確認しました」または「異議を伝える」" in text
    assert "カスタマーハラスメント対策支援担当" in text
