"""End-to-end benchmark: whole ``drugscenes`` commands as processes, against plain DuckDB
scripts doing the same counts on the same files, in one run (issue 14).

Every measurement is a fresh process, timed from start to exit (median of ``--runs``) with its
peak resident memory (``/usr/bin/time -f %M``, so the figure is the command's own and not
this script's: a child forked from a large process inherits its high-water mark). The
drugscenes and DuckDB runs alternate, so a busy machine slows both alike and the ratio stays
meaningful.

County mode (default): the synthetic demo county (:mod:`drugscenes.demo.region`, rounds
2021, 2023 and 2024) with N synthetic incidents in 2023 around the 63 scenes of round 2023
(:func:`drugscenes.demo.incidents.generate_incidents`), written as GeoParquet and CSV:

- ``drugscenes import incidents`` of the GeoParquet and of the CSV file into a workspace
  without incidents, against ``benchmarks/duckdb_import.py`` (``COPY ... PARTITION_BY
  (year)``: no validation at all, the yardstick);
- ``drugscenes crime --round 2023 --from 2023-01-01 --to 2023-12-31 --json`` against
  ``benchmarks/duckdb_crime.py`` (zone x category counts with ``ST_Intersects`` and
  ``ST_DWithin`` on the stored GeoParquet and the workspace's scenes); the counts of the
  two are compared;
- ``drugscenes --help`` and ``summary`` (text and ``--json``), against ``python -c pass``.

National mode (``--national 1e6,3e6,...``): the synthetic Sweden-size case of
:mod:`drugscenes.demo.national` (290 municipalities, 2,000 scenes, incidents over ten years,
a survey of ``--survey-n`` respondents); for each size every command runs once in a new
workspace and the table shows time and peak memory per command and size, so growth can be
seen, with DuckDB's import and crime for comparison.

Generated files are kept in ``--workdir`` and reused by later runs.

Usage::

    .venv/bin/pip install -e '.[bench]'     # duckdb and its spatial extension (offline)
    .venv/bin/python benchmarks/e2e.py                       # 1 M incidents, 3 runs
    .venv/bin/python benchmarks/e2e.py --sizes 1e6,1e7 --runs 3
    .venv/bin/python benchmarks/e2e.py --national 1e6,3e6,1e7,3e7
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DRUGSCENES = str(BIN / "drugscenes")
PY = sys.executable
TIME = "/usr/bin/time"
CRIME_ARGS = ("--round", "2023", "--from", "2023-01-01", "--to", "2023-12-31")


# -- running a process ------------------------------------------------------------------------
@dataclass
class Run:
    """One process: wall time (s), peak RSS (MiB, None when unknown), exit status, output,
    and CPU time (user + system, s; None when unknown), which a busy machine disturbs less
    than the wall time."""

    seconds: float
    peak_mib: float | None
    code: int
    stdout: str
    stderr: str
    cpu: float | None = None


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    """The environment of a timed command: ours plus ``extra``, with bytecode caching on.

    An installed package runs from its ``.pyc`` files; a shell with
    ``PYTHONDONTWRITEBYTECODE`` set would make every run compile drugscenes' (and the
    scripts') sources again, about 0.15 s of each command that no user pays.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def run(
    cmd: Sequence[str],
    timeout: float = 3600.0,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``cmd`` to its end; time it and take its peak memory from ``/usr/bin/time``.

    Parameters
    ----------
    cmd : sequence of str
        The command.
    timeout : float
        Seconds after which the process is killed (exit status -9).
    cwd : Path, optional
        Working folder.
    env : dict, optional
        Variables added to the environment.

    Returns
    -------
    Run
    """
    wrapped = [TIME, "-f", "@@maxrss %M %U %S", *cmd] if Path(TIME).exists() else list(cmd)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            wrapped,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=_environment(env),
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = cpu = None
    lines = stderr.rstrip("\n").split("\n")
    if lines and lines[-1].startswith("@@maxrss "):
        _, kib, user, system = lines[-1].split()
        peak, cpu = int(kib) / 1024, float(user) + float(system)
        stderr = "\n".join(lines[:-1])
        if lines[-2:-1] and lines[-2].startswith("Command "):  # time's note on a failure
            stderr = "\n".join(lines[:-2])
    return Run(seconds, peak, code, stdout, stderr, cpu)


@dataclass
class Measure:
    """The runs of one command."""

    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.code == 0 for r in self.runs)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu(self) -> float | None:
        cpus = [r.cpu for r in self.runs if r.cpu is not None]
        return statistics.median(cpus) if cpus else None

    @property
    def peak_mib(self) -> float | None:
        peaks = [r.peak_mib for r in self.runs if r.peak_mib is not None]
        return max(peaks) if peaks else None

    def cell(self) -> str:
        """``time s / peak MiB``, or the exit status and the error's first line."""
        if not self.runs:
            return "-"
        if not self.ok:
            bad = next(r for r in self.runs if r.code != 0)
            first = next((x for x in bad.stderr.splitlines() if x.strip()), "")
            return f"exit {bad.code}: {first[:60]}"
        peak = "?" if self.peak_mib is None else f"{self.peak_mib:,.0f}"
        return f"{self.seconds:.2f} s / {peak} MiB"


