"""Report tables: one model, rendered as HTML and as Excel sheets.

A :class:`ReportTable` holds raw values (numbers stay numbers) and a format per
column. The HTML shows them formatted for the reader's language; the workbook
stores the raw values with Excel number formats, so that the analyst's next step
in Excel computes on the very numbers of the analysis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup, escape
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from drugscenes.report.i18n import fmt_num, fmt_p, fmt_pct, fmt_ratio

if TYPE_CHECKING:
    from drugscenes.report.workbook import WorkbookInfo

FORMATS = ("text", "int", "area", "float1", "float2", "pct", "ratio", "p", "p3", "pp")
EXCEL_FORMATS = {
    "int": "#,##0",
    "area": "#,##0",
    "float1": "#,##0.0",
    "float2": "#,##0.00",
    "pct": "0.0%",
    "ratio": "#,##0.00",
    "p": '[<0.0001]"< 0,0001";0.0000',
    "p3": '[<0.001]"< 0,001";0.000',
    "pp": "+0;-0;0",
}
"""Excel number formats of the Swedish workbook (:func:`excel_format` for a language)."""

DECIMALS_SHOWN = {"int": 0, "area": 0, "float1": 1, "float2": 2, "pct": 3, "ratio": 2, "pp": 0}
"""Decimals each format shows (``pct``: of the fraction); cells keep :data:`EXTRA_DECIMALS`
more."""

EXTRA_DECIMALS = 4
"""Decimals a workbook cell keeps beyond those shown: plenty for any further computation,
while float noise such as ``-5.7e-10`` (an area that did not change) becomes 0."""


@dataclass
class ReportTable:
    """A table of the report.

    Attributes
    ----------
    sheet : str
        Excel sheet name (≤ 31 characters, unique in the workbook).
    title : str
        Caption in the reader's language.
    frame : DataFrame
        Raw values; column names are the headers shown.
    formats : dict
        Column → one of :data:`FORMATS` (default ``text``): ``ratio`` two decimals,
        ``p`` four decimals, ``p3`` three (``< 0,001`` below), ``pp`` percentage points
        (the value in points, shown whole with its sign).
    note : str
        A line shown under the table (e.g. a caveat), empty for none.
    """

    sheet: str
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        self.sheet = re.sub(r"[\[\]:*?/\\]", "_", self.sheet)[:31]
        for col, fmt in self.formats.items():
            if fmt not in FORMATS:
                raise ValueError(f"unknown format {fmt!r} for column {col!r}")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and not math.isfinite(value)


def format_cell(value: object, fmt: str, lang: str) -> str:
    """A cell as the reader sees it."""
    if _is_missing(value):
        return "–"
    if fmt == "int":
        return fmt_num(float(value), lang)  # type: ignore[arg-type]
    if fmt == "area":
        return fmt_num(float(value), lang)  # type: ignore[arg-type]
    if fmt == "float1":
        return fmt_num(float(value), lang, 1)  # type: ignore[arg-type]
    if fmt == "ratio":  # precision by size, "> 1 000" beyond (i18n.fmt_ratio)
        return fmt_ratio(float(value), lang)  # type: ignore[arg-type]
    if fmt == "float2":
        return fmt_num(float(value), lang, 2)  # type: ignore[arg-type]
    if fmt == "pct":
        return fmt_pct(float(value), lang, 1)  # type: ignore[arg-type]
    if fmt == "p":
        v = float(value)  # type: ignore[arg-type]
        return f"< {fmt_num(0.0001, lang, 4)}" if v < 1e-4 else fmt_num(v, lang, 4)
    if fmt == "p3":
        return fmt_p(float(value), lang)  # type: ignore[arg-type]
    if fmt == "pp":  # whole percentage points with their sign
        v = float(value)  # type: ignore[arg-type]
        return ("+" if round(v) > 0 else "") + fmt_num(v, lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def to_html(table: ReportTable, lang: str, table_id: str = "") -> Markup:
    """The table as HTML (numbers right-aligned, caption, note)."""
    cols = list(table.frame.columns)
    parts = [
        f'<table class="data" id="{escape(table_id)}">'
        f"<caption>{escape(table.title)}</caption><thead><tr>"
    ]
    for c in cols:
        cls = "num" if table.formats.get(c, "text") != "text" else ""
        parts.append(f'<th class="{cls}" scope="col">{escape(c)}</th>')
    parts.append("</tr></thead><tbody>")
    for row in table.frame.itertuples(index=False, name=None):
        parts.append("<tr>")
        for c, v in zip(cols, row, strict=True):
            fmt = table.formats.get(c, "text")
            cls = "num" if fmt != "text" else ""
            parts.append(f'<td class="{cls}">{escape(format_cell(v, fmt, lang))}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if table.note:
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    return Markup("".join(parts))


def _excel_value(value: object) -> object:
    if _is_missing(value):
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    return value


def excel_format(fmt: str, lang: str) -> str | None:
    """The Excel number format of a column format (None: General).

    A p-value below the smallest value shown reads ``< 0,0001`` (``< 0.0001`` in English)
    through a conditional section, so the cell keeps its exact number. Number formats are
    stored with a decimal point; Excel shows them with the reader's decimal comma, but
    the text in quotes is shown as written.

    Examples
    --------
    >>> excel_format("p", "sv")
    '[<0.0001]"< 0,0001";0.0000'
    >>> excel_format("p", "en")
    '[<0.0001]"< 0.0001";0.0000'
    """
    found = EXCEL_FORMATS.get(fmt)
    if found is None or lang == "sv":
        return found
    return found.replace('"< 0,', '"< 0.')


def clean_number(value: object, fmt: str) -> object:
    """A cell's value without float noise: whole counts as integers, other numbers rounded
    to :data:`EXTRA_DECIMALS` more decimals than shown, ``-0.0`` as 0, non-finite numbers
    as missing; p-values, numbers without a format and text unchanged.

    Examples
    --------
    >>> clean_number(-5.690893957910831e-10, "float1")
    0.0
    >>> clean_number(12.0, "int")
    12
    >>> clean_number(2.03e-90, "p")
    2.03e-90
    """
    value = _excel_value(value)
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if fmt == "int" and value.is_integer():
        return int(value)
    if fmt in DECIMALS_SHOWN:
        value = round(value, DECIMALS_SHOWN[fmt] + EXTRA_DECIMALS)
    return value + 0.0  # -0.0 becomes 0.0


def set_cell(ws: Any, row: int, column: int, value: object) -> Any:
    """Write ``value`` into a cell: numbers stay numbers, text is always text.

    openpyxl turns a string starting with ``=`` into a formula, and Excel and LibreOffice
    read text such as ``+1``, ``-1`` or ``@SUM(A1)`` typed into a cell as formulas too.
    Text from data is therefore stored as an inline string (``data_type "s"``), which no
    spreadsheet evaluates, with the characters an XML cell cannot hold removed.
    """
    value = _excel_value(value)
    if not isinstance(value, str):
        return ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value) or None)
    if cell.value is not None:
        cell.data_type = "s"  # written as an inline string, whatever it starts with
    return cell


def write_workbook(
    path: Path,
    tables: Sequence[ReportTable],
    lang: str,
    info: WorkbookInfo | None = None,
) -> None:
    """Every table on its own sheet as an Excel table, with number formats and widths.

    Values are the analysis results as numbers (float noise rounded away,
    :func:`clean_number`); missing values are empty cells; text is always a text cell,
    never a formula (:func:`set_cell`). With ``info`` the workbook opens on a sheet about
    the report and names the scenes beside their ids; notes go to their own sheet
    (:func:`drugscenes.report.workbook.write_report_workbook`).
    """
    from drugscenes.report.workbook import write_report_workbook

    write_report_workbook(path, tables, lang, info)
