"""Survey privacy against an attacker with many queries (published outputs only).

The attacks are the ones a hostile but realistic user ran against the unprotected
outputs: a binary search over the first band edge that moved one respondent at a time
across it, a municipality report differenced against the county report, and two small
suppressed groups recovered together. Each test runs the attack through the survey
service (what the CLI, the report and the web app publish) and checks that no group
smaller than the threshold can be isolated.
"""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from drugscenes import config
from drugscenes.errors import UsageError
from drugscenes.services.scope import municipality_scope
from drugscenes.services.survey import survey
from drugscenes.store import RoundRecord, SurveyRecord, create_workspace, open_workspace
from helpers import run

MIN_N = config.SURVEY_MIN_N
X0, Y0 = 660_000.0, 6_570_000.0


def _region() -> gpd.GeoDataFrame:
    """Four municipalities in a row, 5 km x 5 km each."""
    return gpd.GeoDataFrame(
        {"code": ["0101", "0102", "0103", "0104"], "name": ["Ada", "Bo", "Cid", "Dag"]},
        geometry=[
            shapely.box(X0 + 5_000 * k, Y0, X0 + 5_000 * (k + 1), Y0 + 5_000) for k in range(4)
        ],
        crs=3006,
    )


def _respondents(seed: int = 3) -> pd.DataFrame:
    """Dense near the scene, sparse farther out; two small municipalities (Cid, Dag)."""
    rng = np.random.default_rng(seed)
    parts = []
    # 600 in Ada, spread from the scene outwards; 200 in Bo; 12 in Cid; 10 in Dag.
    r = np.concatenate([rng.uniform(0, 1_500, 500), rng.uniform(1_500, 2_400, 100)])
    a = rng.uniform(0, 2 * np.pi, r.size)
    parts.append((X0 + 2_500 + r * np.cos(a), Y0 + 2_500 + r * np.sin(a)))
    parts.append((rng.uniform(X0 + 5_100, X0 + 9_900, 200), rng.uniform(Y0 + 100, Y0 + 4_900, 200)))
    parts.append((rng.uniform(X0 + 10_100, X0 + 14_900, 12), rng.uniform(Y0 + 100, Y0 + 4_900, 12)))
    parts.append((rng.uniform(X0 + 15_100, X0 + 19_900, 10), rng.uniform(Y0 + 100, Y0 + 4_900, 10)))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    n = x.size
    return pd.DataFrame(
        {
            "respondent_id": [f"SECRET{k:04d}" for k in range(n)],
            "x": x,
            "y": y,
            "weight": rng.uniform(0.5, 2.0, n),
            "unsafe": pd.array(rng.integers(0, 2, n), dtype="Int8"),
            "stratum": None,
            "psu": None,
            "municipality_code": None,
        }
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sdc") / "ws.gpkg"
    scene = gpd.GeoDataFrame(
        {"scene_id": ["s1"], "id_given": True, "name": "Torget", "municipality_code": "0101"},
        geometry=[shapely.box(X0 + 2_450, Y0 + 2_450, X0 + 2_550, Y0 + 2_550)],
        crs=3006,
    )
    moved = scene.assign(
        scene_id="s2", geometry=[shapely.box(X0 + 600, Y0 + 600, X0 + 700, Y0 + 700)]
    )
    with create_workspace(path, _region()) as store:
        store.write_round(RoundRecord("2023", "2023-10-01"), scene, replace=False)
        store.write_round(RoundRecord("2024", "2024-10-01"), moved, replace=False)
        store.write_survey(SurveyRecord(2023), _respondents(), replace=False)
    return str(path)


def _first_band(store, edge: float) -> tuple[int, float | None]:
    r = survey(store, year=2023, band_edges_m=[edge, 100_000])
    b = r.bands[0]
    return b.n, b.share_unsafe


def test_binary_search_over_the_first_edge_isolates_no_one(ws):
    """The attack: move the first edge until the first band's n changes by one; the change
    in its share then gives that person's answer. 30 queries, bisection plus fractions."""
    with open_workspace(ws) as store:
        seen: dict[float, tuple[int, float | None]] = {}
        lo, hi = 0.0, 3_000.0
        target = _first_band(store, lo + 0.5)[0] + 1  # "one more person than now"
        for _ in range(22):
            mid = (lo + hi) / 2
            seen[mid] = _first_band(store, mid)
            lo, hi = (mid, hi) if seen[mid][0] < target else (lo, mid)
        for e in (lo - 0.3, lo + 0.3, hi - 0.2, hi + 0.2, 501.0, 549.9, 550.1, 599.99):
            seen[e] = _first_band(store, e)
    assert len(seen) >= 30
    counts = sorted({n for n, _ in seen.values()})
    # Any two answers the attacker got differ by at least MIN_N respondents (or not at all).
    gaps = [b - a for a, b in itertools.pairwise(counts)]
    assert gaps and min(gaps) >= MIN_N, counts
    # Shares are published in whole percent: no digits left to difference a weight out of.
    shares = [s for _, s in seen.values() if s is not None]
    assert all(abs(s * 100 - round(s * 100)) < 1e-9 for s in shares)


def test_fractional_edges_give_identical_output(ws):
    with open_workspace(ws) as store:
        a = survey(store, year=2023, band_edges_m=[500.0, 1_000.0]).to_dict()
        b = survey(store, year=2023, band_edges_m=[500.4, 999.7]).to_dict()
    a.pop("disclosure"), b.pop("disclosure")
    assert json.dumps(a) == json.dumps(b)


def test_municipality_reports_cannot_be_differenced_against_the_county(ws):
    with open_workspace(ws) as store:
        county = survey(store, year=2023)
        views = {
            m.code: survey(municipality_scope(store, m.code), year=2023)
            for m in county.municipalities
        }
    by_code = {m.code: m for m in county.municipalities}
    hidden = [m for m in county.municipalities if m.suppressed]
    # Cid (12) and Dag (10) are small: together 22 < MIN_N, so a third one is hidden too.
    assert {m.code for m in hidden} >= {"0103", "0104"}
    assert len(hidden) >= 2 and sum(m.n for m in hidden) >= MIN_N
    for code, view in views.items():
        # Each municipality's report shows exactly the county's figure for it, or nothing.
        assert view.region.suppressed == by_code[code].suppressed
        assert view.region.share_unsafe == by_code[code].share_unsafe
        assert view.bands == ()  # bands are a county table only
    # Region minus the shown municipalities reveals only the hidden ones together.
    shown_n = sum(m.n for m in county.municipalities if not m.suppressed)
    assert county.region.n - shown_n >= MIN_N


def test_two_small_groups_are_not_recoverable_as_a_pair(ws):
    with open_workspace(ws) as store:
        county = survey(store, year=2023)
    hidden = {m.code: m.n for m in county.municipalities if m.suppressed}
    assert hidden["0103"] + hidden["0104"] < MIN_N  # the pair alone would be too small...
    assert sum(hidden.values()) >= MIN_N  # ...so a complement hides with them


def test_lower_threshold_other_round_need_the_microdata_holder(ws):
    with open_workspace(ws) as store:
        with pytest.raises(UsageError, match="at least 30"):
            survey(store, year=2023, min_n=5)
        with pytest.raises(UsageError, match="its own round, 2023"):
            survey(store, year=2023, round_label="2024")
        full = survey(store, year=2023, round_label="2024", min_n=5, full_precision=True)
    assert full.disclosure["protected"] is False
    assert any("not for publication" in n or "holder of the microdata" in n for n in full.notes)


def test_the_cli_publishes_the_protected_figures_only(ws):
    code, out, err = run("survey", ws, "--year", "2023", "--json", "--bands", "512.3,100000")
    assert code == 0, err
    data = json.loads(out)
    assert data["disclosure"]["protected"] is True
    assert data["disclosure"]["requested_edges_m"] == [512.3, 100000.0]
    assert "SECRET" not in out
    code, _, err = run("survey", ws, "--year", "2023", "--min-n", "3")
    assert code == 2 and "--min-n" in err and "Traceback" not in err