def alternate(
    pairs: Sequence[tuple[Measure, Callable[[], Run]]], runs: int, say: Callable[[str], None]
) -> None:
    """Run each command ``runs`` times, taking turns, so that load hits all alike."""
    for k in range(runs):
        for measure, job in pairs:
            r = job()
            measure.runs.append(r)
            say(f"  {measure.label} run {k + 1}: {r.seconds:.2f} s, exit {r.code}")


# -- data -------------------------------------------------------------------------------------
def _size(text: str) -> int:
    return int(float(text))


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _check(r: Run, what: str) -> Run:
    if r.code != 0:
        raise SystemExit(f"{what} failed (exit {r.code}):\n{r.stderr[-2000:]}")
    return r


def county_workspace(folder: Path, seed: int = 2023) -> Path:
    """The demo county's workspace with rounds 2021, 2023 and 2024 and no incidents,
    made with the commands ``init`` and ``import scenes`` (kept once made)."""
    ws = folder / "county.gpkg"
    if ws.exists():
        return ws
    from drugscenes.demo.region import ROUNDS, make_region, make_rounds

    region = make_region(seed)
    rounds = make_rounds(region, seed)
    munis = folder / "municipalities.gpkg"
    region.municipalities[["code", "name", "geometry"]].to_file(munis, driver="GPKG")
    tmp = folder / "county.tmp.gpkg"
    tmp.unlink(missing_ok=True)
    _check(run([DRUGSCENES, "init", str(tmp), "--municipalities", str(munis)]), "init")
    for label, date in ROUNDS.items():
        src = folder / f"scenes_{label}.gpkg"
        rounds[label].to_file(src, driver="GPKG")
        cmd = [DRUGSCENES, "import", "scenes", str(tmp), str(src), "--round", label]
        _check(run([*cmd, "--date", date]), f"import scenes {label}")
    tmp.rename(ws)
    return ws


def county_incidents(folder: Path, n: int, seed: int = 2023) -> tuple[Path, Path]:
    """``n`` incidents of 2023 around round 2023's scenes as GeoParquet and CSV (kept)."""
    pq_path, csv_path = folder / f"incidents_{n}.parquet", folder / f"incidents_{n}.csv"
    if pq_path.exists() and csv_path.exists():
        return pq_path, csv_path
    from drugscenes.demo.incidents import generate_incidents
    from drugscenes.demo.national import write_incidents_csv, write_incidents_geoparquet
    from drugscenes.demo.region import make_region, make_rounds

    region = make_region(seed)
    scenes = make_rounds(region, seed)["2023"]
    chunk = 1_000_000

    def frames():  # one million at a time, so memory stays small at 10 M
        for k, start in enumerate(range(0, n, chunk)):
            yield generate_incidents(
                region.municipalities,
                scenes,
                min(chunk, n - start),
                "2023-01-01",
                "2024-01-01",
                seed=seed + k,
                id_prefix=f"e2e-{k}-",
            )

    write_incidents_geoparquet(frames(), pq_path.with_suffix(".tmp"))
    pq_path.with_suffix(".tmp").rename(pq_path)
    write_incidents_csv(frames(), csv_path.with_suffix(".tmp"))
    csv_path.with_suffix(".tmp").rename(csv_path)
    return pq_path, csv_path


def fresh_copy(ws: Path, dest: Path) -> Path:
    """A copy of the workspace file alone (no incidents beside it) at ``dest``."""
    shutil.rmtree(dest.with_name(dest.stem + ".incidents"), ignore_errors=True)
    dest.unlink(missing_ok=True)
    shutil.copy(ws, dest)
    return dest


def crime_counts(stdout: str) -> dict[str, dict[str, int]]:
    """Zone -> category -> count from ``drugscenes crime --json``, zero counts left out."""
    data = json.loads(stdout)
    return {z["zone"]: {c: n for c, n in z["counts"].items() if n} for z in data["zones"]}


def duckdb_counts(stdout: str) -> dict[str, dict[str, int]]:
    return json.loads(stdout)["zones"]


