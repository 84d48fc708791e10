"""Detection benchmark of the hot-spot methods on planted truths: local exact Poisson
test (the default) against Getis-Ord Gi*.

Each replication draws one year of incidents with
:func:`drugscenes.analysis.hotspots.simulate.simulate` over the real county
(``../shared/data/stockholm_municipalities_3006.geojson`` when it exists, else the demo
county), analyses it with :func:`~drugscenes.analysis.hotspots.analyse_hotspots` at the
command's defaults (100 m cells, 300 m band, monthly emerging analysis) with each method,
and scores it (:func:`~drugscenes.analysis.hotspots.simulate.score`):

- ``csr``: 40,000 incidents uniform over the county; every finding is false;
- ``planted``: 90 % of the background in the city (Stockholm, 0180), the rest spread
  thinly, 20 registered scenes, and two new places of 40 incidents (one in the city, one
  in the countryside, each at least 2 km from every scene);
- ``ceased``: as ``planted`` with half of the scenes ceasing in mid-year (no longer
  registered).

Printed per scenario and method: detection rate of the city and countryside places,
false candidates per replication (and the share of replications with any), candidates at
registered scenes, hot cells and false hot cells per replication, the mean false discovery
proportion of hot cells (under CSR: the share of replications with any hot cell, since
every hot cell is false), cells with a hot emerging pattern away from every true place,
and the rejection rate of the per-cell trend test away from every true place (nominal
0.05).

Usage::

    .venv/bin/python benchmarks/bench_hotspot_detection.py [--reps 5] [--seed 1]
        [--scenarios csr,planted,ceased] [--no-emerging]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from drugscenes.analysis.hotspots import METHODS, analyse_hotspots
from drugscenes.analysis.hotspots.simulate import END, START, load_region, score, simulate

REAL = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_FILE = REAL / "stockholm_municipalities_3006.geojson"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", default="csr,planted,ceased")
    ap.add_argument("--no-emerging", action="store_true")
    args = ap.parse_args()
    region = load_region(REAL_FILE)
    where = "real county (Stockholm, 26 municipalities)" if REAL_FILE.exists() else "demo county"
    print(f"region: {where}, {region.area.sum() / 1e6:,.0f} km²; {args.reps} replications")
    rows = []
    for scenario in args.scenarios.split(","):
        for rep in range(args.reps):
            sim = simulate(region, scenario, args.seed + 1000 * rep)
            for method in METHODS:
                t = time.perf_counter()
                res = analyse_hotspots(
                    sim.incidents,
                    region,
                    sim.scenes,
                    START,
                    END,
                    categories=["violence"],
                    method=method,
                    period=None if args.no_emerging else "month",
                )
                s = score(sim, res)
                s["seconds"] = time.perf_counter() - t
                rows.append(s)
                print(
                    f"  {scenario:8s} rep {rep} {method:13s} {s['seconds']:5.1f} s: "
                    f"{len(res.candidates.candidates)} candidates, {s['hot_cells']} hot cells",
                    flush=True,
                )
    df = pd.DataFrame(rows)
    print()
    print(summary(df).to_string())


def summary(df: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (scenario, method), g in df.groupby(["scenario", "method"], sort=False):
        row = {
            "scenario": scenario,
            "method": method,
            "reps": len(g),
            "found city": _rate(g["detected_city"]),
            "found sparse": _rate(g["detected_sparse"]),
            "false cand/rep": g["false_candidates"].mean(),
            "reps w/ false cand": (g["false_candidates"] > 0).mean(),
            "cand at scene": g["candidate_at_scene"].sum(),
            "hot cells/rep": g["hot_cells"].mean(),
            "false hot/rep": g["false_hot_cells"].mean(),
            "mean FDP": g["fdp"].mean(),
        }
        if "hot_pattern_cells" in g:
            row["false pattern cells/rep"] = g["false_pattern_cells"].mean()
            row["trend rejection rate"] = g["trend_rejections"].sum() / max(
                g["trend_tests"].sum(), 1
            )
        row["s/analysis"] = g["seconds"].mean()
        out.append(row)
    return pd.DataFrame(out).round(3)


def _rate(col: pd.Series) -> float | str:
    vals = [v for v in col if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return float(np.mean(vals)) if vals else "-"


if __name__ == "__main__":
    main()
