"""Benchmark of zone assignment (inside / ring / rest with the scene id).

Compares drugscenes' ZoneIndex with what a user would otherwise write:
- geopandas: points_from_xy + sjoin with the scene layer and with a ring layer
  (scenes buffered by the ring distance), first match kept;
- DuckDB spatial: ST_DWithin join + ST_Distance, min distance per point;
- PostGIS: COPY, GiST index on the points, ST_DWithin join + ST_Distance.

Data: 60 scene polygons (a 2023-size round) around metro stations of Stockholm
county, a 200 m ring, N synthetic incidents from drugscenes.demo (seeded) over the
county's municipalities (../shared/data; falls back to a synthetic square region).

Each method runs in its own process, so its peak memory (VmHWM) is its own; for
PostGIS the peak is the largest sum of RSS over the server's processes, sampled every
50 ms (shared buffers count once per process that touched them). Load and query
times are printed apart.

Usage::

    .venv/bin/python benchmarks/bench_zones.py --n 1e6,1e7 \
        [--methods ours,geopandas,duckdb,postgis] [--duckdb-python /tmp/benchvenv/bin/python]

DuckDB: make a separate venv with the spatial extension package and the DuckDB it
pins (duckdb-extension-spatial 1.5.5 pins duckdb==1.5.5); the extension file is
LOADed from that package, offline:

    python -m venv /tmp/benchvenv
    /tmp/benchvenv/bin/pip install duckdb==1.5.5 duckdb-extension-spatial==1.5.5 \
        numpy pyarrow psycopg2-binary

PostGIS: the script installs ``postgresql-15-postgis-3`` with apt-get when the
extension is missing, runs initdb in a temporary folder as the ``postgres`` user,
starts the server on 127.0.0.1 only, and stops and deletes it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SHARED = ROOT.parent / "shared" / "data"
RING_M = 200.0
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _peak_mib() -> float:
    # VmHWM is this process's own peak RSS; ru_maxrss would include the parent's RSS at
    # fork (Linux carries it across exec).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- data -------------------------------------------------------------------------
def make_data(n: int, folder: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "src"))
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    from drugscenes.demo.incidents import generate_incidents, scenes_at_points

    if (SHARED / "stockholm_municipalities_3006.geojson").exists():
        mun = gpd.read_file(SHARED / "stockholm_municipalities_3006.geojson")
        st = pd.read_csv(SHARED / "stockholm_stations.csv")
        st = st[st["line_type"] == "metro"].sample(60, random_state=2023)
        sx, sy = st["x_3006"].to_numpy(), st["y_3006"].to_numpy()
    else:  # synthetic region: a 100 km square, scenes on a grid
        import numpy as np

        mun = gpd.GeoDataFrame({"code": ["0000"]}, geometry=[shapely.box(0, 0, 1e5, 1e5)], crs=3006)
        g = np.linspace(2e4, 8e4, 8)
        sx, sy = (a.ravel()[:60] for a in np.meshgrid(g, g))
    scenes = scenes_at_points(sx, sy, seed=2023)
    df = generate_incidents(mun, scenes, n, seed=2023)
    pts = folder / "points.parquet"
    pq.write_table(
        pa.table({"x": df["x"].to_numpy(), "y": df["y"].to_numpy()}), pts, row_group_size=1 << 20
    )
    sc = folder / "scenes.json"
    sc.write_text(
        json.dumps(
            {
                "scene_id": scenes["scene_id"].tolist(),
                "wkt": shapely.to_wkt(scenes.geometry.values).tolist(),
            }
        )
    )
    return {"points": str(pts), "scenes": str(sc)}


def _summary(zone, scene) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import numpy as np

    return {
        "zone_counts": np.bincount(zone, minlength=3).tolist(),
        "scene_counts": np.bincount(scene[scene >= 0], minlength=60).tolist(),
    }


# -- workers (each in its own process) -------------------------------------------------
def work_ours(data: dict[str, str]) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "src"))
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    from drugscenes.analysis.zones import ZoneIndex

    sc = json.loads(Path(data["scenes"]).read_text())
    scenes = gpd.GeoDataFrame(
        {"scene_id": sc["scene_id"]}, geometry=shapely.from_wkt(sc["wkt"]), crs=3006
    )
    t0 = time.perf_counter()
    tab = pq.read_table(data["points"])
    x, y = tab["x"].to_numpy(), tab["y"].to_numpy()
    t1 = time.perf_counter()
    za = ZoneIndex(scenes, (RING_M,)).assign(x, y)
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "query_s": t2 - t1, **_summary(za.zone, za.scene_index)}


def work_geopandas(data: dict[str, str]) -> dict[str, object]:
    import geopandas as gpd
    import numpy as np
    import pyarrow.parquet as pq
    import shapely

    sc = json.loads(Path(data["scenes"]).read_text())
    scenes = gpd.GeoDataFrame(
        {"scene_idx": np.arange(len(sc["wkt"]))}, geometry=shapely.from_wkt(sc["wkt"]), crs=3006
    )
    t0 = time.perf_counter()
    tab = pq.read_table(data["points"])
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(tab["x"].to_numpy(), tab["y"].to_numpy()), crs=3006
    )
    t1 = time.perf_counter()
    rings = scenes.copy()
    rings["geometry"] = scenes.buffer(RING_M)
    inside = gpd.sjoin(pts, scenes, predicate="intersects", how="inner")
    inside = inside[~inside.index.duplicated(keep="first")]
    near = gpd.sjoin(pts, rings, predicate="intersects", how="inner")
    near = near[~near.index.duplicated(keep="first")]
    zone = np.full(len(pts), 2, dtype=np.int8)
    scene = np.full(len(pts), -1, dtype=np.int32)
    zone[near.index.to_numpy()] = 1
    scene[near.index.to_numpy()] = near["scene_idx"].to_numpy()
    zone[inside.index.to_numpy()] = 0
    scene[inside.index.to_numpy()] = inside["scene_idx"].to_numpy()
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "query_s": t2 - t1, **_summary(zone, scene)}


_ZONE_SQL = """
SELECT zone, count(*) AS n FROM (
  SELECT CASE WHEN min(d) = 0 THEN 0 ELSE 1 END AS zone FROM hits GROUP BY id
) GROUP BY zone ORDER BY zone
"""
_SCENE_SQL = """
SELECT scene, count(*) AS n FROM (
  SELECT {argmin}(s, d) AS scene FROM hits GROUP BY id
) GROUP BY scene ORDER BY scene
"""


def work_duckdb(data: dict[str, str]) -> dict[str, object]:
    import duckdb
    import duckdb_extension_spatial

    ext = next(Path(duckdb_extension_spatial.__file__).parent.rglob("spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{ext}'")
    sc = json.loads(Path(data["scenes"]).read_text())
    con.execute("CREATE TABLE scenes_wkt (s INTEGER, wkt VARCHAR)")
    con.executemany("INSERT INTO scenes_wkt VALUES (?, ?)", list(enumerate(sc["wkt"])))
    con.execute("CREATE TABLE scenes AS SELECT s, ST_GeomFromText(wkt) AS geom FROM scenes_wkt")
    t0 = time.perf_counter()
    con.execute(
        f"CREATE TABLE pts AS SELECT (row_number() OVER ()) - 1 AS id, "
        f"ST_Point(x, y) AS geom FROM read_parquet('{data['points']}')"
    )
    n = con.execute("SELECT count(*) FROM pts").fetchone()[0]
    t1 = time.perf_counter()
    con.execute(
        "CREATE TABLE hits AS SELECT p.id, s.s, ST_Distance(s.geom, p.geom) AS d "
        f"FROM pts p JOIN scenes s ON ST_DWithin(s.geom, p.geom, {RING_M})"
    )
    zones = dict(con.execute(_ZONE_SQL).fetchall())
    scenes_ = dict(con.execute(_SCENE_SQL.format(argmin="arg_min")).fetchall())
    t2 = time.perf_counter()
    return _db_result(t1 - t0, t2 - t1, n, zones, scenes_)


def _db_result(load: float, query: float, n: int, zones: dict, scenes: dict) -> dict[str, object]:  # type: ignore[type-arg]
    z = [int(zones.get(0, 0)), int(zones.get(1, 0))]
    return {
        "load_s": load,
        "query_s": query,
        "zone_counts": [*z, n - sum(z)],
        "scene_counts": [int(scenes.get(i, 0)) for i in range(60)],
    }


def work_postgis(data: dict[str, str], port: int, host: str) -> dict[str, object]:
    import psycopg2
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    con = psycopg2.connect(host=host, port=port, dbname="postgres", user="postgres")
    con.autocommit = True
    cur = con.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    sc = json.loads(Path(data["scenes"]).read_text())
    cur.execute("CREATE TABLE scenes (s int, geom geometry(Geometry, 3006))")
    cur.executemany(
        "INSERT INTO scenes VALUES (%s, ST_GeomFromText(%s, 3006))", list(enumerate(sc["wkt"]))
    )
    csv_path = Path(data["points"]).with_suffix(".csv")
    pcsv.write_csv(pq.read_table(data["points"]), csv_path)
    t0 = time.perf_counter()
    cur.execute("CREATE UNLOGGED TABLE pts (id bigserial, x float8, y float8)")
    with open(csv_path) as f:
        cur.copy_expert("COPY pts (x, y) FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    cur.execute("ALTER TABLE pts ADD COLUMN geom geometry(Point, 3006)")
    cur.execute("UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(x, y), 3006)")
    cur.execute("CREATE INDEX ON pts USING gist (geom)")
    cur.execute("ANALYZE pts")
    cur.execute("SELECT count(*) FROM pts")
    n = cur.fetchone()[0]
    t1 = time.perf_counter()
    cur.execute(
        "CREATE UNLOGGED TABLE hits AS SELECT p.id, s.s, ST_Distance(s.geom, p.geom) AS d "
        f"FROM scenes s JOIN pts p ON ST_DWithin(s.geom, p.geom, {RING_M})"
    )
    cur.execute(_ZONE_SQL.replace("FROM hits GROUP BY id\n)", "FROM hits GROUP BY id\n) q"))
    zones = dict(cur.fetchall())
    cur.execute(
        "SELECT scene, count(*) FROM (SELECT DISTINCT ON (id) id, s AS scene FROM hits "
        "ORDER BY id, d, s) q GROUP BY scene ORDER BY scene"
    )
    scenes_ = dict(cur.fetchall())
    t2 = time.perf_counter()
    con.close()
    csv_path.unlink()
    return _db_result(t1 - t0, t2 - t1, n, zones, scenes_)


# -- PostGIS server ---------------------------------------------------------------------
def ensure_postgis() -> None:
    if not Path("/usr/share/postgresql/15/extension/postgis.control").exists():
        print("installing postgresql-15-postgis-3 with apt-get ...", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "postgresql-15-postgis-3"],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PgServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pgbench-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c shared_buffers=512MB"
            " -c work_mem=256MB -c maintenance_work_mem=1GB -c fsync=off"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    opts,
                    "-l",
                    str(self.dir / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def rss_mib(self) -> float:
        total = 0
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                st = (p / "status").read_text()
                if p.name != str(self.pid) and f"PPid:\t{self.pid}\n" not in st:
                    continue
                total += int(
                    next(line for line in st.splitlines() if line.startswith("VmRSS")).split()[1]
                )
            except (OSError, StopIteration):
                continue
        return total / 1024

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


# -- driver -----------------------------------------------------------------------------
def run_worker(
    method: str,
    data: dict[str, str],
    python: str,
    extra: list[str] | None = None,
    sampler: PgServer | None = None,
) -> dict[str, object]:
    cmd = [python, str(HERE), "--worker", method, "--data", json.dumps(data), *(extra or [])]
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sampler.rss_mib())  # type: ignore[union-attr]
            time.sleep(0.05)

    th = threading.Thread(target=sample) if sampler else None
    if th:
        th.start()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if th:
        stop.set()
        th.join()
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if sampler:
        res["server_peak_mib"] = peak[0]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", default="1e6,1e7", help="comma-separated point counts, e.g. 1e6,1e7,3e7")
    ap.add_argument("--methods", default="ours,geopandas,duckdb,postgis")
    ap.add_argument(
        "--duckdb-python",
        default="/tmp/benchvenv/bin/python",
        help="python of the venv with duckdb + duckdb-extension-spatial (and psycopg2)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--pg", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        data = json.loads(a.data)
        if a.worker == "postgis":
            host, port = a.pg.split(":")
            res = work_postgis(data, int(port), host)
        else:
            res = {"ours": work_ours, "geopandas": work_geopandas, "duckdb": work_duckdb}[a.worker](
                data
            )
        res["peak_mib"] = _peak_mib()
        print(json.dumps(res))
        return

    methods = a.methods.split(",")
    pg = None
    if "postgis" in methods:
        ensure_postgis()
        pg = PgServer()
    try:
        for n in (int(float(v)) for v in a.n.split(",")):
            with tempfile.TemporaryDirectory(prefix="benchzones-") as tmp:
                t = time.perf_counter()
                data = make_data(n, Path(tmp))
                print(
                    f"\n== {n:,} incidents, 60 scenes, {RING_M:.0f} m ring "
                    f"(data generated in {time.perf_counter() - t:.1f} s)",
                    flush=True,
                )
                results: dict[str, dict[str, object]] = {}
                for m in methods:
                    if m == "postgis":
                        assert pg is not None
                        os.chmod(tmp, 0o755)
                        res = run_worker(
                            m, data, a.duckdb_python, ["--pg", f"127.0.0.1:{pg.port}"], pg
                        )
                        _reset_pg(pg)
                    elif m == "duckdb":
                        res = run_worker(m, data, a.duckdb_python)
                    else:
                        res = run_worker(m, data, sys.executable)
                    results[m] = res
                    _print_row(m, res, results.get("ours"))
                _check_agreement(results)
    finally:
        if pg:
            pg.stop()


def _reset_pg(pg: PgServer) -> None:
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg.port),
                "-U",
                "postgres",
                "-q",
                "-c",
                "DROP TABLE IF EXISTS pts, hits, scenes",
            ]
        ),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _print_row(m: str, r: dict[str, object], ours: dict[str, object] | None) -> None:
    if "error" in r:
        print(f"  {m:10s} FAILED: {r['error']}", flush=True)
        return
    load, query = float(r["load_s"]), float(r["query_s"])  # type: ignore[arg-type]
    mem = float(r["peak_mib"])  # type: ignore[arg-type]
    extra = f" + server {float(r['server_peak_mib']):7.0f} MiB" if "server_peak_mib" in r else ""
    line = (
        f"  {m:10s} load {load:7.2f} s  query {query:7.2f} s  total {load + query:7.2f} s"
        f"  peak {mem:7.0f} MiB{extra}"
    )
    if ours and m != "ours" and "error" not in ours:
        oq = float(ours["query_s"])  # type: ignore[arg-type]
        ot = oq + float(ours["load_s"])  # type: ignore[arg-type]
        line += f"  | query {query / oq:5.1f}x, total {(load + query) / ot:5.1f}x ours"
    print(line, f"zones={r['zone_counts']}", flush=True)


def _check_agreement(results: dict[str, dict[str, object]]) -> None:
    ours = results.get("ours")
    if not ours or "error" in ours:
        return
    for m, r in results.items():
        if m == "ours" or "error" in r:
            continue
        dz = sum(abs(a - b) for a, b in zip(r["zone_counts"], ours["zone_counts"], strict=True))  # type: ignore[arg-type]
        ds = sum(abs(a - b) for a, b in zip(r["scene_counts"], ours["scene_counts"], strict=True))  # type: ignore[arg-type]
        print(
            f"  agreement with ours: {m}: zone counts differ by {dz}, scene counts by {ds}"
            + (
                " (buffer polygons approximate the ring's arcs; first match, not nearest)"
                if m == "geopandas"
                else ""
            )
        )


if __name__ == "__main__":
    main()
