"""Normalisation of what Japanese users type: full-width digits and letters, dash variants,
company-name legal-form variants (DOMAIN §7), amounts of yen written with 億・万.

Codes (郵便番号, 電話番号, 法人番号, メールアドレス, amounts) are normalised; Japanese text keeps the
punctuation the user typed （）「」、。 (GLOSSARY "Numbers, dates, spacing"): see
:func:`normalize_typed_text`."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

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


# Characters nobody means to keep as they are: half-width katakana (ｶﾀｶﾅ) and the
# machine-dependent compatibility characters (㈱ ① Ⅱ ㍻ ㌔), which many fonts and PDFs lack.
_COMPATIBILITY_ONLY = re.compile(
    r"[\uFF61-\uFF9F\u2160-\u217F\u2460-\u24FF\u3200-\u32FF\u3300-\u33FF]+"
)


def normalize_typed_text(value: str) -> str:
    """Free text (names, addresses, descriptions) as the user typed it, trimmed: full-width
    punctuation （）「」、。, full-width spaces and letters stay as they are. Only half-width
    katakana and machine-dependent characters (㈱ → (株)) are rewritten."""
    value = _COMPATIBILITY_ONLY.sub(
        lambda match: unicodedata.normalize("NFKC", match.group()), value or ""
    )
    return value.strip()


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


# A reading written in Latin letters, as a foreign participant writes their own name: letters
# (accented ones too), spaces, hyphens, apostrophes and full stops (Mary-Jane O'Neil Jr.).
_LATIN_READING = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:[ '’.\-]+[A-Za-z\u00C0-\u024F]*)*\.?")


def normalize_latin_reading(value: str) -> str:
    """Full-width letters to half-width, single spaces."""
    return re.sub(r"\s+", " ", normalize_text(value))


def is_latin_reading(value: str) -> bool:
    return bool(_LATIN_READING.fullmatch(value or ""))


# --- amounts of yen --------------------------------------------------------------------------

_YEN_BIG_UNITS = (("兆", 10**12), ("億", 10**8), ("万", 10**4))
_YEN_SMALL_UNITS = (("千", 1000), ("百", 100), ("十", 10))
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_YEN_NOISE = re.compile(r"[\s,，、]")
_YEN_AFFIXES = re.compile(r"^(?:金|[¥￥\\])|(?:円|えん|エン)(?:也)?$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _small_group(text: str) -> Decimal | None:
    """A number below 10,000 written as 5000, 5千, 2千5百 or 千 (1,000)."""
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return Decimal(text)
    total, rest = Decimal(0), text
    for unit, size in _YEN_SMALL_UNITS:
        if unit in rest:
            head, rest = rest.split(unit, 1)
            if head == "":
                head_value = Decimal(1)
            elif _NUMBER.fullmatch(head):
                head_value = Decimal(head)
            else:
                return None
            total += head_value * size
    if rest:
        if not _NUMBER.fullmatch(rest):
            return None
        total += Decimal(rest)
    return total


def parse_yen(value: str) -> int | None:
    """An amount of yen as people write it, or None when it cannot be read.

    ``50,000,000``, ``５０，０００，０００円``, ``5,000万円``, ``5千万円``, ``1億``, ``1.5億``,
    ``1億2,000万円``, ``¥3,000,000``, ``三億円`` all read as whole yen."""
    text = _YEN_NOISE.sub("", to_halfwidth(unicodedata.normalize("NFKC", value or "")))
    text = _YEN_AFFIXES.sub("", text).translate(_KANJI_DIGITS)
    if not text:
        return None
    total, rest, seen_unit = Decimal(0), text, False
    try:
        for unit, size in _YEN_BIG_UNITS:
            if unit in rest:
                head, rest = rest.split(unit, 1)
                group = _small_group(head)
                if group is None:
                    return None
                total += group * size
                seen_unit = True
        if rest:
            group = _small_group(rest)
            if group is None:
                return None
            total += group
    except InvalidOperation:
        return None
    if not seen_unit and not _NUMBER.fullmatch(text) and _small_group(text) is None:
        return None
    if total != total.to_integral_value():
        return None  # 1.23456円: not an amount of whole yen
    return int(total)


def format_yen(amount: int) -> str:
    """100,000,000円 for 100000000."""
    return f"{amount:,}円"


def format_yen_japanese(amount: int) -> str:
    """The amount the way it is said: 1億円, 5,000万円, 1億2,000万円, 3,500円."""
    if amount == 0:
        return "0円"
    parts, rest = [], amount
    for unit, size in _YEN_BIG_UNITS:
        if rest >= size:
            parts.append(f"{rest // size:,}{unit}")
            rest %= size
    if rest:
        parts.append(f"{rest:,}")
    return "".join(parts) + "円"


def company_name_key(name: str) -> str:
    """A key under which 株式会社山田商店, (株)山田商店, ㈱ 山田商店 and ｶﾌﾞｼｷｶﾞｲｼｬ山田商店 match."""
    value = normalize_text(name).replace("（", "(").replace("）", ")")
    value = hiragana_to_katakana(value)
    for variant, replacement in _LEGAL_FORMS:
        value = value.replace(variant, replacement)
    return _SPACES.sub("", value).lower()
