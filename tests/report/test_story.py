"""The report's story: crime remaining at worked-away scenes against new candidate places,
every municipality with a total, the rounds over time, names, region and synthetic data."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from drugscenes.analysis.hotspots.candidates import classify_candidates
from drugscenes.analysis.story import (
    category_counts,
    is_synthetic,
    municipality_table,
    region_name,
)
from drugscenes.report.i18n import NBSP, fmt_area, fmt_ratio, plural, scene_ref
from drugscenes.store import open_workspace

# -- the classification, by hand ---------------------------------------------------------


def _box(x: float, w: float = 100.0) -> shapely.Geometry:
    return shapely.box(x, 0, x + w, 100)


@pytest.fixture
def hand_case():
    """Ceased A (named) at x 0–100 and B (unnamed) at 3000–3100; candidate C001 100 m from
    A, C002 1400 m from both, C003 far from both (a new place in Almvik)."""
    ceased = gpd.GeoDataFrame(
        {"scene_id": ["A", "B"], "name": ["Torget", None], "municipality_code": ["0180", "0181"]},
        geometry=[_box(0), _box(3000)],
        crs=3006,
    )
    cands = gpd.GeoDataFrame(
        {
            "candidate_id": ["C001", "C002", "C003"],
            "count": [10, 7, 5],
            "municipality_code": ["0180", "0180", "0184"],
            "nearest_scene_id": ["S1", "S1", "S2"],
            "nearest_scene_m": [900.0, 1200.0, 4000.0],
        },
        geometry=[_box(200), _box(1500), _box(10_000)],
        crs=3006,
    )
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["S1", "S2"], "name": ["Parken", "Torget Nord"]},
        geometry=[_box(-1000), _box(14_000)],
        crs=3006,
    )
    munis = pd.DataFrame(
        {"code": ["0180", "0181", "0184"], "name": ["Storstad", "Åkerby", "Almvik"]}
    )
    return cands, ceased, scenes, munis


def test_classification_by_hand(hand_case):
    cands, ceased, scenes, munis = hand_case
    story = classify_candidates(cands, ceased, 1500, scenes=scenes, municipalities=munis)
    assert list(story.remaining["candidate_id"]) == ["C001", "C002"]
    assert list(story.remaining["ceased_ids"]) == [["A"], ["A", "B"]]  # ties by id
    assert list(story.remaining["ceased_names"]) == [["Torget"], ["Torget", ""]]
    assert list(story.remaining["nearest_ceased_m"]) == [100.0, 1400.0]
    worked = story.worked_away.to_dict("records")
    assert [(w["scene_id"], w["name"], w["candidate_ids"], w["count"]) for w in worked] == [
        ("A", "Torget", ["C001", "C002"], 17),
        ("B", "", ["C002"], 7),
    ]
    assert [w["municipality_name"] for w in worked] == ["Storstad", "Åkerby"]
    assert [w["nearest_m"] for w in worked] == [100.0, 1400.0]
    [new] = story.new_places.to_dict("records")
    assert (new["candidate_id"], new["municipality_name"], new["nearest_scene_name"]) == (
        "C003",
        "Almvik",
        "Torget Nord",
    )
    assert new["nearest_ceased_m"] == pytest.approx(6900.0)
    d = story.to_dict()
    assert (d["n_remaining"], d["n_new_places"], d["n_worked_away_with_crime"]) == (2, 1, 2)
    # At 1 km C002 is away from every ceased scene: a new place, and B has no crime left.
    story = classify_candidates(cands, ceased, 1000, scenes=scenes, municipalities=munis)
    assert list(story.new_places["candidate_id"]) == ["C002", "C003"]
    assert list(story.worked_away["scene_id"]) == ["A"]


def test_classification_without_ceased_scenes(hand_case):
    cands, ceased, _, _ = hand_case
    story = classify_candidates(cands, ceased.iloc[:0], 1000)
    assert len(story.remaining) == 0 and len(story.worked_away) == 0
    assert list(story.new_places["candidate_id"]) == ["C001", "C002", "C003"]


# -- small pure pieces --------------------------------------------------------------------


def test_region_name_and_synthetic_flag():
    assert region_name({"region_name": "  Demolän "}, ["0180"]) == "Demolän"
    assert region_name({"region_name": ""}, ["0180", "0192", "114"]) == "Stockholms län"
    assert region_name({}, ["1280", "1480"]) == ""
    assert is_synthetic({"synthetic": "yes"}) and is_synthetic({"synthetic": "TRUE"})
    assert not is_synthetic({}) and not is_synthetic({"synthetic": "no"})


def test_municipality_table_total_and_change():
    inv = pd.DataFrame(
        {"code": ["01", "02", "03"], "name": ["A", "B", "C"], "n_scenes": [2, 0, 1]}
    ).assign(area_m2=[300.0, 0.0, 50.0])
    comp = pd.DataFrame({"n_from": [3, 1], "area_from_m2": [500.0, 20.0]}, index=["01", "02"])
    rows, total = municipality_table(inv, comp)
    assert list(rows["n_from"]) == [3, 1, 0] and list(rows["n_change"]) == [-1, -1, 1]
    assert (total["n_scenes"], total["n_from"], total["n_change"]) == (3, 4, -1)
    assert (total["area_m2"], total["area_from_m2"]) == (350.0, 520.0)
    assert (total["n_municipalities_with_scenes"], total["n_municipalities"]) == (2, 3)


def test_counts_words_and_numbers():
    assert category_counts(["b", "a", "b", "c", "a", "b"]) == {"b": 3, "a": 2, "c": 1}
    assert [plural("scene", n, "sv") for n in (0, 1, 10)] == ["ingen scen", "en scen", "10 scener"]
    assert [plural("new_scene", n, "en") for n in (0, 1, 2)] == [
        "no new scene",
        "one new scene",
        "2 new scenes",
    ]
    assert plural("area", 1, "sv", capital=True) == "Ett område"
    sv = [fmt_ratio(v, "sv").replace(NBSP, " ") for v in (0.004, 0.614, 9.996, 23.45, 283.6)]
    assert sv == ["< 0,01", "0,61", "10,00", "23,4", "284"]
    assert fmt_ratio(23_890.03, "en").replace(NBSP, " ") == "> 1,000"
    assert fmt_ratio(None, "sv") == "–"
    assert fmt_area(7_436_561_289, "sv").replace(NBSP, " ") == "7 436,6 km²"
    assert fmt_area(2_500_000, "en").replace(NBSP, " ") == "2.50 km²"
    assert fmt_area(164_512, "sv").replace(NBSP, " ") == "16,45 ha"
    assert scene_ref("S012", "Torget") == "Torget (S012)" and scene_ref("S9", None) == "S9"


# -- the demo report ------------------------------------------------------------------------


def _text(report) -> str:
    return " ".join(report.headline).replace(NBSP, " ")


def test_headline_tells_remaining_crime_and_the_new_place_as_the_json_says(report):
    story = report.results["story"].to_dict()
    cands = story["candidates"]
    check = report.results["compare"].hotspot_check.to_dict()
    # New places are exactly the hot-spot check's candidates far from every ceased scene.
    assert [p["candidate_id"] for p in cands["new_places"]] == [
        c["candidate_id"] for c in check["candidates_elsewhere"]
    ]
    assert cands["n_remaining"] + cands["n_new_places"] == check["n_candidates"]
    # The compare job's check carries the same classification (compare --json).
    told = check["candidate_story"]
    assert [w["scene_id"] for w in told["worked_away"]] == [
        w["scene_id"] for w in cands["worked_away"]
    ]
    assert told["n_new_places"] == cands["n_new_places"] == 1
    [place] = cands["new_places"]
    assert place["municipality_name"] == "Almvik" and place["trend"] == "increasing"
    text = _text(report)
    where = place["municipality_name"]
    assert f"Inga nya scener i kartläggningen; brottsdata pekar på en plats i {where}." in text
    # Every worked-away scene with crime remaining is named, with its id.
    worked = cands["worked_away"]
    assert len(worked) == 10 == report.results["compare"].comparison.ceased
    sentence = next(s for s in report.headline if "arbetats bort sedan 2023" in s)
    for w in worked:
        assert w["name"] and scene_ref(w["scene_id"], w["name"]) in sentence
    assert sentence.startswith(f"Vid {len(worked)} scener som arbetats bort sedan 2023")
    # The words the issue quoted are gone.
    for bad in ("område(n)", "1 av dem", "0 tillkommit", "en scen, som täcker"):
        assert bad not in text
    assert "10 scener arbetats bort och ingen ny scen tillkommit (63 → 53)" in text


def test_candidate_section_splits_remaining_from_new_places(report):
    html = report.html.read_text(encoding="utf-8").replace(NBSP, " ")
    section = re.search(r'<section id="candidates".*?</section>', html, flags=re.S).group(0)
    story = report.results["story"].candidates
    assert "Nya kandidatplatser" in section and "Brott kvar där scener arbetats bort" in section
    assert "11 områden med signifikant koncentration" in section
    assert "10 ligger vid scener som arbetats bort och ett är en ny plats" in section
    for name in story.worked_away["name"]:
        assert name in section
    [place] = story.new_places.to_dict("records")
    assert place["nearest_scene_name"] and place["nearest_scene_name"] in section


def test_every_municipality_with_a_total_and_the_rounds_over_time(report):
    story = report.results["story"]
    inv = report.results["inventory"].inventory
    assert len(story.municipalities) == 26
    assert story.municipality_total["n_scenes"] == inv.n_scenes == 53
    assert story.municipality_total["n_from"] == 63
    assert story.municipality_total["n_municipalities_with_scenes"] == 8
    [table] = [tb for tb in report.tables if tb.sheet == "Kommuner"]
    assert len(table.frame) == 27
    last = table.frame.iloc[-1]
    assert last["Kommun"] == "Totalt" and last["Scener 2024"] == 53 and last["Scener 2023"] == 63
    assert last["Yta 2024 (ha)"] == pytest.approx(inv.total_area_m2 / 10_000)
    assert set(table.frame["Kommun"][:-1]) == set(report.data.municipalities["name"])
    # The rounds: 64 → 63 → 53 scenes, areas as each round's inventory says.
    rounds = story.rounds
    assert list(rounds["round"]) == ["2021", "2023", "2024"]
    assert list(rounds["n_scenes"]) == [64, 63, 53]
    assert rounds["area_m2"].iloc[-1] == pytest.approx(inv.total_area_m2)
    c = report.results["compare"].comparison
    assert rounds["area_m2"].iloc[1] == pytest.approx(c.area_from_m2)
    html = report.html.read_text(encoding="utf-8")
    section = re.search(r'<section id="rounds".*?</section>', html, flags=re.S).group(0)
    assert "<svg" in section and "Antal scener" in section


def test_region_in_title_synthetic_banner_and_names(demo, report):
    with open_workspace(demo.workspace) as store:
        meta = store.metadata()
    assert meta["synthetic"] == "yes" and meta["region_name"] == "Demolän"
    html = report.html.read_text(encoding="utf-8")
    assert "<h1>Öppna drogscener i Demolän – kartläggning 2024</h1>" in html
    assert '<p class="synthetic-banner" role="note"><mark><strong>Syntetiska data.</strong>' in html
    # The change section names the worked-away scenes.
    section = re.search(r'<section id="change".*?</section>', html, flags=re.S).group(0)
    changes = report.results["story"].changes
    for comp in changes["ceased"]:
        for s in comp["from"]:
            assert scene_ref(s["scene_id"], s["name"]) in section
    assert "Ingen ny scen har tillkommit." in section


def test_a_copied_workspace_keeps_the_synthetic_flag(demo, tmp_path):
    from drugscenes.store.copy import copy_workspace

    with open_workspace(demo.workspace) as store:
        copy_workspace(store, tmp_path / "copy.gpkg")
    with open_workspace(tmp_path / "copy.gpkg") as copied:
        assert copied.metadata()["synthetic"] == "yes"


def test_classification_of_no_candidates(hand_case):
    _, ceased, _, _ = hand_case
    # candidate_scenes' frame when no cell is hot: no candidate_id column at all.
    empty = gpd.GeoDataFrame(
        {"count": [], "municipality_code": [], "nearest_scene_id": []}, geometry=[], crs=3006
    )
    story = classify_candidates(empty, ceased, 1000)
    assert story.to_dict()["n_remaining"] == story.to_dict()["n_new_places"] == 0
