"""The report's workbook: a first sheet about the report, every table an Excel table with
filters, p-values as "< 0,0001" while the cells stay numbers, no float noise, scene names
beside scene ids, notes on their own sheet."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from drugscenes import __version__
from drugscenes.report.tables import ReportTable, clean_number, excel_format, write_workbook
from drugscenes.report.workbook import AboutRow, WorkbookInfo, table_name, with_scene_names

P_SV = '[<0.0001]"< 0,0001";0.0000'


def _tables() -> list[ReportTable]:
    scenes = ReportTable(
        "Brott per scen",
        "Händelser vid varje scen",
        pd.DataFrame({"Rang": [1.0, 2.0], "Scen": ["S1", "=1+1"], "våld": [3.0, 0.0]}),
        {"Rang": "int", "våld": "int"},
    )
    ratios = ReportTable(
        "Kvoter",
        "Kvoter mot övriga länet",
        pd.DataFrame(
            {"Zon": ["i scen", "inom 200 m"], "Kvot": [23890.0312, 2.5], "p-värde": [9e-95, 0.0123]}
        ),
        {"Kvot": "ratio", "p-värde": "p"},
    )
    change = ReportTable(
        "Förändring",
        "Förändring sedan 2023",
        pd.DataFrame(
            {
                "Scen(er) 2023": ["S1, S9", None],
                "Scen(er) 2024": ["S1", "S2"],
                "Förändring (%)": [-5.690893957910831e-10, 12.34567],
                "Andel": [0.3643243243243243, None],
            }
        ),
        {"Förändring (%)": "float1", "Andel": "pct"},
        note="Ytor i m².",
    )
    munis = ReportTable(
        "Kommuner",
        "Scener per kommun",
        pd.DataFrame(
            {
                "Kommunkod": ["0114", "0180", None],
                "Kommun": ["Norrvik", "Storstad", "Totalt"],
                "Scener": [5, 23, 28],
            }
        ),
        {"Scener": "int"},
    )
    return [scenes, ratios, change, munis]


def _info(lang: str = "sv") -> WorkbookInfo:
    return WorkbookInfo(
        lang=lang,
        title="Öppna drogscener – kartläggning 2024",
        report=(
            AboutRow("Kartläggning", "2024", "datum 2024-02-01"),
            AboutRow("Brottsperiod", "2023-02-01 – 2024-01-31"),
            AboutRow("Programversion", f"drugscenes {__version__}"),
        ),
        sources=(AboutRow("Brott och händelser", 40123.0, "antal", "int"),),
        parameters=(AboutRow("Matchning: minsta överlapp", 0.1, "", "pct"),),
        definitions=(AboutRow("Ring", "Området inom 200 m utanför scenen."),),
        scene_names={"S1": "Torget", "S2": "Stationen", "=1+1": "@SUM(A1)"},
        earlier_names={"S1": "Torget", "S9": "Parken"},
        round="2024",
        compare="2023",
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "report.xlsx"
    write_workbook(path, _tables(), "sv", _info())
    return openpyxl.load_workbook(path)


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_the_about_sheet_comes_first_with_round_period_and_version(book):
    assert book.sheetnames[0] == "Om rapporten" and book.active.title == "Om rapporten"
    assert book.sheetnames[-1] == "Noter"
    about = {r[0]: r[1:] for r in book["Om rapporten"].iter_rows(values_only=True) if r[0]}
    assert about["Kartläggning"] == ("2024", "datum 2024-02-01")
    assert about["Brottsperiod"][0] == "2023-02-01 – 2024-01-31"
    assert about["Programversion"][0] == f"drugscenes {__version__}"
    assert about["Brott och händelser"][0] == 40123  # a count, as an integer
    for heading in ("Rapport", "Datakällor", "Parametrar", "Blad", "Definitioner"):
        assert heading in about
    # The list of sheets names every data sheet with its table's title.
    assert about["Kvoter"] == ("Kvoter mot övriga länet", None)
    ws = book["Om rapporten"]
    overlap = next(r for r in ws.iter_rows() if r[0].value == "Matchning: minsta överlapp")
    assert overlap[1].value == 0.1 and overlap[1].number_format == "0.0%"


def test_every_data_sheet_is_an_excel_table_with_filters(book):
    names = set()
    for ws in book.worksheets[1:]:
        assert len(ws.tables) == 1, ws.title
        table = next(iter(ws.tables.values()))
        assert table.ref.startswith("A1:") and table.ref.endswith(str(ws.max_row))
        assert table.autoFilter is not None and table.autoFilter.ref.startswith("A1:")
        assert table.tableStyleInfo.name == "TableStyleMedium2"
        assert [c.name for c in table.tableColumns] == [c.value for c in ws[1]]
        assert ws.freeze_panes == "A2"
        names.add(table.displayName)
    assert len(names) == len(book.worksheets) - 1
    assert book["Förändring"].tables["T_Forandring"].ref == "A1:F3"


def test_a_total_row_is_the_tables_totals_row(book):
    table = book["Kommuner"].tables["T_Kommuner"]
    assert table.ref == "A1:C4" and table.totalsRowCount == 1
    assert table.autoFilter.ref == "A1:C3"  # filters and sorting leave the total last
    assert table.tableColumns[1].totalsRowLabel == "Totalt"
    assert book["Kommuner"]["C4"].value == 28 and book["Kommuner"]["C4"].font.b


def test_p_values_show_below_the_shown_precision_and_stay_numbers(book):
    ws = book["Kvoter"]
    tiny, other = ws["C2"], ws["C3"]
    assert tiny.value == 9e-95 and tiny.data_type == "n"
    assert tiny.number_format == P_SV
    assert other.value == 0.0123 and other.number_format == P_SV
    assert ws["B2"].value == 23890.0312 and ws["B2"].number_format == "#,##0.00"


def test_float_noise_is_rounded_away_and_counts_are_integers(book):
    change = book["Förändring"]
    header = [c.value for c in change[1]]
    pct = change.cell(row=2, column=header.index("Förändring (%)") + 1)
    assert pct.value == 0 and math.copysign(1, pct.value) == 1  # not -5.7e-10, not -0.0
    assert change.cell(row=3, column=header.index("Förändring (%)") + 1).value == 12.34567
    share = change.cell(row=2, column=header.index("Andel") + 1)
    assert share.value == 0.3643243 and share.number_format == "0.0%"
    assert change.cell(row=3, column=header.index("Andel") + 1).value is None
    ranks = [c.value for c in book["Brott per scen"]["A"][1:]]
    assert ranks == [1, 2] and all(type(v) is int for v in ranks)


def test_scene_sheets_name_the_scenes(book):
    rows = _rows(book["Brott per scen"])
    assert [r["Scen"] for r in rows] == ["S1", "=1+1"]
    assert [r["Namn"] for r in rows] == ["Torget", "@SUM(A1)"]
    header = [c.value for c in book["Brott per scen"][1]]
    assert header.index("Namn") == header.index("Scen") + 1
    # Names from data are text cells, never formulas.
    for cell in book["Brott per scen"]["B"][1:] + book["Brott per scen"]["C"][1:]:
        assert cell.data_type == "s"
    change = _rows(book["Förändring"])
    assert [r["Namn 2023"] for r in change] == ["Torget, Parken", None]
    assert [r["Namn 2024"] for r in change] == ["Torget", "Stationen"]


def test_notes_are_on_their_own_sheet(book):
    change = book["Förändring"]
    assert change.max_row == 3  # header and two rows: nothing pasted under the data
    notes = _rows(book["Noter"])
    assert notes == [{"Blad": "Förändring", "Tabell": "Förändring sedan 2023", "Not": "Ytor i m²."}]


def test_english_workbook(tmp_path):
    path = tmp_path / "en.xlsx"
    write_workbook(path, _tables(), "en", _info("en"))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "About" and wb.sheetnames[-1] == "Notes"
    assert wb["Kvoter"]["C2"].number_format == '[<0.0001]"< 0.0001";0.0000'


def test_without_info_there_is_no_about_sheet_and_no_names(tmp_path):
    path = tmp_path / "plain.xlsx"
    write_workbook(path, _tables()[:1], "sv")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Brott per scen"]
    assert [c.value for c in wb.active[1]] == ["Rang", "Scen", "våld"]


def test_names_are_added_only_where_missing_and_known():
    info = _info()
    named = ReportTable("x", "x", pd.DataFrame({"Scen": ["S1"], "Namn": ["Eget namn"]}))
    assert with_scene_names(named, info) is named
    shown = ReportTable("x", "x", pd.DataFrame({"Scen(er) 2024": ["Torget (S1)"]}))
    assert list(with_scene_names(shown, info).frame.columns) == ["Scen(er) 2024"]


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (-5.690893957910831e-10, "float1", 0.0),
        (8314.256549973643, "area", 8314.2565),
        (12.0, "int", 12),
        (2.0339e-90, "p", 2.0339e-90),
        (float("nan"), "ratio", None),
        ("=1+1", "text", "=1+1"),
    ],
)
def test_clean_number(value, fmt, expected):
    assert clean_number(value, fmt) == expected


def test_excel_formats_by_language():
    assert excel_format("p", "sv") == P_SV
    assert excel_format("p3", "en") == '[<0.001]"< 0.001";0.000'
    assert excel_format("pct", "en") == "0.0%" and excel_format("text", "sv") is None


def test_table_names_are_valid_and_unique():
    used: set[str] = set()
    names = [table_name(s, used) for s in ("Förändring", "Förändring", "A1", "Brott per zon")]
    assert names == ["T_Forandring", "T_Forandring_2", "T_A1", "T_Brott_per_zon"]


def test_libreoffice_shows_swedish_p_values_and_no_negative_zero(tmp_path):
    """A spreadsheet shows the formats as an analyst sees them (Swedish locale)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    path = tmp_path / "report.xlsx"
    write_workbook(path, _tables(), "sv", _info())
    # CSV of the sheet as shown: ';' separated, UTF-8, Swedish formats (1053), sheet 3.
    options = "59,34,76,1,,1053,false,true,true,false,false,3"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "LC_ALL": "sv_SE.UTF-8", "LANG": "sv_SE.UTF-8"},
    )
    with open(tmp_path / "report-Kvoter.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    shown = [[v.replace("\u00a0", " ").replace("\u202f", " ") for v in r] for r in rows]
    assert shown[1] == [
        "i scen",
        "23 890,03",
        "< 0,0001",
    ]
    assert rows[2][2] == "0,0123"


# -- the demo report's workbook ----------------------------------------------------------------


def test_demo_workbook_says_what_it_shows(report):
    wb = openpyxl.load_workbook(report.xlsx)
    assert wb.sheetnames[0] == "Om rapporten" and wb.sheetnames[-1] == "Noter"
    about = {r[0]: r[1:] for r in wb["Om rapporten"].iter_rows(values_only=True) if r[0]}
    data = report.data
    assert about["Kartläggning"][0] == data.round == "2024"
    assert about["Jämförs med kartläggning"][0] == data.compare == "2023"
    assert about["Brottsperiod"][0] == str(data.period)
    assert about["Programversion"][0] == f"drugscenes {__version__}"
    assert about["Brott och händelser"][0] == report.results["crime"].to_dict()["n_incidents"]
    assert about["Ring runt scenerna (m)"][0] == 200
    assert about["Minsta antal svarande i en grupp (min_n)"][0] == data.options.min_n
    story = getattr(data, "story", None)
    if story is not None and story.region_name:
        assert about["Region"][0] == story.region_name
    for r in data.rounds["label"]:
        assert f"Kartläggning {r}" in about  # every round's source file
    # Every data sheet is a table with filters; the p-values keep their exact numbers.
    for ws in wb.worksheets[1:]:
        tables = list(ws.tables.values())
        assert len(tables) == 1 and tables[0].autoFilter is not None, ws.title
    ws = wb["Kvoter"]
    header = [c.value for c in ws[1]]
    p_cells = [row[header.index("p-värde")] for row in ws.iter_rows(min_row=2)]
    assert all(c.number_format == P_SV and c.data_type == "n" for c in p_cells)
    rr = report.results["crime"].to_dict()["rate_ratios"]
    assert min(c.value for c in p_cells) == min(r["p_value"] for r in rr) < 1e-4
    # Scene sheets name the scenes.
    names = dict(zip(data.scenes["scene_id"], data.scenes["name"], strict=True))
    for sheet in ("Scener", "Brott per scen", "Skjutningar"):
        rows = _rows(wb[sheet])
        assert rows and all(r["Namn"] == names[r["Scen"]] for r in rows), sheet
    # The drug-offence caveat is on the notes sheet, not under its table.
    drugs = wb["Narkotikabrott"]
    assert all(
        v is not None for v in next(drugs.iter_rows(min_row=drugs.max_row, values_only=True))
    )
    assert "Narkotikabrott" in {r["Blad"] for r in _rows(wb["Noter"])}
