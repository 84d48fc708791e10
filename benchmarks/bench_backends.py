"""Benchmark of the two workspace backends: GeoPackage (+ GeoParquet incidents) and PostGIS.

For N synthetic incidents this measures, per backend, loading them and then querying
them, apart:

- setup: the real county (26 municipalities of ``../shared/data/
  stockholm_municipalities_3006.geojson``, 63 scenes of a 2023 round placed like the
  demo's, at its real stations) or, without that file, the demo county
  (``drugscenes.demo.region``); the round goes in through ``import_scenes`` as a user's
  would. N incidents over 2023-2024 (UTC) with the store's columns, 3 % in scenes, 5 %
  near them and the rest spread over the county (``drugscenes.demo.incidents``,
  vectorised NumPy), municipality codes assigned as on import;
- backends: a GeoPackage workspace (``tmp/ws.gpkg``, incidents in ``ws.incidents/``)
  and a PostGIS workspace in a throwaway local server
  (``drugscenes.store.postgis.localserver``: fsync off, settings otherwise default),
  one database per N; the server is stopped at the end;
- load: ``store.write_incidents(frame)`` with the whole N in one call, as an import
  does (the frame with the contract's dtypes, object strings, read from Parquet before
  the clock starts). If that call fails for PostGIS (memory) it is redone in calls of
  1 M rows; the table marks which was used (``--chunk`` forces chunks). Each load runs
  in its own process; its peak RSS (VmHWM) includes the input frame;
- read 1y: ``store.read_incidents(start, end, columns=[time, category, x, y,
  police_activity])`` for the year 2023 in local time (about half of N), in a fresh
  process, median of ``--repeat`` reads after opening the workspace (not timed);
- crime / hotspots: the whole job as a user waits for it, ``drugscenes crime|hotspots
  WORKSPACE --round 2023 --from 2023-01-01 --to 2023-12-31 --json`` in a fresh process
  under ``/usr/bin/time -v`` (elapsed wall time and "Maximum resident set size", the
  client process only: the PostgreSQL server's own memory is not in it), median of
  ``--repeat`` runs. Both backends' JSON outputs are compared.

For PostGIS, every statement's server-side duration is logged
(``log_min_duration_statement = 0`` on the benchmark database) and the load, the read
and the jobs are split into what the server did and what the client did.

Prints, per N, notes (load mode and peak, each run's time, where the PostGIS time went,
disk sizes, whether the outputs are identical) and at the end one table: per N a line
per backend (load s, read 1y s, crime s and peak MiB, hotspots s and peak MiB) and the
ratio PostGIS / GeoPackage per column, then the machine's load averages (other work
skews the times). Reads are from warm caches (data just written), as on a workstation or
a server re-running analyses. The machine's cores are shared by client and server.

Usage::

    .venv/bin/python benchmarks/bench_backends.py --n 1e6,1e7 [--repeat 3]
        [--backends geopackage,postgis] [--chunk 0] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
COUNTY = ROOT.parent / "shared" / "data" / "stockholm_municipalities_3006.geojson"
STATIONS = ROOT.parent / "shared" / "data" / "stockholm_stations.csv"
SPAN = ("2023-01-01", "2025-01-01")  # two years, UTC
DAYS = ("2023-01-01", "2023-12-31")  # the analysed year, local days, both included
ROUND, ROUND_DATE = "2023", "2023-10-01"
READ_COLUMNS = ["time", "category", "x", "y", "police_activity"]
JOBS = ("crime", "hotspots")
BACKENDS = ("geopackage", "postgis")
CHUNK = 1_000_000
SEED = 2023


def _peak_mib() -> float:
    # VmHWM is this process's own peak RSS (ru_maxrss may include the parent's at fork).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews times)."""
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def _disk_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    seen = {(f.stat().st_dev, f.stat().st_ino): f.stat().st_size for f in files}
    return sum(seen.values()) / 2**20


