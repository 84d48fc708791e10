"""Fuzzing the analysis commands' options: no value ends in a traceback or a changed workspace.

Every example runs one command (``crime``, ``hotspots``, ``survey``, ``nearrepeat``,
``displacement``, ``compare``, ``history``, ``summary``, ``report``) through the command line
in-process (``helpers.run`` lets an exception escape, so a traceback fails the test) on a fresh
copy of a small workspace (two rounds, incidents, a survey), with option values drawn from a
mix of plausible ones (rounds and days of the data, band edges, sizes) and hostile ones
(``nan``, ``inf``, ``1e308``, ``-0``, impossible dates, text with control characters, NUL,
markup, formulas, bytes that are not UTF-8 as Python reads them from a command line).
``--simulations`` is kept small or beyond its bound, so an example stays quick.

The property: exit status 0, 1 or 2 and no traceback; the workspace (file, incident folder,
survey file) byte-identical; nothing written but in the output folder given to ``--out`` or
``--gpkg`` (the command runs in the example's folder, so a relative path lands there too), and
nothing there either when the command failed; ``--json`` output that parses.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from drugscenes.analysis.hotspots.counts import make_periods
from drugscenes.periods import local_day
from fuzzing import PROFILE, fresh, snapshot, tree
from helpers import run

FUZZ = settings.get_profile(PROFILE)

# -- values -------------------------------------------------------------------------------------
HOSTILE = [
    "", " ", "\x00", "a\x00b", "\x1b[31m", "\x9b2J", "[/]", "[bold]x", "\t", "\n", "\r\n",
    "=1+1", "@SUM(A1)", "</script><script>alert(1)//", "$\\frac{a}{$", "%s%n", "{0}", "{}",
    "'; DROP TABLE ds_rounds;--", "%", "_", "*", "..", "../x", "/", "~", "-", "--", "--json",
    "\udcff\udc80", "a\udcffb", "\ufeff", "\u202e", "\U0001f4a9", "x" * 5000,
]  # fmt: skip
"""Hostile texts; ``\\udcff`` is how Python passes on a byte of a command line that is not
UTF-8 (surrogate escape)."""

NUMBERS = [
    "0", "-0", "1", "10", "50", "100", "150", "200", "300", "500", "1000", "2000", "-5", "nan",
    "NaN", "inf", "-inf", "1e308", "-1e308", "1e309", "1e-308", "5e-324", "1e9", "0x10", "1_000",
    " 100 ", "100m", "1,5", "١٠٠", "１００",
]  # fmt: skip
"""Plausible and odd numbers: edges of the bounds, NaN, infinities, what ``float`` refuses."""
DAYS = [
    "2023-01-01", "2023-06-30", "2023-12-31", "2024-01-01", "2024-12-31", "2022-06-01",
    "1900-01-01", "2199-12-31", "9999-99-99", "0000-00-00", "2023-02-30", "2023-02-29",
    "2024-02-29", "2023-1-1", "20230101", "2023-06-01T00:00", "2023-03-26", "2023-10-29",
    "٢٠٢٣-٠١-٠١", "２０２３-０１-０１", "1899-12-31", "2200-01-01",
]  # fmt: skip
"""Plausible days of the data, the ends of the years allowed, impossible and odd ones."""

hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.binary(max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape")),
)
number = st.one_of(
    st.sampled_from(NUMBERS),
    st.floats().map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(min_value=0, max_value=5000).map(lambda v: f"{v:g}"),
)
numbers = st.one_of(
    number,
    st.lists(number, min_size=1, max_size=6).map(",".join),
    st.sampled_from(["0,100,200", "500,1000,2000", "100,100", "200,100", ",", ",,100", "0"]),
    hostile,
)
"""A value of an option taking a number or a list of numbers."""
integer = st.one_of(
    st.sampled_from(["0", "1", "5", "10", "29", "30", "31", "100", "-1", "1.5", "1e3", "nan"]),
    st.integers(-(10**20), 10**20).map(str),
    hostile,
)
label = st.one_of(
    st.sampled_from(["2023", "2024", "2025", "2023 ", " 2024", "2O23", "x" * 300, "2023\x00"]),
    hostile,
)
"""A round label (or scene id, municipality, category)."""
day = st.one_of(
    st.sampled_from(DAYS),
    st.dates().map(lambda d: d.isoformat()),
    hostile,
)
days = st.one_of(
    st.builds(lambda a, b: f"{a}:{b}", day, day),
    st.sampled_from(["2023-01-01:2023-06-30", "2023-07-01:2023-12-31", "2024-01-01:2024-06-30"]),
    day,
    hostile,
)
"""A period ``FIRST:LAST``."""
category = st.one_of(
    st.sampled_from(
        [
            "violence",
            "shooting",
            "drug offence",
            "drug_offence",
            "explosion",
            "other",
            "VIOLENCE",
            " violence ",
        ]
    ),
    hostile,
)
simulations = st.one_of(
    st.sampled_from(["1", "9", "19", "0", "-1", "100000", "10000000", "1e3", "nan"]),
    hostile.filter(lambda t: not t.strip().lstrip("+").isdigit()),
)
"""Permutations: a few, or beyond the bound (refused), or not a number: an example stays quick."""


def mostly(
    plausible: st.SearchStrategy[str], other: st.SearchStrategy[str], odds: int = 4
) -> st.SearchStrategy[str]:
    """``plausible``, but one time in ``odds`` ``other``: most examples get past the
    parsing of their options and run the analysis."""
    return st.integers(1, odds).flatmap(lambda k: other if k == 1 else plausible)


def some(*plausible: str, other: st.SearchStrategy[str] = numbers) -> st.SearchStrategy[str]:
    """One of ``plausible`` mostly, else ``other``."""
    return mostly(st.sampled_from(plausible), other)


@st.composite
def options(draw: st.DrawFn, spec: dict[str, st.SearchStrategy[str] | None]) -> list[str]:
    """Some of the options in ``spec`` (``None``: a flag), in a random order."""
    chosen = draw(st.lists(st.sampled_from(list(spec)), unique=True, max_size=len(spec)))
    args: list[str] = []
    for name in chosen:
        strategy = spec[name]
        if strategy is None:
            args.append(name)
        else:
            for value in draw(
                st.lists(strategy, min_size=1, max_size=2 if name == "--category" else 1)
            ):
                args += [name, value]
    return args


@st.composite
def required(draw: st.DrawFn, spec: dict[str, st.SearchStrategy[str]]) -> list[str]:
    """Each required option, nearly always given."""
    args: list[str] = []
    for name, strategy in spec.items():
        if draw(st.integers(0, 19)):
            args += [name, draw(strategy)]
    return args


ROUND = mostly(st.sampled_from(["2023", "2024"]), label, odds=8)
FIRST = mostly(st.sampled_from(["2023-01-01", "2023-03-01", "2023-07-01"]), day, odds=8)
LAST = mostly(st.sampled_from(["2023-12-31", "2024-06-30", "2024-12-31"]), day, odds=8)
BEFORE = mostly(st.sampled_from(["2023-01-01:2023-06-30", "2023-01-01:2023-12-31"]), days, 8)
AFTER = mostly(st.sampled_from(["2024-01-01:2024-06-30", "2024-01-01:2024-12-31"]), days, 8)
PERIOD = {"--from": FIRST, "--to": LAST}
COMMANDS: dict[str, st.SearchStrategy[list[str]]] = {
    "crime": st.builds(
        lambda req, opt: ["crime", *req, *opt],
        required({"--round": ROUND, **PERIOD}),
        options(
            {
                "--rings": some("100", "200", "100,200", "50,100,300"),
                "--by-municipality": None,
                "--top": some("0", "3", "10", other=integer),
                "--json": None,
            }
        ),
    ),
    "hotspots": st.builds(
        lambda req, opt: ["hotspots", *req, *opt],
        required({"--round": ROUND, **PERIOD}),
        options(
            {
                "--category": some("violence", "drug offence", "shooting", other=category),
                "--cell": some("50", "100", "200"),
                "--band": some("200", "300", "500"),
                "--period": some("month", "quarter", "none", other=st.just("week") | hostile),
                "--distance": some("0", "200", "1000"),
                "--method": some("local-poisson", "gistar", other=st.just("GISTAR") | hostile),
                "--no-fdr": None,
                "--json": None,
                "--gpkg": st.just("{out}/hotspots.gpkg"),
            }
        ),
    ),
    "survey": st.builds(
        lambda req, opt: ["survey", *req, *opt],
        required({"--year": some("2023", "2024", other=integer)}),
        options(
            {
                "--round": label,
                "--bands": some("500,1000,2000", "300,600", "1000", "0,200,5000"),
                "--min-n": some("30", "40", "100", other=integer),
                "--method": some("beta", "logit", "wald", other=st.just("BETA") | hostile),
                "--full-precision": None,
                "--json": None,
            }
        ),
    ),
    "nearrepeat": st.builds(
        lambda req, opt: ["nearrepeat", *req, *opt],
        required(PERIOD),
        options(
            {
                "--category": some("shooting", "violence", other=category),
                "--space-bands": some("0,100,200,400,800", "0,500,1000", "250"),
                "--time-bands": some("0,7,14,28", "0,30", "1"),
                "--simulations": mostly(st.sampled_from(["1", "9", "19"]), simulations),
                "--seed": some("0", "1", "42", other=integer),
                "--round": ROUND,
                "--ring": some("0", "100", "200"),
                "--json": None,
            }
        ),
    ),
    "displacement": st.builds(
        lambda req, opt: ["displacement", *req, *opt],
        required(
            {
                "--from-round": mostly(st.just("2023"), label, odds=8),
                "--to-round": mostly(st.just("2024"), label, odds=8),
                "--before": BEFORE,
                "--after": AFTER,
            }
        ),
        options(
            {
                "--buffer": some("100", "200", "500"),
                "--category": some("violence", other=category),
                "--json": None,
            }
        ),
    ),
    "compare": st.builds(
        lambda a, b, opt: ["compare", "{ws}", a, b, *opt],
        mostly(st.just("2023"), label, odds=8),
        mostly(st.just("2024"), label, odds=8),
        options(
            {
                "--distance": some("0", "200", "1000"),
                "--json": None,
                "--gpkg": st.just("{out}/compare.gpkg"),
                "--no-hotspots": None,
            }
        ),
    ),
    "history": st.builds(
        lambda opt: ["history", *opt],
        options({"--scene": some("s1", "s3", "s9", "P1", other=label), "--json": None}),
    ),
    "summary": st.builds(
        lambda opt: ["summary", *opt],
        options({"--round": ROUND, "--largest": some("0", "3", other=integer), "--json": None}),
    ),
    "report": st.builds(
        lambda period, compare, opt: ["report", "--out", "{out}/report", *period, *compare, *opt],
        mostly(
            st.just([]) | st.builds(lambda a, b: ["--from", a, "--to", b], FIRST, LAST),
            st.builds(lambda a: ["--from", a], FIRST) | st.builds(lambda b: ["--to", b], LAST),
        ),
        mostly(st.just(["--round", "2024"]), st.just(["--compare", "2024"]) | st.just([])),
        options(
            {
                "--round": ROUND,
                "--compare": ROUND,
                "--survey-year": some("2023", "2024", other=integer),
                "--municipality": some("0180", "180", "Stockholm", "sundbyberg", other=label),
                "--lang": some("sv", "en", other=st.sampled_from(["EN", "de", ""]) | hostile),
                "--tile-url": some(
                    "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "http://localhost:8080/tiles/{z}/{x}/{y}.png?key=å",
                    other=st.sampled_from(
                        [
                            "javascript:alert(1)//{z}{x}{y}",
                            'http://x/"></script><script>alert(1)//{z}/{x}/{y}',
                            "https://{z}",
                            "",
                        ]
                    )
                    | hostile,
                ),
                "--min-n": some("30", "50", other=integer),
                "--json": None,
            }
        ),
    ),
}
"""Each command's arguments (``{ws}`` and ``{out}`` filled in per example; a command
whose first argument is not ``{ws}`` gets it inserted)."""


def check_command(base: Path, args: list[str]) -> tuple[int, str]:
    """Run ``args`` on a fresh copy of the workspace, check the property and return the
    exit status and the standard error."""
    base_before = tree(base)
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as tmp:
        folder = Path(tmp)
        ws = fresh(base, folder / "w")
        out = folder / "out"
        out.mkdir()
        argv = [a.replace("{ws}", str(ws)).replace("{out}", str(out)) for a in args]
        if "{ws}" not in args:
            argv.insert(1, str(ws))
        before, files = snapshot(ws), tree(folder, skip=out)
        with contextlib.chdir(folder):
            code, stdout, stderr = run(*argv)
        assert code in (0, 1, 2), stderr
        assert "Traceback" not in stderr and "Traceback" not in stdout
        assert snapshot(ws) == before, stderr
        assert tree(folder, skip=out) == files, stderr
        if code != 0:
            assert not any(p.is_file() for p in out.rglob("*")), stderr
        elif "--json" in argv:
            json.loads(stdout)
    assert tree(base) == base_before
    return code, stderr


@pytest.mark.parametrize("command", list(COMMANDS))
@settings(FUZZ)
@given(data=st.data())
def test_options(fuzz_base: Path, command: str, data: st.DataObject) -> None:
    """Random values of the command's options."""
    code, _ = check_command(fuzz_base, data.draw(COMMANDS[command], label="args"))
    event(f"exit {code}")


