"""WKB points both ways (drugscenes.io.wkb) against shapely, the reference encoder."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely

from drugscenes.io.wkb import points_wkb, wkb_xy


def test_points_wkb_are_shapelys_bytes() -> None:
    x = np.array([674032.5, -1.25, 0.0, 1e-300])
    y = np.array([6580821.0, 2.5, -0.0, 7e6])
    want = shapely.to_wkb(shapely.points(x, y), byte_order=1, output_dimension=2)
    assert points_wkb(x, y).to_pylist() == list(want)


def test_wkb_xy_reads_points_and_slices() -> None:
    x = np.linspace(600000.0, 700000.0, 50)
    y = np.linspace(6500000.0, 6600000.0, 50)
    arr = points_wkb(x, y)
    gx, gy = wkb_xy(arr)
    assert (gx == x).all() and (gy == y).all()
    sx, sy = wkb_xy(arr.slice(7, 20))  # an array that starts inside its buffers
    assert (sx == x[7:27]).all() and (sy == y[7:27]).all()
    cx, _ = wkb_xy(pa.chunked_array([arr.slice(0, 10), arr.slice(10)]))
    assert (cx == x).all()


def test_wkb_xy_other_geometries_are_missing() -> None:
    geoms = [
        shapely.Point(1.0, 2.0),
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.Point(),  # empty
        None,
        shapely.Point(3.0, 4.0, 5.0),  # 3-D: its x and y, as geopandas reads it
    ]
    raw = [None if g is None else shapely.to_wkb(g, output_dimension=3) for g in geoms]
    x, y = wkb_xy(pa.array(raw, pa.binary()))
    assert x[0] == 1.0 and y[0] == 2.0 and x[4] == 3.0 and y[4] == 4.0
    assert np.isnan(x[1:4]).all() and np.isnan(y[1:4]).all()
    big = pa.array(raw, pa.large_binary())
    bx, _ = wkb_xy(big)
    assert np.array_equal(bx, x, equal_nan=True)


def test_geoparquet_metadata_is_read_by_geopandas(tmp_path) -> None:
    import json

    import geopandas as gpd
    import pyarrow.parquet as pq

    from drugscenes.io.wkb import geoparquet_metadata

    x, y = np.array([600000.0, 610000.5]), np.array([6500000.0, 6490000.0])
    meta = json.loads(geoparquet_metadata(x, y))
    assert meta["columns"]["geometry"]["bbox"] == [600000.0, 6490000.0, 610000.5, 6500000.0]
    assert "bbox" not in json.loads(geoparquet_metadata())["columns"]["geometry"]
    table = pa.table({"geometry": points_wkb(x, y)})
    pq.write_table(
        table.replace_schema_metadata({b"geo": geoparquet_metadata(x, y)}), tmp_path / "p.parquet"
    )
    frame = gpd.read_parquet(tmp_path / "p.parquet")
    assert frame.crs.to_epsg() == 3006 and frame.geometry.x.tolist() == x.tolist()
