"""The inventory of a round from plain rows: :func:`~drugscenes.analysis.inventory.summarize_round`
without pandas or GeoPandas (and, for the text output, without NumPy or shapely), for a
command that must start fast (``drugscenes summary``).

It gives the very same figures as :func:`~drugscenes.analysis.inventory.summarize_round`,
bit for bit: each polygon's area by GEOS's arithmetic (:func:`polygon_area`, the shoelace
sum of ``Area::ofRingSigned`` in the same order), the total as NumPy's pairwise sum adds it
(:func:`numpy_sum`), each municipality's area as pandas' grouped sum adds it
(Kahan-compensated, in scene order), the same orders and the same rows left out.
``tests/cli/test_startup.py`` checks all three against the libraries on random shapes,
so a new GEOS, NumPy or pandas that adds differently fails there, not in a user's table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["numpy_sum", "polygon_area", "shapely_areas", "summarize_rows"]


def _ring_area(ring: Sequence[float]) -> float:
    """|signed area| of a closed ring given flat (x0, y0, x1, y1, ...), as GEOS computes it."""
    n = len(ring) // 2
    if n < 3:
        return 0.0
    x0 = ring[0]
    total = 0.0
    for i in range(1, n - 1):
        total += (ring[2 * i] - x0) * (ring[2 * i - 1] - ring[2 * i + 3])
    return abs(total / 2.0)


def polygon_area(polygons: Sequence[Sequence[Sequence[float]]]) -> float:
    """Area of a (multi)polygon given as polygons of flat rings (shell first), as
    ``shapely.area`` gives it.

    Examples
    --------
    >>> polygon_area([[(0, 0, 4, 0, 4, 3, 0, 3, 0, 0), (1, 1, 2, 1, 2, 2, 1, 1)]])
    11.5
    """
    area = 0.0
    for rings in polygons:
        a = _ring_area(rings[0]) if rings else 0.0
        for hole in rings[1:]:
            a -= _ring_area(hole)
        area += a
    return area


def numpy_sum(values: Sequence[float]) -> float:
    """The sum of floats as ``numpy.sum`` of a float64 array adds them (pairwise, blocks of
    eight accumulators up to 128 values).

    Examples
    --------
    >>> numpy_sum([0.1] * 10), sum([0.1] * 10)  # as numpy.sum, not as Python's sum
    (1.0, 0.9999999999999999)
    """

    def pairwise(lo: int, n: int) -> float:
        if n < 8:
            res = 0.0
            for i in range(lo, lo + n):
                res += values[i]
            return res
        if n <= 128:
            r = list(values[lo : lo + 8])
            i = 8
            while i < n - n % 8:
                for j in range(8):
                    r[j] += values[lo + i + j]
                i += 8
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            for k in range(i, n):
                res += values[lo + k]
            return res
        n2 = n // 2
        n2 -= n2 % 8
        return pairwise(lo, n2) + pairwise(lo + n2, n - n2)

    return pairwise(0, len(values)) if len(values) else 0.0


def shapely_areas(geometries: Any) -> tuple[list[float], float]:
    """Areas and the area of the union of shapely geometries, as
    :func:`~drugscenes.analysis.inventory.summarize_round` takes them."""
    import numpy as np
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    areas = shapely.area(geoms).astype(float).tolist()
    union = float(shapely.area(shapely.union_all(geoms))) if len(geoms) else 0.0
    return areas, union


def _grouped_sums(codes: Sequence[str | None], areas: Sequence[float]) -> dict[str, list[Any]]:
    """Per code: ``[count, area]``, the area summed as pandas' ``groupby().sum()`` does
    (Kahan summation in row order; rows without a code are left out)."""
    groups: dict[str, list[Any]] = {}
    for code, value in zip(codes, areas, strict=True):
        if code is None:
            continue
        g = groups.setdefault(code, [0, 0.0, 0.0])  # count, sum, compensation
        g[0] += 1
        if math.isnan(value):  # pandas skips missing values in a sum
            continue
        y = value - g[2]
        t = g[1] + y
        g[2] = t - g[1] - y
        if g[2] != g[2]:
            g[2] = 0.0
        g[1] = t
    return {code: [g[0], g[1]] for code, g in groups.items()}


def _text(value: Any) -> str | None:
    """A value as pandas' ``astype(str)`` gives it: text, with None kept as missing."""
    return None if value is None else str(value)


def summarize_rows(
    round_label: str,
    scene_ids: Sequence[Any],
    names: Sequence[Any],
    municipality_codes: Sequence[Any],
    areas: Sequence[float],
    region_codes: Sequence[Any],
    region_names: Sequence[Any],
    n_largest: int = 10,
    union_area: float | None = None,
) -> dict[str, Any]:
    """The inventory of one round as :meth:`RoundInventory.to_dict` gives it.

    Parameters
    ----------
    round_label : str
    scene_ids, names, municipality_codes : sequence
        One value per scene, in the order of the store (by scene id).
    areas : sequence of float
        The scenes' areas (:func:`polygon_area` or :func:`shapely_areas`).
    region_codes, region_names : sequence
        The region's municipalities.
    n_largest : int
        How many of the largest scenes to list.
    union_area : float, optional
        Area of the union of the scenes (:func:`shapely_areas`); None leaves
        ``union_area_m2`` None (the text output does not show it).

    Returns
    -------
    dict
        ``round``, ``n_scenes``, ``n_municipalities_with_scenes``, ``n_municipalities``,
        ``total_area_m2``, ``union_area_m2``, ``by_municipality`` and ``largest_scenes``.

    Examples
    --------
    >>> inv = summarize_rows("2023", ["s1", "s2"], ["x", "y"], ["0180", "0180"],
    ...     [100.0, 200.0], ["0180", "0183"], ["A", "B"], union_area=300.0)
    >>> inv["n_scenes"], inv["n_municipalities_with_scenes"], inv["total_area_m2"]
    (2, 1, 300.0)
    """
    if n_largest < 0:
        raise ValueError(f"'n_largest' must be >= 0, got {n_largest}")
    areas = [float(a) for a in areas]
    codes = [_text(c) for c in municipality_codes]
    per = _grouped_sums(codes, areas)
    by_muni = []
    for code, name in sorted(zip(map(str, region_codes), map(str, region_names), strict=True)):
        n, a = per.get(code, (0, 0.0))
        by_muni.append({"code": code, "name": name, "n_scenes": int(n), "area_m2": float(a)})

    def largest_first(i: int) -> tuple[bool, float, Any]:
        nan = math.isnan(areas[i])
        return nan, 0.0 if nan else -areas[i], scene_ids[i]

    largest = [
        {
            "scene_id": scene_ids[i],
            "name": None if names[i] is None or names[i] != names[i] else names[i],
            "municipality_code": codes[i],
            "area_m2": None if math.isnan(areas[i]) else areas[i],
        }
        for i in sorted(range(len(areas)), key=largest_first)[:n_largest]
    ]
    return {
        "round": str(round_label),
        "n_scenes": len(areas),
        "n_municipalities_with_scenes": sum(1 for r in by_muni if r["n_scenes"] > 0),
        "n_municipalities": len(by_muni),
        "total_area_m2": numpy_sum(areas),
        "union_area_m2": union_area,
        "by_municipality": by_muni,
        "largest_scenes": largest,
    }
