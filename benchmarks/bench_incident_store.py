"""Benchmark of the incident store: our year-partitioned GeoParquet against a GeoPackage.

The issue asks that tens of millions of incidents fit and that an analysis reads
only the period it needs. This measures, for N synthetic incidents spread evenly
over 2023-2025 (drugscenes.demo: the demo county and its 2023 round, municipality
codes assigned as on import):

- ours: ``write_incidents`` into an empty folder, the same rows written again (an
  idempotent re-import: every id replaced, every year rewritten), ``read_incidents``
  for 2024 (the period an analysis needs) and for everything; the disk size of the
  live version; ``count_incidents`` (Parquet footers only);
- gpkg: what a user would otherwise pick, ``pyogrio.write_dataframe`` (what
  ``GeoDataFrame.to_file`` calls) of a Point layer in EPSG:3006 with the same columns
  (incident_id, time, source_type, category, police_activity, municipality_code; x
  and y are the geometry) and its R-tree spatial index (GDAL's default), plus an
  attribute index ``CREATE INDEX ... ON incidents(time)`` so that the year query
  can use it (we print SQLite's plan to show it does). Rows are written sorted by
  time, the layout most favourable to a time-range query. ``time`` is stored by
  GDAL as ISO 8601 text (``2024-06-11T15:58:59.123Z``), so the year is read with
  ``where="time >= '2024-01-01T00:00:00' AND time < '2025-01-01T00:00:00'"``;
  pyogrio's default (non-Arrow) path, i.e. ``to_file``/``read_file`` defaults;
- gpkg-arrow: the same through GDAL's Arrow stream (``use_arrow=True`` for both
  writing and reading), the fastest way in; see the note printed below its row;
- duckdb: DuckDB (if it imports) reading our Parquet files for 2024 and for all,
  with the same time and year filter, into pandas.

Every read ends with x/y as NumPy arrays (what the analyses use): ours and DuckDB
read the stored ``x``/``y`` columns, the GeoPackage reads decode the point blobs to
shapely geometries and take their coordinates (included in the time). Writes start
from the same pandas frame, read from an input file before the clock starts; for
the GeoPackage the time includes making the points (``points_from_xy``).

Each phase (write, rewrite, read one year, read all) runs in its own process, so
peak memory (VmHWM) is the phase's own, input frame included for writes. Reads are
from the page cache (files just written), as on a workstation re-running analyses.
pyarrow and DuckDB use both cores; GDAL/SQLite use one.

Usage::

    .venv/bin/python benchmarks/bench_incident_store.py --n 1e6,1e7 \
        [--methods ours,gpkg,gpkg-arrow,duckdb]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SPAN = ("2023-01-01", "2026-01-01")
YEAR = ("2024-01-01", "2025-01-01")
_WHERE = f"time >= '{YEAR[0]}T00:00:00' AND time < '{YEAR[1]}T00:00:00'"
PHASES = ("write", "rewrite", "read_year", "read_all")


def _peak_mib() -> float:
    # VmHWM is this process's own peak RSS; ru_maxrss would include the parent's RSS at
    # fork (Linux carries it across exec).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk_mib(path: Path) -> float:
    """Bytes under ``path`` (a file or a folder), hard-linked files counted once."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    seen: dict[tuple[int, int], int] = {}
    for f in files:
        st = f.stat()
        seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values()) / 2**20


# -- data -------------------------------------------------------------------------
def make_data(n: int, folder: Path) -> dict[str, str]:
    """Generate the incidents once and save them as the writers' common input."""
    sys.path.insert(0, str(ROOT / "src"))
    from drugscenes.analysis.zones import assign_polygons
    from drugscenes.demo.incidents import generate_incidents
    from drugscenes.demo.region import make_region, make_rounds

    region = make_region()
    munis = region.municipalities
    df = generate_incidents(munis, make_rounds(region)["2023"], n, *SPAN, seed=2023)
    idx = assign_polygons(df["x"], df["y"], munis.geometry.values)
    df["municipality_code"] = munis["code"].to_numpy()[idx]
    inp = folder / "input.parquet"
    df.to_parquet(inp, index=False)
    return {
        "input": str(inp),
        "ours": str(folder / "incidents"),
        "gpkg": str(folder / "incidents.gpkg"),
        "gpkg-arrow": str(folder / "incidents-arrow.gpkg"),
    }


def _check(x: object, police: object) -> dict[str, object]:
    """Row count and checksums of a read, to show every method read the same rows."""
    import numpy as np

    xa = np.asarray(x, dtype=np.float64)
    return {
        "rows": int(xa.size),
        "sum_x_km": float(np.sum(xa) / 1000),
        "police": int(np.sum(np.asarray(police, dtype=bool))),
    }


