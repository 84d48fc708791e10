"""The report's workbook: what it is about, every table as an Excel table, notes apart.

:func:`write_report_workbook` writes ``report.xlsx``:

- a first sheet (``Om rapporten`` / ``About``) naming the region, the round and the round
  compared with, the crime period, the data sources, the parameters, the definitions of
  the terms used, a list of the sheets, the software version and the date;
- every :class:`~drugscenes.report.tables.ReportTable` on its own sheet as an Excel table
  (a table style and filter buttons, frozen header row, column widths from the shown
  text), with number formats: integers for counts, percent formats for shares, p-values
  as ``< 0,0001`` when smaller while the cell keeps the exact number, and float noise
  (``-5.7e-10`` for an unchanged area) rounded away well below the precision shown;
- scene ids with the scene's name beside them in every sheet listing scenes;
- the tables' notes on their own sheet (``Noter`` / ``Notes``).

:func:`workbook_info` takes what the first sheet says from the
:class:`~drugscenes.report.model.ReportData` the renderer was given: it formats, it
computes no figure.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from drugscenes import config
from drugscenes.analysis.change import MatchParameters
from drugscenes.report.i18n import TEXT, fmt_num, label, t
from drugscenes.report.tables import (
    ReportTable,
    _excel_value,
    clean_number,
    excel_format,
    format_cell,
    set_cell,
)

if TYPE_CHECKING:
    from drugscenes.report.model import ReportData

__all__ = [
    "AboutRow",
    "WorkbookInfo",
    "table_name",
    "with_scene_names",
    "workbook_info",
    "write_report_workbook",
]

TABLE_STYLE = "TableStyleMedium2"
"""The Excel table style of every data sheet (blue header, banded rows)."""


def _w(key: str, lang: str, **values: object) -> str:
    """A workbook word: its own (``wb_`` in :data:`~drugscenes.report.i18n.TEXT`), else the
    report's."""
    own = f"wb_{key}"
    return t(own if own in TEXT else key, lang, **values)


# -- what the first sheet says --------------------------------------------------------------


@dataclass(frozen=True)
class AboutRow:
    """One line of the first sheet: an item, its value and a comment.

    ``value`` is a number or text; ``fmt`` one of the report's formats
    (:data:`drugscenes.report.tables.FORMATS`) for a number. A row with neither value nor
    detail is a heading.
    """

    item: str
    value: object = None
    detail: str = ""
    fmt: str = "text"


@dataclass(frozen=True)
class WorkbookInfo:
    """What the workbook says about itself, and the scene names its sheets show.

    Attributes
    ----------
    lang : {"sv", "en"}
    title : str
        The report's title.
    report, sources, parameters, definitions : tuple of AboutRow
        The first sheet's sections.
    scene_names : mapping of str to str
        Name of each scene of the reported round, by scene id.
    earlier_names : mapping of str to str
        Name of each scene of the round compared with, by scene id.
    round, compare : str, str or None
        The reported round and the round compared with.
    """

    lang: str
    title: str
    report: tuple[AboutRow, ...] = ()
    sources: tuple[AboutRow, ...] = ()
    parameters: tuple[AboutRow, ...] = ()
    definitions: tuple[AboutRow, ...] = ()
    scene_names: Mapping[str, str] = field(default_factory=dict)
    earlier_names: Mapping[str, str] = field(default_factory=dict)
    round: str = ""
    compare: str | None = None


def _names(frame: pd.DataFrame | None) -> dict[str, str]:
    if frame is None or "scene_id" not in frame or "name" not in frame:
        return {}
    return {
        str(i): str(n)
        for i, n in zip(frame["scene_id"], frame["name"], strict=True)
        if isinstance(n, str) and n
    }


