"""The report shows the commands' figures: one place where each job is computed.

The demo county is built once; the commands run through the CLI with ``--json`` and the
report is built for the same round, comparison, period and survey year. The results the
report used must equal the commands' JSON, and the numbers its HTML and workbook show
must be those values.
"""

from __future__ import annotations

import json
from typing import Any

import openpyxl
import pytest

from drugscenes.cli.app import _clean
from drugscenes.demo.build import SURVEY_YEAR_AFTER as SURVEY_YEAR  # the latest year
from drugscenes.demo.build import build_demo
from drugscenes.periods import Period
from drugscenes.report.i18n import fmt_num, fmt_pct, label
from drugscenes.report.model import ReportOptions
from drugscenes.services.report import report
from drugscenes.store import open_workspace
from helpers import run

ROUND, EARLIER = "2024", "2023"
FIRST, LAST = "2023-02-01", "2024-01-31"  # the twelve months before the round (2024-02-01)


def _as_printed(data: Any) -> Any:
    """A result's ``to_dict()`` as ``--json`` prints it."""
    return json.loads(json.dumps(_clean(data), ensure_ascii=False))


def _cli_json(*args: object) -> Any:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def cli(demo) -> dict[str, Any]:
    ws = demo.workspace
    return {
        "inventory": _cli_json("summary", ws, "--round", ROUND),
        "compare": _cli_json("compare", ws, EARLIER, ROUND),
        "crime": _cli_json("crime", ws, "--round", ROUND, "--from", FIRST, "--to", LAST),
        # The survey is published against its own year's round, in the report too.
        "survey": _cli_json("survey", ws, "--year", SURVEY_YEAR),
        "hotspots": _cli_json("hotspots", ws, "--round", ROUND, "--from", FIRST, "--to", LAST),
    }


@pytest.fixture(scope="module")
def output(demo, tmp_path_factory):
    options = ReportOptions(
        round=ROUND,
        compare=EARLIER,
        period=Period.parse(FIRST, LAST),
        survey_year=SURVEY_YEAR,
    )
    with open_workspace(demo.workspace) as store:
        return report(store, tmp_path_factory.mktemp("report"), options=options)


@pytest.mark.parametrize("job", ["inventory", "compare", "crime", "survey"])
def test_the_report_used_the_commands_results(output, cli, job):
    assert _as_printed(output.results[job].to_dict()) == cli[job]


def test_the_candidates_are_the_hotspots_commands(output, cli):
    check = output.data.candidates
    assert check is not None
    assert _as_printed(check.analysis.to_dict()) == cli["hotspots"]
    assert _as_printed(check.to_dict()) == cli["compare"]["hotspot_check"]


def test_the_default_period_and_rounds_are_the_same(demo, output, tmp_path):
    with open_workspace(demo.workspace) as store:
        default = report(store, tmp_path, options=ReportOptions())
    assert (default.round, default.compare, str(default.data.period)) == (
        ROUND,
        EARLIER,
        str(output.data.period),
    )
    for job in ("inventory", "compare", "crime", "survey"):
        assert _as_printed(default.results[job].to_dict()) == _as_printed(
            output.results[job].to_dict()
        )


def _html_text(output) -> str:
    return output.html.read_text(encoding="utf-8").replace("\u00a0", " ")


def _sv(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_html_headline_shows_the_json_values(output, cli):
    html = _html_text(output)
    inv, comp = cli["inventory"], cli["compare"]
    assert f"{fmt_num(inv['n_scenes'], 'sv')} öppna drogscener" in html
    assert f"{comp['ceased']} scener arbetats bort och ingen ny scen tillkommit" in html
    assert comp["new"] == 0
    # Share of violence in the scenes or within the ring, from the crime command's zones.
    near_violence = sum(
        row["share_of_incidents"]
        for row in cli["crime"]["concentration"]
        if row["category"] == "violence" and row["zone"] != "rest"
    )
    assert f"{_sv(fmt_pct(near_violence, 'sv'))} av det registrerade våldet" in html
    # Share feeling unsafe within 500 m, and in the whole county.
    band, region = cli["survey"]["bands"][0], cli["survey"]["region"]
    assert band["max_m"] == 500
    assert f"kände sig {_sv(fmt_pct(band['share_unsafe'], 'sv'))} av dem som bor inom 500 m" in html
    assert f"mot {_sv(fmt_pct(region['share_unsafe'], 'sv'))} i hela länet" in html
    n_cands = cli["compare"]["hotspot_check"]["n_candidates"]
    assert f"visar {n_cands} områden" in html


def _sheet(path, name: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[name]
    header = [c.value for c in ws[1]]
    rows = []
    for r in ws.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in r):
            break  # the table ends; a note may follow
        rows.append(dict(zip(header, r, strict=True)))
    return rows


def test_workbook_cells_show_the_json_values(output, cli):
    munis = [r for r in _sheet(output.xlsx, "Kommuner") if r["Kommun"] != "Totalt"]
    assert sum(r[f"Scener {ROUND}"] for r in munis) == cli["inventory"]["n_scenes"]
    assert sum(r[f"Scener {EARLIER}"] for r in munis) == cli["compare"]["n_from"]
    change = _sheet(output.xlsx, "Förändring")
    assert sum(r["Status"] == label("ceased", "sv") for r in change) == cli["compare"]["ceased"]
    bands = _sheet(output.xlsx, "Trygghet avstånd")
    first = cli["survey"]["bands"][0]
    assert bands[0]["Avstånd"] == first["label"]
    assert bands[0]["Andel otrygga"] == first["share_unsafe"]
    candidates = _sheet(output.xlsx, "Kandidater")
    assert len(candidates) == cli["compare"]["hotspot_check"]["n_candidates"]
    listed = cli["hotspots"]["candidates"]["candidates"]
    assert [r["Kandidat"] for r in candidates] == [c["candidate_id"] for c in listed]
    assert [r["Antal"] for r in candidates] == [c["count"] for c in listed]


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2023-01-01", "20231231", "not an ISO date"),
        ("2023-12-31", "2023-01-01", "before --from"),
        ("2023-01-01", None, "give both --from and --to"),
    ],
)
def test_report_refuses_the_days_crime_refuses(demo, tmp_path, first, last, message):
    args = ["report", demo.workspace, "--out", tmp_path / "r", "--from", first]
    if last is not None:
        args += ["--to", last]
    code, _, err = run(*args)
    assert code == 2 and message in err
    assert not (tmp_path / "r").exists()
