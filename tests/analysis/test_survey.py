"""Perceived safety by distance: distances, bands, estimates, suppression, privacy, demo survey."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from drugscenes.analysis.survey import (
    band_index,
    band_labels,
    distance_band,
    municipality_of,
    nearest_scene_distance,
    survey_estimates,
)
from drugscenes.cli.survey import render_survey
from drugscenes.demo.survey import generate_survey
from drugscenes.errors import DataError, UsageError
from drugscenes.stats.survey_design import SurveyDesign, domain_difference, proportion_ci

# -- a small synthetic region: two municipalities side by side, three scenes ----------------------

MUNICIPALITIES = gpd.GeoDataFrame(
    {"code": ["0180", "0181"], "name": ["Stockholm", "Södertälje"]},
    geometry=[shapely.box(0, 0, 10_000, 10_000), shapely.box(10_000, 0, 20_000, 10_000)],
    crs=3006,
)
SCENES = gpd.GeoDataFrame(
    {"scene_id": ["a", "b", "c"]},
    geometry=[
        shapely.box(4_000, 4_000, 4_200, 4_300).difference(shapely.box(4_050, 4_050, 4_100, 4_100)),
        shapely.MultiPolygon(
            [shapely.box(7_000, 7_000, 7_100, 7_100), shapely.box(7_400, 7_000, 7_500, 7_080)]
        ),
        shapely.Point(15_000, 3_000).buffer(80, quad_segs=8),
    ],
    crs=3006,
)


def _shapely_distance(x: np.ndarray, y: np.ndarray, scenes: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.distance(shapely.points(x, y), scenes.geometry.union_all())


# -- distances and bands -------------------------------------------------------------------------


def test_nearest_distance_equals_shapely_distance_to_the_union() -> None:
    rng = np.random.default_rng(3)
    x = np.r_[rng.uniform(-2_000, 22_000, 20_000), 4_075.0, 4_010.0, 7_450.0]
    y = np.r_[rng.uniform(-2_000, 12_000, 20_000), 4_075.0, 4_010.0, 7_040.0]
    d = nearest_scene_distance(x, y, SCENES)
    ref = _shapely_distance(x, y, SCENES)
    np.testing.assert_allclose(d, ref, rtol=0, atol=1e-6)
    assert d[-3] == pytest.approx(25.0)  # inside the hole of scene a: 25 m to the hole's edge
    assert d[-2] == 0.0 and d[-1] == 0.0  # inside scene a; inside a part of the multipolygon


def test_band_edges_are_inclusive_upper_and_fast_path_agrees() -> None:
    # Distances exactly on an edge: 500 m east of scene a's east side (x = 4200).
    x = np.array([4_700.0, 4_700.001, 5_200.0, 6_200.0, 6_200.01, 4_100.0])
    y = np.full(6, 4_150.0)
    d = nearest_scene_distance(x, y, SCENES)
    np.testing.assert_allclose(d[:5], [500.0, 500.001, 1000.0, 2000.0, 2000.01], atol=1e-9)
    assert band_index(d).tolist() == [0, 1, 1, 2, 3, 0]
    assert distance_band(x, y, SCENES).tolist() == [0, 1, 1, 2, 3, 0]
    rng = np.random.default_rng(5)
    xs, ys = rng.uniform(-3_000, 23_000, 50_000), rng.uniform(-3_000, 13_000, 50_000)
    ref = band_index(_shapely_distance(xs, ys, SCENES), [250, 500, 1000, 2000])
    assert (distance_band(xs, ys, SCENES, [250, 500, 1000, 2000]) == ref).all()


def test_large_scene_interior_is_band_zero() -> None:
    big = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 3_000, 3_000)], crs=3006)
    x, y = np.array([1_500.0, 3_700.0]), np.array([1_500.0, 1_500.0])
    assert distance_band(x, y, big).tolist() == [0, 1]


def test_band_labels_state_exact_edges() -> None:
    assert band_labels() == [
        ("0–500 m", 0.0, 500.0),
        ("500–1000 m", 500.0, 1000.0),
        ("1000–2000 m", 1000.0, 2000.0),
        ("> 2000 m", 2000.0, None),
    ]
    with pytest.raises(UsageError, match="increase"):
        band_labels([1000, 500])
    with pytest.raises(UsageError, match="EPSG:3006"):
        nearest_scene_distance(np.zeros(1), np.zeros(1), SCENES.to_crs(4326))


def test_municipality_of_points() -> None:
    codes = municipality_of(
        np.array([5.0, 15_000.0, 30_000.0]), np.array([5.0, 5.0, 5.0]), MUNICIPALITIES
    )
    assert codes.tolist() == ["0180", "0181", None]


# -- estimates ------------------------------------------------------------------------------------


def _respondents(n: int = 3_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(100, 19_900, n)
    y = rng.uniform(100, 9_900, n)
    d = _shapely_distance(x, y, SCENES)
    p = 0.15 + 0.25 * np.exp(-d / 800)
    unsafe = pd.array((rng.random(n) < p).astype(np.int8), dtype="Int8")
    unsafe[rng.random(n) < 0.03] = pd.NA
    stratum = np.where(x < 10_000, "0180", "0181")
    return pd.DataFrame(
        {
            "respondent_id": [f"SECRET-{i:05d}" for i in range(n)],
            "x": np.round(x, 2) + 0.37,
            "y": np.round(y, 2) + 0.19,
            "weight": rng.uniform(50, 300, n),
            "unsafe": unsafe,
            "stratum": stratum,
            "psu": (x // 1_000).astype(int) * 100 + (y // 1_000).astype(int),
        }
    )


def test_band_and_area_estimates_equal_design_domain_estimates() -> None:
    resp = _respondents()
    r = survey_estimates(resp, SCENES, MUNICIPALITIES, round_label="2023", year=2023)
    # Oracle: shapely distances, explicit domains, and the design module (itself checked
    # against R in tests/stats/test_survey_design.py).
    d = _shapely_distance(resp["x"].to_numpy(), resp["y"].to_numpy(), SCENES)
    y = resp["unsafe"].to_numpy(dtype=float, na_value=np.nan)
    answered = np.isfinite(y)
    design = SurveyDesign.from_arrays(resp["weight"], resp["stratum"], resp["psu"])
    edges = [0, 500, 1000, 2000, np.inf]
    for k, band in enumerate(r.bands):
        dom = answered & (d > edges[k] if k else d >= 0) & (d <= edges[k + 1])
        assert band.n == int(dom.sum())
        if band.suppressed:
            continue
        w = resp["weight"].to_numpy()[dom]
        assert band.share_unsafe == pytest.approx(np.average(y[dom], weights=w), abs=1e-12)
        p = proportion_ci(design, y, dom)
        assert (band.ci_low, band.ci_high) == pytest.approx((p.ci_low, p.ci_high), abs=1e-12)
        diff = domain_difference(design, y, dom, reference=answered)
        assert band.diff_vs_region == pytest.approx(diff.estimate, abs=1e-12)
    assert r.region.n == int(answered.sum())
    assert r.n_missing_answer == int((~answered).sum())
    for area in r.municipalities:
        dom = answered & (resp["stratum"].to_numpy() == area.code)
        w = resp["weight"].to_numpy()[dom]
        assert area.share_unsafe == pytest.approx(np.average(y[dom], weights=w), abs=1e-12)
    assert r.trend.estimable and r.trend.odds_ratio_per_km is not None
    assert r.trend.odds_ratio_per_km < 1


def test_json_has_the_required_keys_and_fractions() -> None:
    r = survey_estimates(_respondents(), SCENES, MUNICIPALITIES, round_label="2023", year=2023)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["round"] == "2023" and d["year"] == 2023
    assert {"n", "share_unsafe", "ci_low", "ci_high"} <= set(d["region"])
    for b in d["bands"]:
        assert {
            "label",
            "min_m",
            "max_m",
            "n",
            "share_unsafe",
            "ci_low",
            "ci_high",
            "suppressed",
        } <= set(b)
        if not b["suppressed"]:
            assert 0 <= b["ci_low"] <= b["share_unsafe"] <= b["ci_high"] <= 1
    assert [b["max_m"] for b in d["bands"]] == [500.0, 1000.0, 2000.0, None]


def test_small_bands_are_suppressed_everywhere() -> None:
    resp = _respondents(n=1_500)
    r = survey_estimates(
        resp,
        SCENES,
        MUNICIPALITIES,
        round_label="2023",
        year=2023,
        band_edges_m=[100, 2000],
        min_n=30,
    )
    small = r.bands[0]
    assert 0 < small.n < 30, "the fixture must give a small first band"
    assert small.suppressed and "fewer than 30" in (small.reason or "")
    for field in (
        "share_unsafe",
        "ci_low",
        "ci_high",
        "se",
        "diff_vs_region",
        "diff_ci_low",
        "diff_ci_high",
    ):
        assert getattr(small, field) is None
    dumped = r.to_dict()["bands"][0]
    assert all(dumped[k] is None for k in ("share_unsafe", "ci_low", "ci_high", "diff_vs_region"))
    # The share the band would have had appears in no output.
    y = resp["unsafe"].to_numpy(dtype=float, na_value=np.nan)
    d = _shapely_distance(resp["x"].to_numpy(), resp["y"].to_numpy(), SCENES)
    dom = np.isfinite(y) & (d <= 100)
    hidden = np.average(y[dom], weights=resp["weight"].to_numpy()[dom])
    text = render_survey(r) + json.dumps(r.to_dict()) + repr(r)
    assert repr(hidden) not in text and f"{hidden:.6f}"[:8] not in text
    line = next(ln for ln in render_survey(r).splitlines() if ln.startswith(small.label))
    assert "(suppressed)" in line and "%" not in line and "fewer than 30" in line
    # A municipality below min_n is suppressed the same way.
    r2 = survey_estimates(
        resp.iloc[:200], SCENES, MUNICIPALITIES, round_label="2023", year=2023, min_n=250
    )
    assert all(m.suppressed and m.share_unsafe is None for m in r2.municipalities)
    assert r2.region.suppressed and r2.region.share_unsafe is None
    assert not r2.trend.estimable and r2.trend.odds_ratio_per_km is None


def _workspace(tmp_path: Any, resp: pd.DataFrame) -> str:
    """A real GeoPackage workspace holding SCENES as round 2023 and ``resp`` as survey 2023."""
    from drugscenes.store import RoundRecord, SurveyRecord, create_workspace

    path = tmp_path / "ws.gpkg"
    scenes = SCENES.assign(id_given=True, municipality_code="0180")
    with create_workspace(path, MUNICIPALITIES) as store:
        store.write_round(RoundRecord("2023"), scenes, replace=False)
        store.write_survey(SurveyRecord(2023), resp, replace=False)
    return str(path)


def test_no_output_contains_respondent_ids_coordinates_or_distances(tmp_path: Any) -> None:
    import typer
    from typer.testing import CliRunner

    from drugscenes.cli.survey import register

    resp = _respondents(n=2_000)
    ws = _workspace(tmp_path, resp)
    app, import_app = typer.Typer(), typer.Typer()
    app.add_typer(import_app, name="import")
    register(app, import_app)
    runner = CliRunner()
    outputs = []
    for extra in (
        [],
        ["--json"],
        ["--bands", "100,300,3000", "--min-n", "10", "--full-precision"],
    ):
        res = runner.invoke(app, ["survey", ws, "--round", "2023", "--year", "2023", *extra])
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    result = survey_estimates(resp, SCENES, MUNICIPALITIES, round_label="2023", year=2023)
    outputs += [json.dumps(result.to_dict()), render_survey(result), repr(result)]
    text = "\n".join(outputs)
    assert "SECRET" not in text
    d = _shapely_distance(resp["x"].to_numpy(), resp["y"].to_numpy(), SCENES)
    numbers = set(re.findall(r"\d+\.\d+|\d+", text))
    for values in (resp["x"], resp["y"]):
        for v in values.to_numpy():
            assert f"{v:.2f}" not in numbers and f"{v:.1f}" not in numbers
    for v in d[d > 100]:
        assert f"{v:.1f}" not in numbers and f"{v:.2f}" not in numbers


def test_invalid_inputs_are_refused() -> None:
    resp = _respondents(n=200)
    with pytest.raises(UsageError, match="lacks"):
        survey_estimates(resp.drop(columns="weight"), SCENES, round_label="r", year=2023)
    bad = resp.assign(unsafe=pd.array([2] * len(resp), dtype="Int8"))
    with pytest.raises(DataError, match="unsafe"):
        survey_estimates(bad, SCENES, round_label="r", year=2023)
    with pytest.raises(UsageError, match="min_n"):
        survey_estimates(resp, SCENES, round_label="r", year=2023, min_n=0)
    with pytest.raises(UsageError, match="empty"):
        survey_estimates(resp, SCENES.iloc[:0], round_label="r", year=2023)


# -- the demo survey ----------------------------------------------------------------------


def test_demo_survey_share_unsafe_falls_with_distance() -> None:
    """On the demo survey (20,000 respondents, seed 2023, this synthetic region) the weighted
    share unsafe falls from about 36 % within 500 m to about 17 % beyond 2 km, against about 21 %
    in the whole region: the near band is about 15 percentage points above the region. The
    generator is calibrated to 36 % / 21 % in expectation; the test checks the realised sample."""
    mun = MUNICIPALITIES
    scenes = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(x, y).buffer(100)
            for x, y in [(2_500, 2_500), (6_000, 7_500), (12_000, 4_000), (17_000, 8_000)]
        ],
        crs=3006,
    )
    survey = generate_survey(mun, scenes, n=20_000, seed=2023)
    again = generate_survey(mun, scenes, n=20_000, seed=2023)
    pd.testing.assert_frame_equal(survey, again)  # deterministic
    r = survey_estimates(survey, scenes, mun, round_label="demo", year=2023)
    shares = [b.share_unsafe for b in r.bands]
    assert all(s is not None for s in shares)
    assert shares == sorted(shares, reverse=True), shares  # falls with distance
    near, region = r.bands[0], r.region
    assert near.ci_low <= 0.36 <= near.ci_high  # type: ignore[operator]
    assert region.ci_low <= 0.21 <= region.ci_high  # type: ignore[operator]
    assert 0.10 < near.diff_vs_region < 0.20  # type: ignore[operator]
    assert near.diff_ci_low > 0  # type: ignore[operator]
    assert shares[0] - shares[-1] > 0.12  # type: ignore[operator]
    assert r.trend.ci_high is not None and r.trend.ci_high < 1
    assert (
        survey["answer"]
        .isin(["mycket trygg", "ganska trygg", "ganska otrygg", "mycket otrygg", "vet ej"])
        .all()
    )
    assert (survey["unsafe"].isna() == (survey["answer"] == "vet ej")).all()


@pytest.mark.needs_shared
def test_demo_survey_on_the_real_county(
    county_3006: gpd.GeoDataFrame, stations_3006: gpd.GeoDataFrame
) -> None:
    scenes = gpd.GeoDataFrame(
        geometry=stations_3006.geometry.iloc[::4].head(60).buffer(120), crs=3006
    )
    survey = generate_survey(county_3006, scenes, n=20_000, seed=7)
    r = survey_estimates(survey, scenes, county_3006, round_label="demo", year=2023)
    assert len(r.municipalities) == 26
    shares = [b.share_unsafe for b in r.bands]
    assert shares == sorted(shares, reverse=True)  # type: ignore[type-var]
    assert r.bands[0].ci_low <= 0.36 + 0.03 and r.region.ci_low <= 0.21 <= r.region.ci_high  # type: ignore[operator]


def test_a_single_suppressed_band_gets_a_second_one_suppressed_beside_it() -> None:
    # With the region published, one suppressed band could be estimated from the region
    # and the other bands, so the published band with the fewest respondents goes too.
    resp = _respondents()
    d = _shapely_distance(resp["x"].to_numpy(), resp["y"].to_numpy(), SCENES)
    answered = resp["unsafe"].notna().to_numpy()
    edges = [30.0, 1_000.0, 3_000.0]
    counts = np.bincount(np.searchsorted(edges, d[answered], side="left"), minlength=4)
    min_n = int(counts[0]) + 1  # only the nearest band is under the threshold
    assert (counts[1:] >= min_n).all()
    r = survey_estimates(
        resp, SCENES, None, round_label="2023", year=2023, band_edges_m=edges, min_n=min_n
    )
    suppressed = [b.label for b in r.bands if b.suppressed]
    second = r.bands[1 + int(np.argmin(counts[1:]))]
    assert set(suppressed) == {r.bands[0].label, second.label}
    assert second.share_unsafe is None and second.ci_low is None and second.diff_vs_region is None
    assert "secondary suppression" in second.reason
    assert second.n == counts[1 + int(np.argmin(counts[1:]))]  # the count is still shown
    # Two suppressed bands already protect each other: nothing more is suppressed.
    assert sum(b.suppressed for b in r.bands) == 2
