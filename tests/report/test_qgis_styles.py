"""QGIS layer styles in the report's scenes.gpkg: a valid ``layer_styles`` table whose QML
draws the layers as the report's map does, and which QGIS applies when it loads them."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from drugscenes.io.gpkg_export import LAYER_STYLES, write_gpkg_layers
from drugscenes.report.build import FATE_COLORS
from drugscenes.report.mapdata import LAYER_STYLES as MAP_STYLES
from drugscenes.report.mapdata import MARKER_MAX_ZOOM, MARKER_RADIUS_PX
from drugscenes.report.qgis_style import LineLook, marker_scale, report_layer_styles

QGIS_COLUMNS = [
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]
SYSTEM_PYTHON = "/usr/bin/python3"


def _rgba(color: str, opacity: float = 1.0) -> str:
    c = color.lstrip("#")
    return ",".join(str(int(c[k : k + 2], 16)) for k in (0, 2, 4)) + f",{round(255 * opacity)}"


def _layers() -> dict[str, gpd.GeoDataFrame]:
    def frame(**cols):
        n = len(next(iter(cols.values())))
        geoms = [box(1000 * k, 0, 1000 * k + 200, 200) for k in range(n)]
        return gpd.GeoDataFrame(cols, geometry=geoms, crs=3006)

    return {
        "scenes": frame(scene_id=["S1", "S2", "S3"], fate=["persisting", "new", "shrunk"]),
        "ceased_scenes": frame(scene_id=["S9"], status=["ceased"]),
        "municipalities": frame(code=["0114", "0180"], name=["Norrvik", "Storstad"]),
        "candidate_scenes": frame(candidate_id=["C001"]),
    }


def _styles(lang: str = "sv"):
    return report_layer_styles(
        lang=lang,
        round_label="2024",
        compare="2023",
        fates=["persisting", "shrunk", "new"],
        fate_colors=FATE_COLORS,
        leaflet=MAP_STYLES,
        marker_max_zoom=MARKER_MAX_ZOOM,
        marker_radius_px=MARKER_RADIUS_PX,
    )


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("styles") / "scenes.gpkg"
    write_gpkg_layers(path, _layers(), styles=_styles())
    return path


def _qml(path: Path, layer: str) -> ET.Element:
    with sqlite3.connect(path) as con:
        (text,) = con.execute(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND useAsDefault",
            (layer,),
        ).fetchone()
    assert text.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text)


def _props(layer: ET.Element) -> dict[str, str]:
    return {p.get("k"): p.get("v") for p in layer.findall("prop")}


def _symbol_layers(symbol: ET.Element) -> list[tuple[str, dict[str, str]]]:
    return [(sl.get("class"), _props(sl)) for sl in symbol.findall("layer")]


def test_layer_styles_is_a_registered_attributes_table_as_qgis_writes_it(gpkg):
    with sqlite3.connect(gpkg) as con:
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        columns = [r[1] for r in con.execute(f"PRAGMA table_info({LAYER_STYLES})")]
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        rows = con.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, useAsDefault, update_time FROM layer_styles ORDER BY id"
        ).fetchall()
    assert contents[LAYER_STYLES] == "attributes"
    assert columns == QGIS_COLUMNS
    assert [r[2] for r in rows] == ["scenes", "ceased_scenes", "candidate_scenes", "municipalities"]
    for catalog, schema, table, geom_col, name, default, updated in rows:
        # QGIS looks a layer's default style up by f_table_schema = '' and these columns.
        assert (catalog, schema, default) == ("", "", 1)
        assert geom_col == geometry[table]
        assert name and len(name) <= 30
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", updated)
    # GDAL still lists the data layers with their geometry, and the styles without.
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers.pop(LAYER_STYLES) is None
    assert set(layers) == set(_layers())


def test_scenes_are_coloured_by_fate_as_on_the_map(gpkg):
    root = _qml(gpkg, "scenes")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "fate"
    cats = renderer.findall("categories/category")
    assert [(c.get("value"), c.get("label")) for c in cats] == [
        ("persisting", "kvarstår"),
        ("shrunk", "mindre till ytan"),
        ("new", "tillkommit"),
        ("", "–"),  # any other value
    ]
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    scene = MAP_STYLES["scenes"]
    for cat in cats:
        (fill_cls, fill), (dot_cls, _) = _symbol_layers(symbols[cat.get("symbol")])
        color = FATE_COLORS.get(cat.get("value"), "#999999")
        assert fill_cls == "SimpleFill" and dot_cls == "CentroidFill"
        assert fill["color"] == _rgba(color, scene["fillOpacity"])
        assert fill["outline_color"] == _rgba(scene["color"]) == "34,34,34,255"
        assert float(fill["outline_width"]) == scene["weight"]
        assert fill["outline_width_unit"] == "Pixel"
    # The dot appears only zoomed out, as the map's circle markers below zoom 14.
    expr = root.find(".//layer[@class='CentroidFill']//Option[@name='expression']")
    assert expr.get("value") == f"@map_scale > {marker_scale(MARKER_MAX_ZOOM)}"
    dot = _props(root.find(".//layer[@class='SimpleMarker']"))
    assert float(dot["size"]) == 2 * MARKER_RADIUS_PX and dot["size_unit"] == "Pixel"


def test_ceased_scenes_are_dashed_grey_outlines(gpkg):
    layers = _symbol_layers(_qml(gpkg, "ceased_scenes").find("renderer-v2/symbols/symbol"))
    classes = [c for c, _ in layers]
    assert "SimpleFill" not in classes  # no fill
    line = dict(layers)["SimpleLine"]
    assert line["line_color"] == _rgba("#555555") == _rgba(MAP_STYLES["ceased"]["color"])
    assert line["use_custom_dash"] == "1" and line["customdash"] == "4;3"
    assert line["customdash_unit"] == "Pixel" and float(line["line_width"]) == 2


def test_candidates_are_dashed_orange_over_a_faint_fill(gpkg):
    layers = dict(_symbol_layers(_qml(gpkg, "candidate_scenes").find("renderer-v2/symbols/symbol")))
    assert layers["SimpleFill"]["color"] == "211,84,0,38"  # #d35400 at 0.15
    assert layers["SimpleFill"]["outline_style"] == "no"
    assert layers["SimpleLine"]["line_color"] == "211,84,0,255"
    assert layers["SimpleLine"]["customdash"] == "6;4"


def test_municipalities_are_outlines_with_their_names(gpkg):
    root = _qml(gpkg, "municipalities")
    layers = _symbol_layers(root.find("renderer-v2/symbols/symbol"))
    assert layers == [("SimpleLine", layers[0][1])]  # an outline, no fill hiding the scenes
    assert layers[0][1]["line_color"] == _rgba(MAP_STYLES["municipalities"]["color"])
    assert layers[0][1]["use_custom_dash"] == "0"
    assert root.get("labelsEnabled") == "1"
    assert root.find("labeling/settings/text-style").get("fieldName") == "name"


def test_styles_are_written_only_for_layers_written(tmp_path):
    path = tmp_path / "two.gpkg"
    layers = _layers()
    layers["candidate_scenes"] = layers["candidate_scenes"].iloc[:0]  # empty: not written
    write_gpkg_layers(path, layers, styles=_styles("en"))
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT f_table_name, styleName FROM layer_styles").fetchall()
    assert dict(rows) == {
        "scenes": "Scenes 2024",
        "ceased_scenes": "Ceased scenes (2023)",
        "municipalities": "Municipalities",
    }
    plain = tmp_path / "plain.gpkg"
    write_gpkg_layers(plain, _layers())
    assert LAYER_STYLES not in dict(pyogrio.list_layers(plain))


def test_leaflet_options_become_a_look():
    look = LineLook.from_leaflet({"color": "#d35400", "weight": 2, "dashArray": "6 4"})
    assert look == LineLook("#d35400", 2.0, (6.0, 4.0), "#d35400", 0.2)  # Leaflet defaults
    assert LineLook.from_leaflet({"color": "#555555", "fill": False}).fill is None
    assert marker_scale(14) == 17_000  # Leaflet zoom 14 at Stockholm's latitude


def test_the_report_geopackage_carries_the_styles(report):
    with sqlite3.connect(report.gpkg) as con:
        styled = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    assert set(styled) == {"scenes", "ceased_scenes", "municipalities", "candidate_scenes"}
    scenes = gpd.read_file(report.gpkg, layer="scenes")
    root = ET.fromstring(styled["scenes"])
    values = [c.get("value") for c in root.findall("renderer-v2/categories/category")]
    assert set(values) == set(scenes["fate"]) | {""}  # every fate drawn has its colour


# -- QGIS itself ---------------------------------------------------------------------------

QGIS_SCRIPT = """
import json, os, sys
from qgis.core import QgsApplication, QgsRenderContext, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name in ("scenes", "ceased_scenes", "candidate_scenes", "municipalities"):
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    renderer = layer.renderer()
    symbol = renderer.symbols(QgsRenderContext())[0]
    info = {
        "valid": layer.isValid(),
        "renderer": renderer.type(),
        "symbol_layers": [
            [symbol.symbolLayer(k).layerType(), symbol.symbolLayer(k).color().name()]
            for k in range(symbol.symbolLayerCount())
        ],
        "labels": layer.labelsEnabled(),
    }
    if renderer.type() == "categorizedSymbol":
        info["attr"] = renderer.classAttribute()
        info["categories"] = {
            c.value(): [c.label(), c.symbol().symbolLayer(0).color().name()]
            for c in renderer.categories()
        }
    out[name] = info