def workbook_info(data: ReportData, *, generated: datetime | None = None) -> WorkbookInfo:
    """What the first sheet of ``data``'s workbook says, from the results only.

    Parameters
    ----------
    data : ReportData
        The report's results (:func:`drugscenes.services.report.gather`).
    generated : datetime, optional
        When the report was made; default now (UTC).

    Notes
    -----
    The region's name is the story's (``data.story.region_name``); without one the sheet
    says the region is the county of the report's municipalities.
    """
    lang = data.options.lang
    when = (generated or datetime.now(UTC)).date().isoformat()
    rounds = data.rounds.set_index("label") if "label" in data.rounds else pd.DataFrame()

    def round_date(r: str | None) -> str:
        if r is None or r not in rounds.index or "date" not in rounds:
            return ""
        d = rounds.loc[r, "date"]
        return _w("round_date", lang, date=d) if isinstance(d, str) and d else ""

    from drugscenes import __version__

    # The story (drugscenes.services.report.story) names the region and flags demo data.
    story = getattr(data, "story", None)
    region = getattr(story, "region_name", None)
    synthetic = bool(getattr(story, "synthetic", False))
    n_munis = len(data.municipalities) if data.municipality is None else None
    muni = data.municipality
    title = (
        t("title_muni", lang, municipality=muni[1], round=data.round)
        if muni
        else t("title", lang, round=data.round)
    )
    report = [
        AboutRow(
            _w("region", lang),
            region
            if isinstance(region, str) and region
            else _w("region_unnamed", lang, n=n_munis if n_munis else "–"),
        ),
        AboutRow(
            _w("municipality", lang),
            f"{muni[1]} ({muni[0]})" if muni else _w("whole_region", lang),
        ),
        AboutRow(_w("round", lang), data.round, round_date(data.round)),
        AboutRow(
            _w("compare", lang),
            data.compare if data.compare else _w("none", lang),
            round_date(data.compare),
        ),
        AboutRow(_w("period", lang), str(data.period), _w("period_detail", lang)),
        AboutRow(
            _w("survey_year", lang),
            data.survey_year if data.survey_year is not None else "–",
        ),
        *([AboutRow(_w("data", lang), _w("synthetic", lang))] if synthetic else []),
        AboutRow(_w("language", lang), lang),
        AboutRow(_w("generated", lang), when),
        AboutRow(_w("version", lang), f"drugscenes {__version__}"),
    ]
    return WorkbookInfo(
        lang=lang,
        title=title,
        report=tuple(report),
        sources=tuple(_sources(data, rounds, lang)),
        parameters=tuple(_parameters(data, lang)),
        definitions=tuple(_definitions(data, lang)),
        scene_names=_names(data.scenes),
        earlier_names=_names(None if data.change is None else data.change.before),
        round=data.round,
        compare=data.compare,
    )


def _sources(data: ReportData, rounds: pd.DataFrame, lang: str) -> list[AboutRow]:
    rows = []
    for r, rec in rounds.iterrows():
        sha = rec.get("source_sha256")
        imported = rec.get("imported_at")
        rows.append(
            AboutRow(
                _w("src_round", lang, round=r),
                rec.get("source_file") or "–",
                _w(
                    "src_round_detail",
                    lang,
                    n=fmt_num(rec.get("n_scenes"), lang) if pd.notna(rec.get("n_scenes")) else "–",
                    date=rec.get("date") or "–",
                    imported=str(imported)[:10] if isinstance(imported, str) else "–",
                    sha=f"{sha[:12]}…" if isinstance(sha, str) and sha else "–",
                ),
            )
        )
    period = str(data.period)
    if data.crime is not None:
        n = data.crime.to_dict().get("n_incidents")
        rows.append(
            AboutRow(
                _w("src_incidents", lang),
                n,
                _w("src_incidents_detail", lang, period=period),
                "int",
            )
        )
    else:
        rows.append(
            AboutRow(_w("src_incidents", lang), "–", _w("src_no_incidents", lang, period=period))
        )
    if data.survey is not None:
        s = data.survey.to_dict()
        design = s.get("design") or {}
        rows.append(
            AboutRow(
                _w("src_survey", lang, year=s.get("year")),
                (s.get("region") or {}).get("n"),
                _w(
                    "src_survey_detail",
                    lang,
                    strata=fmt_num(design.get("strata"), lang),
                    psus=fmt_num(design.get("psus"), lang),
                ),
                "int",
            )
        )
    else:
        rows.append(
            AboutRow(
                _w("src_survey", lang, year=data.survey_year or ""), "–", _w("src_no_survey", lang)
            )
        )
    return rows