def _load_input(data: dict[str, str]):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.read_parquet(data["input"])


# -- workers (each phase in its own process) ---------------------------------------
def work_ours(phase: str, data: dict[str, str]) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "src"))
    from drugscenes.store.incidents_parquet import (
        count_incidents,
        read_incidents,
        write_incidents,
    )

    root = Path(data["ours"])
    if phase in ("write", "rewrite"):
        df = _load_input(data)
        t0 = time.perf_counter()
        rows = write_incidents(root, df)
        s = time.perf_counter() - t0
        live = root / (root / "CURRENT").read_text().strip()
        return {"s": s, "rows": rows, "disk_mib": _disk_mib(live)}
    if phase == "read_year":
        t0 = time.perf_counter()
        got = read_incidents(root, *YEAR)
        x, _y = got["x"].to_numpy(), got["y"].to_numpy()
        return {"s": time.perf_counter() - t0, **_check(x, got["police_activity"])}
    t0 = time.perf_counter()
    got = read_incidents(root)
    x, _y = got["x"].to_numpy(), got["y"].to_numpy()
    s = time.perf_counter() - t0
    t1 = time.perf_counter()
    count = count_incidents(root)
    return {
        "s": s,
        "count": count,
        "count_s": time.perf_counter() - t1,
        **_check(x, got["police_activity"]),
    }


def work_gpkg(phase: str, data: dict[str, str], arrow: bool) -> dict[str, object]:
    import sqlite3

    import pyogrio
    import shapely

    path = Path(data["gpkg-arrow" if arrow else "gpkg"])
    if phase == "write":
        import geopandas as gpd

        df = _load_input(data).sort_values("time", kind="stable", ignore_index=True)
        t0 = time.perf_counter()
        gdf = gpd.GeoDataFrame(
            {
                "incident_id": df["incident_id"].astype(str),
                "time": df["time"],
                "source_type": df["source_type"].astype(str),
                "category": df["category"].astype(str),
                "police_activity": df["police_activity"],
                "municipality_code": df["municipality_code"].astype(str),
            },
            geometry=gpd.points_from_xy(df["x"], df["y"]),
            crs=3006,
        )
        t1 = time.perf_counter()
        pyogrio.write_dataframe(gdf, path, layer="incidents", driver="GPKG", use_arrow=arrow)
        t2 = time.perf_counter()
        con = sqlite3.connect(path)
        con.execute("CREATE INDEX incidents_time ON incidents(time)")
        con.commit()
        t3 = time.perf_counter()
        plan = con.execute(f"EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE {_WHERE}").fetchall()
        bad = con.execute(
            "SELECT count(*) FROM incidents WHERE substr(time, 18, 2) >= '60'"
        ).fetchone()[0]
        con.close()
        return {
            "s": t3 - t0,
            "points_s": t1 - t0,
            "write_s": t2 - t1,
            "index_s": t3 - t2,
            "rows": len(gdf),
            "disk_mib": _disk_mib(path),
            "plan": " / ".join(str(r[-1]) for r in plan),
            "seconds_60": int(bad),
        }
    import geopandas  # noqa: F401  (read_dataframe imports it on first use: not timed)

    t0 = time.perf_counter()
    if phase == "read_year":
        got = pyogrio.read_dataframe(path, where=_WHERE, use_arrow=arrow)
    else:
        got = pyogrio.read_dataframe(path, use_arrow=arrow)
    xy = shapely.get_coordinates(got.geometry.values)
    s = time.perf_counter() - t0
    res = {"s": s, "time_dtype": str(got["time"].dtype), **_check(xy[:, 0], got["police_activity"])}
    if phase == "read_all":
        t1 = time.perf_counter()
        res["count"] = int(pyogrio.read_info(path, layer="incidents")["features"])
        res["count_s"] = time.perf_counter() - t1
    return res