# -- printing ---------------------------------------------------------------------------------
def _fmt(m: Measure) -> tuple[str, str, str]:
    if not m.ok:
        return m.cell(), "", ""
    peak = "?" if m.peak_mib is None else f"{m.peak_mib:,.0f}"
    cpu = "?" if m.cpu is None else f"{m.cpu:.2f}"
    return f"{m.seconds:.2f}", cpu, peak


def print_pairs(rows: list[tuple[str, int, Measure, Measure | None]], runs: int) -> None:
    """The comparison table: medians of wall and CPU time, peaks and the ratio of the wall
    times (drugscenes / reference)."""
    print(
        f"\nMedian of {runs} runs per command (whole processes): wall s, CPU s (user + system), "
        "peak = max RSS of the runs."
    )
    head = f"{'what':<32} {'n':>11} {'drugscenes s':>13} {'cpu s':>7} {'peak MiB':>9}"
    head += f" {'reference':>16} {'s':>7} {'cpu s':>7} {'peak MiB':>9} {'ratio':>7}"
    print(head)
    print("-" * len(head))
    for what, n, ours, ref in rows:
        t, c, p = _fmt(ours)
        line = f"{what:<32} {f'{n:,}' if n else '':>11} {t:>13} {c:>7} {p:>9}"
        if ref is not None:
            rt, rc, rp = _fmt(ref)
            ratio = f"{ours.seconds / ref.seconds:.2f}x" if ours.ok and ref.ok else "-"
            line += f" {ref.label[:16]:>16} {rt:>7} {rc:>7} {rp:>9} {ratio:>7}"
        print(line)
    print()
    for what, n, ours, ref in rows:
        for m in (ours, ref):
            if m is not None and m.runs:
                times = ", ".join(f"{r.seconds:.2f}" for r in m.runs)
                print(f"  {what} [{m.label}] n={n:,}: runs {times} s")


# -- county mode ------------------------------------------------------------------------------
def county(
    sizes: list[int],
    runs: int,
    workdir: Path,
    timeout: float,
    before: Path | None = None,
    startup_only: bool = False,
) -> None:
    folder = workdir / "county"
    folder.mkdir(parents=True, exist_ok=True)
    _say("setting up the demo county workspace")
    base = county_workspace(folder)
    rows: list[tuple[str, int, Measure, Measure | None]] = []
    ws, duck_out = folder / "run.gpkg", folder / "duckdb_out"
    for n in [] if startup_only else sizes:
        _say(f"generating {n:,} incidents")
        pq_file, csv_file = county_incidents(folder, n)
        for label, src, extra in (
            ("GeoParquet", pq_file, []),
            ("CSV", csv_file, ["--crs", "3006"]),
        ):
            ours = Measure("drugscenes")
            ref = Measure("duckdb COPY")

            def ours_job(src: Path = src, extra: list[str] = extra) -> Run:
                fresh_copy(base, ws)
                cmd = [DRUGSCENES, "import", "incidents", str(ws), str(src), *extra, "--json"]
                return run(cmd, timeout)

            def ref_job(src: Path = src) -> Run:
                return run([PY, str(HERE / "duckdb_import.py"), str(src), str(duck_out)], timeout)

            _say(f"import incidents ({label}), n={n:,}")
            alternate([(ours, ours_job), (ref, ref_job)], runs, _say)
            rows.append((f"import incidents ({label})", n, ours, ref))
        # crime on the workspace imported last from GeoParquet
        fresh_copy(base, ws)
        _check(
            run([DRUGSCENES, "import", "incidents", str(ws), str(pq_file), "--json"], timeout),
            "import incidents for crime",
        )
        ours, ref = Measure("drugscenes"), Measure("duckdb spatial")
        _say(f"crime, n={n:,}")
        alternate(
            [
                (ours, lambda: run([DRUGSCENES, "crime", str(ws), *CRIME_ARGS, "--json"], timeout)),
                (ref, lambda: run([PY, str(HERE / "duckdb_crime.py"), str(ws), *CRIME_ARGS])),
            ],
            runs,
            _say,
        )
        rows.append(("crime --json (one year)", n, ours, ref))
        if ours.ok and ref.ok:
            same = crime_counts(ours.runs[-1].stdout) == duckdb_counts(ref.runs[-1].stdout)
            _say(f"  zone x category counts of drugscenes and DuckDB agree: {same}")
            print(f"crime counts, n={n:,}: drugscenes and DuckDB agree: {'yes' if same else 'NO'}")
    rows += startup(base, max(runs, 10), before)
    print_pairs(rows, runs)
    print(f"Start-up rows: median of {max(runs, 10)} runs.")


