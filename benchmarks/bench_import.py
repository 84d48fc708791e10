"""Benchmark of ``import incidents``: time and peak memory for 1-10 M rows, GeoParquet and CSV.

For each size N the script writes two input files of N synthetic incidents of the demo
county (drugscenes.demo: the 2023 round's scenes, three years 2022-2024, every source
type of the default mapping) once, in a cache folder:

- ``parquet``: GeoParquet, WKB points in EPSG:3006, ``incident_id`` (text), ``time``
  (timestamp, UTC), ``source_type`` (text), as ``GeoDataFrame.to_parquet`` writes it;
- ``csv``: the demo's ``incidents.csv`` form, ``id,time,type,x,y`` with times such as
  ``2023-05-01T08:13:44Z`` and x/y in metres (imported with ``--crs 3006``); types such as
  ``Misshandel, grov`` are quoted.

Each import runs in its own process (``--worker``) into a new workspace of the demo
county: ``import_incidents`` (read, check every row, store the accepted ones in the
year-partitioned GeoParquet store) is timed in the process, and the process's peak RSS
(VmHWM) is read at its end, so both include everything the import holds. ``--again``
imports the same file a second time into the same workspace (idempotent re-import:
every id replaced). ``--src`` runs another source tree (e.g. a copy of the previous
implementation) for before/after figures. The medians of ``--repeat`` runs are printed.

Usage::

    .venv/bin/python benchmarks/bench_import.py --n 1e6,1e7 [--formats parquet,csv]
        [--repeat 3] [--again] [--src DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SPAN = ("2022-01-01", "2025-01-01")


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_inputs(n: int, folder: Path) -> dict[str, Path]:
    """Write (once) the GeoParquet and CSV inputs of ``n`` incidents."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"parquet": folder / f"incidents-{n}.parquet", "csv": folder / f"incidents-{n}.csv"}
    if all(f.exists() for f in files.values()):
        return files
    import geopandas as gpd
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from drugscenes.demo.incidents import generate_incidents
    from drugscenes.demo.region import make_region, make_rounds

    region = make_region()
    chunk = 2_000_000
    parts = []
    for k, start in enumerate(range(0, n, chunk)):
        m = min(chunk, n - start)
        df = generate_incidents(
            region.municipalities,
            make_rounds(region)["2023"],
            m,
            *SPAN,
            seed=k,
            id_prefix=f"b{k}-",
        )
        parts.append(df)
    import pandas as pd

    df = pd.concat(parts, ignore_index=True)
    gdf = gpd.GeoDataFrame(
        {
            "incident_id": df["incident_id"].astype(str),
            "time": df["time"],
            "source_type": df["source_type"].astype(str),
        },
        geometry=gpd.points_from_xy(df["x"], df["y"]),
        crs=3006,
    )
    gdf.to_parquet(files["parquet"], index=False)
    del gdf
    text = pa.table(
        {
            "id": pa.array(df["incident_id"].astype(str)),
            "time": pa.array(df["time"]).cast(pa.timestamp("s", tz="UTC"), safe=False),
            "type": pa.array(df["source_type"].astype(str)),
            "x": pa.array(np.round(df["x"].to_numpy(), 1)),
            "y": pa.array(np.round(df["y"].to_numpy(), 1)),
        }
    )
    import pyarrow.compute as pc

    text = text.set_column(1, "time", pc.strftime(text["time"], format="%Y-%m-%dT%H:%M:%SZ"))
    pcsv.write_csv(
        text,
        files["csv"],
        write_options=pcsv.WriteOptions(quoting_style="needed"),
    )
    return files


def worker(file: str, fmt: str, again: bool) -> dict[str, object]:
    """One import (two with ``again``) into a new demo-county workspace."""
    t_start = time.perf_counter()
    from drugscenes.demo.region import make_region
    from drugscenes.services.imports import import_incidents
    from drugscenes.store import create_workspace

    t_imported = time.perf_counter()
    crs = "3006" if fmt == "csv" else None
    with tempfile.TemporaryDirectory(dir=Path(file).parent) as d:
        with create_workspace(Path(d) / "county.gpkg", make_region().municipalities) as store:
            t0 = time.perf_counter()
            result = import_incidents(store, file, crs=crs)
            s = time.perf_counter() - t0
            accepted = getattr(result.read, "n_accepted", None)  # None: the implementation of
            if accepted is None:  # before issue #14, which had only the frame
                accepted = len(result.read.incidents)
            out: dict[str, object] = {
                "s": s,
                "accepted": accepted,
                "rejected": result.read.n_rejected,
                "modules_s": t_imported - t_start,
            }
            if again:
                t0 = time.perf_counter()
                again_result = import_incidents(store, file, crs=crs)
                out["again_s"] = time.perf_counter() - t0
                out["again_new"] = again_result.n_new
    out["peak_mib"] = _peak_mib()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", default="1e6", help="sizes, comma-separated (e.g. 1e6,1e7)")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--again", action="store_true", help="also time re-importing the file")
    ap.add_argument("--src", default=str(ROOT / "src"), help="source tree to run")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ds-bench-import"))
    ap.add_argument(
        "--worker", nargs=3, metavar=("FILE", "FORMAT", "AGAIN"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.worker:
        file, fmt, again = args.worker
        print(json.dumps(worker(file, fmt, again == "1")))
        return
    sys.path.insert(0, str(ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": args.src}
    print(f"source: {args.src}; {os.cpu_count()} cores; medians of {args.repeat} runs")
    print(f"{'rows':>11} {'format':8} {'import s':>9} {'peak MiB':>9} {'rows/s':>12}  runs (s)")
    for n in [int(float(v)) for v in args.n.split(",")]:
        files = make_inputs(n, Path(args.cache))
        for fmt in args.formats.split(","):
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [
                        sys.executable,
                        str(HERE),
                        "--worker",
                        str(files[fmt]),
                        fmt,
                        "1" if args.again else "0",
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                if proc.returncode:
                    print(proc.stderr[-2000:])
                    raise SystemExit(f"worker failed for {fmt} {n}")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                r["process_s"] = time.perf_counter() - t0
                runs.append(r)
            s = statistics.median(float(r["s"]) for r in runs)
            peak = statistics.median(float(r["peak_mib"]) for r in runs)
            print(
                f"{n:>11,} {fmt:8} {s:>9.2f} {peak:>9.0f} {n / s:>12,.0f}  "
                + ", ".join(f"{float(r['s']):.2f}" for r in runs)
                + f"  (process {statistics.median(float(r['process_s']) for r in runs):.2f} s;"
                f" accepted {runs[0]['accepted']:,})"
            )
            if args.again:
                again = statistics.median(float(r["again_s"]) for r in runs)
                new = runs[0]["again_new"]
                print(f"{'':>11} {fmt + ' again':8} {again:>9.2f}  (re-import, new ids: {new})")


if __name__ == "__main__":
    main()
