"""The report's section "Effekt av bortarbetade scener": the evaluate job's figures, in
Swedish and English, its reasons when there is nothing to evaluate, its chart and sheets."""

from __future__ import annotations

import html as html_lib
import re
import shutil

import openpyxl
import pytest

from drugscenes.report import charts
from drugscenes.report.i18n import fmt_num, fmt_pct
from drugscenes.report.model import ReportOptions
from drugscenes.services.evaluate import evaluate
from drugscenes.services.report import report as build_report
from drugscenes.store import open_workspace
from helpers import run

# English words that must not stand in the Swedish section (whole words, any case).
ENGLISH = (
    "rate ratio",
    "event study",
    "placebo",
    "pre-trend",
    "pretrend",
    "worked-away",
    "worked away",
    "persisting",
    "remaining",
    "difference",
    "interval",
    "confidence",
    "ring alone",
    "rest of",
    "between rounds",
    "scene and ring",
    "before",
    "after",
    "reference",
    "estimate",
    "month",
)


@pytest.fixture(scope="module")
def expected(demo):
    """The evaluate job's result for the report's rounds, run on its own."""
    with open_workspace(demo.workspace) as store:
        return evaluate(store, from_round="2023", to_round="2024").to_dict()


@pytest.fixture(scope="module")
def report_en(demo, tmp_path_factory):
    with open_workspace(demo.workspace) as store:
        return build_report(store, tmp_path_factory.mktemp("en"), options=ReportOptions(lang="en"))