def startup(
    ws: Path, runs: int, before: Path | None
) -> list[tuple[str, int, Measure, Measure | None]]:
    """``--help``, ``summary`` (text, JSON) and ``crime --help``, against an older source tree
    (``before``: a ``src`` folder, e.g. of ``git archive HEAD src``) when given, and the
    floor of any Python command, ``python -c pass``."""
    floor = Measure("python -c pass")
    commands = {
        "--help": ["--help"],
        "summary": ["summary", str(ws)],
        "summary --json": ["summary", str(ws), "--json"],
        "crime --help": ["crime", "--help"],
    }
    entry = "import sys; from drugscenes.cli import main; sys.argv[0] = 'drugscenes'; main()"
    jobs: list[tuple[Measure, Callable[[], Run]]] = [(floor, lambda: run([PY, "-c", "pass"]))]
    rows: list[tuple[str, int, Measure, Measure | None]] = []
    for what, args in commands.items():
        ours = Measure("drugscenes")
        jobs.append((ours, lambda args=args: run([DRUGSCENES, *args])))
        ref = floor
        if before is not None:
            ref = Measure("before")
            env = {"PYTHONPATH": str(before)}
            jobs.append((ref, lambda args=args, env=env: run([PY, "-c", entry, *args], env=env)))
        rows.append((what, 0, ours, ref))
    _say("start-up")
    alternate(jobs, runs, _say)
    rows.append(("python -c pass", 0, floor, None))
    return rows


# -- national mode ----------------------------------------------------------------------------
NATIONAL_STEPS: list[tuple[str, Callable[[dict[str, str]], list[str]]]] = [
    ("init", lambda f: ["init", f["ws"], "--municipalities", f["munis"]]),
    (
        "import scenes 2023",
        lambda f: [
            "import",
            "scenes",
            f["ws"],
            f["r2023"],
            "--round",
            "2023",
            "--date",
            "2023-10-01",
        ],
    ),
    (
        "import scenes 2024",
        lambda f: [
            "import",
            "scenes",
            f["ws"],
            f["r2024"],
            "--round",
            "2024",
            "--date",
            "2024-10-01",
        ],
    ),
    ("import incidents", lambda f: ["import", "incidents", f["ws"], f["incidents"], "--json"]),
    ("rounds", lambda f: ["rounds", f["ws"]]),
    ("summary", lambda f: ["summary", f["ws"]]),
    ("history --json", lambda f: ["history", f["ws"], "--json"]),
    ("compare 2023 2024 --json", lambda f: ["compare", f["ws"], "2023", "2024", "--json"]),
    ("crime (2023) --json", lambda f: ["crime", f["ws"], *CRIME_ARGS, "--json"]),
    (
        "displacement --json",
        lambda f: [
            "displacement",
            f["ws"],
            "--from-round",
            "2023",
            "--to-round",
            "2024",
            "--before",
            "2023-01-01:2023-12-31",
            "--after",
            "2024-01-01:2024-12-31",
            "--json",
        ],
    ),
    (
        "nearrepeat (2 weeks) --json",
        lambda f: ["nearrepeat", f["ws"], "--from", "2024-06-01", "--to", "2024-06-14", "--json"],
    ),
    (
        "hotspots (2024, 500 m cells) --json",
        lambda f: [
            "hotspots",
            f["ws"],
            "--round",
            "2024",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--cell",
            "500",
            "--band",
            "1500",
            "--json",
        ],
    ),
    (
        "import survey",
        lambda f: [
            "import",
            "survey",
            f["ws"],
            f["survey"],
            "--year",
            "2023",
            "--crs",
            "3006",
            "--json",
        ],
    ),
    ("survey --json", lambda f: ["survey", f["ws"], "--year", "2023", "--json"]),
    (
        "evaluate --json",
        lambda f: ["evaluate", f["ws"], "--from-round", "2023", "--to-round", "2024", "--json"],
    ),
]
"""The commands of the national case, in order, each as a function of the files."""


def national_files(folder: Path, survey_n: int, seed: int = 2026) -> dict[str, str]:
    """The case's municipality, round and survey files (kept once made)."""
    files = {
        "munis": folder / "municipalities.gpkg",
        "r2023": folder / "scenes_2023.gpkg",
        "r2024": folder / "scenes_2024.gpkg",
        "survey": folder / f"survey_{survey_n}.csv",
    }
    if not all(p.exists() for p in files.values()):
        from drugscenes.demo.national import make_national, national_survey

        case = make_national(seed=seed)
        case.municipalities.to_file(files["munis"], driver="GPKG")
        case.rounds["2023"].to_file(files["r2023"], driver="GPKG")
        case.rounds["2024"].to_file(files["r2024"], driver="GPKG")
        s = national_survey(case, survey_n, seed)
        cols = ["respondent_id", "x", "y", "weight", "answer", "stratum", "psu"]
        s[cols].to_csv(files["survey"], index=False)
    return {k: str(v) for k, v in files.items()}