# -- what the fuzzing found -------------------------------------------------------------------
NOT_UTF8 = [
    (["history", "--scene", "a\udcffb"], "--scene"),
    (["summary", "--round", "\udcff"], "--round"),
    (["compare", "{ws}", "\udc80", "2024"], "FROM"),
    (["crime", "--round", "2024\udce5", "--from", "2023-01-01", "--to", "2023-12-31"], "--round"),
    (["hotspots", "--round", "2024", "--from", "2023-01-01", "--to", "2023-12-31",
      "--category", "v\udce5ld"], "--category"),
    (["report", "--out", "{out}/report", "--municipality", "G\udcf6teborg"], "--municipality"),
]  # fmt: skip
"""Text options holding bytes that are not UTF-8 (as Python passes them on from a command
line: lone surrogates). They reached SQLite, Arrow or the terminal and ended in
``UnicodeEncodeError``; now every command refuses them first (cli/app.py)."""


@pytest.mark.parametrize(("args", "option"), NOT_UTF8, ids=[a[0] for a, _ in NOT_UTF8])
def test_text_that_is_not_utf8_is_a_usage_error(fuzz_base: Path, args: list[str], option: str):
    code, err = check_command(fuzz_base, args)
    assert code == 2, err
    assert err.strip() == f"error: {option}: bytes that are not UTF-8 text; give it in UTF-8"


