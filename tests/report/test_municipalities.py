"""Every municipality of the demo county gets its report, with the right labels.

The 26 pages are gathered and rendered as HTML once per module
(:func:`drugscenes.report.build.render_html`, no files written); the full render of one
municipality without scenes is checked through the command line.
"""

from __future__ import annotations

import json
import re

import pytest

from drugscenes.report.build import render_html
from drugscenes.report.model import ReportOptions
from drugscenes.services.report import gather
from drugscenes.store import open_workspace
from helpers import run
from report_words import english_words, visible_text

COUNTY_ONLY = ("hela länet", "övriga länet", "länets yta")
"""Labels of county figures: never on a municipality's page."""


@pytest.fixture(scope="module")
def pages(demo):
    """Code → (ReportData, visible text of report.html) for every municipality."""
    out = {}
    with open_workspace(demo.workspace) as store:
        for code in store.municipalities()["code"]:
            data = gather(store, options=ReportOptions(municipality=code))
            out[code] = (data, visible_text(render_html(data)))
    return out


def test_every_municipality_renders_with_its_own_labels(demo, pages):
    assert len(pages) == 26
    with_scenes = 0
    for code, (data, text) in pages.items():
        name = data.municipality[1]
        assert data.municipality[0] == code
        low = text.lower()
        assert f"Öppna drogscener i {name} (Demolän) – kartläggning 2024" in text, code
        for county in COUNTY_ONLY:
            assert county not in low, (code, county)
        story = data.story
        assert len(story.municipalities) == 1 and story.municipalities["code"][0] == code
        n = int(story.municipality_total["n_scenes"])
        assert n == data.inventory.inventory.n_scenes
        if n == 0:
            assert f"Vid kartläggningen 2024 fanns inga öppna drogscener i {name}." in text
            # No scenes: the crime section still shows the period's incidents by category.
            assert data.crime is None and data.missing["crime"].reason == "no_scenes"
            total = sum(story.crime_counts.values())
            assert f"registrerades {total:,} händelser i kommunen".replace(",", " ") in text
        else:
            with_scenes += 1
            assert f"i {name}, med en sammanlagd yta av" in text
            assert "övriga kommunen" in low  # the crime zones' reference
        # Survey and candidates are shown whether or not there are scenes.
        assert data.survey is not None and "survey" not in data.missing, code
        assert data.candidates is not None, code
        fig = data.survey.to_dict()["region"]
        if not fig["suppressed"]:
            assert f"av de svarande i {name} otrygga" in text
        assert not english_words(text), (code, english_words(text)[:3])
    assert with_scenes == 8


def test_the_new_place_is_in_its_municipality_s_report(pages):
    # Almvik has no scene; its report says the crime data point to a place there.
    [(data, text)] = [p for p in pages.values() if p[0].municipality[1] == "Almvik"]
    [place] = data.story.candidates.to_dict()["new_places"]
    assert place["municipality_name"] == "Almvik"
    assert "Inga nya scener i kartläggningen; brottsdata pekar på en plats i Almvik." in text
    assert "Inte heller vid kartläggningen 2023 fanns någon scen där." in text


def test_a_municipality_without_scenes_through_the_command(demo, tmp_path):
    code, out, err = run(
        "report", demo.workspace, "--out", tmp_path / "r", "--municipality", "0184", "--json"
    )
    assert code == 0, err
    d = json.loads(out)
    assert "crime" not in d["missing"] and "survey" not in d["missing"]
    assert d["headline"][0] == "Vid kartläggningen 2024 fanns inga öppna drogscener i Almvik."
    story = d["story"]
    assert story["municipality"] == {"code": "0184", "name": "Almvik"}
    assert story["municipality_total"]["n_scenes"] == 0 and sum(story["crime_counts"].values()) > 0
    [place] = story["candidates"]["new_places"]
    # Almvik's view has no registered scene: no nearest one to measure to.
    assert place["municipality_name"] == "Almvik" and place["nearest_scene_m"] is None
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="crime".*?</section>', html, flags=re.S).group(0)
    assert "Händelser i Almvik" in section


def test_english_municipality_report_speaks_english(demo, tmp_path):
    with open_workspace(demo.workspace) as store:
        data = gather(store, options=ReportOptions(municipality="0180", lang="en"))
    text = visible_text(render_html(data))
    assert "Open drug scenes in Storstad (Demolän) – mapping 2024" in text
    assert "rest of the municipality" in text and "rest of the county" not in text
    for swedish in ("kvarstår", "upphört", "tillkommit", "övriga", "Syntetiska"):
        assert swedish not in text
    assert "Synthetic data." in text