def _parameters(data: ReportData, lang: str) -> list[AboutRow]:
    ring = data.crime.rings_m[0] if data.crime is not None else config.RING_M
    rows = [AboutRow(_w("p_ring", lang), ring, "", "int")]
    if data.change is not None:
        p = data.change.comparison.parameters
        rows += [
            AboutRow(_w("p_min_overlap", lang), p.min_overlap, "", "pct"),
            AboutRow(_w("p_tolerance", lang), p.tolerance_m, "", "int"),
            AboutRow(_w("p_size", lang), p.size_tolerance, "", "pct"),
            AboutRow(_w("p_displacement", lang), p.displacement_m, "", "int"),
        ]
    min_n = data.options.min_n
    if data.survey is not None:
        s = data.survey.to_dict()
        min_n = s.get("min_n", min_n)
        method = {"beta": "Korn–Graubard", "logit": "logit", "wald": "Wald"}.get(
            s.get("method"), s.get("method")
        )
        rows += [
            AboutRow(_w("p_min_n", lang), min_n, "", "int"),
            AboutRow(_w("p_survey_level", lang), s.get("level"), "", "pct"),
            AboutRow(_w("p_survey_method", lang), method),
        ]
    else:
        rows.append(AboutRow(_w("p_min_n", lang), min_n, "", "int"))
    check = data.candidates
    if check is not None:
        a = check.analysis.to_dict()
        local = a.get("local_test") or {}
        cand = a.get("candidates") or {}
        level = {1: 0.90, 2: 0.95, 3: 0.99}.get(cand.get("min_bin"))  # ArcGIS-style bins
        rows += [
            AboutRow(_w("p_hs_method", lang), a.get("method")),
            AboutRow(
                _w("p_hs_categories", lang),
                ", ".join(label(c, lang) for c in a.get("categories", [])),
            ),
            AboutRow(_w("p_hs_cell", lang), a.get("cell_m"), "", "int"),
            AboutRow(_w("p_hs_band", lang), a.get("band_m"), "", "int"),
        ]
        if local.get("baseline_m") is not None:
            rows.append(AboutRow(_w("p_hs_baseline", lang), local["baseline_m"], "", "int"))
        if local.get("min_rate_ratio") is not None:
            rows.append(AboutRow(_w("p_hs_ratio", lang), local["min_rate_ratio"], "", "float1"))
        if a.get("fdr") is not None:
            rows.append(AboutRow(_w("p_hs_fdr", lang), _w("yes" if a["fdr"] else "no", lang)))
        if level is not None:
            rows.append(AboutRow(_w("p_hs_level", lang), level, "", "pct"))
        rows += [
            AboutRow(_w("p_cand_distance", lang), cand.get("distance_m"), "", "int"),
            AboutRow(_w("p_cand_min", lang), cand.get("min_count"), "", "int"),
            AboutRow(_w("p_cand_ceased", lang), check.distance_m, "", "int"),
        ]
    if data.evaluation is not None:
        rows += [
            AboutRow(_w("p_ev_placebo", lang), config.EVALUATION_PLACEBO_MONTHS, "", "int"),
            AboutRow(_w("p_ev_near", lang), config.NEAR_BAND_M, "", "int"),
        ]
    return rows


