"""Concentration, rate ratios, per-scene counts and WDQ against hand-worked values and
statsmodels/SciPy called here."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from scipy import stats
from statsmodels.stats import rates

from drugscenes.analysis.crime import (
    POLICE_ACTIVITY_NOTE,
    _arrow_countable,
    ceased_by_overlap,
    crime_concentration,
    displacement,
    interpret_wdq,
    place_level_warning,
    share_difference,
    wdq,
)
from drugscenes.demo.incidents import generate_incidents
from drugscenes.errors import UsageError
from drugscenes.periods import Period

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


# Scene A's corner (1100, 1100) plus 199.9 m and 200.1 m along the 3-4-5 direction
# (0.6, 0.8): hypot(0.6 d, 0.8 d) = d exactly. That direction (53.13°) lies between two
# vertices of a 64-gon buffer's arc (50.625° and 56.25°), where the polygon runs about
# 0.24 m inside the true 200 m circle.
NEAR_199_9 = (1100 + 0.6 * 199.9, 1100 + 0.8 * 199.9)  # (1219.94, 1259.92)
FAR_200_1 = (1100 + 0.6 * 200.1, 1100 + 0.8 * 200.1)  # (1220.06, 1260.08)


def test_199_9_m_is_near_and_200_1_m_is_rest_exactly() -> None:
    a = SCENES.geometry.iloc[0]
    assert shapely.distance(a, shapely.Point(NEAR_199_9)) == pytest.approx(199.9, abs=1e-9)
    assert shapely.distance(a, shapely.Point(FAR_200_1)) == pytest.approx(200.1, abs=1e-9)
    # a polygon buffer (what displacement used before) misses the 199.9 m point
    assert not shapely.intersects_xy(shapely.buffer(a, 200, quad_segs=16), *NEAR_199_9)
    pts = [(*NEAR_199_9, "violence"), (*FAR_200_1, "violence")]
    r = crime_concentration(_inc(pts), SCENES, REGION, "2023-01-01", "2024-01-01", "2023")
    z = {row.zone: row.counts["violence"] for row in r.zones}
    assert (z["scene"], z["near_200"], z["rest"]) == (0, 1, 1)


def test_displacement_buffer_and_control_use_exact_distances() -> None:
    # The same two points before and after, plus 2 incidents inside A before and 1 after.
    # Buffer (D) and control (C) follow the exact distance, as in crime_concentration:
    # the 199.9 m point is in the buffer (the 64-gon buffer put it in the control,
    # D = 0 and C = 2), the 200.1 m point in the control (municipality 0001).
    inside = (1050, 1050, "violence")
    before = [inside, inside, (*NEAR_199_9, "violence"), (*FAR_200_1, "violence")]
    after = [inside, (*NEAR_199_9, "violence"), (*FAR_200_1, "violence")]
    inc = pd.concat([_inc(before, "2023-03-01"), _inc(after, "2023-09-01")])
    ceased = ceased_by_overlap(SCENES, SCENES.iloc[[1]])
    res = displacement(
        inc,
        ceased,
        SCENES,
        REGION,
        Period.parse("2023-01-01", "2023-06-30"),
        Period.parse("2023-07-01", "2023-12-31"),
    )
    assert res.all_ceased is not None
    for w in (res.scenes[0], res.all_ceased.to_dict()):
        assert (w["Rb"], w["Db"], w["Cb"], w["Ra"], w["Da"], w["Ca"]) == (2, 1, 1, 1, 1, 1)
    d = res.to_dict()
    assert d["ceased_scene_ids"] == ["A"]
    assert d["before_days"]["to"] == "2023-06-30" and d["after_days"]["from"] == "2023-07-01"


def test_displacement_overlapping_buffers_count_per_scene_and_once_together() -> None:
    # Two ceased scenes 150 m apart; a point between them is within 200 m of both: it is
    # in the buffer of each scene, and once in the buffer of all together.
    scenes = gpd.GeoDataFrame(
        {"scene_id": ["A", "C"]},
        geometry=[shapely.box(1000, 1000, 1100, 1100), shapely.box(1250, 1000, 1350, 1100)],
        crs=3006,
    )
    pts = [(1175, 1050, "violence"), (3000, 5000, "violence")]
    inc = pd.concat([_inc(pts, "2023-03-01"), _inc(pts, "2023-09-01")])
    res = displacement(
        inc, scenes, scenes, REGION, ("2023-01-01", "2023-07-01"), ("2023-07-01", "2024-01-01")
    )
    assert [(s["Db"], s["Cb"]) for s in res.scenes] == [(1, 1), (1, 1)]
    assert res.all_ceased is not None and (res.all_ceased.Db, res.all_ceased.Cb) == (1, 1)
    assert res.to_dict()["before_days"] is None  # bare bounds, no calendar days


def test_interpretation_of_the_wdq_in_the_result() -> None:
    w = wdq(Ra=2, Rb=10, Da=6, Db=4, Ca=25, Cb=20)
    assert w.to_dict()["interpretation"] == interpret_wdq(w)
    assert interpret_wdq(w).startswith("displacement to the buffer, smaller")
    assert w.to_dict()["reading"] == "displacement"
    undefined = wdq(Ra=5, Rb=10, Da=3, Db=3, Ca=0, Cb=10)
    assert interpret_wdq(undefined) == undefined.reason
    assert undefined.to_dict()["reading"] == "undefined"


def test_place_level_coordinates_become_a_note_and_a_warning() -> None:
    # 30 incidents on two points (two municipality centres): place-level data.
    pts = [(2500, 5000, "violence"), (7500, 5000, "violence")] * 15
    assert place_level_warning(_inc(pts), len(REGION))
    r = crime_concentration(_inc(pts), SCENES, REGION, "2023-01-01", "2024-01-01", "2023")
    assert len(r.warnings) == 1 and "place-level" in r.warnings[0]
    assert r.warnings[0] in r.notes and r.to_dict()["warnings"] == r.warnings
    spread = [(1000 + 97 * i, 2000 + 31 * i, "violence") for i in range(30)]
    assert place_level_warning(_inc(spread), len(REGION)) is None


def test_displacement_counts_match_exact_distances_on_random_points() -> None:
    # Oracle: GEOS distances to each scene; R inside, D within 200 m, C in the scene's
    # municipality beyond 200 m of every scene (of both rounds).
    rng = np.random.default_rng(4)
    boxes = [shapely.box(x, y, x + 90, y + 60) for x, y in rng.uniform(500, 9000, (6, 2))]
    ceased = gpd.GeoDataFrame({"scene_id": list("ABC")}, geometry=boxes[:3], crs=3006)
    scenes = gpd.GeoDataFrame({"scene_id": list("ABCDEF")}, geometry=boxes, crs=3006)
    n = 20_000
    x, y = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
    times = np.where(rng.random(n) < 0.5, "2023-03-01", "2023-09-01")
    inc = pd.DataFrame(
        {"time": pd.to_datetime(times, utc=True), "category": "violence", "x": x, "y": y}
    )
    res = displacement(
        inc, ceased, scenes, REGION, ("2023-01-01", "2023-07-01"), ("2023-07-01", "2024-01-01")
    )
    pts = shapely.points(x, y)
    d = np.stack([shapely.distance(g, pts) for g in boxes])  # 0 inside and on the edge
    beyond = d.min(axis=0) > 200
    muni = np.stack([shapely.intersects(g, pts) for g in REGION.geometry])
    after = times == "2023-09-01"

    def six(r: np.ndarray, dd: np.ndarray, c: np.ndarray) -> tuple[int, ...]:
        return tuple(int((m & p).sum()) for m in (r, dd, c) for p in (after, ~after))

    for k, row in enumerate(res.scenes):
        in_muni = muni[shapely.intersects(REGION.geometry.values, boxes[k])].any(axis=0)
        exp = six(d[k] == 0, (d[k] > 0) & (d[k] <= 200), beyond & in_muni)
        assert (row["Ra"], row["Rb"], row["Da"], row["Db"], row["Ca"], row["Cb"]) == exp
    dc = d[:3].min(axis=0)
    in_any = muni[shapely.intersects(REGION.geometry.values, shapely.union_all(boxes[:3]))]
    exp = six(dc == 0, (dc > 0) & (dc <= 200), beyond & in_any.any(axis=0))
    w = res.all_ceased
    assert w is not None and (w.Ra, w.Rb, w.Da, w.Db, w.Ca, w.Cb) == exp


@pytest.mark.parametrize("tz", ["UTC", "Europe/Stockholm"])
def test_in_period_on_aware_nanoseconds_is_the_timestamp_comparison(tz):
    """The integer comparison of aware nanosecond times keeps exactly the rows the
    Timestamp comparison keeps: bounds, NaT, other zones, naive and text bounds."""
    from drugscenes.analysis.crime import in_period

    rng = np.random.default_rng(3)
    ns = rng.integers(1_640_995_200, 1_704_067_200, 20_000) * 10**9 + rng.integers(0, 10**9, 20_000)
    times = pd.Series(pd.to_datetime(ns, utc=True)).dt.tz_convert(tz)
    times.iloc[::97] = pd.NaT
    times.iloc[1] = pd.Timestamp("2023-01-01", tz="UTC")  # exactly at the start: in
    times.iloc[2] = pd.Timestamp("2023-07-01", tz="UTC")  # exactly at the end: out
    df = pd.DataFrame({"time": times, "i": np.arange(len(times))})
    as_text = df.assign(time=df["time"].astype(object))  # the Timestamp path
    for start, end in [
        ("2023-01-01", "2023-07-01"),
        (pd.Timestamp("2022-03-27 03:30", tz="Europe/Stockholm"), "2022-10-30T01:00:00+00:00"),
        ("1900-01-01", "2300-01-01"),  # beyond the nanosecond range: the Timestamp path
    ]:
        fast = in_period(df, start, end)["i"].to_numpy()
        slow = in_period(as_text, start, end)["i"].to_numpy()
        assert fast.tolist() == slow.tolist()
        assert (1 in fast and 2 not in fast) or start != "2023-01-01"


def _random_incidents(n: int, seed: int) -> pd.DataFrame:
    """Incidents around the scenes and over the region, some outside the period, with a
    category that police activity flags only sometimes."""
    rng = np.random.default_rng(seed)
    near = rng.uniform(800, 1400, (n // 2, 2))
    far = rng.uniform(-50, 10_050, (n - n // 2, 2))
    xy = np.concatenate([near, far])
    cats = rng.choice(["violence", "shooting", "drug offence", "other", "theft"], n)
    ns = rng.integers(1_672_531_200, 1_704_067_200, n) * 10**9  # 2023, UTC
    ns[:50] = pd.Timestamp("2022-12-31 22:30", tz="UTC").value  # before the local year
    return pd.DataFrame(
        {
            "time": pd.to_datetime(ns, utc=True),
            "category": cats,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "police_activity": (cats == "drug offence") | ((cats == "theft") & (xy[:, 0] < 900)),
        }
    )


def _arrow(frame: pd.DataFrame, pieces: int) -> pa.Table:
    """The frame as a store reads it: ``category`` dictionary-encoded, in record batches
    whose dictionaries differ (each batch encodes its own rows, shuffled differently)."""
    batches = []
    for k, rows in enumerate(np.array_split(np.arange(len(frame)), pieces)):
        part = frame.iloc[rows]
        values = sorted(set(part["category"]), reverse=bool(k % 2))
        codes = pd.Categorical(part["category"], categories=values).codes.astype(np.int32)
        category = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(values))
        batches.append(
            pa.RecordBatch.from_arrays(
                [
                    pa.array(part["time"]),
                    category,
                    pa.array(part["x"].to_numpy()),
                    pa.array(part["y"].to_numpy()),
                    pa.array(part["police_activity"].to_numpy()),
                ],
                names=["time", "category", "x", "y", "police_activity"],
            )
        )
    return pa.Table.from_batches(batches)


@pytest.mark.parametrize("per_municipality", [False, True])
def test_arrow_table_counts_as_the_frame(per_municipality: bool) -> None:
    """A store's Arrow table (coded categories, one dictionary per batch) is counted chunk by
    chunk to the same result as the frame; tables the chunked count does not take (plain
    text categories, a missing coordinate, a missing time) go through pandas, as before."""
    frame = _random_incidents(20_000, 5)
    period = Period.parse("2023-01-01", "2023-12-31")

    def result(incidents: pd.DataFrame | pa.Table) -> dict:
        r = crime_concentration(
            incidents, SCENES, REGION, period.start, period.end, "2023",
            rings_m=(100, 200), per_municipality=per_municipality, period_days=period,
        )  # fmt: skip
        return json.loads(json.dumps(r.to_dict()))  # NaN == NaN as text

    expected = result(frame)
    kept = (frame["time"] >= period.start) & (frame["time"] < period.end)
    assert expected["n_incidents"] == kept.sum() <= 20_000 - 50
    table = _arrow(frame, 7)
    assert _arrow_countable(table)  # counted chunk by chunk, not through pandas
    assert len({b.column("category").dictionary.to_pylist()[0] for b in table.to_batches()}) > 1
    assert result(table) == expected
    assert result(
        _arrow(frame, 1).cast(table.schema.set(1, pa.field("category", pa.string())))
    ) == (expected)
    with_null = frame.assign(x=frame["x"].astype(object))
    with_null.loc[7, "x"] = None
    assert result(pa.Table.from_pandas(with_null, preserve_index=False)) == result(with_null)


def test_arrow_table_without_a_needed_column_is_refused() -> None:
    table = _arrow(_random_incidents(100, 1), 1).drop_columns(["y"])
    with pytest.raises(UsageError, match="lack columns"):
        crime_concentration(table, SCENES, REGION, "2023-01-01", "2024-01-01", "2023")
