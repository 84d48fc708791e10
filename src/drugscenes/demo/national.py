"""A synthetic Sweden-size case: about 290 municipalities, 2,000 scenes in two rounds,
tens of millions of incidents over ten years and a survey of a million respondents.

For measuring how time and memory grow with the data (``benchmarks/e2e.py --national``),
and, at small scale, for tests. Everything is invented: the municipalities are Voronoi
cells of seeds drawn over a rough outline of Sweden in SWEREF 99 TM (EPSG:3006), denser in
the south; populations are log-normal with three large cities; scenes cluster around the
centres of the populous municipalities; incidents are drawn by
:func:`drugscenes.demo.incidents.generate_incidents` year by year (so memory stays one
year's), and the survey by :func:`drugscenes.demo.survey.generate_survey`.

Writers for incident files (:func:`write_incidents_geoparquet`, :func:`write_incidents_csv`)
take an iterable of frames, so a file of 30 M rows is written a year at a time.

Examples
--------
>>> case = make_national(n_municipalities=12, n_scenes=30, seed=1)
>>> len(case.municipalities), len(case.rounds["2023"]), case.municipalities["code"].is_unique
(12, 30, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from drugscenes import CRS_EPSG
from drugscenes.demo.incidents import generate_incidents, scenes_at_points
from drugscenes.demo.survey import generate_survey
from drugscenes.io.wkb import geoparquet_metadata, points_wkb

SWEDEN_OUTLINE = (
    (387_000, 6_135_000),
    (440_000, 6_145_000),
    (530_000, 6_220_000),
    (590_000, 6_280_000),
    (600_000, 6_400_000),
    (620_000, 6_500_000),
    (700_000, 6_560_000),
    (720_000, 6_640_000),
    (640_000, 6_720_000),
    (630_000, 6_920_000),
    (760_000, 7_080_000),
    (850_000, 7_290_000),
    (915_000, 7_310_000),
    (880_000, 7_450_000),
    (820_000, 7_600_000),
    (720_000, 7_670_000),
    (640_000, 7_560_000),
    (560_000, 7_420_000),
    (450_000, 7_250_000),
    (370_000, 7_050_000),
    (340_000, 6_900_000),
    (330_000, 6_700_000),
    (285_000, 6_540_000),
    (320_000, 6_400_000),
    (360_000, 6_220_000),
    (370_000, 6_160_000),
)
"""A rough outline of Sweden in EPSG:3006 (metres): the region of the national case."""

ROUND_DATES = {"2023": "2023-10-01", "2024": "2024-10-01"}
"""The two mapping rounds of the case and their dates."""

YEARS = tuple(range(2015, 2025))
"""The ten years of incidents."""


@dataclass(frozen=True)
class NationalCase:
    """The synthetic country.

    Attributes
    ----------
    municipalities : GeoDataFrame
        ``code`` (4 digits), ``name``, ``population``, polygon geometry (EPSG:3006).
    rounds : dict of str to GeoDataFrame
        The scenes of each round (``scene_id``, ``name``, ``geometry``): round 2024 keeps
        90 % of round 2023's scenes and adds 5 % new ones.
    """

    municipalities: gpd.GeoDataFrame
    rounds: dict[str, gpd.GeoDataFrame]


def _inside(rng: np.random.Generator, geom: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` points uniform in ``geom`` (rejection in its bounding box), shape (n, 2)."""
    x0, y0, x1, y1 = geom.bounds
    out = np.empty((0, 2))
    shapely.prepare(geom)
    while len(out) < n:
        p = np.c_[rng.uniform(x0, x1, 4 * n + 16), rng.uniform(y0, y1, 4 * n + 16)]
        out = np.vstack([out, p[shapely.contains_xy(geom, p[:, 0], p[:, 1])]])
    return out[:n]


