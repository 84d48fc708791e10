"""Coverage of the crime evaluation's interval on planted data (``drugscenes evaluate``).

Each replication draws a small county with 40 scenes, 10 of them worked away between the
rounds (each in a random month between them), two years of incidents with scene-by-month
noise, and keeps incidents in a worked-away scene's area after its ceasing with probability
``--rate-ratio`` (:mod:`drugscenes.demo.planted`). The evaluation's PPML difference in
differences (scene and month fixed effects, SEs clustered by scene) should hold the planted
rate ratio in its 95 % interval in about 95 % of replications (the goal: at least 90 of
100), and, with no effect planted, hold 1 at the nominal rate.

Usage::

    .venv/bin/python benchmarks/bench_evaluation.py [--replications 100] [--rate-ratio 0.6]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from drugscenes.demo.planted import coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--rate-ratio", type=float, default=0.6)
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.replications)
    for label, rr in (("planted effect", args.rate_ratio), ("no effect", 1.0)):
        t0 = time.perf_counter()
        covered, n, est = coverage(seeds, rr)
        dt = time.perf_counter() - t0
        print(
            f"{label:>15} (rate ratio {rr:g}): 95 % interval covers it in {covered}/{n} "
            f"replications ({covered / max(n, 1):.0%}); mean estimate {np.mean(est):.3f}, "
            f"median {np.median(est):.3f}; {n}/{args.replications} estimable; {dt:.1f} s"
        )


if __name__ == "__main__":
    main()
