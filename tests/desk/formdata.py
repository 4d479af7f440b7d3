"""What a browser would submit for a form on a page: every input, select and textarea with its
current value, so a test can post an admin change form (inlines included) as shown and change
only what it means to."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = form_id is None
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._select_seen: list[str] = []
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._add(name, attrs.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            self._select_seen, self._select_chosen = [], False
        elif tag == "option" and self._select is not None:
            value = attrs.get("value")
            self._option = value
            self._text = []
            if value is not None:
                self._select_seen.append(value)
                if "selected" in attrs:
                    self._add(self._select[0], value)
                    self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None or self._option is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.form_id is not None and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            if not self._select_chosen and not multiple and self._select_seen:
                self._add(name, self._select_seen[0])
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            # A textarea's first newline is not part of its value.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_data(html: str, form_id: str | None = None) -> dict:
    """``{name: value or [values]}`` of the form with ``form_id`` (or of the whole page)."""
    parser = _FormParser(form_id)
    parser.feed(html)
    return {k: v[0] if len(v) == 1 else v for k, v in parser.data.items()}
