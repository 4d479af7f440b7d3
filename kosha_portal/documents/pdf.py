"""HTML → PDF with WeasyPrint and a Japanese font (Noto Sans CJK JP, subset-embedded)."""

import io
import logging
from functools import lru_cache
from html.parser import HTMLParser

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


@lru_cache(maxsize=1)
def _font_codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    path = settings.PDF_FONT_FILE
    if path.endswith(".ttc"):
        fonts = TTCollection(path, lazy=True).fonts
        font = next((f for f in fonts if "JP" in f["name"].getDebugName(1)), fonts[0])
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap())


def missing_glyphs(html: str) -> str:
    """Characters of the document's text that the embedded font cannot draw (they would print as
    blank boxes); '' when every character is covered."""
    collector = _TextCollector()
    collector.feed(html)
    covered = _font_codepoints()
    missing = sorted(
        {c for c in "".join(collector.parts) if not c.isspace() and ord(c) not in covered}
    )
    return "".join(missing)


def render_pdf(template: str, context: dict, *, language: str = "ja") -> tuple[bytes, int, str]:
    """Render ``template`` to PDF; returns (bytes, page count, missing glyphs).

    A missing glyph is logged as a warning naming the code points (never the text around them)."""
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(template, {"FONT_FAMILY": settings.PDF_FONT_FAMILY, **context})
    missing = missing_glyphs(html)
    if missing:
        logger.warning(
            "PDF %s: missing glyphs %s", template, " ".join(f"U+{ord(c):04X}" for c in missing)
        )
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    buffer = io.BytesIO()
    document.write_pdf(buffer)
    return buffer.getvalue(), len(document.pages), missing
