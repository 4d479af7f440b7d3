"""Normalisation of what Japanese users type: full-width digits and letters, dash variants,
company-name legal-form variants (DOMAIN §7)."""

import re
import unicodedata

# Hyphen/minus look-alikes people type in postal codes and phone numbers.
DASHES = "-‐‑‒–—―−－ｰー─━﹣"
_DASH_RE = re.compile(f"[{re.escape(DASHES)}]")

# Legal-form variants that denote the same thing; matched after NFKC, so ㈱ is already (株).
_LEGAL_FORMS = [
    ("株式会社", ""),
    ("(株)", ""),
    ("カブシキガイシャ", ""),
    ("カブシキカイシャ", ""),
    ("有限会社", ""),
    ("(有)", ""),
    ("ユウゲンガイシャ", ""),
    ("合同会社", ""),
    ("(同)", ""),
    ("ゴウドウガイシャ", ""),
    ("合資会社", ""),
    ("(資)", ""),
    ("合名会社", ""),
    ("(名)", ""),
    ("一般社団法人", ""),
    ("(一社)", ""),
    ("一般財団法人", ""),
    ("(一財)", ""),
    ("公益社団法人", ""),
    ("(公社)", ""),
    ("公益財団法人", ""),
    ("(公財)", ""),
    ("特定非営利活動法人", ""),
    ("NPO法人", ""),
]
_SPACES = re.compile(r"[\s\u3000・･.,、。]+")


def to_halfwidth(value: str) -> str:
    """Full-width ASCII (digits, letters, symbols, ideographic space) to half-width."""
    return "".join(
        chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else (" " if c == "\u3000" else c)
        for c in value
    )


def normalize_text(value: str) -> str:
    """NFKC (half-width kana to full-width, full-width ASCII to half-width), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def digits_only(value: str) -> str:
    """Digits of ``value`` after width normalisation, with dashes, spaces and brackets dropped."""
    return re.sub(r"\D", "", to_halfwidth(_DASH_RE.sub("", value or "")))


def normalize_dashes(value: str) -> str:
    return _DASH_RE.sub("-", value or "")


def hiragana_to_katakana(value: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value)


def normalize_kana(value: str) -> str:
    """Kana as full-width katakana with single spaces: how フリガナ are stored and sorted."""
    value = hiragana_to_katakana(normalize_text(value))
    return re.sub(r"\s+", " ", value)


def is_katakana(value: str) -> bool:
    return bool(re.fullmatch(r"[\u30A0-\u30FF\s]+", value or ""))


def company_name_key(name: str) -> str:
    """A key under which 株式会社山田商店, (株)山田商店, ㈱ 山田商店 and ｶﾌﾞｼｷｶﾞｲｼｬ山田商店 match."""
    value = normalize_text(name).replace("（", "(").replace("）", ")")
    value = hiragana_to_katakana(value)
    for variant, replacement in _LEGAL_FORMS:
        value = value.replace(variant, replacement)
    return _SPACES.sub("", value).lower()
