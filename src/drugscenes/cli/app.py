"""The Typer application, its error handling and shared output helpers.

Conventions: results go to standard output (a Rich table, or JSON with
``--json``); messages, warnings and progress go to standard error, so that
``drugscenes ... --json | jq`` always gets clean JSON. Exit status 0 on success,
1 for bad data (with a clear message), 2 for wrong usage.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from drugscenes.errors import DataError, DrugscenesError, Problem
from drugscenes.report import i18n

WorkspaceArg = Annotated[
    str,
    typer.Argument(
        metavar="WORKSPACE",
        help="The workspace: a GeoPackage file, or a postgresql:// URL of a shared server.",
    ),
]
"""The WORKSPACE argument every command takes (a path or a URL, so not a Path)."""

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
MAX_PROBLEMS_SHOWN = 40


def _guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's errors into one clear message and the exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DrugscenesError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            if isinstance(exc, DataError) and exc.problems:
                print_problems(exc.problems)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


class DrugscenesTyper(typer.Typer):
    """A Typer whose every command reports user errors without a traceback."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        register = super().command(*args, **kwargs)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            register(_guard(func))
            return func

        return decorator


app = DrugscenesTyper(
    name="drugscenes",
    help="Map open drug scenes (öppna drogscener) and follow up crime and safety around them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
import_app = DrugscenesTyper(
    help="Import data into a workspace (scenes of a mapping round, ...).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time on standard error while a long step runs.

    Yields a function that replaces the description (``step("importing ...")``).
    A pipe or a log gets no spinner frames or blank lines.
    """
    if not err.is_terminal:
        yield lambda _text: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)


def print_problems(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> None:
    """One line per problem on standard error, errors first."""
    if not problems:
        return
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.row or 0))
    style = {"error": "red", "warning": "yellow", "info": "cyan"}
    for p in ordered[:limit]:
        err.print(
            f"[{style[p.severity]}]{p.severity:<7}[/] {escape(str(p))} [dim]({p.code})[/]",
            soft_wrap=True,
        )
    if len(ordered) > limit:
        err.print(f"… and {len(ordered) - limit} more (write them all with --problems FILE)")


def write_problems(path: Path, problems: Sequence[Problem]) -> None:
    """All problems as CSV (severity, file, row, field, code, message) for Excel."""
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["severity", "file", "row", "field", "code", "message"])
        for p in problems:
            writer.writerow([p.severity, p.file, p.row, p.field, p.code, p.message])


def print_json(data: object) -> None:
    """JSON on standard output (NaN written as null)."""
    typer.echo(json.dumps(_clean(data), ensure_ascii=False, indent=2))


def _clean(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # NumPy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_area(m2: float) -> str:
    """Area for people, as the report writes it in English: m² below a hectare, else ha."""
    return i18n.fmt_area(m2, "en")