# -- setup: region and round ----------------------------------------------------------
def make_region(folder: Path) -> dict[str, str]:
    """Write the region's municipalities and its 2023 round (63 scenes) into ``folder``."""
    import geopandas as gpd
    import pandas as pd

    from drugscenes.analysis.zones import assign_polygons
    from drugscenes.demo import region as demo
    from drugscenes.io.vector import read_vector
    from drugscenes.registry.region import prepare_municipalities

    if COUNTY.exists() and STATIONS.exists():
        munis, _ = prepare_municipalities(read_vector(COUNTY), COUNTY.name)
        st = pd.read_csv(STATIONS)
        idx = assign_polygons(st["x_3006"], st["y_3006"], munis.geometry.values)
        stations = gpd.GeoDataFrame(
            {
                "name": st["name"],
                "line_type": st["line_type"],
                "municipality_code": munis["code"].to_numpy()[idx],
            },
            geometry=gpd.points_from_xy(st["x_3006"], st["y_3006"]),
            crs=3006,
        )[idx >= 0]
        region = demo.DemoRegion(munis, stations)
        name = "Stockholms län (real municipalities, synthetic scenes)"
    else:
        region = demo.make_region(SEED)
        munis = region.municipalities
        name = "Demolän (synthetic)"
    scenes = demo.make_rounds(region, SEED)[ROUND]
    files = {
        "municipalities": str(folder / "municipalities.gpkg"),
        "scenes": str(folder / f"scenes_{ROUND}.gpkg"),
        "region_name": name,
    }
    munis.to_file(files["municipalities"], driver="GPKG", layer="municipalities")
    scenes.to_file(files["scenes"], driver="GPKG", layer="scenes")
    return files


def create(target: str, region: dict[str, str]) -> None:
    """Create a workspace at ``target`` and import the round, as a user would."""
    import geopandas as gpd

    from drugscenes.services.imports import import_scenes
    from drugscenes.store import create_workspace

    munis = gpd.read_file(region["municipalities"])
    with create_workspace(target, munis, region["region_name"], overwrite=True) as store:
        import_scenes(store, region["scenes"], ROUND, date=ROUND_DATE)


# -- workers (each in its own process) --------------------------------------------------
def work_generate(data: dict[str, Any]) -> dict[str, Any]:
    import geopandas as gpd

    from drugscenes.analysis.zones import assign_polygons
    from drugscenes.demo.incidents import generate_incidents

    munis = gpd.read_file(data["municipalities"])
    scenes = gpd.read_file(data["scenes"])
    t0 = time.perf_counter()
    df = generate_incidents(munis, scenes, data["n"], *SPAN, seed=SEED, id_prefix="bench-")
    idx = assign_polygons(df["x"], df["y"], munis.geometry.values)
    df["municipality_code"] = munis["code"].to_numpy()[idx]
    s = time.perf_counter() - t0
    df.to_parquet(data["input"], index=False)
    return {"s": s, "rows": len(df), "n_scenes": len(scenes), "n_munis": len(munis)}