def _definitions(data: ReportData, lang: str) -> list[AboutRow]:
    ring = data.crime.rings_m[0] if data.crime is not None else config.RING_M
    p = MatchParameters() if data.change is None else data.change.comparison.parameters
    overlap = f"{fmt_num(100 * p.min_overlap, lang)}\u00a0%"
    tol = fmt_num(p.tolerance_m, lang)
    values = {
        "d_fates": {"overlap": overlap, "tol": tol},
        "d_ring": {"ring": fmt_num(ring, lang)},
        "d_unsafe": {"min_n": data.options.min_n},
    }
    keys = (
        "d_scene",
        "d_round",
        "d_fates",
        "d_ring",
        "d_share",
        "d_ratio",
        "d_p",
        "d_control",
        "d_wdq",
        "d_candidate",
        "d_fdr",
        "d_unsafe",
        "d_drugs",
    )
    return [AboutRow(_w(k, lang), _w(f"{k}_text", lang, **values.get(k, {}))) for k in keys]


# -- cells ---------------------------------------------------------------------------------


def table_name(sheet: str, used: set[str]) -> str:
    """A valid, unique Excel table name for a sheet: ASCII letters, digits and ``_``,
    starting with ``T_`` (never a cell reference such as ``A1`` or ``R1C1``)."""
    ascii_name = unicodedata.normalize("NFKD", sheet).encode("ascii", "ignore").decode()
    base = "T_" + (re.sub(r"[^A-Za-z0-9_]+", "_", ascii_name).strip("_") or "table")
    name, k = base[:250], 2
    while name.lower() in used:
        name = f"{base[:245]}_{k}"
        k += 1
    used.add(name.lower())
    return name


# -- scene names -----------------------------------------------------------------------------


def _join_names(ids: object, *lookups: Mapping[str, str]) -> str | None:
    """Names of a cell's scene ids (one id or ``"A, B"``), in order, each once."""
    if not isinstance(ids, str) or not ids:
        return None
    found: list[str] = []
    for i in ids.split(", "):
        name = next((m[i] for m in lookups if i in m), None)
        if name is not None and name not in found:
            found.append(name)
    return ", ".join(found) if found else None


def with_scene_names(table: ReportTable, info: WorkbookInfo) -> ReportTable:
    """``table`` with the scenes' names beside their ids, when it has none yet.

    A column of scene ids (``Scen``) gets ``Namn`` after it (the reported round's
    names, else the earlier round's); the change table's id lists of the earlier and the
    later round (``Scen(er) 2023``, ``Scen(er) 2024``) get ``Namn 2023``, ``Namn 2024``;
    the history's id lists (``Id``) get ``Namn``. A table with a column whose header
    starts with ``Namn`` is returned as it is, and no column is added where no id has a
    known name (e.g. ids already shown as ``Name (S003)``).
    """
    lang = info.lang
    name = t("col_name", lang)
    cols = [str(c) for c in table.frame.columns]
    if any(c == name or c.startswith(name + " ") for c in cols):
        return table
    now, before = info.scene_names, info.earlier_names
    plans: list[tuple[str, str, tuple[Mapping[str, str], ...]]] = []
    for c in cols:
        if c == t("col_scene", lang) or c == t("col_ids", lang):
            plans.append((c, name, (now, before)))
        elif info.compare and c == t("col_from_ids", lang, round=info.compare):
            plans.append((c, _w("names_of", lang, name=name, round=info.compare), (before,)))
        elif c == t("col_to_ids", lang, round=info.round):
            plans.append((c, _w("names_of", lang, name=name, round=info.round), (now,)))
    if not plans or not (now or before):
        return table
    frame = table.frame.copy()
    for col, new, lookups in plans:
        values = [_join_names(_excel_value(v), *lookups) for v in frame[col]]
        if new in frame.columns or all(v is None for v in values):
            continue  # the ids are not bare ids (e.g. "Name (S003)"): nothing to add
        frame.insert(list(frame.columns).index(col) + 1, new, values)
    return replace(table, frame=frame)


# -- writing ---------------------------------------------------------------------------------


