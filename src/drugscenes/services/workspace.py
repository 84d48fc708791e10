"""Jobs on a workspace as a whole: create it, list rounds, inventory, copy, migrate."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from drugscenes import config
from drugscenes.analysis.inventory import RoundInventory, summarize_round
from drugscenes.analysis.records import records
from drugscenes.errors import Problem, UsageError
from drugscenes.io.vector import read_vector
from drugscenes.registry.region import prepare_municipalities
from drugscenes.services.common import Progress, resolve_round
from drugscenes.store import Store, create_workspace, is_url, open_workspace
from drugscenes.store.gpkg import MigrationResult, migrate_workspace


@dataclass(frozen=True)
class InitResult:
    """A new workspace: where, how many municipalities, their total area."""

    workspace: str
    n_municipalities: int
    area_km2: float
    source_crs: str
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "n_municipalities": self.n_municipalities,
            "area_km2": self.area_km2,
            "source_crs": self.source_crs,
            "problems": [p.to_dict() for p in self.problems],
        }


def init_workspace(
    target: str | Path,
    municipalities_file: str | Path,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    crs: str | int | None = None,
    layer: str | None = None,
    region_name: str = "",
    overwrite: bool = False,
) -> InitResult:
    """Create a workspace for the region whose municipality boundaries are in a file."""
    path = Path(municipalities_file)
    read = read_vector(path, crs=crs, layer=layer)
    munis, problems = prepare_municipalities(read, path.name, code_field, name_field)
    with create_workspace(target, munis, region_name, overwrite=overwrite) as store:
        where = store.target
    area_km2 = float(munis.geometry.area.sum()) / 1e6
    return InitResult(where, len(munis), area_km2, read.source_crs, problems)


@dataclass(frozen=True)
class RoundsResult:
    """The rounds of a workspace, oldest first (the store's columns less the fingerprint)."""

    rounds: pd.DataFrame

    def to_dict(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return records(self.rounds)


def rounds(store: Store) -> RoundsResult:
    """The workspace's rounds, oldest first."""
    return RoundsResult(store.rounds().drop(columns=["source_sha256"]))


@dataclass(frozen=True)
class InventoryResult:
    """The inventory of a round, and whether the round was chosen as the latest."""

    inventory: RoundInventory
    latest_by_default: bool

    def to_dict(self) -> dict[str, Any]:
        return self.inventory.to_dict()


def inventory(
    store: Store, *, round_label: str | None = None, largest: int = config.LARGEST_SCENES
) -> InventoryResult:
    """Inventory of a round (default: the latest): scenes, municipalities, area."""
    if largest < 0:
        raise UsageError(f"--largest must be 0 or more, got {largest}")
    label, latest = resolve_round(store, round_label)
    inv = summarize_round(store.round_scenes(label), store.municipalities(), label, largest)
    return InventoryResult(inv, latest)


def copy(
    source: str | Path,
    target: str | Path,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> CopyResult:  # noqa: F821
    """Copy a whole workspace between a GeoPackage and PostGIS (either direction).

    Rounds, scenes, history and incidents always; survey microdata where the user may
    read it (the result says when it could not be copied and why).
    """
    if str(source) == str(target):
        raise UsageError("SOURCE and TARGET are the same workspace")
    if not is_url(target) and Path(target).suffix.lower() != ".gpkg":
        raise UsageError(f"TARGET must be a .gpkg file or a postgresql:// URL, got '{target}'")
    from drugscenes.store.copy import copy_workspace

    with open_workspace(source) as src:
        return copy_workspace(src, target, overwrite=overwrite, progress=progress)


def migrate(target: str | Path) -> MigrationResult:
    """Upgrade an older GeoPackage workspace in place (survey microdata to its own file)."""
    if is_url(target):
        raise UsageError(
            "a PostGIS workspace has no older version to migrate: its schema is created and "
            "upgraded by its migrations when 'drugscenes init' or 'copy' writes it"
        )
    return migrate_workspace(target)
