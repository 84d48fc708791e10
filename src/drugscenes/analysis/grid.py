"""Square grids over a region, aligned to SWEREF 99 TM, clipped to the region.

A :class:`Grid` is the common frame of the hot-spot analyses
(:mod:`drugscenes.analysis.hotspots`): counts, kernel densities and Gi* z-scores are all
values on its cells.

Alignment and clipping
----------------------
- The origin (lower-left corner of the grid) is snapped down to a multiple of the cell size
  in EPSG:3006, so grids of the same cell size over different regions or periods share
  cells: cell ``(row, col)`` covers ``[x0 + col·c, x0 + (col+1)·c) × [y0 + row·c, …)``.
  Row 0 is the southernmost row.
- A cell belongs to the region when its **centre** lies inside the region (boundary
  included: ``shapely.intersects_xy``). Cells outside (sea, neighbouring counties) are not
  zeros: they are *absent*. Values live in compact arrays over the in-region cells only
  (``grid.n_cells`` long, in row-major order), and :meth:`Grid.raster` expands them to a
  ``(ny, nx)`` array with NaN outside the region. This avoids the misleading zeros of grids
  built over a bounding box (see the pitfalls in the domain notes).
- A point is counted in the cell that contains it (half-open cells: a point on a cell's
  west or south edge belongs to that cell). Points in cells outside the region are not
  counted in any cell; the functions that count say how many there were.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from drugscenes import CRS_EPSG, config
from drugscenes.errors import UsageError

__all__ = ["MAX_CELLS", "Grid", "make_grid", "region_geometry"]

MAX_CELLS = config.GRID_MAX_CELLS
"""Largest grid (bounding-box cells) :func:`make_grid` builds; larger ones are refused
(memory: see :data:`drugscenes.config.GRID_MAX_CELLS`)."""


@dataclass(frozen=True, eq=False)
class Grid:
    """A square grid aligned to EPSG:3006 with a region mask.

    Attributes
    ----------
    x0, y0 : float
        Lower-left corner of cell (0, 0), in metres, multiples of ``cell_m``.
    cell_m : float
        Side of a cell in metres.
    nx, ny : int
        Columns and rows of the bounding grid.
    inside : ndarray of bool, shape (ny, nx)
        True where the cell's centre is inside the region.
    cells : ndarray of int64
        Flat indices ``row * nx + col`` of the in-region cells, ascending (the order of
        every compact array).
    lookup : ndarray of int64, shape (ny * nx,)
        Compact index of each bounding-grid cell, −1 outside the region.
    """

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    inside: NDArray[np.bool_]
    cells: NDArray[np.int64]
    lookup: NDArray[np.int64]

    @property
    def n_cells(self) -> int:
        """Number of cells in the region."""
        return int(self.cells.size)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)`` of the bounding grid."""
        return (self.ny, self.nx)

    @property
    def cell_area_m2(self) -> float:
        return self.cell_m * self.cell_m

    @property
    def rows(self) -> NDArray[np.int64]:
        """Row of each in-region cell."""
        return self.cells // self.nx

    @property
    def cols(self) -> NDArray[np.int64]:
        """Column of each in-region cell."""
        return self.cells % self.nx

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x and y of the centres of the in-region cells."""
        c = self.cell_m
        return self.x0 + (self.cols + 0.5) * c, self.y0 + (self.rows + 0.5) * c

    def cell_ids(self) -> NDArray[np.object_]:
        """Stable cell names ``"<cell>m_E<x0 of cell>_N<y0 of cell>"`` (SWEREF 99 TM metres)."""
        c = self.cell_m
        e = np.round(self.x0 + self.cols * c).astype(np.int64).astype(str)
        n = np.round(self.y0 + self.rows * c).astype(np.int64).astype(str)
        return np.char.add(np.char.add(np.char.add(f"{c:g}m_E", e), "_N"), n).astype(object)

    def boxes(self, index: ArrayLike | None = None) -> NDArray[np.object_]:
        """Square polygons of in-region cells (all, or the compact ``index`` given)."""
        idx = np.arange(self.n_cells) if index is None else np.asarray(index, dtype=np.int64)
        cells = self.cells[idx]
        c = self.cell_m
        x = self.x0 + (cells % self.nx) * c
        y = self.y0 + (cells // self.nx) * c
        return shapely.box(x, y, x + c, y + c)

    def locate(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.int64]:
        """Compact cell index of each point; −1 outside the grid or the region."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        col = np.floor((x - self.x0) / self.cell_m)
        row = np.floor((y - self.y0) / self.cell_m)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)  # NaN is not ok
        flat = np.where(ok, row * self.nx + col, 0).astype(np.int64)
        return np.where(ok, self.lookup[flat], -1)

    def count(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.int64], int]:
        """Points per in-region cell and the number of points in no in-region cell."""
        idx = self.locate(x, y)
        keep = idx >= 0
        return np.bincount(idx[keep], minlength=self.n_cells), int(idx.size - keep.sum())

    def raster(self, values: ArrayLike, fill: float = np.nan) -> NDArray[np.float64]:
        """Expand compact values (last axis ``n_cells``) to ``(..., ny, nx)``, ``fill`` outside."""
        v = np.asarray(values, dtype=np.float64)
        if v.shape[-1] != self.n_cells:
            raise UsageError(f"values have {v.shape[-1]} cells, the grid {self.n_cells}")
        out = np.full((*v.shape[:-1], self.ny * self.nx), fill, dtype=np.float64)
        out[..., self.cells] = v
        return out.reshape(*v.shape[:-1], self.ny, self.nx)

    def compact(self, raster: NDArray[np.floating]) -> NDArray[np.float64]:
        """Values of the in-region cells of a ``(..., ny, nx)`` array."""
        r = np.asarray(raster)
        return r.reshape(*r.shape[:-2], self.ny * self.nx)[..., self.cells]

    def to_frame(self, **columns: ArrayLike) -> gpd.GeoDataFrame:
        """In-region cells as polygons with ``cell_id``, ``row``, ``col``, ``x``, ``y``
        (centre) and the compact ``columns`` given, in EPSG:3006."""
        cx, cy = self.centres()
        data: dict[str, object] = {
            "cell_id": self.cell_ids(),
            "row": self.rows,
            "col": self.cols,
            "x": cx,
            "y": cy,
        }
        for name, values in columns.items():
            v = np.asarray(values)
            if v.shape != (self.n_cells,):
                raise UsageError(f"column '{name}' has shape {v.shape}, expected ({self.n_cells},)")
            data[name] = v
        return gpd.GeoDataFrame(pd.DataFrame(data), geometry=self.boxes(), crs=CRS_EPSG)