print(json.dumps(out), flush=True)
os._exit(0)  # exitQgis() with live layers can crash on the way out; nothing to clean up
"""


def _qgis_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60
    )
    return probe.returncode == 0


def test_qgis_opens_the_layers_with_their_default_styles(gpkg, tmp_path):
    if not _qgis_available():
        pytest.skip("QGIS is not installed (apt-get install python3-qgis qgis-providers)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", QGIS_SCRIPT, str(gpkg)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(layer["valid"] for layer in found.values())
    scenes = found["scenes"]
    assert scenes["renderer"] == "categorizedSymbol" and scenes["attr"] == "fate"
    assert scenes["categories"]["persisting"] == ["kvarstår", FATE_COLORS["persisting"]]
    assert scenes["categories"]["new"] == ["tillkommit", FATE_COLORS["new"]]
    assert scenes["categories"]["shrunk"] == ["mindre till ytan", FATE_COLORS["shrunk"]]
    assert found["ceased_scenes"]["symbol_layers"][0] == ["SimpleLine", "#555555"]
    assert found["candidate_scenes"]["symbol_layers"] == [
        ["SimpleFill", "#d35400"],
        ["SimpleLine", "#d35400"],
    ]
    assert found["municipalities"]["symbol_layers"] == [["SimpleLine", "#6b6b6b"]]
    assert found["municipalities"]["labels"] is True
