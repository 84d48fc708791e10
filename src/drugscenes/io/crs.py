"""Coordinate reference systems at the edge: parse, sanity-check, convert to EPSG:3006."""

from __future__ import annotations

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from drugscenes import CRS_EPSG
from drugscenes.errors import Problem, UsageError

WORKING_CRS = CRS.from_epsg(CRS_EPSG)


def parse_crs(value: str | int | CRS | None) -> CRS | None:
    """Parse ``--crs`` values such as ``3006``, ``EPSG:4326`` or a WKT/PROJ string."""
    if value is None or isinstance(value, CRS):
        return value
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise UsageError(f"--crs {value!r} is not a known coordinate system ({exc})") from None


def crs_label(crs: CRS | None) -> str:
    """``EPSG:3006`` where there is an EPSG code, else the CRS's name."""
    if crs is None:
        return "no CRS"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def lonlat_like(
    minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray
) -> np.ndarray:
    """True where a bounding box fits in longitude/latitude ranges.

    Projected coordinates in metres (SWEREF 99 TM: x 200,000-1,000,000,
    y 6,100,000-7,700,000) never fit, so this separates the two reliably for Sweden.
    """
    return (
        (np.abs(minx) <= 180) & (np.abs(maxx) <= 180) & (np.abs(miny) <= 90) & (np.abs(maxy) <= 90)
    )


def check_coordinates_match_crs(
    bounds: np.ndarray, crs: CRS, file: str, field: str, rows: np.ndarray
) -> list[Problem]:
    """Find rows whose coordinates cannot be in the declared CRS.

    Parameters
    ----------
    bounds : ndarray of shape (n, 4)
        minx, miny, maxx, maxy per row (NaN for missing geometry).
    crs : CRS
        The declared (file's or ``--crs``) coordinate system.
    file, field : str
        Named in the problems.
    rows : ndarray of int
        The 1-based row numbers of ``bounds``.

    Returns
    -------
    list of Problem
        One ``crs-mismatch`` error per offending row.
    """
    ok = ~np.isnan(bounds).any(axis=1)
    looks_geo = lonlat_like(*bounds.T)
    problems = []
    if crs.is_geographic:
        # Latitude and longitude swapped is the commonest mistake with Swedish data:
        # lat 55-69 read as x, lon 11-24 as y.
        swapped = (
            ok
            & (bounds[:, 0] >= 54)
            & (bounds[:, 2] <= 70)
            & (bounds[:, 1] >= 10)
            & (bounds[:, 3] <= 25)
        )
        for r, b in zip(rows[swapped], bounds[swapped], strict=True):
            problems.append(
                Problem(
                    "crs-axis-order",
                    f"coordinates ({b[0]:.5f}, {b[1]:.5f}) look like latitude, longitude in "
                    f"swapped order; {crs_label(crs)} expects longitude (x) first",
                    file=file,
                    row=int(r),
                    field=field,
                )
            )
        bad = ok & ~looks_geo
        for r, b in zip(rows[bad], bounds[bad], strict=True):
            problems.append(
                Problem(
                    "crs-mismatch",
                    f"coordinates ({b[0]:.0f}, {b[1]:.0f}) look projected (metres) but the CRS "
                    f"is {crs_label(crs)} (degrees); declare the right one with --crs, e.g. 3006",
                    file=file,
                    row=int(r),
                    field=field,
                )
            )
    else:
        bad = ok & looks_geo
        for r, b in zip(rows[bad], bounds[bad], strict=True):
            problems.append(
                Problem(
                    "crs-mismatch",
                    f"coordinates ({b[0]:.5f}, {b[1]:.5f}) look like WGS84 longitude/latitude "
                    f"but the CRS is {crs_label(crs)} (metres); declare --crs 4326",
                    file=file,
                    row=int(r),
                    field=field,
                )
            )
    return problems
