"""History of scene places across all mapping rounds.

A *place* is a chain of scenes linked from round to round by the matching rules of
:mod:`drugscenes.analysis.change` (given id, overlap, proximity). Each round is matched not
only against the round before it but against the latest outline of every place seen so far,
so a place that was absent for a round and comes back is recognised (``came_back``). Places
that merge become one place; a place that splits stays one place with several scenes in a
round. So "how long has this place been a scene" is ``first_round`` / ``n_rounds`` /
``current_run`` of :func:`summarize_history`, and "which scenes ceased and came back" is
``came_back``.

:func:`scene_history` gives the long table that the workspace stores (table
``scene_history``, recomputed whenever a round is imported or replaced);
:func:`summarize_history` turns it into one row per place.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from drugscenes.analysis.change import MatchParameters, _match, _prepare, _Round
from drugscenes.errors import UsageError

__all__ = ["HISTORY_COLUMNS", "scene_history", "summarize_history"]

HISTORY_COLUMNS = [
    "place_id",
    "round",
    "round_index",
    "scene_id",
    "id_given",
    "municipality_code",
    "area_m2",
    "came_back",
]
"""Columns of the long history table, in order."""


def scene_history(
    rounds: Sequence[tuple[str, gpd.GeoDataFrame]],
    params: MatchParameters | None = None,
) -> pd.DataFrame:
    """Chain the scenes of all rounds into places.

    Parameters
    ----------
    rounds : sequence of (label, GeoDataFrame)
        The rounds in chronological order, each with its scenes (EPSG:3006, ``scene_id``,
        optional ``id_given`` and ``municipality_code``, polygon geometry).
    params : MatchParameters, optional
        Matching thresholds (as for :func:`~drugscenes.analysis.change.compare_rounds`).

    Returns
    -------
    DataFrame
        One row per scene observation, columns :data:`HISTORY_COLUMNS`:

        - ``place_id`` (str): ``"<round>:<scene_id>"`` of the place's earliest observation
          (smallest scene_id if several), so it is deterministic and does not change when
          later rounds are added, unless a later merger joins two places (the earlier id
          wins).
        - ``round`` (str), ``round_index`` (int, position in ``rounds``).
        - ``scene_id``, ``id_given``, ``municipality_code`` as in the round.
        - ``area_m2`` (float): polygon area recomputed from the geometry.
        - ``came_back`` (bool): the place is present in this round, was absent in the round
          before and present in some earlier round.

        Sorted by ``place_id``, ``round_index``, ``scene_id``.

    Notes
    -----
    Round k is matched against the latest observation of every place known from rounds
    0 … k−1 (its scenes in the last round it was present in), with the rules of
    :func:`~drugscenes.analysis.change.match_rounds`; places are the connected components
    of all links. Between two consecutive rounds the links therefore include all links of
    ``compare_rounds`` of that pair, plus links to places that were absent in the earlier
    round.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> def rnd(ids, xs):
    ...     return gpd.GeoDataFrame({"scene_id": ids, "municipality_code": "0180"},
    ...                             geometry=[Point(x, 0).buffer(50) for x in xs], crs=3006)
    >>> h = scene_history([("2021", rnd(["a"], [0])), ("2023", rnd(["b"], [5000])),
    ...                    ("2024", rnd(["c", "d"], [3, 5000]))])
    >>> h[["place_id", "round", "scene_id", "came_back"]].to_numpy().tolist()
    [['2021:a', '2021', 'a', False], ['2021:a', '2024', 'c', True], \
['2023:b', '2023', 'b', False], ['2023:b', '2024', 'd', False]]
    """
    params = params or MatchParameters()
    labels = _check_rounds(rounds)
    if not labels:
        return _empty_history()
    prepared = [
        _prepare(frame, f"round {label}", None, need_codes=False) for label, frame in rounds
    ]
    sizes = np.array([r.n for r in prepared], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    geoms = np.concatenate([r.geoms for r in prepared]) if total else np.empty(0, dtype=object)
    ids = np.concatenate([r.ids for r in prepared]) if total else np.empty(0, dtype=object)
    given = np.concatenate([r.given for r in prepared]) if total else np.empty(0, dtype=bool)
    area = np.concatenate([r.area for r in prepared]) if total else np.empty(0)
    round_of = np.repeat(np.arange(len(labels)), sizes)

    edge_i: list[np.ndarray] = []
    edge_j: list[np.ndarray] = []
    for k in range(1, len(labels)):
        known = int(offsets[k])
        if known == 0 or sizes[k] == 0:
            continue
        place = _components(known, edge_i, edge_j)
        # Latest observation(s) of each place: its nodes in the last round it was present.
        last = pd.Series(round_of[:known]).groupby(place).max().to_numpy()
        latest = np.flatnonzero(round_of[:known] == last[place])
        latest_round = _Round(
            geoms=geoms[latest],
            ids=ids[latest],
            given=given[latest],
            area=area[latest],
            codes=np.full(len(latest), None, dtype=object),
        )
        match = _match(latest_round, prepared[k], params)
        edge_i.append(latest[match.from_index])
        edge_j.append(known + match.to_index)

    place = _components(total, edge_i, edge_j)
    codes = (
        np.concatenate([_codes(frame) for _, frame in rounds])
        if total
        else np.empty(0, dtype=object)
    )
    table = pd.DataFrame(
        {
            "component": place,
            "round": np.array(labels, dtype=object)[round_of],
            "round_index": round_of.astype(np.int64),
            "scene_id": ids.astype(object),
            "id_given": given.astype(bool),
            "municipality_code": codes,
            "area_m2": area.astype(float),
        }
    )
    # Place id from the earliest observation (then smallest id) of each component.
    first = (
        table.sort_values(["round_index", "scene_id"], kind="stable").groupby("component").head(1)
    )
    name = pd.Series(
        (first["round"] + ":" + first["scene_id"]).to_numpy(), index=first["component"]
    )
    table.insert(0, "place_id", name.reindex(table["component"]).to_numpy())

    # came_back: present now, absent in the previous round, present before that.
    present = (
        table[["place_id", "round_index"]]
        .drop_duplicates()
        .sort_values(["place_id", "round_index"])
    )
    prev = present.groupby("place_id")["round_index"].shift()
    present["came_back"] = (prev.notna() & (present["round_index"] - prev > 1)).to_numpy()
    table = table.merge(present, on=["place_id", "round_index"], how="left")
    table = table.sort_values(["place_id", "round_index", "scene_id"], kind="stable")
    return table[HISTORY_COLUMNS].reset_index(drop=True)


def summarize_history(
    history: pd.DataFrame, round_labels: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per place from the long table of :func:`scene_history`.

    Parameters
    ----------
    history : DataFrame
        Output of :func:`scene_history` (or the stored ``scene_history`` table).
    round_labels : sequence of str, optional
        All rounds in chronological order. Default: the rounds found in ``history``
        ordered by ``round_index`` (a round without any scene is then unknown, so give the
        labels when there can be empty rounds).

    Returns
    -------
    DataFrame
        Columns ``place_id``, ``first_round``, ``last_round``, ``n_rounds`` (rounds present),
        ``rounds_present`` and ``rounds_absent`` (lists; absent = rounds between the first
        and the last in which the place had no scene), ``came_back`` (bool),
        ``current_run`` (consecutive rounds present, ending with ``last_round``),
        ``in_latest_round`` (present in the last of all rounds), ``scene_ids`` (distinct,
        in order of appearance), ``municipality_codes``, ``area_first_m2``,
        ``area_last_m2`` and ``area_m2_<round>`` for every round (NaN when absent).
        Sorted by ``first_round`` order, then ``place_id``.
    """
    missing = set(HISTORY_COLUMNS) - set(history.columns) - {"came_back"}
    if len(history) and missing:
        raise UsageError(f"history table lacks the columns {sorted(missing)}")
    if round_labels is None:
        order = (
            history[["round", "round_index"]].drop_duplicates().sort_values("round_index")
            if len(history)
            else pd.DataFrame({"round": []})
        )
        round_labels = [str(r) for r in order["round"]]
    labels = [str(r) for r in round_labels]
    position = {label: k for k, label in enumerate(labels)}
    area_cols = [f"area_m2_{label}" for label in labels]
    columns = [
        "place_id",
        "first_round",
        "last_round",
        "n_rounds",
        "rounds_present",
        "rounds_absent",
        "came_back",
        "current_run",
        "in_latest_round",
        "scene_ids",
        "municipality_codes",
        "area_first_m2",
        "area_last_m2",
        *area_cols,
    ]
    if len(history) == 0:
        return pd.DataFrame(columns=columns)
    unknown = set(history["round"].astype(str)) - set(position)
    if unknown:
        raise UsageError(f"history has rounds not in round_labels: {sorted(unknown)}")

    h = history.assign(
        round=history["round"].astype(str),
        place_id=history["place_id"].astype(str),
        scene_id=history["scene_id"].astype(str),
    )
    h["pos"] = h["round"].map(position).astype(np.int64)
    h = h.sort_values(["place_id", "pos", "scene_id"], kind="stable")
    g = h.groupby("place_id", sort=True)
    present = g["pos"].agg(lambda s: sorted(set(s)))
    area = h.pivot_table(index="place_id", columns="pos", values="area_m2", aggfunc="sum")
    area = area.reindex(index=present.index, columns=range(len(labels)))
    out = pd.DataFrame(index=present.index)
    first = present.map(lambda p: p[0])
    last = present.map(lambda p: p[-1])
    out["first_round"] = first.map(lambda k: labels[k])
    out["last_round"] = last.map(lambda k: labels[k])
    out["n_rounds"] = present.map(len).astype(np.int64)
    out["rounds_present"] = present.map(lambda p: [labels[k] for k in p])
    out["rounds_absent"] = present.map(
        lambda p: [labels[k] for k in range(p[0], p[-1] + 1) if k not in set(p)]
    )
    out["came_back"] = out["rounds_absent"].map(bool)
    out["current_run"] = present.map(_run_to_last).astype(np.int64)
    out["in_latest_round"] = last == len(labels) - 1
    out["scene_ids"] = g["scene_id"].agg(lambda s: list(dict.fromkeys(s)))
    out["municipality_codes"] = g["municipality_code"].agg(
        lambda s: sorted({str(c) for c in s if pd.notna(c)})
    )
    values = area.to_numpy()
    rows = np.arange(len(out))
    out["area_first_m2"] = values[rows, first.to_numpy(dtype=np.int64)]
    out["area_last_m2"] = values[rows, last.to_numpy(dtype=np.int64)]
    for k, col in enumerate(area_cols):
        out[col] = values[:, k]
    out = out.reset_index()
    out["_first"] = first.to_numpy()
    out = out.sort_values(["_first", "place_id"], kind="stable").drop(columns="_first")
    return out[columns].reset_index(drop=True)


