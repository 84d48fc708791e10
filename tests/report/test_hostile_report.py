"""The report of a workspace whose names are hostile text: formulas stay text in Excel, the
embedded data cannot end its script element, charts draw ``$`` literally, and the page's
Content-Security-Policy allows exactly its own scripts and styles."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import zipfile

import openpyxl
import pytest
from markupsafe import escape

from drugscenes.report import charts
from drugscenes.report.csp import script_json, sha256_source, tile_source
from drugscenes.report.model import ReportOptions
from drugscenes.report.tables import set_cell
from helpers import run
from hostile import (
    FORMULA_MUNI,
    FORMULA_TEXTS,
    MARKUP_NAME,
    MATH_MUNI,
    MUNICIPALITIES,
    SCENES,
    SCRIPT_NAME,
    hostile_workspace,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return hostile_workspace(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def out(workspace, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    code, _, err = run("report", workspace, "--out", folder, "--lang", "en")
    assert code == 0, err
    return folder


def _page(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def _policy(page: str) -> dict[str, list[str]]:
    m = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert m is not None
    directives = [d.split() for d in html_lib.unescape(m.group(1)).split(";")]
    return {d[0]: d[1:] for d in directives if d}


def _inline(page: str, tag: str) -> list[str]:
    """The text of every inline ``tag`` element but the JSON data."""
    found = re.findall(rf"<{tag}(\s[^>]*)?>(.*?)</{tag}>", page, flags=re.S)
    return [text for attrs, text in found if "application/json" not in (attrs or "")]


# -- 1. spreadsheet formulas ---------------------------------------------------------------


def test_text_cells_are_never_formulas_and_numbers_stay_numbers(out):
    wb = openpyxl.load_workbook(out / "report.xlsx")
    texts, numbers = set(), 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    texts.add(cell.value)
                elif isinstance(cell.value, int | float):
                    assert cell.data_type == "n"
                    numbers += 1
    for text in FORMULA_TEXTS:
        assert text in texts, text  # unchanged
    assert numbers > 20
    # History id lists are text too, and the areas beside them numbers.
    hist = wb["History"]
    header = [c.value for c in hist[1]]
    ids = {r[header.index("Ids")] for r in hist.iter_rows(min_row=2, values_only=True)}
    assert {"=1+1", "@SUM(A1)", "+cmd", "-1"} <= ids
    area = hist.cell(row=2, column=header.index("Area 2023 (m²)") + 1)
    assert area.data_type == "n" and area.value >= 5_000
    # No formula element in any sheet of the file.
    with zipfile.ZipFile(out / "report.xlsx") as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode("utf-8")


# -- 2. embedded JSON -------------------------------------------------------------------------


def test_embedded_json_cannot_end_its_script_element():
    text = script_json({"name": SCRIPT_NAME, "sep": "a\u2028b\u2029c", "amp": "&"})
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"name": SCRIPT_NAME, "sep": "a\u2028b\u2029c", "amp": "&"}


def test_every_scene_round_trips_through_the_page(out):
    page = _page(out)
    m = re.search(r'<script type="application/json" id="ds-data">(.*?)</script>', page, re.S)
    assert m is not None
    assert "<" not in m.group(1) and ">" not in m.group(1)
    data = json.loads(m.group(1))
    assert {f["properties"]["title"] for f in data["scenes"]["features"]} == {
        name for name, _, _ in SCENES.values()
    }
    assert {f["properties"]["name"] for f in data["municipalities"]["features"]} == set(
        MUNICIPALITIES.values()
    )
    # Nothing after the data can be swallowed by a comment or a script opened in it.
    assert page.count("<script") == 3 and page.count("</script>") == 3


# -- 4. matplotlib ------------------------------------------------------------------------------


def test_chart_draws_dollars_and_backslashes_literally(out):
    assert f"{MATH_MUNI} (0183)" in _page(out)
    svg = charts.municipality_chart(
        ["0180", "0183"], [MATH_MUNI, "a $x$ \x1b[31m"], [1, 2], [3, 4], "$2021", "2023"
    )
    assert f"{MATH_MUNI} (0180)" in svg and "a $x$ [31m (0183)" in svg and "$2021" in svg
    assert "\x1b" not in svg


def test_charts_carry_no_inline_css():
    svg = charts.survey_chart(
        [{"label": "$0–500 m", "share_unsafe": 0.3, "ci_low": 0.2, "ci_high": 0.4}],
        {"share_unsafe": 0.2},
        "en",
    )
    assert "style=" not in svg and "<style" not in svg and "$0–500 m" in svg
    assert 'fill="#c0392b"' in svg  # the bar keeps its colour as an attribute


# -- 5. Content-Security-Policy -------------------------------------------------------------


def test_policy_allows_exactly_the_page_scripts_and_styles(out):
    page = _page(out)
    policy = _policy(page)
    assert policy["default-src"] == ["'none'"]
    scripts, styles = _inline(page, "script"), _inline(page, "style")
    assert len(scripts) == 2 and len(styles) == 3  # Leaflet, report, running title
    assert sorted(policy["script-src"]) == sorted(sha256_source(s) for s in scripts)
    assert sorted(policy["style-src"]) == sorted(sha256_source(s) for s in styles)
    assert policy["img-src"] == ["data:"]
    # No style attribute in the markup (the policy would block it).
    markup = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert " style=" not in markup


def test_tile_origin_enters_the_policy(workspace, tmp_path):
    url = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    code, _, err = run("report", workspace, "--out", tmp_path, "--tile-url", url)
    assert code == 0, err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert _policy(page)["img-src"] == ["data:", "https://*.tile.openstreetmap.org"]
    assert tile_source("http://localhost:8080/t/{z}/{x}/{y}.png") == "http://localhost:8080"


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example.org/{z}/{x}/{y}.png; script-src 'unsafe-inline'",
        "https://tiles.example.org/{z}/{x}/{y}.png,https://evil.example.org",
        "https://tiles.example.org/{z}/{x}/{y}.png 'unsafe-inline'",
        'https://tiles.example.org/"x',
        "javascript:alert(1)//{z}",
        "data:image/png;base64,AAAA",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://user:pw@tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org:99999/{z}.png",
        "https://*/{z}.png",
        "https:///{z}.png",
    ],
)
def test_hostile_tile_url_is_refused(workspace, tmp_path, url):
    out = tmp_path / "r"
    code, _, err = run("report", workspace, "--out", out, "--tile-url", url)
    assert code == 2, (url, err)
    assert "--tile-url" in err and len(err.strip().splitlines()) <= 2 and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(Exception, match="--tile-url"):
        ReportOptions(tile_url=url)


# -- 2 and 5 in a browser ---------------------------------------------------------------------


def _open_in_chromium(html_path) -> dict:
    """Open a report offline; every request but the file itself is recorded and refused."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    seen: dict = {"requests": [], "console": [], "errors": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})

        def route(r):
            if r.request.url == html_path.as_uri():
                r.continue_()
            else:
                seen["requests"].append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.add_init_script(
            "window.cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.on("console", lambda m: seen["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        # The page's scripts run while it loads; polling with a JavaScript string would need
        # eval, which the page's policy forbids.
        page.goto(html_path.as_uri(), wait_until="load")
        page.wait_for_timeout(500)  # tiles are asked for after the first layout
        seen["ready"] = page.evaluate("window.dsMapReady")
        seen["drawn"] = page.evaluate(
            "[...['ds-muni', 'ds-scene', 'ds-scene-marker']].map("
            "c => document.querySelectorAll('path.' + c).length)"
        )
        seen["violations"] = page.evaluate("window.cspViolations")
        seen["legend"] = page.evaluate(
            "[...document.querySelectorAll('#ds-legend .sw')].map(e => e.style.background)"
        )
        browser.close()
    return seen


def test_hostile_report_draws_its_map_in_chromium(out):
    seen = _open_in_chromium(out / "report.html")
    assert seen["errors"] == [] and seen["violations"] == []
    assert [m for m in seen["console"] if m[0] in ("error", "warning")] == []
    assert seen["requests"] == []
    assert seen["ready"] is not None, "the map's script did not run"
    n = len(SCENES)
    assert seen["ready"]["scenes"] == n and seen["drawn"] == [len(MUNICIPALITIES), n, n]
    assert seen["legend"] and all(seen["legend"])  # colours set through the DOM


def test_tile_server_is_the_only_other_host_the_policy_allows(workspace, tmp_path):
    url = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    code, _, err = run("report", workspace, "--out", tmp_path, "--tile-url", url)
    assert code == 0, err
    seen = _open_in_chromium(tmp_path / "report.html")
    assert seen["violations"] == [] and seen["errors"] == []
    # Tiles were asked for (and refused by the offline test), so the policy let them through.
    assert seen["requests"] and all(
        re.match(r"https://[abc]\.tile\.example\.org/\d+/\d+/\d+\.png$", u)
        for u in seen["requests"]
    )


def test_names_are_text_in_the_page(out):
    page = _page(out)
    assert escape(FORMULA_MUNI) in page and escape(SCRIPT_NAME) in page
    assert SCRIPT_NAME not in page  # only ever escaped
    assert escape(MARKUP_NAME) in page


def test_text_cell_starting_with_cr_is_text():
    wb = openpyxl.Workbook()
    for k, text in enumerate(["\rCR", "=1+1", "", "ok\x07"], start=1):
        set_cell(wb.active, k, 1, text)
    assert [c.data_type for c in wb.active["A"]] == ["s", "s", "n", "s"]
    assert [c.value for c in wb.active["A"]] == ["\rCR", "=1+1", None, "ok"]
