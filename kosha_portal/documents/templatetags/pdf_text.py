"""Line breaking for PDFs. WeasyPrint ignores ``word-break: keep-all`` and ``line-break``, and
breaks Japanese text between any two characters; a name is kept whole by setting its words in
``white-space: nowrap`` spans, so a line may break only between them."""

import re

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

# Legal forms a name may be broken after (or before) when it is too long for its column.
LEGAL_FORMS = (
    "特定非営利活動法人",
    "社会保険労務士法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "税理士法人",
    "弁護士法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "医療法人",
    "学校法人",
)
_LEGAL_FORM = re.compile("(" + "|".join(LEGAL_FORMS) + ")")


def name_words(name: str) -> list[str]:
    """株式会社東都ロジプリント → [株式会社, 東都ロジプリント]; spaces also separate words."""
    words = []
    for part in (name or "").split():
        words += [w for w in _LEGAL_FORM.split(part) if w]
    return words


@register.filter
def unbroken(name):
    """``{{ company.name|unbroken }}``: the name in nowrap words (needs ``.nw { white-space:
    nowrap }`` in the document's style); a space stays where the name had one."""
    pieces = []
    for part in (name or "").split():
        pieces.append(
            format_html_join(
                mark_safe("<wbr>"), '<span class="nw">{}</span>', ((w,) for w in name_words(part))
            )
        )
    return format_html_join(" ", "{}", ((p,) for p in pieces)) if pieces else format_html("")
