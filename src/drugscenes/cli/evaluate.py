"""Command ``drugscenes evaluate`` (thin: parse, call :func:`drugscenes.services.evaluate.evaluate`,
print a table and a plain-language reading; ``--json`` prints ``to_dict()`` exactly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from drugscenes import config
from drugscenes.cli.app import WorkspaceArg, err, out, print_json, safe, spinner
from drugscenes.store import open_workspace

if TYPE_CHECKING:
    from drugscenes.services.evaluate import EvaluationResult

__all__ = ["evaluate", "register"]


def evaluate(
    workspace: WorkspaceArg,
    from_round: Annotated[
        str, typer.Option("--from-round", metavar="A", help="The earlier round.")
    ],
    to_round: Annotated[
        str,
        typer.Option(
            "--to-round", metavar="B", help="The later round; its date is the event time."
        ),
    ],
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            metavar="C",
            help="Incident category (default: all except drug offences, which measure "
            "police activity).",
        ),
    ] = None,
    full_precision: Annotated[
        bool,
        typer.Option(
            "--full-precision",
            help="Survey figures unrounded: for the holder of the microdata only.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead of tables.")
    ] = False,
) -> None:
    """Did working scenes away help? Crime and unsafety at worked-away vs persisting scenes."""
    from drugscenes.services import evaluate as services  # statsmodels: only when run

    with open_workspace(workspace) as store, spinner("evaluating") as step:
        result = services.evaluate(
            store,
            from_round=from_round,
            to_round=to_round,
            category=category,
            full_precision=full_precision,
            progress=step,
        )
    if as_json:
        print_json(result.to_dict())
        return
    for note in (*result.crime.notes, *result.notes):
        err.print(f"[yellow]note[/] {safe(note)}", soft_wrap=True)
    _print(out, result)


def _fmt(v: float | None, pattern: str = "{:.2f}") -> str:
    return "–" if v is None else pattern.format(v)


def _ci(lo: float | None, hi: float | None, pattern: str = "{:.2f}") -> str:
    return "–" if lo is None or hi is None else f"{_fmt(lo, pattern)} – {_fmt(hi, pattern)}"


def _print(console: Console, r: EvaluationResult) -> None:
    d = r.to_dict()
    c, s = d["crime"], d["survey"]
    table = Table(
        title=f"Worked-away vs persisting scenes, {safe(r.from_round)} → "
        f"{safe(r.to_round)} ({safe(d['category'])})"
    )
    for col in ("outcome", "rate ratio", "95 % CI", "p"):
        table.add_column(col, justify="left" if col == "outcome" else "right")

    def effect_row(label: str, e: dict[str, Any] | None) -> None:
        if e is None:
            return
        if e.get("reason"):
            table.add_row(label, "–", safe(e["reason"]), "")
            return
        table.add_row(
            label,
            _fmt(e["rate_ratio"]),
            _ci(e["ci_low"], e["ci_high"]),
            _fmt(e["p_value"], "{:.3f}"),
        )

    effect_row("crime at scene and ring, after round B", {**c, "reason": c["reason"]})
    effect_row("  between the rounds", c["between_rounds"])
    effect_row("  placebo", c["placebo"])
    effect_row("  ring alone (displacement?)", c["displacement"]["ring"])
    effect_row("  rest of municipality", c["displacement"]["rest_of_municipality"])
    console.print(table)
    if c["pretrend_p_value"] is not None:
        console.print(f"Pre-trend test (months before round A): p = {c['pretrend_p_value']:.3f}")
    if s.get("reason"):
        console.print(f"Perceived safety: no estimate — {safe(s['reason'])}", soft_wrap=True)
    else:
        console.print(
            f"Perceived safety {s['years'][0]} → {s['years'][1]}: change in the share unsafe "
            f"within {config.NEAR_BAND_M:g} m of worked-away minus persisting scenes "
            f"{s['difference'] * 100:+.0f} percentage points "
            f"(95 % CI {s['ci_low'] * 100:+.0f} to {s['ci_high'] * 100:+.0f}).",
            soft_wrap=True,
        )
    console.print()
    for line in reading(r):
        console.print(safe(line), soft_wrap=True)


def reading(r: EvaluationResult) -> list[str]:
    """The result in plain words (English)."""
    lines: list[str] = []
    m = r.crime.main
    if m.estimable and m.rate_ratio is not None and m.ci_low is not None:
        change = (m.rate_ratio - 1.0) * 100
        direction = "lower" if change < 0 else "higher"
        sure = (
            "The interval excludes 'no change'."
            if m.ci_high is not None and (m.ci_high < 1 or m.ci_low > 1)
            else "The interval includes no change: the data cannot tell."
        )
        lines.append(
            f"After the scenes were worked away, crime at them and in their ring was "
            f"{abs(change):.0f} % {direction} than the change at the persisting scenes "
            f"predicts. {sure}"
        )
        p = r.crime.pretrend_p_value
        if p is not None:
            lines.append(
                "Before round A the two groups moved alike (no sign of different trends)."
                if p >= 0.05
                else "Warning: before round A the groups already moved differently "
                f"(pre-trend p = {p:.3f}); the estimate may be biased."
            )
    else:
        lines.append(f"Crime: no estimate ({m.reason or r.crime.reason}).")
    lines.append(
        "This compares scenes the agencies chose to work away with the others; it is not an "
        "experiment, and the date of ceasing is known only to the round."
    )
    return lines


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to ``app``."""
    app.command("evaluate")(evaluate)
