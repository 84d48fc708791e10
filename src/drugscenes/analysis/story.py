"""The report's story: what a reader needs beside the jobs' own results.

Pure functions over the jobs' results and the workspace's frames, collected in one typed
:class:`ReportStory` (built by :func:`drugscenes.services.report.gather`):

- the region's name (the workspace's ``region_name``, else the county of the
  municipality codes: :func:`region_name`) and whether the data are synthetic;
- every municipality of the reported region with the round's and the earlier round's
  scenes and areas, and a total row (:func:`municipality_table`);
- the number of scenes and their total area in every round of the workspace
  (:func:`rounds_series`);
- the scenes that ceased, the new ones and those merged or split, by name
  (:func:`named_changes`);
- the candidate areas split into crime remaining where scenes were worked away and new
  candidate places (:func:`~drugscenes.analysis.hotspots.candidates.classify_candidates`);
- the incidents of the period by category, for a scope without scenes
  (:func:`category_counts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drugscenes.analysis.hotspots.candidates import CandidateStory

__all__ = [
    "COUNTIES",
    "ReportStory",
    "category_counts",
    "municipality_table",
    "named_changes",
    "region_name",
    "rounds_series",
]

COUNTIES = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}
"""Sweden's counties by the two first digits of their municipalities' codes (SCB)."""

TRUE_WORDS = ("1", "true", "yes", "ja")
"""Values of the workspace's ``synthetic`` metadata that mean synthetic data."""


def region_name(metadata: Mapping[str, str], codes: Iterable[str]) -> str:
    """The region's name: the workspace's ``region_name``, else the county all the
    municipality codes belong to (``"0180"`` → Stockholms län), else an empty string.

    Examples
    --------
    >>> region_name({"region_name": "Demolän"}, ["0180"])
    'Demolän'
    >>> region_name({}, ["0180", "0114"])
    'Stockholms län'
    >>> region_name({}, ["0180", "0380"])
    ''
    """
    given = str(metadata.get("region_name") or "").strip()
    if given:
        return given
    counties = {str(c).zfill(4)[:2] for c in codes}
    return COUNTIES.get(counties.pop(), "") if len(counties) == 1 else ""


def is_synthetic(metadata: Mapping[str, str]) -> bool:
    """Whether the workspace says its data are synthetic (metadata ``synthetic``)."""
    return str(metadata.get("synthetic", "")).strip().casefold() in TRUE_WORDS


