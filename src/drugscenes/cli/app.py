"""The Typer application, its error handling and shared output helpers.

Conventions: results go to standard output (a Rich table, or JSON with
``--json``); messages, warnings and progress go to standard error, so that
``drugscenes ... --json | jq`` always gets clean JSON. Exit status 0 on success,
1 for bad data (with a clear message), 2 for wrong usage.

Text from data (names, ids, labels, file names, problems' messages) is printed through
:func:`safe` (for Rich markup: markup escaped, control characters removed) or
:func:`plain` (for plain text), so that a name such as ``[/]`` cannot break the output
and a terminal escape sequence in a file never reaches the terminal. The consoles
:data:`out` and :data:`err` also drop control characters from everything they print.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.segment import Segment
from rich.text import Text
from typer.models import ArgumentInfo
from typer.utils import get_params_from_function

from drugscenes.errors import DataError, DrugscenesError, Problem, UsageError
from drugscenes.io.outputs import check_output_file, output_file, strip_controls
from drugscenes.report import i18n

WorkspaceArg = Annotated[
    str,
    typer.Argument(
        metavar="WORKSPACE",
        help="The workspace: a GeoPackage file, or a postgresql:// URL of a shared server.",
    ),
]
"""The WORKSPACE argument every command takes (a path or a URL, so not a Path)."""


def plain(text: object) -> str:
    r"""Text from data for plain output (``typer.echo``): control characters removed.

    Examples
    --------
    >>> plain("Torget\x1b[2J\x9b")
    'Torget[2J'
    """
    return strip_controls(text)


def safe(text: object) -> str:
    r"""Text from data for Rich output (an f-string given to ``print``, a table cell):
    control characters removed and markup escaped, so it shows exactly as written.

    Examples
    --------
    >>> safe("[/]\x1b[31m")
    '\\[/][31m'
    """
    return escape(strip_controls(text))


class SafeConsole(Console):
    """A Console that drops control characters from the text it prints (its own styles
    and cursor movements are kept) and prints text whose markup is broken as it is: a
    value printed without :func:`safe` still cannot send an escape sequence to the
    terminal or end the command with a traceback."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:  # a value from data printed without safe(): show it as it is
            return super().render_str(text, **{**kwargs, "markup": False})

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        cleaned = (
            seg if seg.control else Segment(strip_controls(seg.text), seg.style) for seg in buffer
        )
        return super()._render_buffer(cleaned)


out = SafeConsole(highlight=False)
err = SafeConsole(stderr=True, highlight=False)
MAX_PROBLEMS_SHOWN = 40


_SURROGATE = re.compile("[\ud800-\udfff]")


def parameter_names(func: Callable[..., Any]) -> dict[str, str]:
    """How a command's parameters are written on the command line: ``--from`` for the
    parameter ``date_from``, ``FROM`` for an argument.

    Examples
    --------
    >>> def cmd(
    ...     date_from: Annotated[str, typer.Option("--from")], a: Annotated[str, typer.Argument()]
    ... ) -> None: ...
    >>> parameter_names(cmd)
    {'date_from': '--from', 'a': 'A'}
    """
    names: dict[str, str] = {}
    for key, param in get_params_from_function(func).items():
        info = param.default
        if isinstance(info, ArgumentInfo):
            names[key] = info.metavar or key.upper()
        else:
            decls = [d for d in getattr(info, "param_decls", None) or () if d.startswith("--")]
            names[key] = decls[0].split("/")[0] if decls else "--" + key.replace("_", "-")
    return names


def check_text_arguments(values: dict[str, Any], names: dict[str, str]) -> None:
    r"""Refuse a text argument that is not valid text: a command line's bytes that are not
    UTF-8 reach Python as lone surrogates (``\udcff``), which no file, database or
    terminal takes. Paths (``Path`` values) may hold such bytes and are left alone.

    Examples
    --------
    >>> check_text_arguments({"round": "2023", "out": Path("a\udcff")}, {})
    >>> check_text_arguments({"scene": ["a\udcffb"]}, {"scene": "--scene"})
    Traceback (most recent call last):
    ...
    drugscenes.errors.UsageError: --scene: bytes that are not UTF-8 text; give it in UTF-8
    """
    for key, value in values.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if isinstance(v, str) and _SURROGATE.search(v):
                raise UsageError(
                    f"{names.get(key, key)}: bytes that are not UTF-8 text; give it in UTF-8"
                )


def _guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's errors into one clear message and the exit status."""

    names = parameter_names(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            check_text_arguments(kwargs, names)
            return func(*args, **kwargs)
        except DrugscenesError as exc:
            err.print(f"[bold red]error:[/] {safe(exc)}", soft_wrap=True)
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
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(plain(description), total=None)
        yield lambda text: progress.update(task, description=plain(text))


def print_problems(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> None:
    """One line per problem on standard error, errors first."""
    if not problems:
        return
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.row or 0))
    style = {"error": "red", "warning": "yellow", "info": "cyan"}
    for p in ordered[:limit]:
        err.print(
            f"[{style[p.severity]}]{p.severity:<7}[/] {safe(p)} [dim]({safe(p.code)})[/]",
            soft_wrap=True,
        )
    if len(ordered) > limit:
        err.print(f"… and {len(ordered) - limit} more (write them all with --problems FILE)")


def check_problems_file(path: Path | None) -> None:
    """Refuse a ``--problems`` path that cannot be written, before anything is imported
    (:func:`~drugscenes.io.outputs.check_output_file`)."""
    check_output_file(path, "--problems")


def write_problems(path: Path, problems: Sequence[Problem]) -> None:
    """All problems as CSV (severity, file, row, field, code, message) for Excel.

    The file is replaced only when complete and never through a link
    (:func:`~drugscenes.io.outputs.output_file`). Text that a spreadsheet would read as a
    formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a leading ``'``.
    """
    with (
        output_file(path, "--problems") as tmp,
        tmp.open("w", newline="", encoding="utf-8-sig") as fh,
    ):
        writer = csv.writer(fh)
        writer.writerow(["severity", "file", "row", "field", "code", "message"])
        for p in problems:
            writer.writerow(
                [p.severity, *map(_csv_text, (p.file, p.row, p.field, p.code, p.message))]
            )


def _csv_text(value: object) -> object:
    """A CSV cell that Excel and LibreOffice show as text, never evaluate."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


_C1 = re.compile("[\x7f-\x9f]")


def print_json(data: object) -> None:
    """JSON on standard output (NaN written as null).

    Control characters in strings are ``\\u`` escapes (JSON escapes C0 itself; DEL and
    C1, such as the one-byte CSI U+009B, are escaped here), so the JSON of a hostile
    name is still inert on a terminal.
    """
    text = json.dumps(_clean(data), ensure_ascii=False, indent=2)
    typer.echo(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


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


from drugscenes.cli import web as _web  # noqa: E402, F401  (registers `serve`; Django loads only when it runs)
