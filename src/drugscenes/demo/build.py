"""Build the demo: write the synthetic county's files and import them into a workspace.

The files are written in the formats agencies send (GeoJSON in WGS84, a
GeoPackage in SWEREF 99 TM, a Swedish Excel CSV with ``;`` and WKT) and go
through the same import as real data, so the demo exercises the real path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from drugscenes.analysis.zones import ZoneIndex
from drugscenes.demo.incidents import generate_incidents
from drugscenes.demo.region import ROUNDS, make_region, make_rounds
from drugscenes.demo.survey import generate_survey
from drugscenes.io.vector import read_vector
from drugscenes.registry.region import prepare_municipalities
from drugscenes.services.imports import ImportResult, import_incidents, import_scenes, import_survey
from drugscenes.store import create_workspace

DEFAULT_SEED = 2023
INCIDENTS_PER_YEAR = 40_000
"""Synthetic incidents per year of the demo (2023 and 2024)."""
SURVEY_RESPONDENTS = 20_000
SURVEY_YEAR = 2023
SURVEY_YEAR_AFTER = 2025
"""A second survey year, after round 2024, for ``drugscenes evaluate``."""
PLANTED_CRIME_RATE_RATIO = 0.5
"""Planted effect: from 2024 on, incidents in the area (scene and 200 m ring) of each scene
worked away between rounds 2023 and 2024 are kept with this probability (an expected rate
ratio of 0.5 against the persisting scenes, shrinking of some of those aside)."""
PLANTED_UNSAFE_CHANGE = -0.10
"""Planted effect: P(unsafe) of respondents of survey 2025 whose nearest 2023 scene within
500 m was worked away, in percentage points / 100."""


@dataclass
class DemoBuild:
    """Where the demo was written and what was imported."""

    directory: Path
    workspace: Path
    files: dict[str, Path] = field(default_factory=dict)
    imports: list[ImportResult] = field(default_factory=list)


def write_demo_files(out_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the demo region's source files into ``out_dir``; returns them by role."""
    out_dir.mkdir(parents=True, exist_ok=True)
    region = make_region(seed)
    rounds = make_rounds(region, seed)
    files = {
        "municipalities": out_dir / "municipalities.geojson",
        "stations": out_dir / "stations.csv",
        "2021": out_dir / "scenes_2021.gpkg",
        "2023": out_dir / "scenes_2023.geojson",
        "2024": out_dir / "scenes_2024.csv",
        "incidents": out_dir / "incidents.csv",
        "survey": out_dir / f"survey_{SURVEY_YEAR}.csv",
        "survey_after": out_dir / f"survey_{SURVEY_YEAR_AFTER}.csv",
    }
    for p in files.values():
        p.unlink(missing_ok=True)
    region.municipalities.to_crs(4326).to_file(files["municipalities"], driver="GeoJSON")
    st = region.stations
    pd.DataFrame(
        {
            "name": st["name"],
            "line_type": st["line_type"],
            "municipality_code": st["municipality_code"],
            "x_3006": st.geometry.x.round(2),
            "y_3006": st.geometry.y.round(2),
        }
    ).to_csv(files["stations"], index=False)
    rounds["2021"].to_file(files["2021"], driver="GPKG", layer="scenes")
    rounds["2023"].to_crs(4326).to_file(files["2023"], driver="GeoJSON")
    # The way Swedish Excel saves: ';' separated, Swedish headers, WKT in SWEREF 99 TM.
    r24 = rounds["2024"]
    pd.DataFrame(
        {
            "id": r24["scene_id"],
            "namn": r24["name"],
            "kommunkod": r24["municipality_code"],
            "aktiviteter": r24["activities"],
            "preparat": r24["drug_types"],
            "tid_pa_dygnet": r24["times_of_day"],
            "organisation": r24["source_org"],
            "wkt": shapely.to_wkt(r24.geometry.to_numpy(), rounding_precision=2),
        }
    ).to_csv(files["2024"], sep=";", index=False, encoding="utf-8-sig")
    # Incidents concentrate at the scenes in force: the 2023 round's in 2023; in 2024 the
    # 2024 round's and, at a planted lower rate, the scenes worked away since 2023.
    worked_away = ~rounds["2023"]["scene_id"].isin(rounds["2024"]["scene_id"]).to_numpy()
    parts = [
        generate_incidents(
            region.municipalities,
            scenes,
            INCIDENTS_PER_YEAR,
            f"{year}-01-01",
            f"{year + 1}-01-01",
            seed=seed + year,
            id_prefix=f"demo-{year}-",
        )
        for scenes, year in (
            (rounds["2023"], 2023),
            (pd.concat([rounds["2024"], rounds["2023"][worked_away]]), 2024),
        )
    ]
    parts[1] = _thin_worked_away(parts[1], rounds["2023"], worked_away, seed)
    parts.append(_emerging_unregistered_place(region, rounds, seed))
    inc = pd.concat(parts, ignore_index=True)
    pd.DataFrame(
        {
            "id": inc["incident_id"],
            "time": inc["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "type": inc["source_type"].astype(str),
            "x": inc["x"].round(1),
            "y": inc["y"].round(1),
        }
    ).to_csv(files["incidents"], index=False)
    survey = generate_survey(region.municipalities, rounds["2023"], SURVEY_RESPONDENTS, seed)
    survey.to_csv(files["survey"], index=False)
    after = generate_survey(
        region.municipalities,
        rounds["2023"],
        SURVEY_RESPONDENTS,
        seed + 2,
        effect=PLANTED_UNSAFE_CHANGE,
        effect_scenes=worked_away,
    )
    after.to_csv(files["survey_after"], index=False)
    return files


def _thin_worked_away(
    incidents: pd.DataFrame, scenes_2023, worked_away: np.ndarray, seed: int
) -> pd.DataFrame:
    """Keep incidents in the areas of worked-away scenes with probability
    :data:`PLANTED_CRIME_RATE_RATIO` (the planted effect; zones as the crime job's)."""
    zones = ZoneIndex(scenes_2023).assign(incidents["x"].to_numpy(), incidents["y"].to_numpy())
    in_area = (zones.zone <= 1) & (zones.scene_index >= 0)
    hit = in_area & worked_away[np.maximum(zones.scene_index, 0)]
    rng = np.random.default_rng(seed + 11)
    drop = hit & (rng.random(len(incidents)) >= PLANTED_CRIME_RATE_RATIO)
    return incidents[~drop].reset_index(drop=True)


def _emerging_unregistered_place(region, rounds, seed: int) -> pd.DataFrame:
    """Incidents of a place that is becoming a scene but is in no round's registry.

    The hot-spot check should find it as a candidate far from every registered and
    ceased scene: a station at least 2.5 km from any scene, with drug offences,
    violence and the odd shooting growing month by month through 2023 and 2024.
    """
    rng = np.random.default_rng(seed + 7)
    all_scenes = pd.concat([r.geometry for r in rounds.values()], ignore_index=True)
    stations = region.stations.sort_values("name")
    dist = np.array([all_scenes.distance(p).min() for p in stations.geometry])
    centre = stations.geometry.to_numpy()[np.flatnonzero(dist >= 2_500)[0]]
    months = pd.date_range("2023-01-01", "2024-12-01", freq="MS", tz="UTC")
    per_month = np.round(np.linspace(1, 12, len(months))).astype(int)  # growing
    start = np.repeat(months.as_unit("ns").asi8, per_month)
    n = len(start)
    month_ns = 28 * 24 * 3600 * 10**9
    times = pd.to_datetime(start + rng.integers(0, month_ns, n), utc=True, unit="ns")
    kinds = rng.choice(
        ["Narkotikabrott", "Misshandel", "Rån", "Skottlossning"], n, p=[0.5, 0.3, 0.12, 0.08]
    )
    return pd.DataFrame(
        {
            "incident_id": [f"demo-emerging-{k:04d}" for k in range(n)],
            "time": times,
            "source_type": kinds,
            "x": centre.x + rng.normal(0, 40, n),
            "y": centre.y + rng.normal(0, 40, n),
        }
    )


def build_demo(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
) -> DemoBuild:
    """Write the demo files and build ``demo.gpkg`` from them (replacing an earlier demo).

    Parameters
    ----------
    out_dir : str or Path
        Folder for the files and the workspace.
    seed : int
        The demo is a deterministic function of the seed.
    progress : callable, optional
        Called with a short description before each step.
    """
    out_dir = Path(out_dir)
    step = progress or (lambda _msg: None)
    step("generating the synthetic county")
    files = write_demo_files(out_dir, seed)
    workspace = out_dir / "demo.gpkg"
    step("creating the workspace")
    read = read_vector(files["municipalities"])
    munis, _ = prepare_municipalities(read, files["municipalities"].name)
    build = DemoBuild(out_dir, workspace, files)
    # The region is invented, and the workspace says so: the report marks it "synthetic data".
    with create_workspace(
        workspace, munis, "Demolän", overwrite=True, metadata={"synthetic": "yes"}
    ) as store:
        for label, date in ROUNDS.items():
            step(f"importing round {label}")
            crs = 3006 if files[label].suffix == ".csv" else None
            build.imports.append(import_scenes(store, files[label], label, date=date, crs=crs))
        step("importing incidents")
        import_incidents(store, files["incidents"], crs=3006)
        step("importing the safety survey")
        import_survey(store, files["survey"], SURVEY_YEAR)
        import_survey(store, files["survey_after"], SURVEY_YEAR_AFTER)
    return build
