"""Deterministic synthetic safety survey for demos, tests and benchmarks.

The respondents are invented: homes drawn partly around the scenes and partly evenly over the
region, a stratified cluster design (strata = municipalities, PSUs = 1 km squares of homes within
a municipality), design weights, and answers whose probability of "unsafe" falls with the distance
to the nearest scene. The probability is calibrated on the drawn sample so that, in expectation,
the weighted share unsafe is ``share_near`` (default 36 %) within ``near_m`` (500 m) and
``share_overall`` (21 %) in the whole region: the published 2023 figures of the regional safety
survey (see docs on perceived safety). Nothing here is real survey data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from drugscenes.analysis.survey import municipality_of, nearest_scene_distance
from drugscenes.errors import UsageError

DECAY_M = 1000.0
"""Distance scale (m) of the fall of P(unsafe): p(d) = p_far + A exp(-d / DECAY_M)."""


def generate_survey(
    municipalities: gpd.GeoDataFrame,
    scenes: gpd.GeoDataFrame,
    n: int = 20_000,
    seed: int = 2023,
    *,
    share_near: float = 0.36,
    share_overall: float = 0.21,
    near_m: float = 500.0,
    near_fraction: float = 0.5,
    spread_m: float = 1500.0,
    missing_share: float = 0.02,
    psu_size_m: float = 1000.0,
    effect: float = 0.0,
    effect_scenes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Draw a synthetic survey.

    Parameters
    ----------
    municipalities : GeoDataFrame
        ``code``, ``geometry`` in EPSG:3006: the region (strata).
    scenes : GeoDataFrame
        Scene polygons in EPSG:3006.
    n : int
        Number of respondents.
    seed : int
        Seed of the random generator; the same inputs and seed give the same survey.
    share_near, share_overall : float
        Calibration targets: expected weighted share unsafe within ``near_m`` and overall.
    near_m : float
        Distance of the "near" target, metres.
    near_fraction : float
        Share of homes drawn around scenes (normal, sd ``spread_m``) rather than evenly; these are
        over-sampled and get smaller design weights.
    spread_m : float
        Spread of the homes drawn around scenes.
    missing_share : float
        Share answering "vet ej".
    psu_size_m : float
        Side of the squares that form the PSUs.
    effect : float
        A planted change of P(unsafe) (e.g. -0.10) for respondents whose nearest scene
        within ``near_m`` is one of ``effect_scenes`` (the grouping of
        :func:`drugscenes.analysis.evaluation.near_groups`), added after the calibration.
    effect_scenes : bool array, optional
        Which of ``scenes`` get the effect (e.g. those worked away before the survey).

    Returns
    -------
    DataFrame
        ``respondent_id``, ``x``, ``y`` (EPSG:3006), ``weight``, ``unsafe`` (Int8, <NA> for
        "vet ej"), ``answer`` (Swedish answer text), ``stratum``, ``psu``, ``municipality_code``.

    Examples
    --------
    >>> import shapely
    >>> mun = gpd.GeoDataFrame({"code": ["0180"]}, geometry=[shapely.box(0, 0, 8000, 8000)],
    ...                        crs=3006)
    >>> sc = gpd.GeoDataFrame(geometry=[shapely.box(3900, 3900, 4100, 4100)], crs=3006)
    >>> s = generate_survey(mun, sc, n=500, seed=1)
    >>> len(s), s["respondent_id"].is_unique, bool((s["weight"] > 0).all())
    (500, True, True)
    """
    if n < 2:
        raise UsageError(f"'n' must be at least 2, got {n}")
    if not 0 < share_overall < 1 or not 0 < share_near < 1:
        raise UsageError("shares must lie strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    region = municipalities.geometry.union_all()
    cent = scenes.geometry.centroid
    sx, sy = cent.x.to_numpy(), cent.y.to_numpy()
    rx0, ry0, rx1, ry1 = region.bounds

    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    near_flag: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    have = 0
    while have < n:  # rejection rounds (a handful), each vectorised
        m = 2 * (n - have) + 100
        near = rng.random(m) < near_fraction
        k = rng.integers(0, len(sx), m)
        x = np.where(near, sx[k] + rng.normal(0, spread_m, m), rng.uniform(rx0, rx1, m))
        y = np.where(near, sy[k] + rng.normal(0, spread_m, m), rng.uniform(ry0, ry1, m))
        code = municipality_of(x, y, municipalities)
        ok = ~pd.isna(code)
        xs.append(x[ok])
        ys.append(y[ok])
        near_flag.append(near[ok])
        codes.append(code[ok])
        have += int(ok.sum())
    x = np.concatenate(xs)[:n]
    y = np.concatenate(ys)[:n]
    near = np.concatenate(near_flag)[:n]
    code = np.concatenate(codes)[:n].astype(str)

    # Design: strata = municipalities, PSUs = squares (numbered within the stratum, as nested
    # PSU labels are); homes near scenes are over-sampled.
    gx = np.floor((x - rx0) / psu_size_m).astype(np.int64)
    gy = np.floor((y - ry0) / psu_size_m).astype(np.int64)
    stratum, psu = _no_lonely_psu(code, gx * (int(gy.max()) + 1) + gy)
    weight = np.where(near, 0.6, 1.4) * rng.uniform(0.7, 1.3, n) * 150.0

    # Answers: p(d) = p_far + a * exp(-d / DECAY_M), calibrated on this sample.
    d = nearest_scene_distance(x, y, scenes)
    e = np.exp(-d / DECAY_M)
    close = d <= near_m
    e_all = np.average(e, weights=weight)
    e_near = np.average(e[close], weights=weight[close]) if close.any() else e_all
    a = (share_near - share_overall) / (e_near - e_all) if e_near - e_all > 1e-9 else 0.0
    p = share_overall - a * e_all + a * e
    if effect and effect_scenes is not None:
        from drugscenes.analysis.evaluation import near_groups

        status = np.where(np.asarray(effect_scenes, bool), "ceased", "persisting")
        p = p + effect * (near_groups(x, y, scenes, status, near_m) == "ceased")
    p = np.clip(p, 0.005, 0.995)
    unsafe = rng.random(n) < p
    missing = rng.random(n) < missing_share
    strong = rng.random(n)
    answer = np.where(
        unsafe,
        np.where(strong < 0.35, "mycket otrygg", "ganska otrygg"),
        np.where(strong < 0.45, "mycket trygg", "ganska trygg"),
    ).astype(object)
    answer[missing] = "vet ej"
    coded = pd.array(unsafe.astype(np.int8), dtype="Int8")
    coded[missing] = pd.NA
    return pd.DataFrame(
        {
            "respondent_id": [f"R{i:07d}" for i in range(1, n + 1)],
            "x": x,
            "y": y,
            "weight": np.round(weight, 3),
            "unsafe": coded,
            "answer": answer,
            "stratum": stratum,
            "psu": psu,
            "municipality_code": code,
        }
    )


def _no_lonely_psu(stratum: np.ndarray, psu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make every stratum have two or more PSUs: strata with one respondent join the largest
    stratum; a stratum with one PSU is split into two by row parity."""
    counts = pd.Series(stratum).value_counts()
    stratum = np.where(pd.Series(stratum).map(counts).to_numpy() < 2, counts.index[0], stratum)
    frame = pd.DataFrame({"s": stratum, "p": psu})
    n_psu = frame.groupby("s")["p"].transform("nunique").to_numpy()
    half = frame.groupby("s").cumcount().to_numpy() % 2
    psu = np.where(n_psu < 2, 2 * psu + half, psu)
    return stratum.astype(object), psu.astype(np.int64)
