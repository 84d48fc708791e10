"""The report's map: start view, legend, labels, background and scale bar (issue #13, item 4).

The demo's report (the session fixture ``report`` of conftest.py) is read as its page
carries it (the embedded map data) and as Chromium draws it; the static map of the PDF
is checked on a small region whose distances are known.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box
from shapely.geometry import shape

from drugscenes.report.mapdata import (
    LAYER_STYLES,
    focus_geometries,
    label_points,
    legend_entries,
    legend_html,
    svg_attributes,
    view_bounds,
)
from drugscenes.report.staticmap import nice_length, static_map_svg
from helpers import square_region

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SVG = "{http://www.w3.org/2000/svg}"


def _map_data(report) -> dict:
    page = report.html.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="ds-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def _boxes(collection: dict) -> list[tuple[float, float, float, float]]:
    """(west, south, east, north) of each feature."""
    return [shape(f["geometry"]).bounds for f in collection["features"]]


def _inside(inner: tuple[float, ...], view: list[list[float]]) -> bool:
    (south, west), (north, east) = view
    w, s, e, n = inner
    return west <= w and e <= east and south <= s and n <= north


def test_start_view_holds_every_drawn_feature(report):
    data = _map_data(report)
    c = report.results["compare"].comparison
    view = data["bounds"]
    scenes, ceased, cands = (_boxes(data[k]) for k in ("scenes", "ceased", "candidates"))
    # The demo draws all three layers: 53 scenes, 10 ceased, the candidate areas.
    assert (len(scenes), len(ceased)) == (c.n_to, c.ceased) == (53, 10)
    assert len(cands) == report.results["compare"].hotspot_check.to_dict()["n_candidates"] >= 1
    outside = [b for b in scenes + ceased + cands if not _inside(b, view)]
    assert outside == []
    # ... and the municipalities with scenes (now or in the earlier round), whole.
    inv = report.results["inventory"].inventory.by_municipality
    with_scenes = set(inv.loc[inv["n_scenes"] > 0, "code"]) | set(
        report.data.change.before["municipality_code"]
    )
    munis = [
        shape(f["geometry"]).bounds
        for f in data["municipalities"]["features"]
        if f["properties"]["code"] in with_scenes
    ]
    assert len(munis) == len(with_scenes) >= 8
    assert [b for b in munis if not _inside(b, view)] == []
    # It is fitted to them, not the whole county (18 municipalities have no scene).
    (s, w), (n, e) = view
    (rs, rw), (rn, re_) = data["region_bounds"]
    assert (n - s) * (e - w) < 0.8 * (rn - rs) * (re_ - rw)


def test_legend_lists_each_layer_as_drawn(report):
    data = _map_data(report)
    legend = {(e["layer"], e["key"]): e["style"] for e in data["legend"]}
    drawn = {("scenes", f["properties"]["fate"]) for f in data["scenes"]["features"]}
    drawn |= {("ceased", "ceased")} if data["ceased"]["features"] else set()
    drawn |= {("candidates", "candidates")} if data["candidates"]["features"] else set()
    drawn |= {("municipalities", "municipalities")}
    assert set(legend) == drawn
    assert {("ceased", "ceased"), ("candidates", "candidates")} <= drawn  # the demo has both
    # Each entry carries the very style the map draws its layer with (report.js reads
    # data.styles; scenes take their fate's colour).
    for (layer, key), style in legend.items():
        expected = dict(data["styles"][layer])
        if layer == "scenes":
            expected["fillColor"] = data["colors"][key]
        assert style == expected, (layer, key)
    assert legend[("ceased", "ceased")]["dashArray"] and not legend[("ceased", "ceased")]["fill"]


def test_legend_html_swatches_carry_the_layers_svg_attributes():
    entries = legend_entries(
        [("persisting", "kvarstår", "#1f77b4")],
        ceased="Upphörda <scener>",
        candidates=None,
        municipalities="Kommuner",
    )
    assert [(e.layer, e.key) for e in entries] == [
        ("scenes", "persisting"),
        ("ceased", "ceased"),
        ("municipalities", "municipalities"),
    ]
    html = str(legend_html(entries))
    assert "Upphörda &lt;scener&gt;" in html and "style=" not in html
    rects = re.findall(r"<rect ([^>]*)/>", html)
    ceased = dict(re.findall(r'([\w-]+)="([^"]*)"', rects[1]))
    assert ceased["stroke-dasharray"] == LAYER_STYLES["ceased"]["dashArray"] == "4 3"
    assert ceased["fill"] == "none" and ceased["stroke"] == LAYER_STYLES["ceased"]["color"]
    scene = dict(re.findall(r'([\w-]+)="([^"]*)"', rects[0]))
    assert scene["fill"] == "#1f77b4" and scene["fill-opacity"] == "0.85"
    assert "stroke-dasharray" not in scene


def test_map_in_chromium_fits_labels_legend_and_prints_its_scale(report):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    names = ["stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "fill", "fill-opacity"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
        context.route(
            "**/*",
            lambda r: r.continue_() if r.request.url == report.html.as_uri() else r.abort(),
        )
        page = context.new_page()
        page.goto(report.html.as_uri())
        page.wait_for_function("window.dsMapReady !== undefined", timeout=15_000)
        ready = page.evaluate("window.dsMapReady")
        # Each legend swatch against a path the map drew for its layer.
        pairs = page.evaluate(
            """names => [...document.querySelectorAll('#ds-legend .item')].map(it => {
                const sel = {scenes: 'path.ds-fate-' + it.dataset.key, ceased: 'path.ds-ceased',
                             candidates: 'path.ds-candidate',
                             municipalities: 'path.ds-muni'}[it.dataset.layer];
                const path = document.querySelector(sel);
                const rect = it.querySelector('rect');
                return [it.dataset.layer, it.dataset.key,
                        path && names.map(n => path.getAttribute(n)),
                        names.map(n => rect.getAttribute(n))];
            })""",
            names,
        )
        labels = page.evaluate(
            """[...document.querySelectorAll('.ds-muni-label')].map(e => {
                const r = e.getBoundingClientRect();
                return [e.textContent, e.classList.contains('ds-hidden'),
                        [r.left, r.top, r.right, r.bottom]];
            })"""
        )
        background = page.evaluate(
            "getComputedStyle(document.getElementById('ds-map')).backgroundColor"
        )
        page.emulate_media(media="print")
        printed = page.evaluate(
            """[...['.leaflet-control-scale', '.leaflet-control-layers',
                    '.leaflet-control-zoom']].map(s => {
                const e = document.querySelector(s);
                return e !== null && getComputedStyle(e).display !== 'none'
                       && e.getBoundingClientRect().width > 0;
            })"""
        )
        scale_text = page.inner_text(".leaflet-control-scale")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("section#map").screenshot(path=str(ARTIFACTS / "report-map-print.png"))
        browser.close()
    # The start view holds every layer's features (Leaflet's own bounds of each layer).
    view = ready["view"]
    for layer, bounds in ready["layer_bounds"].items():
        (s, w), (n, e) = bounds
        assert _inside((w, s, e, n), view), layer
    # The legend lists the layers drawn, each swatch drawn as the map draws the layer.
    assert [(p[0], p[1]) for p in pairs] == [
        (e["layer"], e["key"]) for e in _map_data(report)["legend"]
    ]
    for layer, key, drawn, swatch in pairs:
        assert drawn is not None, f"{layer}/{key} is in the legend but not drawn"
        assert drawn == swatch, (layer, key)
    # Every municipality has a label; those shown do not overlap, and the municipalities
    # with scenes are among them.
    assert sorted(t for t, _, _ in labels) == sorted(report.data.municipalities["name"].astype(str))
    shown = [r for _, hidden, r in labels if not hidden]
    assert len(shown) >= 8
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    assert background == "rgb(227, 227, 227)"  # neutral grey, not sea-blue
    assert printed == [True, False, False]  # the scale bar prints, the buttons do not
    assert re.fullmatch(r"\d+ k?m", scale_text.strip())


# -- the static map of the PDF ---------------------------------------------------------------


def _layers():
    munis = square_region()  # two 10 km squares side by side from (660000, 6570000)
    x0, y0 = 660_000, 6_570_000
    scenes = gpd.GeoDataFrame(
        {"fate": ["persisting", "new"], "municipality_code": ["0180", "0183"]},
        geometry=[box(x0 + 2_000, y0 + 2_000, x0 + 2_050, y0 + 2_050),
                  box(x0 + 8_000, y0 + 2_000, x0 + 8_050, y0 + 2_050)],
        crs=3006,
    )  # fmt: skip
    ceased = gpd.GeoDataFrame(
        {"municipality_code": ["0180"]},
        geometry=[box(x0 + 5_000, y0 + 9_000, x0 + 5_060, y0 + 9_060)],
        crs=3006,
    )
    cands = gpd.GeoDataFrame(
        {"candidate_id": [1]},
        geometry=[box(x0 + 12_000, y0 + 6_000, x0 + 12_300, y0 + 6_300)],
        crs=3006,
    )
    return munis, scenes, ceased, cands


def test_static_map_draws_the_layers_in_the_view_with_an_exact_scale_bar():
    munis, scenes, ceased, cands = _layers()
    focus = focus_geometries([scenes, ceased, cands], munis, ["0180"])
    own, wgs = view_bounds(focus)
    # The view holds Stockholm's square (the municipality with scenes) and the candidate.
    assert own == (660_000.0, 6_570_000.0, 672_300.0, 6_580_000.0)
    assert wgs[0][0] < wgs[1][0] and wgs[0][1] < wgs[1][1]
    svg = static_map_svg(
        municipalities=munis,
        scenes=scenes,
        ceased=ceased,
        candidates=cands,
        fate_colors={"persisting": "#1f77b4", "new": "#ff7f0e"},
        labels=label_points(munis, ["0180"]),
        bounds=own,
        title="Karta",
    )
    assert "style" not in svg and "<script" not in svg
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    assert len(groups["ds-muni"]) == 2 and len(groups["ds-candidate"]) == 1
    assert len(groups["ds-scene"]) == 2 and len(groups["ds-ceased"]) == 1
    cand = groups["ds-candidate"][0].attrib
    assert {k: cand[k] for k in svg_attributes(LAYER_STYLES["candidates"])} == svg_attributes(
        LAYER_STYLES["candidates"]
    )
    # A circle at each scene (coloured by fate) and ceased scene, all inside the map.
    circles = list(groups["ds-markers"])
    assert [c.get("fill") for c in circles] == ["none", "#1f77b4", "#ff7f0e"]
    xy = [(float(c.get("cx")), float(c.get("cy"))) for c in circles]
    assert all(0 < x < width and 0 < y < height for x, y in xy)
    # The two scenes lie 6000 m apart on one line (north up): the scale bar's length in
    # pixels over this distance is the metres it says.
    (_, _), (xa, ya), (xb, yb) = xy
    assert ya == pytest.approx(yb)
    px_per_m = (xb - xa) / 6000.0
    scale = groups["ds-scale"]
    bar = re.findall(r"[-\d.]+", scale.find(f"{SVG}path").get("d"))
    bar_px = float(bar[3]) - float(bar[0])  # M x0 y V y H x1 V y
    text = scale.find(f"{SVG}text").text
    metres = float(text.split()[0]) * (1000 if text.endswith("km") else 1)
    assert bar_px / px_per_m == pytest.approx(metres, rel=1e-3)
    assert metres == nice_length(100.0 / px_per_m)
    labels = [t.text for t in groups["ds-muni-labels"]]
    assert "Stockholm" in labels
