"""Deterministic synthetic incident files with every kind of bad row, for the import tests
and benchmarks.

:func:`write_corpus` writes ``n`` incidents of the demo county (the demo generator's
points, types and times) as one of three files and spoils a known share of the rows:
times in every accepted form and in unparseable, out-of-range, non-existent and
ambiguous (daylight-saving) forms; missing, unparseable and infinite coordinates;
points outside the region; unmapped, excluded and missing types; missing, padded and
repeated ids. The same ``n`` and ``kind`` give the same bytes.

Kinds
-----
``csv``
    ``,``-separated, ``id,time,type,x,y`` in EPSG:3006 (import with ``--crs 3006``).
``csv-sv``
    Swedish Excel: ``;``-separated, decimal comma, ``händelse_id;tidpunkt;brottstyp;
    lat;lon`` in WGS84.
``parquet``
    GeoParquet points in WGS84 (``geometry`` WKB, some empty or missing), ``id``,
    ``time`` (text) and ``type``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KINDS = ("csv", "csv-sv", "parquet")
"""The file kinds :func:`write_corpus` writes."""

_BAD_TIMES = [
    "2023-02-30 10:00",
    "not a date",
    "",
    "1850-06-01 12:00",
    "2300-01-01",
    "2023-03-26 02:30",  # does not exist in Stockholm (spring forward)
    "2023-10-29 02:30",  # happens twice (fall back)
    "-782",
    "2023-13-01T00:00:00Z",
    "2023-06-01T25:00:00",
]
_BAD_TYPES = ["Påhittad händelse", "", "Sammanfattning natt", "Information", "  "]
_ODD_TYPES = ["  skottlossning ", "MISSHANDEL", "Misshandel,  grov", "narkotikabrott"]


def _time_texts(times: pd.Series, form: np.ndarray) -> np.ndarray:
    """The UTC ``times`` written in one of several accepted forms each (by ``form``).

    Formatted by Arrow (pandas' ``strftime`` of 1 M local times takes half a minute);
    the texts are those of pandas' ``strftime`` (``%f``: microseconds).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    utc = pa.array(times.dt.tz_convert("UTC")).cast(pa.timestamp("ns", tz="UTC"))
    sec = utc.cast(pa.timestamp("s", tz="UTC"), safe=False)
    local = sec.cast(pa.timestamp("s", tz="Europe/Stockholm"))
    sub_ns = pc.subtract(utc.cast(pa.int64()), pc.multiply(sec.cast(pa.int64()), 1_000_000_000))
    micro = pc.utf8_lpad(pc.cast(pc.divide(sub_ns, 1000), pa.string()), 6, "0")
    offset = pc.strftime(local, format="%z")
    offset_colon = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(offset, 0, 3), pc.utf8_slice_codeunits(offset, 3, 5), ":"
    )

    def fmt(a: pa.Array, pattern: str) -> pa.Array:
        return pc.strftime(a, format=pattern)

    def join(*parts: pa.Array | str) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    forms = [
        fmt(sec, "%Y-%m-%dT%H:%M:%SZ"),  # the demo's form
        fmt(local, "%Y-%m-%d %H:%M:%S"),  # local time, no offset
        fmt(local, "%Y-%m-%d %H:%M"),
        join(fmt(local, "%Y-%m-%dT%H:%M:%S"), offset_colon),
        fmt(local, "%Y-%m-%d"),
        join(
            fmt(local, "%Y-%m-%d "), pc.cast(pc.hour(local), pa.string()), fmt(local, ":%M:%S %z")
        ),  # the Police API's form, one-digit hours
        join(fmt(sec, "%Y-%m-%dT%H:%M:%S."), micro, "Z"),
        fmt(local, "%Y-%m-%dT%H:%M:%S"),
    ]
    chosen = pc.choose(pa.array(form.astype(np.int8)), *forms)
    return np.asarray(chosen.to_pylist(), dtype=object)