def make_national(
    n_municipalities: int = 290, n_scenes: int = 2_000, seed: int = 2026
) -> NationalCase:
    """The municipalities and the two rounds of scenes of the synthetic country.

    Parameters
    ----------
    n_municipalities : int
        Number of municipalities (Voronoi cells; about 290 for Sweden).
    n_scenes : int
        Scenes of round 2023.
    seed : int
        Seed; equal arguments give equal cases.

    Returns
    -------
    NationalCase
    """
    rng = np.random.default_rng(seed)
    outline = shapely.Polygon(SWEDEN_OUTLINE)
    # Seeds denser in the south: accept a point with a probability falling with northing.
    y0 = outline.bounds[1]
    seeds = np.empty((0, 2))
    while len(seeds) < n_municipalities:
        p = _inside(rng, outline, 4 * n_municipalities)
        keep = rng.random(len(p)) < np.exp(-(p[:, 1] - y0) / 4.0e5)
        seeds = np.vstack([seeds, p[keep]])
    seeds = seeds[:n_municipalities]
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline, ordered=True)
    geoms = shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)
    order = np.lexsort((seeds[:, 0], -seeds[:, 1]))  # codes from north to south, then west
    geoms, seeds = geoms[order], seeds[order]
    population = np.exp(rng.normal(9.7, 0.9, n_municipalities)) * np.exp(
        -(seeds[:, 1] - y0) / 8.0e5
    )
    cities = rng.choice(np.flatnonzero(seeds[:, 1] < y0 + 5.0e5), 3, replace=False)
    population[cities] = [9.8e5, 6.0e5, 3.6e5]
    codes = [f"{1 + i // 99:02d}{1 + i % 99:02d}" for i in range(n_municipalities)]
    municipalities = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"Kommun {c}" for c in codes],
            "population": np.round(population).astype(np.int64),
        },
        geometry=list(geoms),
        crs=CRS_EPSG,
    )
    # Scenes: per municipality by population^1.3, around its centre (seed), inside it.
    w = population**1.3
    per = rng.multinomial(n_scenes, w / w.sum())
    pts = []
    for k in np.flatnonzero(per):
        spread = 1_000.0 + 3_000.0 * rng.random()
        g = shapely.buffer(geoms[k], -150.0)
        if g.is_empty:
            g = geoms[k]
        got = np.empty((0, 2))
        while len(got) < per[k]:
            p = seeds[k] + rng.normal(0, spread, (4 * per[k], 2))
            got = np.vstack([got, p[shapely.contains_xy(g, p[:, 0], p[:, 1])]])
            spread *= 0.7  # a small or odd cell: draw closer to its centre
        pts.append(got[: per[k]])
    xy = np.vstack(pts)
    r23 = scenes_at_points(xy[:, 0], xy[:, 1], seed=seed, prefix="S")
    r23["name"] = [f"Plats {i + 1}" for i in range(len(r23))]
    kept = r23[rng.random(len(r23)) >= 0.10]
    n_new = max(1, n_scenes // 20)
    new_xy = xy[rng.choice(len(xy), n_new)] + rng.normal(0, 600.0, (n_new, 2))
    new = scenes_at_points(new_xy[:, 0], new_xy[:, 1], seed=seed + 1, prefix="N")
    ok = shapely.contains(outline, new.geometry.to_numpy())
    new = new[ok]
    new["name"] = [f"Ny plats {i + 1}" for i in range(len(new))]
    r24 = pd.concat([kept, new], ignore_index=True)
    return NationalCase(municipalities, {"2023": r23, "2024": gpd.GeoDataFrame(r24, crs=CRS_EPSG)})


def national_incidents(
    case: NationalCase, n: int, years: Iterable[int] = YEARS, seed: int = 2026
) -> Iterator[pd.DataFrame]:
    """``n`` incidents spread evenly over ``years``, one frame per year, concentrated at the
    scenes of the round in force (round 2023 up to 2023, round 2024 after).

    Frames as :func:`drugscenes.demo.incidents.generate_incidents` makes them; ids are
    ``se-<year>-<k>``.
    """
    years = list(years)
    sizes = np.full(len(years), n // len(years))
    sizes[: n % len(years)] += 1
    for year, m in zip(years, sizes, strict=True):
        scenes = case.rounds["2024" if year >= 2024 else "2023"]
        yield generate_incidents(
            case.municipalities,
            scenes,
            int(m),
            f"{year}-01-01",
            f"{year + 1}-01-01",
            seed=seed + year,
            id_prefix=f"se-{year}-",
        )


def national_survey(case: NationalCase, n: int = 1_000_000, seed: int = 2026) -> pd.DataFrame:
    """A survey of ``n`` respondents around the scenes of round 2023 (see
    :func:`drugscenes.demo.survey.generate_survey`)."""
    return generate_survey(case.municipalities, case.rounds["2023"], n, seed)


def _source_table(frame: pd.DataFrame) -> pa.Table:
    """The columns of an incident file: ``id``, ``time``, ``type``, ``x``, ``y``."""
    return pa.table(
        {
            "id": pa.array(frame["incident_id"]).cast(pa.string()),
            "time": pa.array(frame["time"]).cast(pa.timestamp("ns", tz="UTC")),
            "type": pa.array(frame["source_type"]).cast(pa.string()),
            "x": pa.array(frame["x"].to_numpy(), pa.float64()),
            "y": pa.array(frame["y"].to_numpy(), pa.float64()),
        }
    )


def write_incidents_geoparquet(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write incidents as a GeoParquet 1.0 file (``id``, ``time``, ``type``, ``x``, ``y`` and
    point ``geometry`` in EPSG:3006), a frame at a time; returns the number of rows."""
    writer = None
    n = 0
    try:
        for frame in frames:
            t = _source_table(frame)
            t = t.append_column(
                "geometry", points_wkb(frame["x"].to_numpy(), frame["y"].to_numpy())
            )
            if writer is None:
                schema = t.schema.with_metadata({b"geo": geoparquet_metadata()})
                writer = pq.ParquetWriter(str(path), schema)
            writer.write_table(t.cast(writer.schema), row_group_size=1 << 20)
            n += t.num_rows
    finally:
        if writer is not None:
            writer.close()
    return n


def write_incidents_csv(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write incidents as CSV (``id,time,type,x,y``; ISO times in UTC with ``Z``, x and y
    in EPSG:3006 with 0.1 m), a frame at a time; returns the number of rows."""
    n = 0
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        for frame in frames:
            t = _source_table(frame)
            seconds = t["time"].cast(pa.timestamp("s", tz="UTC"), safe=False)
            t = t.set_column(1, "time", pc.strftime(seconds, "%Y-%m-%dT%H:%M:%SZ"))
            for name in ("x", "y"):
                t = t.set_column(t.schema.get_field_index(name), name, pc.round(t[name], 1))
            if writer is None:
                writer = pacsv.CSVWriter(sink, t.schema)
            writer.write_table(t)
            n += t.num_rows
        if writer is not None:
            writer.close()
    return n
