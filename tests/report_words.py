"""What a reader sees of a report page: its visible text and the map's words."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

ENGLISH_WORDS = (
    "New Hot Spot",
    "Consecutive",
    "Intensifying",
    "Persistent",
    "Sporadic",
    "Oscillating",
    "Historical",
    "Diminishing",
    "hot spot",
    "cold spot",
    "no pattern detected",
    "accepted",
    "ceased",
    "persisting",
    "new",
    "merged",
    "split",
    "restructured",
    "grown",
    "shrunk",
    "unchanged",
    "increasing",
    "decreasing",
    "no trend",
    "elsewhere",
    "current",
)
"""English pattern, status and trend words that must not show in the Swedish report."""

MAP_CODE_KEYS = {
    "colors",
    "styles",
    "style",
    "fate",
    "tile_url",
    "background",
    "type",
    "key",
    "kind",
    "layer",
}
"""Keys of the map's data whose values are codes for the script, not words for a reader."""


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []
        self.map_json = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
            self._in_data = dict(attrs).get("id") == "ds-data"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.map_json += data
        elif not self.hidden:
            self.parts.append(data)


def _strings(value: object, key: str = "") -> list[str]:
    if key in MAP_CODE_KEYS or key == "geometry":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return []


def visible_text(html: str) -> str:
    """The page's text outside scripts and styles, and the words of its map (legend,
    labels, popups), joined by spaces."""
    parser = _Visible()
    parser.feed(html)
    words = _strings(json.loads(parser.map_json)) if parser.map_json.strip() else []
    return " ".join([*parser.parts, *words]).replace("\u00a0", " ")


def english_words(text: str) -> list[str]:
    """The :data:`ENGLISH_WORDS` found in ``text`` as whole words, with their context."""
    found = []
    for word in ENGLISH_WORDS:
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.I):
            found.append(f"{word!r} in …{text[max(0, m.start() - 50) : m.end() + 30]}…")
    return found
