"""The inventory of one mapping round: how many scenes, where, how large."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from drugscenes.analysis.records import records


@dataclass(frozen=True)
class RoundInventory:
    """Counts and areas of one round.

    Attributes
    ----------
    round : str
    n_scenes : int
    n_municipalities_with_scenes : int
    n_municipalities : int
        Municipalities in the region.
    total_area_m2 : float
        Sum of the scenes' planar areas in EPSG:3006. Overlapping scenes are
        counted once each (the sum, not the union), as a registry total.
    union_area_m2 : float
        Area of the union of the scenes (equals the total when none overlap).
    by_municipality : DataFrame
        One row per municipality of the region, sorted by code: ``code``, ``name``,
        ``n_scenes``, ``area_m2``. A scene counts wholly in the municipality it is
        registered to, even where it crosses a border.
    largest : DataFrame
        The largest scenes: ``scene_id``, ``name``, ``municipality_code``, ``area_m2``.
    """

    round: str
    n_scenes: int
    n_municipalities_with_scenes: int
    n_municipalities: int
    total_area_m2: float
    union_area_m2: float
    by_municipality: pd.DataFrame
    largest: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        return {
            "round": self.round,
            "n_scenes": self.n_scenes,
            "n_municipalities_with_scenes": self.n_municipalities_with_scenes,
            "n_municipalities": self.n_municipalities,
            "total_area_m2": self.total_area_m2,
            "union_area_m2": self.union_area_m2,
            "by_municipality": records(self.by_municipality),
            "largest_scenes": records(self.largest),
        }


def summarize_round(
    scenes: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    round_label: str,
    n_largest: int = 10,
) -> RoundInventory:
    """Inventory of one round.

    Parameters
    ----------
    scenes : GeoDataFrame
        The round's scenes (``scene_id``, ``name``, ``municipality_code``,
        geometry in EPSG:3006).
    municipalities : GeoDataFrame
        The region (``code``, ``name``).
    round_label : str
    n_largest : int
        How many of the largest scenes to list (default 10).

    Returns
    -------
    RoundInventory

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> munis = gpd.GeoDataFrame({"code": ["0180", "0183"], "name": ["A", "B"]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=3006)
    >>> scenes = gpd.GeoDataFrame({"scene_id": ["s1", "s2"], "name": ["x", "y"],
    ...     "municipality_code": ["0180", "0180"]},
    ...     geometry=[box(0, 0, 10, 10), box(100, 100, 120, 110)], crs=3006)
    >>> inv = summarize_round(scenes, munis, "2023")
    >>> inv.n_scenes, inv.n_municipalities_with_scenes, inv.total_area_m2
    (2, 1, 300.0)
    """
    if not isinstance(scenes, gpd.GeoDataFrame):
        raise TypeError(f"'scenes' should be a GeoDataFrame, got {type(scenes)}")
    for col in ("scene_id", "municipality_code"):
        if col not in scenes.columns:
            raise ValueError(f"'scenes' has no column '{col}'")
    if n_largest < 0:
        raise ValueError(f"'n_largest' must be >= 0, got {n_largest}")
    geoms = scenes.geometry.to_numpy()
    area = shapely.area(geoms).astype(float)
    frame = pd.DataFrame(
        {
            "scene_id": scenes["scene_id"].to_numpy(),
            "name": scenes["name"].to_numpy() if "name" in scenes else None,
            "municipality_code": scenes["municipality_code"].astype(str).to_numpy(),
            "area_m2": area,
        }
    )
    per = frame.groupby("municipality_code").agg(
        n_scenes=("scene_id", "size"), area_m2=("area_m2", "sum")
    )
    by_muni = (
        pd.DataFrame(
            {
                "code": municipalities["code"].astype(str).to_numpy(),
                "name": municipalities["name"].astype(str).to_numpy(),
            }
        )
        .merge(per, left_on="code", right_index=True, how="left")
        .fillna({"n_scenes": 0, "area_m2": 0.0})
        .astype({"n_scenes": int, "area_m2": float})
        .sort_values("code")
        .reset_index(drop=True)
    )
    largest = (
        frame.sort_values(["area_m2", "scene_id"], ascending=[False, True])
        .head(n_largest)
        .reset_index(drop=True)
    )
    union = float(shapely.area(shapely.union_all(geoms))) if len(geoms) else 0.0
    return RoundInventory(
        round=str(round_label),
        n_scenes=len(frame),
        n_municipalities_with_scenes=int((by_muni["n_scenes"] > 0).sum()),
        n_municipalities=len(by_muni),
        total_area_m2=float(area.sum()),
        union_area_m2=union,
        by_municipality=by_muni,
        largest=largest,
    )
