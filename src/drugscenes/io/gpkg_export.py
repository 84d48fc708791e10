"""Writing GeoPackages for QGIS users: several layers, one file, replaced as a whole.

:func:`write_gpkg_layers` writes any layers (through
:func:`drugscenes.io.outputs.output_file`: a link or a folder at the path is refused, and
the file is replaced only when complete); :func:`write_change_gpkg` and
:func:`write_hotspots_gpkg` write the map layers of a round comparison and of a hot-spot
analysis (``compare --gpkg``, ``hotspots --gpkg``, the report's ``scenes.gpkg``).

Layers can carry QGIS styles (:class:`LayerStyle`): they are written to the file's
``layer_styles`` table, from which QGIS takes a layer's default style when it loads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from drugscenes.io.outputs import output_file

if TYPE_CHECKING:
    from drugscenes.analysis.change import RoundComparison
    from drugscenes.analysis.hotspots import HotspotAnalysis

__all__ = [
    "GPKG_VERSION",
    "LAYER_STYLES",
    "STYLE_NAME_MAX",
    "LayerStyle",
    "change_layers",
    "write_change_gpkg",
    "write_gpkg_layers",
    "write_hotspots_gpkg",
]

GPKG_VERSION = "1.2"
"""Written as GeoPackage 1.2: GDAL 3.6 (QGIS on Debian 12) warns on newer 1.4 files."""

LAYER_STYLES = "layer_styles"
"""The table of QGIS layer styles (the schema QGIS creates when it saves a style to a
GeoPackage; registered in ``gpkg_contents`` as an attributes table)."""

STYLE_NAME_MAX = 30
"""Longest style name QGIS declares (``styleName`` is ``TEXT(30)``); longer names are cut."""


@dataclass(frozen=True)
class LayerStyle:
    """A QGIS style of one layer, as a row of the ``layer_styles`` table.

    Attributes
    ----------
    layer : str
        The layer styled (``f_table_name``).
    name : str
        The style's name shown in QGIS (``styleName``, at most :data:`STYLE_NAME_MAX`
        characters are written).
    qml : str
        The style as a QGIS QML document (``styleQML``).
    sld : str
        The style as OGC SLD (``styleSLD``), empty for none.
    description : str
    default : bool
        Whether QGIS applies it when it loads the layer (``useAsDefault``).
    """

    layer: str
    name: str
    qml: str
    sld: str = ""
    description: str = ""
    default: bool = True


def write_gpkg_layers(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    *,
    option: str = "--gpkg",
    styles: Sequence[LayerStyle] = (),
) -> list[str]:
    """Write layers to a new GeoPackage (an existing file is replaced, not appended to).

    Empty layers are skipped. Text columns are written as text even when a column holds
    only missing values. The file is written beside ``path`` and moved over it when
    complete; a symbolic link or a folder at ``path`` is refused (a UsageError naming
    ``option``).

    Parameters
    ----------
    styles : sequence of LayerStyle, optional
        QGIS styles of the layers, written to the ``layer_styles`` table (styles of layers
        not written are left out; no table without styles).

    Returns
    -------
    list of str
        The layers written, in order.
    """
    with output_file(path, option) as tmp:
        written = _write_layers(tmp, layers)
        _write_styles(tmp, [s for s in styles if s.layer in written])
        return written


def _write_layers(path: Path, layers: Mapping[str, gpd.GeoDataFrame | None]) -> list[str]:
    written: list[str] = []
    for name, frame in layers.items():
        if frame is None or len(frame) == 0:
            continue
        frame = frame.copy()
        for col in frame.columns:
            if col != frame.geometry.name and frame[col].dtype == object:
                frame[col] = frame[col].astype("string")
        pyogrio.write_dataframe(
            frame,
            path,
            layer=name,
            driver="GPKG",
            append=bool(written),
            dataset_options=None if written else {"VERSION": GPKG_VERSION},
        )
        written.append(name)
    return written


def _write_styles(path: Path, styles: Sequence[LayerStyle]) -> None:
    """Append the ``layer_styles`` table as QGIS writes it: ``f_table_catalog`` and
    ``f_table_schema`` empty, the layer and its geometry column, the QML, ``useAsDefault``
    and the time in UTC. Written through GDAL, which registers it in ``gpkg_contents`` as
    an attributes table."""
    if not styles:
        return
    now = pd.Timestamp(datetime.now(UTC)).floor("ms")
    rows = [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": s.layer,
            "f_geometry_column": pyogrio.read_info(path, layer=s.layer)["geometry_name"],
            "styleName": s.name[:STYLE_NAME_MAX],
            "styleQML": s.qml,
            "styleSLD": s.sld,
            "useAsDefault": s.default,
            "description": s.description,
            "owner": "",
            "ui": "",
            "update_time": now,
        }
        for s in styles
    ]
    pyogrio.write_dataframe(
        pd.DataFrame(rows),
        path,
        layer=LAYER_STYLES,
        driver="GPKG",
        append=True,
        layer_options={"FID": "id"},
    )


def change_layers(
    before: gpd.GeoDataFrame | None,
    after: gpd.GeoDataFrame,
    comparison: RoundComparison | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The later round's scenes with their fates and the earlier round's ceased scenes.

    ``before`` and ``after`` are the two rounds' scenes exactly as given to
    :func:`~drugscenes.analysis.change.compare_rounds` (``comparison`` is its result).
    Without a comparison (a first round): ``after`` as it is, and no ceased scenes.

    Returns
    -------
    (GeoDataFrame, GeoDataFrame)
        ``later``: :meth:`RoundComparison.scene_fates
        <drugscenes.analysis.change.RoundComparison.scene_fates>`; ``ceased``: the ceased
        scenes' stored columns, ``area_m2`` recomputed from the geometry, ``status``
        ("ceased").
    """
    if comparison is None or before is None:
        return after.reset_index(drop=True).copy(), after.iloc[:0].copy()
    ceased = comparison.ceased_scenes(before).copy()
    ceased["status"] = "ceased"
    ceased["area_m2"] = ceased.geometry.area
    return comparison.scene_fates(after), ceased