def region_geometry(region: object) -> shapely.Geometry:
    """One (multi)polygon from a GeoDataFrame, GeoSeries, geometry or array of geometries.

    A GeoDataFrame or GeoSeries with a CRS must be in EPSG:3006.
    """
    if isinstance(region, gpd.GeoDataFrame | gpd.GeoSeries):
        if region.crs is not None and region.crs.to_epsg() != CRS_EPSG:
            raise UsageError(
                f"the region should be in EPSG:{CRS_EPSG} (SWEREF 99 TM), got {region.crs}"
            )
        geoms = np.asarray(region.geometry.values if hasattr(region, "geometry") else region)
    elif isinstance(region, shapely.Geometry):
        geoms = np.array([region], dtype=object)
    else:
        geoms = np.asarray(region, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if geoms.size == 0:
        raise UsageError("the region is empty: no municipality geometry to build a grid on")
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (3, 6)).all():
        raise UsageError("the region must be made of polygons (municipalities)")
    return shapely.union_all(geoms)


def make_grid(region: object, cell_m: float = 100.0) -> Grid:
    """Grid of ``cell_m`` squares aligned to EPSG:3006 over a region, clipped to it.

    Parameters
    ----------
    region : GeoDataFrame, GeoSeries, shapely geometry or array of geometries
        The region (e.g. the workspace's municipalities) in EPSG:3006.
    cell_m : float, default 100
        Cell side in metres.

    Returns
    -------
    Grid
        Cells whose centre is inside the region (see the module docstring).

    Raises
    ------
    UsageError
        If ``cell_m`` is not positive, no cell centre falls inside the region (the cell is
        larger than the region), or the grid would exceed :data:`MAX_CELLS`.

    Examples
    --------
    >>> import shapely
    >>> g = make_grid(shapely.box(1060, 2020, 1440, 2280), cell_m=100)
    >>> (g.x0, g.y0, g.nx, g.ny, g.n_cells)  # centres x = 1050 and 1450 are outside
    (1000.0, 2000.0, 5, 3, 9)
    """
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise UsageError(f"the cell size must be a positive number of metres, got {cell_m}")
    geom = region_geometry(region)
    minx, miny, maxx, maxy = shapely.bounds(geom)
    c = float(cell_m)
    x0 = np.floor(minx / c) * c
    y0 = np.floor(miny / c) * c
    # In floats first: a tiny cell over a large region overflows int64.
    fx, fy = max(float(np.ceil((maxx - x0) / c)), 1.0), max(float(np.ceil((maxy - y0) / c)), 1.0)
    if fx * fy > MAX_CELLS:
        raise UsageError(
            f"a {c:g} m grid over the region has {fx * fy:,.0f} cells (at most {MAX_CELLS:,}); "
            "choose a larger cell size (--cell)"
        )
    nx, ny = int(fx), int(fy)
    shapely.prepare(geom)
    xs = x0 + (np.arange(nx) + 0.5) * c
    inside = np.empty((ny, nx), dtype=bool)
    # Row by row: bounded memory; the loop is over grid rows, not over points.
    step = max(1, 2_000_000 // nx)
    for r in range(0, ny, step):
        rr = np.arange(r, min(r + step, ny))
        ys = y0 + (rr + 0.5) * c
        gx, gy = np.meshgrid(xs, ys)
        inside[rr] = shapely.intersects_xy(geom, gx, gy)
    cells = np.flatnonzero(inside.ravel()).astype(np.int64)
    if cells.size == 0:
        w, h = maxx - minx, maxy - miny
        raise UsageError(
            f"no {c:g} m cell has its centre inside the region ({w:,.0f} × {h:,.0f} m): "
            "the cell size is too large for the region; choose a smaller --cell"
        )
    lookup = np.full(nx * ny, -1, dtype=np.int64)
    lookup[cells] = np.arange(cells.size)
    return Grid(float(x0), float(y0), c, nx, ny, inside, cells, lookup)