def municipality_table(
    by_inventory: pd.DataFrame, by_comparison: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every municipality of the region with its scenes and area, and the total.

    Parameters
    ----------
    by_inventory : DataFrame
        The round's inventory by municipality (``code``, ``name``, ``n_scenes``,
        ``area_m2``; every municipality of the region).
    by_comparison : DataFrame, optional
        The comparison by municipality, indexed by code (``n_from``, ``area_from_m2``).

    Returns
    -------
    rows : DataFrame
        ``code``, ``name``, ``n_scenes``, ``area_m2`` and, with a comparison, ``n_from``,
        ``area_from_m2``, ``n_change`` (zeros where a municipality has no scene).
    total : dict
        The sums of the numeric columns, and ``n_municipalities_with_scenes`` (in the
        round) and ``n_municipalities``.

    Examples
    --------
    >>> inv = pd.DataFrame({"code": ["01", "02"], "name": ["A", "B"],
    ...     "n_scenes": [2, 0], "area_m2": [300.0, 0.0]})
    >>> rows, total = municipality_table(inv)
    >>> total["n_scenes"], total["area_m2"], total["n_municipalities_with_scenes"]
    (2, 300.0, 1)
    """
    rows = pd.DataFrame(
        {
            "code": by_inventory["code"].astype(str).to_numpy(),
            "name": by_inventory["name"].astype(str).to_numpy(),
            "n_scenes": by_inventory["n_scenes"].astype(int).to_numpy(),
            "area_m2": by_inventory["area_m2"].astype(float).to_numpy(),
        }
    )
    if by_comparison is not None:
        prev = by_comparison.reindex(rows["code"].to_numpy())
        rows["n_from"] = prev["n_from"].fillna(0).astype(int).to_numpy()
        rows["area_from_m2"] = prev["area_from_m2"].fillna(0.0).astype(float).to_numpy()
        rows["n_change"] = rows["n_scenes"] - rows["n_from"]
    total: dict[str, Any] = {
        c: (int(rows[c].sum()) if rows[c].dtype.kind == "i" else float(rows[c].sum()))
        for c in rows.columns
        if c not in ("code", "name")
    }
    total["n_municipalities_with_scenes"] = int((rows["n_scenes"] > 0).sum())
    total["n_municipalities"] = len(rows)
    return rows, total


def rounds_series(inventories: Iterable[Any], dates: Mapping[str, Any]) -> pd.DataFrame:
    """Scenes and total area of every round, in the order given.

    Parameters
    ----------
    inventories : iterable of RoundInventory
        One per round (``round``, ``n_scenes``, ``total_area_m2``,
        ``n_municipalities_with_scenes``).
    dates : mapping of str to str or None
        The rounds' dates by label.

    Returns
    -------
    DataFrame
        ``round``, ``date``, ``n_scenes``, ``area_m2``, ``n_municipalities``.
    """
    return pd.DataFrame(
        [
            {
                "round": inv.round,
                "date": _text_or_none(dates.get(inv.round)),
                "n_scenes": int(inv.n_scenes),
                "area_m2": float(inv.total_area_m2),
                "n_municipalities": int(inv.n_municipalities_with_scenes),
            }
            for inv in inventories
        ],
        columns=["round", "date", "n_scenes", "area_m2", "n_municipalities"],
    )


def _text_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def named_changes(
    scenes: pd.DataFrame, names: Mapping[str, str], municipalities: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """The comparison's ceased, new, merged and split scenes with their names.

    Parameters
    ----------
    scenes : DataFrame
        The comparison's components (``status``, ``from_ids``, ``to_ids``,
        ``municipality_code``).
    names : mapping
        Scene id → name, of both rounds.
    municipalities : mapping
        Municipality code → name.

    Returns
    -------
    dict
        ``ceased``, ``new``, ``merged``, ``split``, ``restructured``: one dict per
        component with ``from`` and ``to`` (lists of ``{"scene_id", "name"}``),
        ``municipality_code`` and ``municipality_name``.

    Examples
    --------
    >>> comp = pd.DataFrame({"status": ["ceased", "merged"], "from_ids": [["A"], ["B", "C"]],
    ...     "to_ids": [[], ["D"]], "municipality_code": ["0180", "0180"]})
    >>> out = named_changes(comp, {"A": "Torget", "D": "Parken"}, {"0180": "Storstad"})
    >>> out["ceased"][0]["from"], out["merged"][0]["to"]
    ([{'scene_id': 'A', 'name': 'Torget'}], [{'scene_id': 'D', 'name': 'Parken'}])
    """
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("ceased", "new", "merged", "split", "restructured")
    }
    for status, f, t, code in zip(
        scenes["status"],
        scenes["from_ids"],
        scenes["to_ids"],
        scenes["municipality_code"],
        strict=True,
    ):
        if status not in out:
            continue
        out[status].append(
            {
                "from": [{"scene_id": str(i), "name": names.get(str(i), "")} for i in f],
                "to": [{"scene_id": str(i), "name": names.get(str(i), "")} for i in t],
                "municipality_code": None if code is None else str(code),
                "municipality_name": municipalities.get(str(code)),
            }
        )
    return out


def category_counts(categories: Iterable[str]) -> dict[str, int]:
    """Incidents by category, in order of count (descending), then name.

    Examples
    --------
    >>> category_counts(["violence", "shooting", "violence"])
    {'violence': 2, 'shooting': 1}
    """
    counts = pd.Series(list(categories), dtype=object).value_counts()
    pairs = sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda p: (-p[1], p[0]))
    return dict(pairs)


@dataclass(frozen=True, eq=False)
class ReportStory:
    """The story of a report (see the module docstring).

    Attributes
    ----------
    region_name : str
        The region's name ("" when unknown).
    synthetic : bool
        The workspace holds synthetic data (the demo).
    municipality : (str, str) or None
        Code and name of the reported municipality; None for the whole region.
    round, compare : str, str or None
    municipalities : DataFrame
        :func:`municipality_table` rows: every municipality of the reported region.
    municipality_total : dict
        Its total row.
    rounds : DataFrame
        :func:`rounds_series` of every round of the workspace, on the reported scope.
    changes : dict or None
        :func:`named_changes` of the comparison (None without one).
    candidates : CandidateStory or None
        The candidate areas split into crime remaining at worked-away scenes and new
        places (None without the hot-spot check).
    scene_names : dict of str to str
        Scene id → name, of both rounds.
    crime_counts : dict of str to int or None
        Incidents of the period by category on the reported scope, when the round has
        no scene there (the crime job needs scenes); else None.
    """

    region_name: str
    synthetic: bool
    municipality: tuple[str, str] | None
    round: str
    compare: str | None
    municipalities: pd.DataFrame
    municipality_total: dict[str, Any]
    rounds: pd.DataFrame
    changes: dict[str, list[dict[str, Any]]] | None = None
    candidates: CandidateStory | None = None
    scene_names: dict[str, str] = field(default_factory=dict)
    crime_counts: dict[str, int] | None = None

    @property
    def has_scenes(self) -> bool:
        """Whether the round has a scene on the reported scope."""
        return int(self.municipality_total.get("n_scenes", 0)) > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return _clean(
            {
                "region_name": self.region_name,
                "synthetic": self.synthetic,
                "municipality": None
                if self.municipality is None
                else {"code": self.municipality[0], "name": self.municipality[1]},
                "round": self.round,
                "compare": self.compare,
                "municipalities": self.municipalities.to_dict("records"),
                "municipality_total": self.municipality_total,
                "rounds": self.rounds.to_dict("records"),
                "changes": self.changes,
                "candidates": None if self.candidates is None else self.candidates.to_dict(),
                "crime_counts": self.crime_counts,
            }
        )


def _clean(value: Any) -> Any:
    """NaN → None and NumPy scalars → Python, recursively."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