def write_change_gpkg(
    path: str | Path,
    before: gpd.GeoDataFrame | None,
    after: gpd.GeoDataFrame,
    comparison: RoundComparison | None,
    *,
    layer_names: tuple[str, str] | None = None,
    scene_columns: Mapping[str, Any] | None = None,
    extra_layers: Mapping[str, gpd.GeoDataFrame | None] | None = None,
    styles: Sequence[LayerStyle] = (),
) -> list[str]:
    """Write the change between two rounds as map layers (the file is replaced).

    ``before`` and ``after`` are the two rounds' scenes exactly as given to
    :func:`~drugscenes.analysis.change.compare_rounds` (``comparison`` is its result);
    ``compare --gpkg`` and the report's ``scenes.gpkg`` are both written here.

    Parameters
    ----------
    layer_names : (str, str), optional
        Names of the two layers below; default ``("scenes_<TO>", "ceased_<FROM>")``.
        Required without a comparison.
    scene_columns : mapping, optional
        Further columns of the scenes layer (name to values in the order of ``after``),
        e.g. the report's municipality names.
    extra_layers : mapping, optional
        Further layers after these two (e.g. the report's municipalities and candidates).
    styles : sequence of LayerStyle, optional
        QGIS default styles of the layers (:func:`write_gpkg_layers`).

    Layers
    ------
    ``scenes_<TO>``
        Every scene of the later round: its stored columns (``scene_id``, ``id_given``,
        ``name``, ``municipality_code``, ``area_m2``, ``activities``, ``drug_types``,
        ``times_of_day``, ``source_org``, ``note``, ``attributes``) plus the fate columns
        of :meth:`~drugscenes.analysis.change.RoundComparison.scene_fates`: ``status``,
        ``size_change``, ``fate``, ``displacement``, ``from_ids``, ``area_from_m2``,
        ``area_to_m2``, ``area_pct_change``, ``nearest_previous_m``.
    ``ceased_<FROM>``
        The earlier round's scenes without a successor: their stored columns, with
        ``area_m2`` recomputed from the geometry, plus ``status`` ("ceased").

    Empty layers are left out (no ceased scene: no ``ceased_<FROM>`` layer).

    Returns
    -------
    list of str
        The layers written.
    """
    later, ceased = change_layers(before, after, comparison)
    for name, values in (scene_columns or {}).items():
        later[name] = values.to_numpy() if hasattr(values, "to_numpy") else values
    if layer_names is None:
        if comparison is None:
            raise ValueError("layer_names are needed without a comparison")
        layer_names = (f"scenes_{comparison.to_round}", f"ceased_{comparison.from_round}")
    layers: dict[str, gpd.GeoDataFrame | None] = dict(
        zip(layer_names, (later, ceased), strict=True)
    )
    layers.update(extra_layers or {})
    return write_gpkg_layers(path, layers, styles=styles)


def write_hotspots_gpkg(path: str | Path, result: HotspotAnalysis) -> list[str]:
    """Write a hot-spot analysis as map layers (the file is replaced).

    Layers
    ------
    ``candidates``
        Ranked candidate areas (columns of
        :attr:`~drugscenes.analysis.hotspots.CandidateScenes.candidates`).
    ``near_registered``
        Hot areas within the distance of a registered scene.
    ``cells``
        In-region cells with at least one incident or a non-zero ``gi_bin``:
        ``count``, ``density_km2``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_bin`` and, with
        periods, ``pattern``, ``trend_tau``, ``trend_p``. Cells outside the region are not
        in the file (they were not analysed); cells in the region with nothing are left
        out only to keep the file small.

    Returns
    -------
    list of str
        The layers written.
    """
    cells = result.cells()
    cells = cells[(cells["count"] > 0) | (cells["gi_bin"] != 0)]
    return write_gpkg_layers(
        path,
        {
            "candidates": result.candidates.candidates,
            "near_registered": result.candidates.near_registered,
            "cells": cells,
        },
    )
