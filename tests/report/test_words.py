"""The Swedish report speaks Swedish: no English pattern, status or trend word where a
reader looks (page text, map legend, labels and popups), and counted phrases that read
well."""

from __future__ import annotations

import pytest

from drugscenes.analysis.change import STATUSES
from drugscenes.analysis.hotspots import COLD_PATTERNS, HOT_PATTERNS, NO_PATTERN
from drugscenes.report.i18n import TEXT, label
from report_words import ENGLISH_WORDS, english_words, visible_text


def test_word_list_finds_what_it_should():
    text = visible_text(
        "<p>Mönster: Consecutive Hot Spot, status merged</p><script>var split = 1</script>"
        '<script type="application/json" id="ds-data">{"fate": "new", "legend":'
        ' [{"key": "persisting", "label": "ceased"}]}</script>'
    )
    found = [f.split("'")[1] for f in english_words(text)]
    # Page text and map labels are read; codes (fate, key) and scripts are not.
    assert sorted(found) == ["Consecutive", "ceased", "hot spot", "merged"]
    assert not english_words("nya scener, sammanslagen, kvarstår, ny het punkt, bortarbetad")


@pytest.mark.parametrize("word", [*HOT_PATTERNS, *COLD_PATTERNS, NO_PATTERN, *STATUSES])
def test_every_pattern_and_status_has_a_swedish_word(word):
    assert word in TEXT
    swedish = label(word, "sv")
    assert swedish != word and not english_words(swedish), swedish


def test_swedish_report_has_no_english_words(report):
    text = visible_text(report.html.read_text(encoding="utf-8"))
    assert not english_words(text), english_words(text)[:5]
    # The words a reader sees for the emerging pattern and the trend of the new place.
    [place] = report.results["story"].candidates.to_dict()["new_places"]
    assert label(place["pattern"], "sv") in text and label(place["trend"], "sv") in text
    # (The change table's headers "Scen(er) 2023" name a column of id lists.)
    for bad in ("område(n)", "1 av dem", "0 tillkommit", "en scen, som täcker", "(n) med"):
        assert bad not in text, bad


def test_english_word_list_is_the_issue_s():
    for word in (
        "New Hot Spot",
        "Consecutive",
        "Intensifying",
        "Persistent",
        "Sporadic",
        "Oscillating",
        "Historical",
        "Diminishing",
        "accepted",
        "ceased",
        "new",
        "merged",
        "split",
    ):
        assert word in ENGLISH_WORDS
