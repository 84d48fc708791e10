"""The round's computed map layers for the OGC API: ceased scenes and candidate places.

Both come from the services, exactly as the CLI computes them; nothing is recomputed
here:

``ceased``
    :func:`drugscenes.services.change.compare` of the round before and the round (what
    ``drugscenes compare`` prints), and the earlier round's scenes whose status is
    ``ceased`` (:func:`drugscenes.io.gpkg_export.change_layers`, the same rows as the
    change GeoPackage's ``ceased_<FROM>`` layer). None for a first round.
``candidates``
    :func:`drugscenes.services.hotspots.hotspots` of the twelve months before the round
    against its registered scenes with the command's defaults (``drugscenes hotspots
    --round LABEL``): the ranked candidate areas away from every registered scene. None
    without incidents in the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from drugscenes.errors import DataError, NotFoundError, UsageError
from drugscenes.periods import Period
from drugscenes.store import Store

CEASED_KEYS = ("scene_id", "name", "municipality_code", "area_m2", "from_round", "to_round")
"""Properties of a ceased scene's feature."""
CANDIDATE_KEYS = (
    "candidate_id",
    "rank",
    "n_cells",
    "area_m2",
    "count",
    "max_z",
    "mean_z",
    "max_bin",
    "municipality_code",
    "nearest_scene_id",
    "nearest_scene_m",
    "trend",
    "pattern",
)
"""Properties of a candidate area's feature."""


@dataclass(frozen=True)
class Layer:
    """A computed layer: the frame (EPSG:3006), its id column and the properties shown.

    Attributes
    ----------
    frame : GeoDataFrame
        One row per feature.
    id_column : str
        Column of the feature id.
    keys : tuple of str
        Columns given as properties (those missing in ``frame`` are left out).
    """

    frame: gpd.GeoDataFrame
    id_column: str
    keys: tuple[str, ...]


def published_round(store: Store, label: str | None) -> str:
    """``label`` if the workspace holds it, else the latest round.

    Raises
    ------
    NotFoundError
        No such round, or no round at all.
    """
    labels = store.round_labels()
    chosen = label or (labels[-1] if labels else None)
    if chosen is None or chosen not in labels:
        raise NotFoundError(f"no published round {chosen}")
    return chosen


def ceased(store: Store, label: str | None) -> Layer:
    """The scenes of the round before ``label`` that ceased by ``label``.

    Parameters
    ----------
    store : Store
        The workspace.
    label : str or None
        The round (default the latest).

    Returns
    -------
    Layer
        Empty for the first round.
    """
    from drugscenes.io.gpkg_export import change_layers
    from drugscenes.services.change import compare
    from drugscenes.services.common import previous_round

    to_round = published_round(store, label)
    from_round = previous_round(store, to_round)
    if from_round is None:
        empty = store.round_scenes(to_round).iloc[:0].copy()
        return Layer(empty, "scene_id", CEASED_KEYS)
    result = compare(store, from_round=from_round, to_round=to_round, check_hotspots=False)
    _, frame = change_layers(result.before, result.after, result.comparison)
    frame = frame.reset_index(drop=True)
    frame["from_round"] = from_round
    frame["to_round"] = to_round
    return Layer(frame, "scene_id", CEASED_KEYS)


def candidates(store: Store, label: str | None) -> Layer:
    """Candidate scene areas of the twelve months before ``label`` (hot areas away from
    its registered scenes).

    Parameters
    ----------
    store : Store
        The workspace.
    label : str or None
        The round (default the latest).

    Returns
    -------
    Layer
        Empty when the round has no date (nor a year as label) or the period holds no
        incident of the candidate categories.
    """
    from drugscenes.services.hotspots import hotspots

    rnd = published_round(store, label)
    record = store.round_record(rnd)
    try:
        period = Period.before_round(rnd, None if record is None else record.date)
    except UsageError:
        return Layer(gpd.GeoDataFrame(geometry=[], crs=3006), "candidate_id", CANDIDATE_KEYS)
    try:
        analysis = hotspots(store, round_label=rnd, period=period)
    except DataError:  # no incidents in the period (or none of the categories)
        return Layer(gpd.GeoDataFrame(geometry=[], crs=3006), "candidate_id", CANDIDATE_KEYS)
    frame = analysis.candidates.candidates.reset_index(drop=True)
    return Layer(frame, "candidate_id", CANDIDATE_KEYS)
