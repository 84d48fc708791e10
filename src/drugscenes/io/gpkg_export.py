"""Writing GeoPackages for QGIS users: several layers, one file, replaced as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

GPKG_VERSION = "1.2"
"""Written as GeoPackage 1.2: GDAL 3.6 (QGIS on Debian 12) warns on newer 1.4 files."""


def write_gpkg_layers(path: str | Path, layers: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """Write layers to a new GeoPackage (an existing file is replaced, not appended to).

    Empty layers are skipped. Text columns are written as text even when a column holds
    only missing values.

    Returns
    -------
    list of str
        The layers written, in order.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    written = []
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
