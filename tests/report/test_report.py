"""The mapping report on the demo county: browser rendering, workbook, GeoPackage, privacy."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest

from drugscenes.demo.build import SURVEY_YEAR
from drugscenes.report.i18n import fmt_area, fmt_num, fmt_pct
from drugscenes.report.model import ReportOptions
from drugscenes.report.tables import EXCEL_FORMATS
from drugscenes.services.report import report as build_report
from drugscenes.store import open_workspace
from helpers import run

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# The fixtures 'demo' and 'report' are in conftest.py (shared with test_evaluation_report).


def test_demo_command_ends_with_the_report(tmp_path):
    code, out, err = run("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    for name in ("report.html", "report.xlsx", "scenes.gpkg"):
        assert (tmp_path / "demo" / "report" / name).exists()
    assert "report.html" in out and "Vid kartläggningen 2024 fanns 53" in out


def test_headline_sentences_come_from_the_analyses(report):
    inv, c = report.results["inventory"].inventory, report.results["compare"].comparison
    text = " ".join(report.headline)
    k = inv.n_municipalities_with_scenes
    assert f"{inv.n_scenes} öppna drogscener i {k} av länets 26" in text
    assert (inv.n_scenes, inv.n_municipalities_with_scenes, c.ceased, c.new) == (53, 8, 10, 0)
    assert f"{c.ceased} scener arbetats bort och ingen ny scen tillkommit" in text
    assert "Den totala ytan är mindre" in text and fmt_area(c.area_to_m2, "sv") in text
    assert "Inga nya scener i kartläggningen; brottsdata pekar på en plats i Almvik." in text
    crime = report.results["crime"].to_dict()
    assert fmt_pct(crime["share_of_scenes_with_shooting"], "sv") in text
    survey = report.results["survey"].to_dict()
    assert fmt_pct(survey["bands"][0]["share_unsafe"], "sv") in text
    assert fmt_pct(survey["region"]["share_unsafe"], "sv") in text


def test_report_renders_offline_in_chromium(report):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    requests, failed, console, errors = [], [], [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})

        # Every request other than the report file itself is recorded and refused.
        def route(r):
            if r.request.url == report.html.as_uri():
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.add_init_script(
            "window.cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.html.as_uri())
        page.wait_for_function("window.dsMapReady !== undefined", timeout=15_000)
        drawn = page.evaluate(
            "[...['ds-muni', 'ds-scene', 'ds-ceased', 'ds-scene-marker']].map("
            "c => document.querySelectorAll('path.' + c).length)"
        )
        ready = page.evaluate("window.dsMapReady")
        headline = page.inner_text("#summary")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#ds-map").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "report-map.png"))
        page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
        # The effect section: its event-study chart is drawn (an inline SVG the policy allows).
        section = page.locator("#evaluation")
        section.scroll_into_view_if_needed()
        chart_box = section.locator("figure.chart svg").bounding_box()
        section.screenshot(path=str(ARTIFACTS / "report-evaluation.png"))
        violations = page.evaluate("window.cspViolations")
        browser.close()
    assert requests == [] and failed == []
    assert errors == [] and [m for m in console if m[0] in ("error", "warning")] == []
    assert violations == []
    assert chart_box is not None and chart_box["width"] > 300 and chart_box["height"] > 150
    c = report.results["compare"].comparison
    assert drawn == [26, c.n_to, c.ceased, c.n_to]
    assert (
        ready["candidates"]
        == report.results["compare"].hotspot_check.to_dict()["n_candidates"]
        >= 1
    )

    def norm(text: str) -> str:
        return " ".join(text.replace("\u00a0", " ").split())

    for line in report.headline:
        assert norm(line) in norm(headline)


def test_html_is_self_contained(report):
    import html as html_lib

    html = report.html.read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    assert html_lib.unescape(policy.group(1)).startswith("default-src 'none';")
    # Nothing is loaded from another host: no src= or CSS url() pointing outside the file.
    # (Plain links, such as Leaflet's attribution link in its JavaScript, load nothing.)
    assert re.findall(r"src\s*=\s*[\"']?(?:https?:)?//", html) == []
    assert re.findall(r"url\(\s*[\"']?(?:https?:)?//", html) == []
    assert re.findall(r"@import", html) == []
    assert "url(images/" not in html  # Leaflet's images are inlined
    assert "<svg" in html  # charts are inline SVG


def test_workbook_cells_equal_the_analysis(report):
    wb = openpyxl.load_workbook(report.xlsx)
    assert set(wb.sheetnames) >= {
        "Kommuner",
        "Scener",
        "Förändring",
        "Historik",
        "Brott per zon",
        "Kvoter",
        "Trygghet avstånd",
    }
    ws = wb["Kommuner"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    by = report.results["inventory"].inventory.by_municipality.set_index("code")
    # Every municipality of the county (areas in hectares), then the total row.
    total = [r for r in rows.values() if r["Kommun"] == "Totalt"]
    rows = {code: row for code, row in rows.items() if code in by.index}
    assert len(rows) == 26 and len(total) == 1
    for code, row in rows.items():
        assert row["Scener 2024"] == by.loc[code, "n_scenes"]
        assert row["Yta 2024 (ha)"] == pytest.approx(by.loc[code, "area_m2"] / 10_000)
    assert sum(r["Scener 2024"] for r in rows.values()) == 53 == total[0]["Scener 2024"]
    fmt = ws.cell(row=2, column=header.index("Yta 2024 (ha)") + 1).number_format
    assert fmt == EXCEL_FORMATS["float2"]
    # The survey sheet holds the estimates as fractions with a percent format.
    ws = wb["Trygghet avstånd"]
    survey = report.results["survey"].to_dict()
    first = [c.value for c in ws[2]]
    assert first[0] == survey["bands"][0]["label"]
    assert first[2] == pytest.approx(survey["bands"][0]["share_unsafe"])
    assert ws.cell(row=2, column=3).number_format == "0.0%"


def test_geopackage_layers_round_trip(report):
    layers = dict(pyogrio.list_layers(report.gpkg))
    assert layers.pop("layer_styles") is None  # QGIS styles, no geometry (test_qgis_styles)
    assert set(layers) == {"scenes", "ceased_scenes", "municipalities", "candidate_scenes"}
    assert set(layers.values()) <= {"Polygon", "MultiPolygon"}
    scenes = gpd.read_file(report.gpkg, layer="scenes")
    assert len(scenes) == 53 and scenes.crs.to_epsg() == 3006
    assert set(scenes["status"]) <= {"persisting", "new", "merged", "split", "restructured"}
    assert (scenes["fate"] == "shrunk").sum() == report.results["compare"].comparison.shrunk
    assert len(gpd.read_file(report.gpkg, layer="ceased_scenes")) == 10
    assert len(gpd.read_file(report.gpkg, layer="municipalities")) == 26


def _report_texts(report) -> list[str]:
    texts = [report.html.read_text(encoding="utf-8")]
    for path in (report.xlsx,):
        with zipfile.ZipFile(path) as z:
            texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    texts.append(report.gpkg.read_bytes().decode("latin-1"))
    return texts


def test_no_respondent_data_in_any_output(demo, report):
    with open_workspace(demo.workspace) as store:
        resp = store.read_survey(SURVEY_YEAR)
    texts = _report_texts(report)
    sample = resp.sample(300, random_state=1)
    for text in texts:
        for rid in sample["respondent_id"]:
            assert rid not in text
        for x, y in zip(sample["x"], sample["y"], strict=True):
            for v in (f"{x:.2f}", f"{y:.2f}", f"{x:.1f}", f"{y:.1f}"):
                assert v not in text


def test_suppressed_cells_show_no_value(demo, tmp_path):
    # A threshold above the nearest band's count: it and its complement are suppressed.
    with open_workspace(demo.workspace) as store:
        result = build_report(store, tmp_path, options=ReportOptions(min_n=3000))
    assert "survey" in result.results
    survey = result.results["survey"].to_dict()
    suppressed = [b for b in survey["bands"] if b["suppressed"]]
    assert suppressed, "expected at least one suppressed band"
    html = result.html.read_text(encoding="utf-8")
    assert "undertryckt (n &lt; 3000)" in html or "undertryckt (n < 3000)" in html
    wb = openpyxl.load_workbook(result.xlsx)
    ws = wb["Trygghet avstånd"]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] in {b["label"] for b in suppressed}:
            assert row[2] is None and row[3] is None and row[4] is None


def test_municipality_report_and_english(demo, tmp_path):
    with open_workspace(demo.workspace) as store:
        r = build_report(
            store, tmp_path / "en", options=ReportOptions(lang="en", municipality="0180")
        )
    text = " ".join(r.headline)
    n = int((r.results["inventory"].inventory.by_municipality["n_scenes"]).sum())
    assert f"found {fmt_num(n, 'en')} open drug scenes in Storstad" in text
    assert r.html.read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="en">')
    # The effect of worked-away scenes is evaluated on Storstad's own scenes; the rest of
    # the municipality needs several municipalities and is left to the county's report.
    ev = r.results["evaluate"].to_dict()
    assert 0 < ev["crime"]["n_ceased"] < 10
    assert ev["crime"]["displacement"]["rest_of_municipality"]["reason"]
    section = re.search(r'<section id="evaluation".*?</section>', r.html.read_text(), flags=re.S)
    assert section is not None
    assert "estimated only in the county&#39;s report" in section.group(0)
    assert fmt_num(ev["crime"]["rate_ratio"], "en", 2) in section.group(0)


def test_candidate_section_lists_the_unregistered_place(report):
    check = report.results["compare"].hotspot_check.to_dict()
    [far] = check["candidates_elsewhere"]
    assert far["trend"] == "increasing" and far["nearest_ceased_m"] > 1000
    text = " ".join(report.headline)
    html = report.html.read_text(encoding="utf-8").replace("\u00a0", " ")
    assert f"visar {check['n_candidates']} områden med signifikant koncentration" in html
    assert "och ett är en ny plats" in html and "brottsdata pekar på en plats i Almvik" in text


def test_report_without_incidents_or_survey_says_what_is_missing(tmp_path, demo):
    ws = tmp_path / "bare.gpkg"
    # No incidents folder and no survey file (<workspace>.survey.gpkg) beside the copy.
    shutil.copy(demo.workspace, ws)
    code, out, err = run("report", ws, "--out", tmp_path / "r", "--json")
    assert code == 0, err
    import json

    d = json.loads(out)
    assert set(d["missing"]) == {"crime", "survey", "candidates", "evaluation"}
    assert "import incidents" in d["missing"]["crime"]
    assert "import survey" in d["missing"]["survey"]
    assert "import incidents" in d["missing"]["evaluation"]
    assert "import survey" in d["missing"]["evaluation"]