def _section(report, key: str = "evaluation") -> str:
    page = report.html.read_text(encoding="utf-8")
    m = re.search(rf'<section id="{key}".*?</section>', page, flags=re.S)
    assert m is not None, f"no section {key}"
    return m.group(0)


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment (SVG text included), spaces normalised."""
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return " ".join(text.replace("\u00a0", " ").split())


def _sv(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_the_report_shows_the_evaluate_jobs_figures(report, expected):
    assert report.sections.index("evaluation") == report.sections.index("survey") + 1
    assert "evaluation" not in report.missing
    assert report.results["evaluate"].to_dict()["crime"]["rate_ratio"] == pytest.approx(
        expected["crime"]["rate_ratio"], rel=1e-12
    )
    c, s = expected["crime"], expected["survey"]
    text = _text(_section(report))
    assert "Effekt av bortarbetade scener" in text
    rr, lo, hi = (_sv(fmt_num(c[k], "sv", 2)) for k in ("rate_ratio", "ci_low", "ci_high"))
    assert f"kvot {rr}, 95 % KI {lo}–{hi}" in text
    assert f"förtrendtest p = {_sv(fmt_num(c['pretrend_p_value'], 'sv', 3))}" in text
    pl = c["placebo"]
    assert f"gav {_sv(fmt_num(pl['rate_ratio'], 'sv', 2))} (95 % KI" in text
    ring = c["displacement"]["ring"]
    assert f"i ringen {_sv(fmt_num(ring['rate_ratio'], 'sv', 2))}" in text
    assert "reason" not in s
    pp = round(100 * s["difference"])
    lo_pp, hi_pp = round(100 * s["ci_low"]), round(100 * s["ci_high"])
    y0, y1 = s["years"]
    assert f"mellan {y0} och {y1} med {fmt_num(pp, 'sv')} procentenheter" in text
    assert f"(95 % KI {fmt_num(lo_pp, 'sv')} till {fmt_num(hi_pp, 'sv')})" in text
    # The main p-value is tiny in the demo: shown as "< 0,001".
    assert c["p_value"] < 0.001 and "< 0,001" in text
    # The design's limits are said in words.
    assert "inte bort slumpvis" in text and "bevisar den inte" in text
    assert "Händelsestudie" in text and "referensmånad " + c["reference_month"] in text


def test_the_headline_has_one_careful_sentence(report, expected):
    c = expected["crime"]
    assert c["ci_high"] < 1  # the demo's planted effect is clear
    [line] = [h for h in report.headline if "bortarbetade scenerna" in h]
    pct = _sv(fmt_pct(1 - c["rate_ratio"], "sv"))
    assert (
        f"Brottsligheten vid de bortarbetade scenerna minskade med {pct} jämfört med "
        "scener som fanns kvar" in _sv(line)
    )


def test_the_workbook_holds_the_section_tables(report, expected):
    c, s = expected["crime"], expected["survey"]
    wb = openpyxl.load_workbook(report.xlsx)
    ws = wb["Effekt brott"]
    header = [cell.value for cell in ws[1]]
    assert header[:5] == ["Utfall", "Kvot", "KI nedre", "KI övre", "p-värde"]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    rows = [r for r in rows if r["Utfall"] is not None and r["Anmärkning"] is not None]
    main = rows[0]
    assert main["Kvot"] == pytest.approx(c["rate_ratio"])
    assert (main["KI nedre"], main["KI övre"]) == pytest.approx((c["ci_low"], c["ci_high"]))
    assert main["p-värde"] == pytest.approx(c["p_value"])
    by_name = {r["Utfall"].split(" ")[0]: r for r in rows}
    assert by_name["Placebotest:"]["Kvot"] == pytest.approx(c["placebo"]["rate_ratio"])
    assert by_name["Ringen"]["Kvot"] == pytest.approx(c["displacement"]["ring"]["rate_ratio"])
    assert by_name["Övriga"]["Kvot"] == pytest.approx(
        c["displacement"]["rest_of_municipality"]["rate_ratio"]
    )
    assert by_name["Förtrendtest:"]["p-värde"] == pytest.approx(c["pretrend_p_value"])
    assert by_name["Förtrendtest:"]["Kvot"] is None
    assert ws.cell(row=2, column=2).number_format == "#,##0.00"
    ws = wb["Effekt trygghet"]
    header = [cell.value for cell in ws[1]]
    row = dict(zip(header, next(ws.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["Förändring (procentenheter)"] == pytest.approx(100 * s["difference"])
    assert row["KI nedre"] == pytest.approx(100 * s["ci_low"])
    assert (row["År före"], row["År efter"]) == tuple(str(y) for y in s["years"])


def test_the_english_section_has_the_same_figures(report_en, expected):
    c, s = expected["crime"], expected["survey"]
    text = _text(_section(report_en))
    assert "Effect of worked-away scenes" in text
    rr, lo, hi = (fmt_num(c[k], "en", 2) for k in ("rate_ratio", "ci_low", "ci_high"))
    assert f"rate ratio {rr}, 95 % CI {lo}–{hi}" in text
    assert f"pre-trend test p = {fmt_num(c['pretrend_p_value'], 'en', 3)}" in text
    assert f"by {fmt_num(round(100 * s['difference']), 'en')} percentage points" in text
    assert "not worked away at random" in text and "Event study" in text
    assert any("Crime at the worked-away scenes fell by" in h for h in report_en.headline)


def test_the_swedish_section_has_no_english_words(report):
    text = _text(_section(report)).lower()
    found = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert found == []
    assert "placebotest" in text and "händelsestudie" in text


def test_no_ceased_scene_says_why(demo, tmp_path):
    # A copy of the workspace with a round 2025 that repeats 2024: no scene was worked away.
    ws = tmp_path / "same.gpkg"
    shutil.copy(demo.workspace, ws)
    code, _, err = run(
        "import", "scenes", ws, demo.directory / "scenes_2024.csv",
        "--round", "2025", "--date", "2025-03-01", "--crs", "3006",
    )  # fmt: skip
    assert code == 0, err
    with open_workspace(ws) as store:
        out = build_report(store, tmp_path / "r", options=ReportOptions())
    assert out.data.compare == "2024" and out.results.get("evaluate") is None
    why = out.missing["evaluation"]
    assert "ingen scen från kartläggningen 2024 har arbetats bort till 2025" in why
    assert "Avsnittet saknas" in _text(_section(out))
    assert "Effekt brott" not in openpyxl.load_workbook(out.xlsx).sheetnames


def test_first_round_report_says_there_is_no_earlier_round(demo, tmp_path):
    with open_workspace(demo.workspace) as store:
        out = build_report(store, tmp_path, options=ReportOptions(round="2021", lang="en"))
    assert "an earlier mapping round to compare with" in out.missing["evaluation"]


def test_event_study_chart_carries_no_inline_css():
    coefs = [
        {"period": -3, "phase": "before", "coef": 0.1, "ci_low": -0.2, "ci_high": 0.4},
        {"period": -2, "phase": "before", "coef": 0.0, "reference": True},
        {"period": -1, "phase": "between rounds", "coef": None},
        {"period": 0, "phase": "after", "coef": -0.5, "ci_low": -0.9, "ci_high": -0.1},
    ]
    svg = charts.event_study_chart(
        coefs,
        "sv",
        round_label="$2024",
        compare_label="2023",
        event_month="2024-02",
        reference_month="2023-09",
        average={"rate_ratio": 0.61},
    )
    assert "style=" not in svg and "<style" not in svg
    assert "$2024" in svg and "genomsnitt efter: 0,61" in svg and "referensmånad 2023-09" in svg