def work_load(data: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    from drugscenes.store import open_workspace
    from drugscenes.store.base import INCIDENT_COLUMNS, INCIDENT_DTYPES, typed

    # As an import hands it over: the contract's dtypes, strings as Python objects.
    frame = typed(pd.read_parquet(data["input"])[INCIDENT_COLUMNS], INCIDENT_DTYPES)
    chunk = int(data["chunk"]) or len(frame)
    with open_workspace(data["target"]) as store:
        cpu0, t0 = _cpu_s(), time.perf_counter()
        for i in range(0, len(frame), chunk):
            written = store.write_incidents(frame.iloc[i : i + chunk])
        s = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
        stored = store.count_incidents()
    return {"s": s, "cpu_s": cpu, "stored": stored, "after": written.stored_after}


def work_read(data: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from drugscenes.periods import Period
    from drugscenes.store import open_workspace

    period = Period.parse(*DAYS)
    t0 = time.perf_counter()
    store = open_workspace(data["target"])
    open_s = time.perf_counter() - t0
    times, cpus = [], []
    with store:
        for _ in range(int(data["repeat"])):
            cpu0, t0 = _cpu_s(), time.perf_counter()
            got = store.read_incidents(period.start, period.end, columns=READ_COLUMNS)
            times.append(time.perf_counter() - t0)
            cpus.append(_cpu_s() - cpu0)
            check = {
                "rows": len(got),
                "sum_x_km": round(float(np.sum(got["x"].to_numpy())) / 1000, 1),
                "police": int(got["police_activity"].sum()),
            }
            del got
    return {
        "s": statistics.median(times),
        "all_s": times,
        "cpu_s": statistics.median(cpus),
        "open_s": open_s,
        **check,
    }


def work_copyout(data: dict[str, Any]) -> dict[str, Any]:
    """The read's own COPY statement (from the server log) without the client's parsing.

    ``EXPLAIN (ANALYZE, TIMING OFF)`` of its SELECT times the server's scan and
    expressions without making text; draining the COPY into memory adds the server's
    text output and the transport.
    """
    import io

    import psycopg

    statement = data["statement"]
    select = re.search(r"COPY \((SELECT .*)\) TO STDOUT", statement).group(1)  # type: ignore[union-attr]
    scans, drains = [], []
    with psycopg.connect(data["url"]) as conn:
        for _ in range(int(data["repeat"])):
            plan = conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {select}").fetchone()
            scans.append(float(plan[0][0]["Execution Time"]) / 1000)  # type: ignore[index]
            buf = io.BytesIO()
            t0 = time.perf_counter()
            with conn.cursor().copy(statement) as copy:
                for chunk in copy:
                    buf.write(chunk)
            drains.append(time.perf_counter() - t0)
    return {
        "scan_s": statistics.median(scans),
        "drain_s": statistics.median(drains),
        "mib": buf.getbuffer().nbytes / 2**20,
    }


WORKERS = {
    "generate": work_generate,
    "load": work_load,
    "read": work_read,
    "copyout": work_copyout,
}


def run_worker(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--worker", kind, "--data", json.dumps(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        return {"error": f"exit {proc.returncode}: {' '.join(tail)[:300]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- whole jobs under /usr/bin/time -v --------------------------------------------------------
def _elapsed(text: str) -> float:
    """``h:mm:ss`` or ``m:ss.ss`` as seconds."""
    s = 0.0
    for part in text.split(":"):
        s = s * 60 + float(part)
    return s


def run_job(job: str, target: str) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "drugscenes"
    cmd = ["/usr/bin/time", "-v", str(exe), job, target, "--round", ROUND]
    cmd += ["--from", DAYS[0], "--to", DAYS[1], "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    m_rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    m_wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", proc.stderr)
    if proc.returncode != 0 or not m_rss or not m_wall:
        lines = [ln for ln in proc.stderr.splitlines() if ln and not ln.startswith("\t")]
        return {"error": f"exit {proc.returncode}: {' '.join(lines[-2:])[:300]}"}
    return {
        "s": _elapsed(m_wall.group(1)),
        "peak_mib": int(m_rss.group(1)) / 1024,
        "json": json.loads(proc.stdout),
    }


def run_jobs(target: str, repeat: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for job in JOBS:
        runs = [run_job(job, target) for _ in range(repeat)]
        bad = [r for r in runs if "error" in r]
        if bad:
            out[job] = bad[0]
            continue
        out[job] = {
            "s": statistics.median(r["s"] for r in runs),
            "peak_mib": statistics.median(r["peak_mib"] for r in runs),
            "all_s": [r["s"] for r in runs],
            "json": runs[0]["json"],
            "stable": all(r["json"] == runs[0]["json"] for r in runs),
        }
    return out


def diff_json(a: Any, b: Any, path: str = "") -> list[tuple[str, str]]:
    """Paths where two JSON values differ, with a short description."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append((f"{path}.{k}", "missing on one side"))
            else:
                out += diff_json(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [(path, f"lengths {len(a)} / {len(b)}")]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in diff_json(x, y, f"{path}[{i}]")
        ]
    if a == b:
        return []
    if isinstance(a, float) and isinstance(b, float):
        rel = abs(a - b) / max(abs(a), abs(b))
        return [(path, f"{a!r} / {b!r} (rel {rel:.1e})")]
    return [(path, f"{a!r} / {b!r}")]


# -- PostGIS: the server and its statement log ----------------------------------------------------
class PostGIS:
    """A throwaway server; statement durations of the benchmark databases go to its log."""

    def __init__(self) -> None:
        from drugscenes.store.postgis import localserver

        # Not in a private temp dir: the server runs as the 'postgres' system user when
        # we are root (as in tests/conftest.py).
        self.folder = Path(tempfile.mkdtemp(prefix="ds-bench-pg-"))
        t0 = time.perf_counter()
        self.server = localserver.start(self.folder)
        self.start_s = time.perf_counter() - t0
        self._offset = 0

    def database(self, name: str) -> str:
        url = self.server.create_database(name)
        self.server.execute(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 0')
        return url

    def size_mib(self, name: str) -> float:
        import psycopg

        with psycopg.connect(self.server.url_for(name)) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) / 2**20  # type: ignore[index]

    def mark(self) -> None:
        """Start collecting statements from here."""
        self._offset = self.server.log.stat().st_size if self.server.log.exists() else 0

    def statements(self) -> list[tuple[float, str]]:
        """(seconds, statement) of every statement logged since :meth:`mark`."""
        with open(self.server.log, "rb") as f:
            f.seek(self._offset)
            text = f.read().decode("utf-8", errors="replace")
        pat = re.compile(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)")
        return [(float(m.group(1)) / 1000, m.group(2)) for m in pat.finditer(text)]

    def close(self) -> None:
        try:
            self.server.stop("fast")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _kind(statement: str) -> str:
    s = statement.lstrip().upper()
    if s.startswith("COPY _DS_INCOMING"):
        return "COPY in"
    if s.startswith("COPY (SELECT") and "INCIDENTS" in s:
        return "COPY out"
    for word in ("ANALYZE", "DELETE", "INSERT"):
        if s.startswith(word):
            return word
    return "other"


def split(statements: list[tuple[float, str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s, st in statements:
        k = _kind(st)
        out[k] = out.get(k, 0.0) + s
    out["n_statements"] = len(statements)
    return out


# -- driver ------------------------------------------------------------------------------------
def measure(
    n: int, tmp: Path, region: dict[str, str], backends: list[str], pg: PostGIS | None, a: Any
) -> dict[str, dict[str, Any]]:
    t = time.perf_counter()
    gen = run_worker("generate", {"n": n, "input": str(tmp / "input.parquet"), **region})
    if "error" in gen:
        raise SystemExit(f"generating {n:,} incidents failed: {gen['error']}")
    print(
        f"\n== {n:,} incidents {SPAN[0]} .. {SPAN[1]} (UTC), {gen['n_scenes']} scenes in"
        f" {gen['n_munis']} municipalities; generated in {gen['s']:.1f} s"
        f" ({time.perf_counter() - t:.0f} s with saving)",
        flush=True,
    )
    results: dict[str, dict[str, Any]] = {}
    for b in backends:
        t = time.perf_counter()
        res: dict[str, Any] = {}
        db = f"bench_{n}"
        target = str(tmp / "ws.gpkg") if b == "geopackage" else pg.database(db)  # type: ignore[union-attr]
        res["target"] = target
        create(target, region)
        data = {"input": str(tmp / "input.parquet"), "target": target, "chunk": a.chunk}
        if b == "geopackage":
            data["chunk"] = 0
        if pg and b == "postgis":
            pg.mark()
        load = run_worker("load", data)
        if "error" in load and b == "postgis" and not a.chunk:
            res["load_single_error"] = load["error"]
            create(target, region)  # a clean workspace, then in chunks
            pg.mark()  # type: ignore[union-attr]
            load = run_worker("load", {**data, "chunk": CHUNK})
            load["mode"] = f"chunks of {CHUNK:,}"
        else:
            load["mode"] = f"chunks of {a.chunk:,}" if data["chunk"] else "one call"
        if pg and b == "postgis":
            load["server"] = split(pg.statements())
        res["load"] = load
        if pg and b == "postgis":
            pg.mark()
        res["read"] = run_worker("read", {"target": target, "repeat": a.repeat})
        if pg and b == "postgis" and "error" not in res["read"]:
            stmts = pg.statements()
            res["read"]["server"] = split(stmts)
            copies = [st for _, st in stmts if _kind(st) == "COPY out"]
            if copies:
                diag = {"url": target, "statement": copies[-1], "repeat": a.repeat}
                res["read"]["copyout"] = run_worker("copyout", diag)
        if pg and b == "postgis":
            pg.mark()
        res["jobs"] = run_jobs(target, a.repeat)
        if pg and b == "postgis":
            res["jobs_server"] = pg.statements()
            res["disk_mib"] = pg.size_mib(db)
        else:
            ws = Path(target)
            res["disk_mib"] = _disk_mib(ws) + _disk_mib(ws.with_suffix(".incidents"))
        results[b] = res
        print(f"  ({b}: {time.perf_counter() - t:.0f} s wall incl. start-up)", flush=True)
    return results


def _num(r: dict[str, Any] | None, key: str, width: int, fmt: str = ".2f") -> str:
    if r is None:
        return f"{'—':>{width}}"
    if "error" in r:
        return f"{'FAIL':>{width}}"
    return f"{format(float(r[key]), fmt):>{width}}"


COLUMNS = [  # (header, width, getter)
    ("load s", 9, lambda r: (r.get("load"), "s", ".2f")),
    ("read 1y s", 9, lambda r: (r.get("read"), "s", ".2f")),
    ("crime s", 8, lambda r: (r["jobs"].get("crime"), "s", ".2f")),
    ("crime MiB", 9, lambda r: (r["jobs"].get("crime"), "peak_mib", ".0f")),
    ("hotspots s", 10, lambda r: (r["jobs"].get("hotspots"), "s", ".2f")),
    ("hotsp. MiB", 10, lambda r: (r["jobs"].get("hotspots"), "peak_mib", ".0f")),
]


def print_table(all_results: dict[int, dict[str, dict[str, Any]]]) -> None:
    head = f"  {'backend':14s} {'N':>11s}" + "".join(f" {h:>{w}s}" for h, w, _ in COLUMNS)
    print("\n" + head)
    print("  " + "-" * (len(head) - 2))
    for n, results in all_results.items():
        for b, res in results.items():
            cells = []
            for _, w, get in COLUMNS:
                r, key, fmt = get(res)
                cell = _num(r, key, w, fmt)
                if (
                    key == "s"
                    and r is res.get("load")
                    and r
                    and r.get("mode", "").startswith("chunks")
                ):
                    cell = cell[1:] + "*"
                cells.append(cell)
            print(f"  {b:14s} {n:>11,}" + " ".join(["", *cells]))
        if set(BACKENDS) <= set(results):
            cells = []
            for _, w, get in COLUMNS:
                rp, key, _ = get(results["postgis"])
                rg, _, _ = get(results["geopackage"])
                ok = rp and rg and "error" not in rp and "error" not in rg and float(rg[key]) > 0
                ratio = float(rp[key]) / float(rg[key]) if ok else None  # type: ignore[index]
                cells.append(f"{ratio:>{w - 1}.1f}x" if ratio is not None else f"{'—':>{w}}")
            print(f"  {'PostGIS/GPKG':14s} {n:>11,}" + " ".join(["", *cells]))


def print_notes(n: int, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n  -- N = {n:,}")
    for b, res in results.items():
        load, read = res["load"], res["read"]
        if "error" in load:
            print(f"  {b}: load FAILED: {load['error']}")
        else:
            print(
                f"  {b}: load {load['mode']}, {load['s']:.1f} s ({load['cpu_s']:.1f} s client CPU),"
                f" peak {load.get('peak_mib', 0):,.0f} MiB with the input frame,"
                f" {load['stored']:,} stored; on disk {res['disk_mib']:,.0f} MiB"
            )
        if "load_single_error" in res:
            print(f"  {b}: the single write_incidents call failed: {res['load_single_error']}")
        if "error" in read:
            print(f"  {b}: read FAILED: {read['error']}")
        else:
            each = " / ".join(f"{s:.2f}" for s in read["all_s"])
            print(
                f"  {b}: read 1y {read['rows']:,} rows, {each} s"
                f" ({read['cpu_s']:.2f} s client CPU), peak {read.get('peak_mib', 0):,.0f} MiB;"
                f" opening the workspace {read['open_s']:.2f} s (not timed)"
            )
        runs = []
        for job in JOBS:
            r = res["jobs"].get(job, {})
            if "error" in r:
                print(f"  {b}: {job} FAILED: {r['error']}")
                continue
            if not r.get("stable", True):
                print(f"  {b}: {job}: the repeated runs' outputs DIFFER")
            runs.append(f"{job} {' / '.join(f'{s:.2f}' for s in r['all_s'])} s")
        if runs:
            print(f"  {b}: runs of the jobs: {'; '.join(runs)}")
        srv = load.get("server")
        if srv and "error" not in load:
            parts = [
                f"{k} {srv[k]:.1f}"
                for k in ("COPY in", "ANALYZE", "DELETE", "INSERT", "other")
                if k in srv
            ]
            in_srv = sum(v for k, v in srv.items() if k != "n_statements")
            print(
                f"  {b} load, server-side statements (s): {', '.join(parts)}; outside"
                f" them {load['s'] - in_srv:.1f} s (preparing the COPY data in the client before"
                " it starts; COPY in itself is paced by the client; 'other' holds index builds)"
            )
        srv = read.get("server")
        if srv and "error" not in read:
            copy_each = srv.get("COPY out", 0.0) / len(read["all_s"])
            print(
                f"  {b} read, per read: COPY (SELECT ...) TO STDOUT {copy_each:.2f} s (server"
                f" scan + streaming into Arrow's CSV reader), then {read['s'] - copy_each:.2f} s"
                f" in the client (Arrow to pandas, times, dtypes)"
            )
        diag = read.get("copyout")
        if diag and "error" not in diag:
            print(
                f"  {b} read, the same COPY alone: server scan (EXPLAIN ANALYZE, no text)"
                f" {diag['scan_s']:.2f} s; drained by psycopg into memory, unparsed"
                f" {diag['drain_s']:.2f} s for {diag['mib']:.0f} MiB of CSV; so of the"
                f" {read['s']:.2f} s read, {diag['drain_s'] - diag['scan_s']:.2f} s is making,"
                " sending and receiving the text (libpq hands COPY data over a row at a"
                f" time), {read['s'] - diag['drain_s']:.2f} s the client's parsing and"
                " conversion beyond that"
            )
        elif diag:
            print(f"  {b} read diagnosis FAILED: {diag['error']}")
        stmts = res.get("jobs_server")
        if stmts:
            copies = [s for s, st in stmts if _kind(st) == "COPY out"]
            other = [s for s, st in stmts if _kind(st) != "COPY out"]
            runs = len(JOBS) * max(1, len(res["jobs"][JOBS[0]].get("all_s", [1])))
            print(
                f"  {b} jobs, server-side per run: {len(copies) / runs:.0f} incident read(s)"
                f" taking {sum(copies) / runs:.2f} s, {len(other) / runs:.0f} other statements"
                f" taking {sum(other) / runs:.2f} s"
            )
    if set(BACKENDS) <= set(results):
        g, p = results["geopackage"], results["postgis"]
        gr, pr = g["read"], p["read"]
        if "error" not in gr and "error" not in pr:
            same = all(gr[k] == pr[k] for k in ("rows", "sum_x_km", "police"))
            print(
                f"  read 1y: {'same rows' if same else 'DIFFERENT rows'} from both backends"
                f" (rows, sum x km, police) = {(gr['rows'], gr['sum_x_km'], gr['police'])}"
                + ("" if same else f" / {(pr['rows'], pr['sum_x_km'], pr['police'])}")
            )
        for job in JOBS:
            a, b = g["jobs"].get(job, {}), p["jobs"].get(job, {})
            if "json" not in a or "json" not in b:
                continue
            diffs = diff_json(a["json"], b["json"])
            if not diffs:
                print(f"  {job} --json: IDENTICAL for both backends")
            else:
                shown = "; ".join(f"{path}: {d}" for path, d in diffs[:4])
                print(f"  {job} --json: NOT identical, {len(diffs)} value(s) differ: {shown}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", default="1e6,1e7", help="comma-separated incident counts, e.g. 1e6,1e7")
    ap.add_argument("--repeat", type=int, default=3, help="runs per read and job (median)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument(
        "--chunk",
        type=lambda v: int(float(v)),
        default=0,
        help="PostGIS load in calls of this many rows (default 0: all in one call, "
        f"falling back to {CHUNK:,} if that fails)",
    )
    ap.add_argument("--tmp", default=None, help="folder for the files (default: system temp)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        res = WORKERS[a.worker](json.loads(a.data))
        res["peak_mib"] = _peak_mib()
        print(json.dumps(res))
        return

    backends = a.backends.split(",")
    t_all = time.perf_counter()
    load_start = _load()
    pg = None
    all_results: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        if "postgis" in backends:
            pg = PostGIS()
            print(f"PostgreSQL + PostGIS server started in {pg.start_s:.1f} s ({pg.folder})")
        with tempfile.TemporaryDirectory(prefix="benchbackends-", dir=a.tmp) as base:
            region = make_region(Path(base))
            print(f"region: {region['region_name']}")
            for n in (int(float(v)) for v in a.n.split(",")):
                with tempfile.TemporaryDirectory(prefix=f"n{n}-", dir=base) as tmp:
                    results = measure(n, Path(tmp), region, backends, pg, a)
                all_results[n] = results
                print_notes(n, results)
                if pg is not None:
                    pg.server.drop_database(f"bench_{n}")
        print_table(all_results)
    finally:
        if pg is not None:
            pg.close()
    print(
        "\n  * = loaded in chunks (see the notes). Times in s, peaks in MiB (client process);"
        " ratios PostGIS / GeoPackage."
    )
    print(
        f"\ntotal {time.perf_counter() - t_all:.0f} s; load average {_load()} at the end,"
        f" {load_start} at the start ({os.cpu_count()} CPUs; other processes share them)"
    )


if __name__ == "__main__":
    main()
