"""Concentration, rate ratios, per-scene counts and WDQ against hand-worked values and
statsmodels/SciPy called here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats
from statsmodels.stats import rates

from drugscenes.analysis.crime import (
    POLICE_ACTIVITY_NOTE,
    ceased_by_overlap,
    crime_concentration,
    displacement,
    share_difference,
    wdq,
)
from drugscenes.demo.incidents import generate_incidents

REGION = gpd.GeoDataFrame(
    {"code": ["0001", "0002"]},
    geometry=[shapely.box(0, 0, 5000, 10_000), shapely.box(5000, 0, 10_000, 10_000)],
    crs=3006,
)
SCENES = gpd.GeoDataFrame(
    {"scene_id": ["A", "B"]},
    geometry=[shapely.box(1000, 1000, 1100, 1100), shapely.box(8000, 8000, 8100, 8100)],
    crs=3006,
)


def _inc(points: list[tuple[float, float, str]], time: str = "2023-06-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.Timestamp(time, tz="UTC"),
            "category": [c for *_, c in points],
            "x": [p[0] for p in points],
            "y": [p[1] for p in points],
            "police_activity": [c == "drug offence" for *_, c in points],
        }
    )


def test_hand_worked_counts_shares_and_scenes() -> None:
    pts = [
        (1050, 1050, "shooting"),
        (1000, 1000, "violence"),  # in A (edge counts)
        (1050, 1300, "violence"),  # 200 m from A: near (ring distance inclusive)
        (8050, 8050, "drug offence"),  # in B
        (3000, 3000, "violence"),
        (6000, 2000, "other"),
        (4000, 9000, "other"),  # rest
    ]
    r = crime_concentration(_inc(pts), SCENES, REGION, "2023-01-01", "2024-01-01", "2023")
    z = {row.zone: row for row in r.zones}
    assert z["scene"].counts == {
        "violence": 1,
        "shooting": 1,
        "explosion": 0,
        "drug offence": 1,
        "other": 0,
    }
    assert z["scene"].area_m2 == pytest.approx(20_000)
    assert z["scene"].shares["shooting"] == pytest.approx(1 / 3)
    assert z["near_200"].counts["violence"] == 1
    assert z["rest"].counts == {
        "violence": 1,
        "shooting": 0,
        "explosion": 0,
        "drug offence": 0,
        "other": 2,
    }
    assert sum(row.area_m2 for row in r.zones) == pytest.approx(1e8)
    sc = {s.scene_id: s for s in r.scenes}
    assert sc["A"].counts["violence"] == 2 and sc["A"].counts_inside["violence"] == 1
    assert sc["A"].any_shooting and not sc["B"].any_shooting
    # rank by incidents that are not police activity: A has 3, B has 0
    assert (sc["A"].rank, sc["B"].rank) == (1, 2)
    assert r.share_of_scenes_with_shooting == 0.5
    assert POLICE_ACTIVITY_NOTE in r.notes and r.police_activity_categories == ["drug offence"]
    d = r.to_dict()
    assert {
        "round",
        "period",
        "zones",
        "rate_ratios",
        "scenes",
        "share_of_scenes_with_shooting",
    } <= set(d)
    assert set(d["zones"][0]) >= {"zone", "area_m2", "counts", "shares"}
    assert set(d["rate_ratios"][0]) >= {"category", "zone", "ratio", "ci_low", "ci_high", "p_value"}
    # concentration: 1 of 2 violence... region has 3 violence incidents, 1 in scenes
    conc = {(c.category, c.zone): c for c in r.concentration}
    assert conc[("violence", "scene")].share_of_incidents == pytest.approx(1 / 3)
    assert conc[("violence", "scene")].share_of_area == pytest.approx(20_000 / 1e8)


def test_rate_ratios_equal_statsmodels_on_synthetic_data() -> None:
    df = generate_incidents(REGION, SCENES, 20_000, seed=5)
    r = crime_concentration(df, SCENES, REGION, "2023-01-01", "2024-01-01", "2023")
    zones = {z.zone: z for z in r.zones}
    for row in r.rate_ratios:
        a = zones[row.zone].counts[row.category]
        b = zones["rest"].counts[row.category]
        ea, eb = zones[row.zone].area_m2 / 1e6, zones["rest"].area_m2 / 1e6
        sm = rates.test_poisson_2indep(a, ea, b, eb, method="exact-cond")
        assert row.p_value == pytest.approx(sm.pvalue, rel=1e-9, abs=1e-300)
        assert row.ratio == pytest.approx((a / ea) / (b / eb))
        assert row.ci_low < row.ratio < row.ci_high
    # synthetic scenes have far more violence per km² than the rest
    viol = next(x for x in r.rate_ratios if x.category == "violence" and x.zone == "scene")
    assert viol.ci_low > 10


def test_share_difference_against_scipy_and_wilson_by_hand() -> None:
    d = share_difference(30, 100, 50, 1000)
    _, p, _, _ = stats.chi2_contingency([[30, 70], [50, 950]], correction=False)
    assert d.p_value == pytest.approx(p, rel=1e-9)
    # Newcombe (1998) method 10 from Wilson intervals computed with SciPy
    w1 = stats.binomtest(30, 100).proportion_ci(method="wilson")
    w2 = stats.binomtest(50, 1000).proportion_ci(method="wilson")
    p1, p2 = 0.3, 0.05
    lo = p1 - p2 - np.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    hi = p1 - p2 + np.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    assert (d.ci_low, d.ci_high) == pytest.approx((lo, hi), rel=1e-6)
    assert share_difference(0, 10, 0, 10).p_value is None  # no variation: no test


def test_wdq_hand_worked() -> None:
    # Worked by hand: SM = 50/190 - 100/200 = -9/38; BDM = 80/190 - 90/200 = -11/380;
    # WDQ = (-11/380) / (-90/380) = 11/90; TNE = (100·190/200 - 50) + (90·190/200 - 80) = 45 + 5.5
    w = wdq(Ra=50, Rb=100, Da=80, Db=90, Ca=190, Cb=200)
    assert w.success_measure == pytest.approx(-9 / 38)
    assert w.buffer_displacement_measure == pytest.approx(-11 / 380)
    assert w.wdq == pytest.approx(11 / 90)
    assert w.total_net_effect == pytest.approx(50.5)
    assert w.reason is None


def test_wdq_zero_cells_say_why() -> None:
    w = wdq(Ra=5, Rb=10, Da=3, Db=3, Ca=0, Cb=10)
    assert w.wdq is None and "control" in (w.reason or "")
    w = wdq(Ra=10, Rb=10, Da=3, Db=5, Ca=20, Cb=20)
    assert w.success_measure == 0 and w.wdq is None and "undefined" in (w.reason or "")
    assert w.total_net_effect == pytest.approx(2.0)


def test_displacement_counts_hand_worked() -> None:
    before = (
        [(1050, 1050, "violence")] * 4
        + [(1050, 1250, "violence")] * 2
        + [(3000, 5000, "violence")] * 10
    )
    after = (
        [(1050, 1050, "violence")] * 1
        + [(1050, 1250, "violence")] * 3
        + [(3000, 5000, "violence")] * 10
    )
    inc = pd.concat([_inc(before, "2023-03-01"), _inc(after, "2023-09-01")])
    ceased = ceased_by_overlap(SCENES, SCENES.iloc[[1]])
    assert list(ceased["scene_id"]) == ["A"]
    res = displacement(
        inc, ceased, SCENES, REGION, ("2023-01-01", "2023-07-01"), ("2023-07-01", "2024-01-01")
    )
    row = res.scenes[0]
    assert (row["Ra"], row["Rb"], row["Da"], row["Db"], row["Ca"], row["Cb"]) == (
        1,
        4,
        3,
        2,
        10,
        10,
    )
    # SM = 1/10 - 4/10 = -0.3; BDM = 3/10 - 2/10 = 0.1; WDQ = -1/3 (displacement)
    assert row["wdq"] == pytest.approx(-1 / 3)
    assert res.all_ceased is not None and res.all_ceased.wdq == pytest.approx(-1 / 3)