DST_MIDNIGHT = [
    ["crime", "--round", "2023", "--from", "1916-10-01", "--to", "2023-12-31"],
    ["nearrepeat", "--from", "1916-10-01", "--to", "2023-12-31", "--simulations", "9"],
]  # fmt: skip
"""Periods with a day or month starting at a midnight that occurs twice (1916-10-01 in
Stockholm, when summer time ended at 01:00). Localising it raised ``ValueError: Cannot infer
dst time`` (periods.py, analysis/hotspots/counts.py); now the day starts at its first
occurrence."""


@pytest.mark.parametrize("args", DST_MIDNIGHT, ids=[" ".join(a[:1] + a[3:5]) for a in DST_MIDNIGHT])
def test_a_period_over_an_ambiguous_midnight(fuzz_base: Path, args: list[str]) -> None:
    code, err = check_command(fuzz_base, args)
    assert code == 0, err


def test_months_over_an_ambiguous_midnight() -> None:
    """The emerging hot-spot analysis's months (``hotspots --from 1900-01-01`` over the
    incidents ended in the traceback): October 1916 starts at the first 00:00."""
    periods = make_periods(local_day("1916-01-01"), local_day("1917-01-01"), "month")
    assert [p.label for p in periods][9] == "1916-10"
    assert periods[9].start == pd.Timestamp("1916-09-30T22:00Z") == periods[8].end
    assert len(periods) == 12 and periods[-1].end == local_day("1917-01-01")
