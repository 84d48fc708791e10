"""Agreement between organisations' outlines of the same place.

Pure shapely: observations that overlap (directly or through others) form a *place*;
for each place the pairwise intersection over union of outlines of different
organisations, and the area that only one organisation drew.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.ops import unary_union

DEFAULT_THRESHOLD = 0.5
"""Places whose lowest pairwise IoU is below this are listed for the meeting."""


@dataclass(frozen=True)
class Drawn:
    """One outline: observation id, organisation, geometry (EPSG:3006)."""

    id: int
    organisation: str
    geometry: shapely.Geometry


@dataclass
class Place:
    """Overlapping outlines and their agreement.

    Attributes
    ----------
    observations : list of int
    organisations : list of str
    pairs : list of dict
        ``a``, ``b`` (observation ids), ``organisation_a``, ``organisation_b``,
        ``iou``, ``intersection_m2``, ``union_m2`` for outlines of different
        organisations.
    union_m2 : float
    only_one_m2 : float
        Area inside exactly one organisation's outlines.
    only_by : dict
        Per organisation, the area only it drew.
    min_iou : float or None
        Lowest pairwise IoU (None when one organisation drew the place).
    disagreement : bool
        ``min_iou`` below the threshold.
    """

    observations: list[int]
    organisations: list[str]
    pairs: list[dict[str, object]] = field(default_factory=list)
    union_m2: float = 0.0
    only_one_m2: float = 0.0
    only_by: dict[str, float] = field(default_factory=dict)
    min_iou: float | None = None
    disagreement: bool = False

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return dict(self.__dict__)


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Intersection over union of two areas (0 when both are empty).

    Examples
    --------
    >>> from shapely import box
    >>> round(iou(box(0, 0, 2, 1), box(1, 0, 3, 1)), 4)
    0.3333
    """
    union = a.union(b).area
    return 0.0 if union == 0 else a.intersection(b).area / union


def places(drawn: list[Drawn], threshold: float = DEFAULT_THRESHOLD) -> list[Place]:
    """Group overlapping outlines into places and measure their agreement.

    Examples
    --------
    >>> from shapely import box
    >>> p = places([Drawn(1, "Polisen", box(0, 0, 2, 1)), Drawn(2, "Kommun", box(1, 0, 3, 1))])
    >>> len(p), p[0].pairs[0]["iou"], p[0].only_one_m2, p[0].only_by
    (1, 0.3333, 2.0, {'Kommun': 1.0, 'Polisen': 1.0})
    """
    n = len(drawn)
    if n == 0:
        return []
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    geoms = np.array([d.geometry for d in drawn], dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and drawn[i].geometry.intersection(drawn[j].geometry).area > 0:
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    result = []
    for members in sorted(groups.values(), key=lambda m: min(drawn[i].id for i in m)):
        result.append(_place([drawn[i] for i in members], threshold))
    return result


def _place(members: list[Drawn], threshold: float) -> Place:
    orgs = sorted({d.organisation for d in members})
    by_org = {o: unary_union([d.geometry for d in members if d.organisation == o]) for o in orgs}
    union = unary_union(list(by_org.values()))
    place = Place(sorted(d.id for d in members), orgs, union_m2=round(union.area, 1))
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            if a.organisation == b.organisation:
                continue
            inter = a.geometry.intersection(b.geometry).area
            uni = a.geometry.union(b.geometry).area
            place.pairs.append(
                {
                    "a": a.id,
                    "b": b.id,
                    "organisation_a": a.organisation,
                    "organisation_b": b.organisation,
                    "iou": round(inter / uni, 4) if uni else 0.0,
                    "intersection_m2": round(inter, 1),
                    "union_m2": round(uni, 1),
                }
            )
    for o in orgs:
        others = [g for k, g in by_org.items() if k != o]
        alone = by_org[o].difference(unary_union(others)) if others else by_org[o]
        place.only_by[o] = round(alone.area, 1)
    place.only_one_m2 = round(sum(place.only_by.values()), 1)
    if place.pairs:
        place.min_iou = min(float(p["iou"]) for p in place.pairs)  # type: ignore[arg-type]
        place.disagreement = place.min_iou < threshold
    return place