def _run_to_last(present: list[int]) -> int:
    run = 1
    for a, b in zip(present[-2::-1], present[:0:-1], strict=True):
        if b - a != 1:
            break
        run += 1
    return run


def _check_rounds(rounds: Sequence[tuple[str, gpd.GeoDataFrame]]) -> list[str]:
    if isinstance(rounds, str | bytes) or not isinstance(rounds, Sequence):
        raise UsageError(f"'rounds' should be a list of (label, GeoDataFrame), got {type(rounds)}")
    labels: list[str] = []
    for k, item in enumerate(rounds):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise UsageError(f"rounds[{k}] should be a (label, GeoDataFrame) pair")
        label = str(item[0])
        if not label.strip():
            raise UsageError(f"rounds[{k}] has an empty label")
        labels.append(label)
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise UsageError(f"round labels occur more than once: {dup}")
    return labels


def _components(n: int, edge_i: list[np.ndarray], edge_j: list[np.ndarray]) -> np.ndarray:
    """Connected-component label of each of the first ``n`` nodes, given the edges so far."""
    i = np.concatenate(edge_i) if edge_i else np.empty(0, dtype=np.int64)
    j = np.concatenate(edge_j) if edge_j else np.empty(0, dtype=np.int64)
    keep = (i < n) & (j < n)
    graph = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _codes(frame: gpd.GeoDataFrame) -> np.ndarray:
    if "municipality_code" in frame.columns:
        return frame["municipality_code"].astype("string").to_numpy(dtype=object, na_value=None)
    return np.full(len(frame), None, dtype=object)


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": pd.Series(dtype=object),
            "round": pd.Series(dtype=object),
            "round_index": pd.Series(dtype=np.int64),
            "scene_id": pd.Series(dtype=object),
            "id_given": pd.Series(dtype=bool),
            "municipality_code": pd.Series(dtype=object),
            "area_m2": pd.Series(dtype=float),
            "came_back": pd.Series(dtype=bool),
        }
    )