def work_duckdb(phase: str, data: dict[str, str]) -> dict[str, object]:
    import duckdb

    root = Path(data["ours"])
    live = root / (root / "CURRENT").read_text().strip()
    cols = "incident_id, time, source_type, category, x, y, police_activity, municipality_code"
    sql = f"SELECT {cols} FROM read_parquet('{live}/year=*/part-*.parquet', hive_partitioning=true)"
    if phase == "read_year":
        sql += (
            f" WHERE time >= TIMESTAMPTZ '{YEAR[0]} 00:00:00+00'"
            f" AND time < TIMESTAMPTZ '{YEAR[1]} 00:00:00+00'"
            f" AND year = {YEAR[0][:4]}"
        )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # Library start-up (pandas/pyarrow imports on first .df()) is outside the clock, as
    # for ours, whose imports happen before its clock starts.
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    con.execute("SELECT 1").df()
    t0 = time.perf_counter()
    got = con.execute(sql).df()
    x = got["x"].to_numpy()
    s = time.perf_counter() - t0
    # The same through Arrow (strings stay Arrow-backed instead of Python objects).
    t1 = time.perf_counter()
    res = con.execute(sql)
    # DuckDB 2 renamed fetch_arrow_table to to_arrow_table.
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
    alt = fetch().to_pandas()
    alt["x"].to_numpy()
    return {
        "s": s,
        "arrow_s": time.perf_counter() - t1,
        "version": duckdb.__version__,
        **_check(x, got["police_activity"]),
    }


def _duckdb_available(python: str) -> bool:
    return subprocess.run([python, "-c", "import duckdb"], capture_output=True).returncode == 0


