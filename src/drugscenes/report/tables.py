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
from typing import Any

import pandas as pd
from markupsafe import Markup, escape
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from drugscenes.report.i18n import fmt_num, fmt_p, fmt_pct

FORMATS = ("text", "int", "area", "float1", "float2", "pct", "ratio", "p", "p3", "pp")
EXCEL_FORMATS = {
    "int": "#,##0",
    "area": "#,##0",
    "float1": "#,##0.0",
    "float2": "#,##0.00",
    "pct": "0.0%",
    "ratio": "0.00",
    "p": "0.0000",
    "p3": "0.000",
    "pp": "+0;-0;0",
}


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
    if fmt in ("float2", "ratio"):
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


def write_workbook(path: Path, tables: Sequence[ReportTable], lang: str) -> None:
    """Every table on its own sheet: bold frozen header, number formats, column widths.

    Values are the analysis results as numbers; missing values are empty cells; text is
    always a text cell, never a formula (:func:`set_cell`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for table in tables:
        name = table.sheet
        k = 2
        while name.lower() in used:
            name = f"{table.sheet[:28]}_{k}"
            k += 1
        used.add(name.lower())
        ws = wb.create_sheet(name)
        cols = list(table.frame.columns)
        header_font = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDE6F0")
        for j, c in enumerate(cols, start=1):
            cell = set_cell(ws, 1, j, str(c))
            cell.font = header_font
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, row in enumerate(table.frame.itertuples(index=False, name=None), start=2):
            for j, (c, v) in enumerate(zip(cols, row, strict=True), start=1):
                cell = set_cell(ws, i, j, v)
                fmt = table.formats.get(c, "text")
                if fmt in EXCEL_FORMATS:
                    cell.number_format = EXCEL_FORMATS[fmt]
        ws.freeze_panes = "A2"
        for j, c in enumerate(cols, start=1):
            # Bold headers are wider than their character count; numbers are formatted wider.
            header = len(str(c)) * 1.2
            cells = max([len(str(_excel_value(v) or "")) for v in table.frame[c]], default=0)
            width = max(header, cells * 1.1) + 2
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width), 60)
        if table.note:
            set_cell(ws, len(table.frame) + 3, 1, table.note).font = Font(italic=True)
    if not tables:
        wb.create_sheet("report")
    wb.properties.language = lang
    wb.save(path)