def national_incidents_file(folder: Path, n: int, seed: int = 2026) -> Path:
    """``n`` incidents over 2015-2024 as GeoParquet (kept once made)."""
    path = folder / f"incidents_{n}.parquet"
    if not path.exists():
        from drugscenes.demo.national import (
            make_national,
            national_incidents,
            write_incidents_geoparquet,
        )

        case = make_national(seed=seed)
        write_incidents_geoparquet(national_incidents(case, n, seed=seed), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    return path


def national(
    sizes: list[int], workdir: Path, survey_n: int, timeout: float, skip: set[str]
) -> None:
    folder = workdir / "national"
    folder.mkdir(parents=True, exist_ok=True)
    _say("generating the national case")
    files = national_files(folder, survey_n)
    table: dict[str, dict[int, Measure]] = {}
    for n in sizes:
        _say(f"generating {n:,} national incidents")
        f = dict(files, incidents=str(national_incidents_file(folder, n)))
        ws = folder / "national.gpkg"
        shutil.rmtree(folder / "national.incidents", ignore_errors=True)
        (folder / "national.survey.gpkg").unlink(missing_ok=True)
        ws.unlink(missing_ok=True)
        f["ws"] = str(ws)
        for what, args in NATIONAL_STEPS:
            if what in skip:
                continue
            m = Measure("drugscenes")
            r = run([DRUGSCENES, *args(f)], timeout)
            m.runs.append(r)
            table.setdefault(what, {})[n] = m
            _say(f"  n={n:,} {what}: {m.cell()}")
        if "duckdb" not in skip:
            out = folder / "duckdb_out"
            m = Measure("duckdb")
            m.runs.append(
                run([PY, str(HERE / "duckdb_import.py"), f["incidents"], str(out)], timeout)
            )
            table.setdefault("DuckDB COPY (reference)", {})[n] = m
            m = Measure("duckdb")
            m.runs.append(run([PY, str(HERE / "duckdb_crime.py"), str(ws), *CRIME_ARGS], timeout))
            table.setdefault("DuckDB crime script (reference)", {})[n] = m
            _say(f"  n={n:,} duckdb: {table['DuckDB COPY (reference)'][n].cell()}, {m.cell()}")
    print(
        f"\nNational case: 290 municipalities, 2,000 scenes (round 2023; 2024 keeps 90 % and "
        f"adds 5 %), incidents over 2015-2024, survey of {survey_n:,}; one run each; "
        "time s / peak MiB"
    )
    width = 34
    print(f"{'command':<{width}}" + "".join(f"{n:>26,}" for n in sizes))
    for what, by_n in table.items():
        print(
            f"{what:<{width}}"
            + "".join(f"{by_n[n].cell() if n in by_n else '-':>26}" for n in sizes)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default="1e6", help="incident counts of the county mode, e.g. 1e6,1e7"
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per command (median)")
    ap.add_argument(
        "--national", default=None, help="incident counts of the national case, e.g. 1e6,3e6"
    )
    ap.add_argument("--survey-n", type=_size, default=1_000_000, help="national survey respondents")
    ap.add_argument("--skip", default="", help="national steps to leave out, comma-separated")
    ap.add_argument(
        "--only",
        default="",
        help="national steps to run (the others are left out), comma-separated",
    )
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "drugscenes-e2e")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    ap.add_argument("--startup-only", action="store_true", help="measure the start-up only")
    ap.add_argument(
        "--before",
        type=Path,
        default=None,
        help="a src folder of an older drugscenes (e.g. from 'git archive HEAD src'): its "
        "start-up is measured in the same run",
    )
    a = ap.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    if a.national:
        skip = {s.strip() for s in a.skip.split(",") if s.strip()}
        only = {s.strip() for s in a.only.split(",") if s.strip()}
        if only:
            skip |= {what for what, _ in NATIONAL_STEPS if what not in only} | {"duckdb"} - only
        national([_size(s) for s in a.national.split(",")], a.workdir, a.survey_n, a.timeout, skip)
    else:
        sizes = [_size(s) for s in a.sizes.split(",")]
        county(sizes, a.runs, a.workdir, a.timeout, a.before, a.startup_only)


if __name__ == "__main__":
    main()