# -- driver -----------------------------------------------------------------------------
def run_worker(method: str, phase: str, data: dict[str, str]) -> dict[str, object]:
    cmd = [sys.executable, str(HERE), "--worker", f"{method}:{phase}", "--data", json.dumps(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if proc.stderr.strip():
        res["stderr"] = proc.stderr.strip().splitlines()[-1][:160]
    return res


def _phases(method: str) -> tuple[str, ...]:
    if method == "ours":
        return PHASES
    if method == "duckdb":
        return ("read_year", "read_all")
    return ("write", "read_year", "read_all")


def _f(r: dict[str, object] | None, key: str = "s", fmt: str = "8.2f") -> str:
    if r is None:
        return f"{'—':>{int(fmt.split('.')[0])}}"
    if "error" in r:
        return f"{'FAIL':>{int(fmt.split('.')[0])}}"
    return format(float(r[key]), fmt)  # type: ignore[arg-type]


def _peaks(res: dict[str, dict[str, object]]) -> str:
    out = []
    for ph in PHASES:
        r = res.get(ph)
        out.append(f"{float(r['peak_mib']):6.0f}" if r and "peak_mib" in r else f"{'—':>6s}")  # type: ignore[arg-type]
    return " ".join(out)


def print_table(n: int, results: dict[str, dict[str, dict[str, object]]]) -> None:
    print(
        f"  {'method':11s} {'write s':>8s} {'rewrite s':>9s} {'read 1y s':>9s} {'read all s':>10s}"
        f" {'disk MiB':>8s}   peak MiB: {'write':>6s} {'rewr.':>6s} {'1y':>6s} {'all':>6s}"
    )
    for m, res in results.items():
        disk = res.get("rewrite") or res.get("write")
        print(
            f"  {m:11s} {_f(res.get('write'))} {_f(res.get('rewrite'), fmt='9.2f')}"
            f" {_f(res.get('read_year'), fmt='9.2f')} {_f(res.get('read_all'), fmt='10.2f')}"
            f" {_f(disk, 'disk_mib', '8.0f') if m != 'duckdb' else '  (ours)'}"
            f"             {_peaks(res)}"
        )
    ours = results.get("ours", {})
    for m in ("gpkg", "gpkg-arrow", "duckdb"):
        if m not in results:
            continue
        parts = []
        for ph, label in (("write", "write"), ("read_year", "read 1y"), ("read_all", "read all")):
            a, b = results[m].get(ph), ours.get(ph)
            if a and b and "error" not in a and "error" not in b:
                parts.append(f"{label} {float(a['s']) / float(b['s']):.1f}x")  # type: ignore[arg-type]
        a, b = results[m].get("write"), ours.get("rewrite") or ours.get("write")
        if a and b and "disk_mib" in a and "disk_mib" in b:
            parts.append(f"disk {float(a['disk_mib']) / float(b['disk_mib']):.1f}x")  # type: ignore[arg-type]
        for ph, label in (("write", "write"), ("read_year", "read 1y")):
            a, b = results[m].get(ph), ours.get(ph)
            if a and b and "peak_mib" in a and "peak_mib" in b:
                pa_, pb = float(a["peak_mib"]), float(b["peak_mib"])  # type: ignore[arg-type]
                parts.append(f"peak {label} {pa_ / pb:.1f}x")
        print(f"  {m} / ours: " + ", ".join(parts))
    _notes(n, results)


def _notes(n: int, results: dict[str, dict[str, dict[str, object]]]) -> None:
    for m, res in results.items():
        for ph, r in res.items():
            if "error" in r:
                print(f"  ! {m} {ph} FAILED: {r['error']}")
    ours = results.get("ours", {})
    if "read_all" in ours and "count" in ours["read_all"]:
        r = ours["read_all"]
        print(
            f"  ours: count_incidents = {r['count']:,} in {float(r['count_s']) * 1000:.1f} ms"  # type: ignore[arg-type]
            f" (footers only); rows after write {ours['write'].get('rows', '?'):,},"
            f" after rewrite {ours.get('rewrite', {}).get('rows', '?'):,}"
        )
    for m in ("gpkg", "gpkg-arrow"):
        w = results.get(m, {}).get("write")
        if w and "error" not in w:
            print(
                f"  {m}: write = points {float(w['points_s']):.2f} s + write_dataframe"  # type: ignore[arg-type]
                f" {float(w['write_s']):.2f} s + CREATE INDEX on time {float(w['index_s']):.2f} s;"  # type: ignore[arg-type]
                f" plan of the year query: {w['plan']}"
            )
            if int(w["seconds_60"]):  # type: ignore[call-overload]
                print(
                    f"  {m}: GDAL wrote {w['seconds_60']} times with seconds = 60"
                    " (ms rounded up, e.g. 15:58:60.000Z); pandas then cannot parse the column,"
                    f" read gives time as {results[m].get('read_all', {}).get('time_dtype')}"
                )
        c = results.get(m, {}).get("read_all")
        if c and "count_s" in c:
            print(
                f"  {m}: feature count from gpkg_ogr_contents {c['count']:,}"
                f" in {float(c['count_s']) * 1000:.1f} ms"  # type: ignore[arg-type]
            )
    d = results.get("duckdb", {})
    if "arrow_s" in d.get("read_year", {}) and "arrow_s" in d.get("read_all", {}):
        print(
            f"  duckdb {d['read_year']['version']}: .df() as in the table; through"
            f" to_arrow_table().to_pandas() read 1y {float(d['read_year']['arrow_s']):.2f} s,"  # type: ignore[arg-type]
            f" read all {float(d['read_all']['arrow_s']):.2f} s (second query of the process)"  # type: ignore[arg-type]
        )
    for ph in ("read_year", "read_all"):
        seen = {
            m: (r[ph]["rows"], round(float(r[ph]["sum_x_km"]), 1), r[ph]["police"])  # type: ignore[arg-type]
            for m, r in results.items()
            if ph in r and "rows" in r[ph]
        }
        same = len(set(seen.values())) <= 1
        print(
            f"  {ph}: {'all methods read the same rows' if same else 'DIFFER'}"
            f" (rows, sum x km, police) = {next(iter(seen.values())) if same and seen else seen}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", default="1e6,1e7", help="comma-separated incident counts, e.g. 1e6,1e7")
    ap.add_argument("--methods", default="ours,gpkg,gpkg-arrow,duckdb")
    ap.add_argument("--tmp", default=None, help="folder for the files (default: system temp)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        data = json.loads(a.data)
        method, phase = a.worker.split(":")
        if method == "ours":
            res = work_ours(phase, data)
        elif method == "duckdb":
            res = work_duckdb(phase, data)
        else:
            res = work_gpkg(phase, data, arrow=method == "gpkg-arrow")
        res["peak_mib"] = _peak_mib()
        print(json.dumps(res))
        return

    methods = a.methods.split(",")
    if "duckdb" in methods and not _duckdb_available(sys.executable):
        print("duckdb does not import in this Python: skipped")
        methods.remove("duckdb")
    if "duckdb" in methods and "ours" not in methods:
        methods.remove("duckdb")  # it reads our files
    t_all = time.perf_counter()
    for n in (int(float(v)) for v in a.n.split(",")):
        with tempfile.TemporaryDirectory(prefix="benchstore-", dir=a.tmp) as tmp:
            t = time.perf_counter()
            data = make_data(n, Path(tmp))
            print(
                f"\n== {n:,} incidents {SPAN[0]} .. {SPAN[1]}, read one year = {YEAR[0][:4]}"
                f" (data generated in {time.perf_counter() - t:.1f} s)",
                flush=True,
            )
            results: dict[str, dict[str, dict[str, object]]] = {}
            for m in methods:
                t = time.perf_counter()
                results[m] = {ph: run_worker(m, ph, data) for ph in _phases(m)}
                print(f"  ({m}: {time.perf_counter() - t:.0f} s wall incl. start-up)", flush=True)
            print_table(n, results)
            for m in ("gpkg", "gpkg-arrow"):
                if m in results:
                    Path(data[m]).unlink(missing_ok=True)
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