def _unique_headers(cols: Sequence[object]) -> list[str]:
    """Header texts as Excel tables need them: non-empty, unique (case-insensitive), one
    line."""
    out: list[str] = []
    seen: set[str] = set()
    for j, c in enumerate(cols, start=1):
        text = re.sub(r"\s+", " ", str(c)).strip() or f"{j}"
        name, k = text, 2
        while name.lower() in seen:
            name = f"{text} ({k})"
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def _width(header: str, shown: Sequence[str]) -> float:
    """Column width from the text shown: the header may wrap after 24 characters, the
    filter button needs three more."""
    cells = max((len(s) for s in shown), default=0)
    head = min(len(header), 24) * 1.1 + 3
    return min(max(8.0, head, cells * 1.1 + 2), 60.0)


def _total_column(table: ReportTable, lang: str) -> int | None:
    """The column saying "Totalt" (``t("total")``) in the last of several rows, if any."""
    if len(table.frame) < 2:
        return None
    word = t("total", lang).casefold()
    for j, v in enumerate(table.frame.iloc[-1]):
        if isinstance(v, str) and v.strip().casefold() == word:
            return j
    return None


def _data_sheet(wb: Any, title: str, table: ReportTable, lang: str, used: set[str]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(title)
    cols = list(table.frame.columns)
    headers = _unique_headers(cols)
    for j, h in enumerate(headers, start=1):
        cell = set_cell(ws, 1, j, h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fmts = [table.formats.get(c, "text") for c in cols]
    for i, row in enumerate(table.frame.itertuples(index=False, name=None), start=2):
        for j, (v, fmt) in enumerate(zip(row, fmts, strict=True), start=1):
            cell = set_cell(ws, i, j, clean_number(v, fmt))
            number_format = excel_format(fmt, lang)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
    last_row = max(2, len(table.frame) + 1)  # a table needs a row below its header
    last_col = get_column_letter(max(1, len(cols)))
    total = _total_column(table, lang)
    if cols:
        tab = Table(displayName=table_name(title, used), ref=f"A1:{last_col}{last_row}")
        tab.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        tab.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
        if total is not None:
            # The total row is the table's totals row: filters and sorting leave it last.
            tab.totalsRowCount = 1
            tab.tableColumns[total].totalsRowLabel = str(table.frame.iloc[-1, total])
            for cell in ws[last_row]:
                cell.font = Font(bold=True)
        filtered = last_row - 1 if total is not None else last_row
        tab.autoFilter = AutoFilter(ref=f"A1:{last_col}{filtered}")
        ws.add_table(tab)
    ws.freeze_panes = "A2"
    for j, (c, h, fmt) in enumerate(zip(cols, headers, fmts, strict=True), start=1):
        shown = [format_cell(v, fmt, lang) for v in table.frame[c]]
        ws.column_dimensions[get_column_letter(j)].width = _width(h, shown)
    ws.print_title_rows = "1:1"  # the header on every printed page
    _print_setup(ws)


def _fit_height(
    ws: Any, row: int, texts: Mapping[str, object], widths: Mapping[str, float]
) -> None:
    """Give a row of wrapped text the height of its longest cell (spreadsheets do not
    grow a row for wrapped text on their own when they open a file)."""
    lines = 1
    for col, text in texts.items():
        if isinstance(text, str) and text:
            per_line = max(1, int(widths[col] * 1.15))  # most letters are narrower than "0"
            lines = max(lines, sum(math.ceil(len(p) / per_line) or 1 for p in text.split("\n")))
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _print_setup(ws: Any) -> None:
    """Printed on A4 landscape, as wide as one page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _about_sheet(
    wb: Any, title: str, info: WorkbookInfo, contents: Sequence[tuple[str, str]]
) -> None:
    from openpyxl.styles import Alignment, Font

    lang = info.lang
    ws = wb.create_sheet(title, 0)
    set_cell(ws, 1, 1, info.title).font = Font(bold=True, size=14)
    intro = set_cell(ws, 2, 1, _w("about_intro", lang))
    intro.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    widths = {"A": 45, "B": 50, "C": 60}
    _fit_height(ws, 2, {"A": _w("about_intro", lang)}, {"A": sum(widths.values())})
    r = 4
    sheets = tuple(AboutRow(name, caption) for name, caption in contents)
    for heading, rows in (
        ("h_report", info.report),
        ("h_sources", info.sources),
        ("h_parameters", info.parameters),
        ("h_sheets", sheets),
        ("h_definitions", info.definitions),
    ):
        set_cell(ws, r, 1, _w(heading, lang)).font = Font(bold=True, size=12)
        r += 1
        for row in rows:
            set_cell(ws, r, 1, row.item).alignment = Alignment(vertical="top", wrap_text=True)
            cell = set_cell(ws, r, 2, clean_number(row.value, row.fmt))
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="left")
            number_format = excel_format(row.fmt, lang)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
            if row.detail:
                d = set_cell(ws, r, 3, row.detail)
                d.alignment = Alignment(vertical="top", wrap_text=True)
            _fit_height(ws, r, {"A": row.item, "B": row.value, "C": row.detail}, widths)
            r += 1
        r += 1
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    _print_setup(ws)


def _notes_sheet(
    wb: Any, title: str, notes: Sequence[tuple[str, str, str]], lang: str, used: set[str]
) -> None:
    frame = pd.DataFrame(
        notes, columns=[_w("col_sheet", lang), _w("col_table", lang), _w("col_note", lang)]
    )
    _data_sheet(wb, title, ReportTable(title, title, frame), lang, used)
    ws = wb[title]
    from openpyxl.styles import Alignment

    widths = {"A": ws.column_dimensions["A"].width, "B": 60, "C": 100}
    ws.column_dimensions["B"].width = widths["B"]
    ws.column_dimensions["C"].width = widths["C"]
    for k, (_, caption, note) in enumerate(notes, start=2):
        for cell in ws[k]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(ws, k, {"B": caption, "C": note}, widths)


def _sheet_title(name: str, used: set[str]) -> str:
    title, k = name, 2
    while title.lower() in used:
        title = f"{name[:28]}_{k}"
        k += 1
    used.add(title.lower())
    return title


def write_report_workbook(
    path: Path, tables: Sequence[ReportTable], lang: str, info: WorkbookInfo | None = None
) -> None:
    """Write the report's workbook (see the module's description).

    Parameters
    ----------
    path : Path
        The file to write (replaced).
    tables : sequence of ReportTable
        One data sheet each, in order, named by :attr:`ReportTable.sheet` (a repeated
        name gets ``_2``, ``_3``).
    lang : {"sv", "en"}
    info : WorkbookInfo, optional
        What the first sheet says (:func:`workbook_info`) and the scenes' names; without
        it the workbook has no first sheet and no names are added.

    Notes
    -----
    Text is always written as text, never as a formula
    (:func:`~drugscenes.report.tables.set_cell`).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used_sheets = {_w("sheet_about", lang).lower(), _w("sheet_notes", lang).lower()}
    used_tables: set[str] = set()
    contents: list[tuple[str, str]] = []
    notes: list[tuple[str, str, str]] = []
    for table in tables:
        title = _sheet_title(table.sheet, used_sheets)
        shown = with_scene_names(table, info) if info is not None else table
        _data_sheet(wb, title, shown, lang, used_tables)
        contents.append((title, table.title))
        if table.note:
            notes.append((title, table.title, table.note))
    if notes:
        _notes_sheet(wb, _w("sheet_notes", lang), notes, lang, used_tables)
        contents.append((_w("sheet_notes", lang), _w("sheet_notes", lang)))
    if info is not None:
        _about_sheet(wb, _w("sheet_about", lang), info, contents)
        wb.active = 0
        wb.properties.title = info.title
    if not wb.sheetnames:
        wb.create_sheet("report")
    from drugscenes import __version__

    wb.properties.creator = f"drugscenes {__version__}"
    wb.properties.language = lang
    wb.save(path)