def corpus_frame(n: int, seed: int = 14) -> pd.DataFrame:
    """``n`` rows as text: ``id``, ``time``, ``type``, ``x``, ``y`` (EPSG:3006), ``lon``,
    ``lat`` (WGS84), with the spoiled rows of the module docstring."""
    from pyproj import Transformer

    from drugscenes.demo.incidents import generate_incidents
    from drugscenes.demo.region import make_region, make_rounds

    region = make_region()
    base = generate_incidents(
        region.municipalities, make_rounds(region)["2023"], n, "2022-01-01", "2025-01-01", seed
    )
    rng = np.random.default_rng(seed)
    ids = base["incident_id"].to_numpy(dtype=object).copy()
    times = _time_texts(base["time"], rng.choice(8, size=n, p=[0.55] + [0.45 / 7] * 7))
    types = base["source_type"].astype(str).to_numpy(dtype=object).copy()
    x = base["x"].to_numpy(float).copy()
    y = base["y"].to_numpy(float).copy()
    # points outside the region (far east, in the sea) and coordinates with many digits
    out = rng.random(n) < 0.004
    x[out] += 400_000.0
    fine = rng.random(n) < 0.3
    x[~fine], y[~fine] = np.round(x[~fine], 1), np.round(y[~fine], 1)
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(x, y)
    xs = np.array([repr(float(v)) for v in x], dtype=object)
    ys = np.array([repr(float(v)) for v in y], dtype=object)
    lons = np.array([f"{v:.7f}" for v in lon], dtype=object)
    lats = np.array([f"{v:.7f}" for v in lat], dtype=object)

    def pick(share: float) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < share)

    k = pick(0.004)
    times[k] = rng.choice(np.array(_BAD_TIMES, dtype=object), size=k.size)
    k = pick(0.003)
    types[k] = rng.choice(np.array(_BAD_TYPES, dtype=object), size=k.size)
    k = pick(0.003)
    types[k] = rng.choice(np.array(_ODD_TYPES, dtype=object), size=k.size)
    for arr in (xs, lons):
        k = pick(0.002)
        arr[k] = rng.choice(np.array(["", "abc", "inf", "nan"], dtype=object), size=k.size)
    k = pick(0.001)
    ids[k] = rng.choice(np.array(["", " "], dtype=object), size=k.size)
    k = pick(0.001)
    ids[k] = np.array([" " + str(v) + " " for v in ids[k]], dtype=object)
    k = pick(0.002)  # repeat the id of an earlier row (sometimes a later one)
    ids[k] = ids[np.clip(k - rng.integers(-5, 50, size=k.size), 0, n - 1)]
    return pd.DataFrame(
        {"id": ids, "time": times, "type": types, "x": xs, "y": ys, "lon": lons, "lat": lats}
    )


def write_corpus(folder: Path, n: int, kind: str, seed: int = 14) -> Path:
    """Write the corpus of ``n`` rows as a file of ``kind`` (see :data:`KINDS`) in ``folder``."""
    frame = corpus_frame(n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        path = folder / f"incidents-{n}.csv"
        frame[["id", "time", "type", "x", "y"]].to_csv(path, index=False)
    elif kind == "csv-sv":
        path = folder / f"incidents-{n}-sv.csv"
        sv = frame[["id", "time", "type", "lat", "lon"]].copy()
        sv.columns = ["händelse_id", "tidpunkt", "brottstyp", "lat", "lon"]
        for c in ("lat", "lon"):
            sv[c] = sv[c].str.replace(".", ",", regex=False)
        sv.to_csv(path, index=False, sep=";")
    elif kind == "parquet":
        import geopandas as gpd
        import shapely

        path = folder / f"incidents-{n}.parquet"
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
        geom = shapely.points(lon, lat)
        rng = np.random.default_rng(seed + 1)
        empty = rng.random(len(frame)) < 0.001
        geom[empty] = shapely.from_wkt("POINT EMPTY")
        geom[rng.random(len(frame)) < 0.001] = None
        gdf = gpd.GeoDataFrame(
            frame[["id", "time", "type"]], geometry=gpd.GeoSeries(geom), crs=4326
        )
        gdf.to_parquet(path, index=False)
    else:  # pragma: no cover - a test's own mistake
        raise ValueError(f"unknown corpus kind {kind!r}")
    return path
