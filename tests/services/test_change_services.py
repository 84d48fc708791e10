"""The change and hot-spot services on a small GeoPackage workspace, and their CLI edges.

Two hand-made rounds in :func:`helpers.square_region`: a scene that stays, one that
ceases, one that moves a little, a new one near the ceased scene and a new one far away;
incidents with a planted cluster away from every scene. Every ``--json`` must be exactly
the service result's ``to_dict()`` as :func:`~drugscenes.cli.app.print_json` prints it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely import box

from drugscenes.cli.app import print_json
from drugscenes.errors import NotFoundError, UsageError
from drugscenes.io.gpkg_export import write_change_gpkg, write_hotspots_gpkg
from drugscenes.periods import Period
from drugscenes.services import change
from drugscenes.services.hotspots import hotspots
from drugscenes.services.imports import import_scenes
from drugscenes.store import RoundRecord, create_workspace, open_workspace
from helpers import run, square_region

X0, Y0 = 660_000, 6_570_000
CLUSTER = (X0 + 6_000, Y0 + 8_000)  # far from every scene, ceased or registered

ROUNDS = {
    "2022": (
        "2022-10-01",
        [("A1", 1000, 1000), ("A2", 3000, 3000), ("B1", 15000, 5000)],
    ),
    "2023": (
        "2023-10-01",
        [("A1", 1000, 1000), ("B1", 15010, 5000), ("C1", 3400, 3000), ("D1", 8000, 2000)],
    ),
}


def _incidents() -> pd.DataFrame:
    """Background incidents over the region and a growing cluster, 2022-10 .. 2023-09."""
    rng = np.random.default_rng(5)
    months = pd.date_range("2022-10-05", periods=12, freq="MS") + pd.Timedelta(days=4)
    n_bg = 400
    bx = X0 + rng.uniform(0, 20_000, n_bg)
    by = Y0 + rng.uniform(0, 10_000, n_bg)
    bt = months[rng.integers(0, 12, n_bg)]
    per_month = np.arange(12) + 2  # 2, 3, ... 13 incidents a month: increasing
    ct = np.repeat(months, per_month)
    cx = CLUSTER[0] + rng.normal(0, 30, len(ct))
    cy = CLUSTER[1] + rng.normal(0, 30, len(ct))
    n = n_bg + len(ct)
    categories = np.array(["violence", "shooting", "drug offence"])
    category = categories[rng.integers(0, 3, n)]
    return pd.DataFrame(
        {
            "incident_id": [f"i{k}" for k in range(n)],
            "time": pd.DatetimeIndex(np.concatenate([bt, ct])).tz_localize("UTC"),
            "source_type": category,
            "category": category,
            "x": np.concatenate([bx, cx]),
            "y": np.concatenate([by, cy]),
            "police_activity": category == "drug offence",
            "municipality_code": "0180",
        }
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    folder = tmp_path_factory.mktemp("change")
    path = folder / "ws.gpkg"
    with create_workspace(path, square_region(), "Test") as store:
        for label, (day, scenes) in ROUNDS.items():
            rows = [
                f"{sid};{'0180' if x < 10_000 else '0183'};"
                f"{box(X0 + x, Y0 + y, X0 + x + 100, Y0 + y + 60).wkt}"
                for sid, x, y in scenes
            ]
            f = folder / f"r{label}.csv"
            f.write_text("scene_id;municipality_code;wkt\n" + "\n".join(rows) + "\n")
            import_scenes(store, f, label, date=day, crs=3006)
        store.write_incidents(_incidents())
    return str(path)


def printed(data: object, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``print_json(data)`` writes."""
    capsys.readouterr()
    print_json(data)
    return capsys.readouterr().out


def test_compare_counts_and_registry_check(ws) -> None:
    with open_workspace(ws) as store:
        result = change.compare(store, from_round="2022", to_round="2023")
    c = result.comparison
    assert (c.n_from, c.n_to, c.ceased, c.new, c.persisting) == (3, 4, 1, 2, 2)
    assert (c.new_near_previous, c.new_elsewhere) == (1, 1)
    assert c.municipalities_pct_change == 0.0
    assert list(c.ceased_scenes(result.before)["scene_id"]) == ["A2"]
    check = result.hotspot_check
    assert check is not None and result.notes == ()
    assert check.to_dict()["period"]["from"].startswith("2022-10-01")
    [far] = check.to_dict()["candidates_elsewhere"]
    assert abs(far["x"] - CLUSTER[0]) < 200 and abs(far["y"] - CLUSTER[1]) < 200
    d = result.to_dict()
    assert set(d) == set(c.to_dict()) | {"hotspot_check"}


def test_compare_json_is_the_result(ws, capsys) -> None:
    for args, kwargs in [
        ((), {}),
        (("--no-hotspots", "--distance", "300"), {"check_hotspots": False, "distance_m": 300.0}),
    ]:
        with open_workspace(ws) as store:
            result = change.compare(store, from_round="2022", to_round="2023", **kwargs)
        expected = printed(result.to_dict(), capsys)
        code, out, err = run("compare", ws, "2022", "2023", "--json", *args)
        assert code == 0, err
        assert out == expected


def test_compare_without_check_or_incidents(ws) -> None:
    with open_workspace(ws) as store:
        off = change.compare(store, from_round="2022", to_round="2023", check_hotspots=False)
        empty = change.compare(
            store,
            from_round="2022",
            to_round="2023",
            period=Period.parse("2030-01-01", "2030-12-31"),
        )
        with pytest.raises(UsageError, match="same round"):
            change.compare(store, from_round="2023", to_round="2023")
        with pytest.raises(NotFoundError, match="1999"):
            change.compare(store, from_round="1999", to_round="2023")
    assert off.hotspot_check is None and off.notes == ()
    assert off.to_dict()["hotspot_check"] is None
    assert empty.hotspot_check is None
    assert empty.notes == ("no incidents 2030-01-01 – 2030-12-31: no hot-spot check",)


def test_change_gpkg_layers(ws, tmp_path) -> None:
    with open_workspace(ws) as store:
        result = change.compare(store, from_round="2022", to_round="2023", check_hotspots=False)
    out = tmp_path / "change.gpkg"
    layers = write_change_gpkg(out, result.before, result.after, result.comparison)
    assert layers == ["scenes_2023", "ceased_2022"]
    later = pyogrio.read_dataframe(out, layer="scenes_2023")
    added = ["status", "size_change", "displacement", "from_ids"]
    added += ["area_from_m2", "area_to_m2", "nearest_previous_m"]
    assert set(added) <= set(later.columns)
    assert dict(zip(later["scene_id"], later["status"], strict=True)) == {
        "A1": "persisting",
        "B1": "persisting",
        "C1": "new",
        "D1": "new",
    }
    ceased = pyogrio.read_dataframe(out, layer="ceased_2022")
    assert list(ceased["scene_id"]) == ["A2"] and list(ceased["status"]) == ["ceased"]


def test_history_json_is_the_result(ws, capsys) -> None:
    with open_workspace(ws) as store:
        result = change.history(store)
        one = change.history(store, scene_id="B1")
        with pytest.raises(NotFoundError, match="NOPE"):
            change.history(store, scene_id="NOPE")
    assert result.rounds == ["2022", "2023"] and not result.recomputed
    assert result.observations is None and "observations" not in result.to_dict()
    assert len(result.places) == 5 and result.n_came_back == 0  # A1, A2, B1, C1, D1
    assert one.observations is not None
    assert list(one.observations["round"]) == ["2022", "2023"]
    code, out, err = run("history", ws, "--json")
    assert code == 0, err
    assert out == printed(result.to_dict(), capsys)
    code, out, err = run("history", ws, "--scene", "B1", "--json")
    assert code == 0, err
    assert out == printed(one.to_dict(), capsys)


def test_history_recomputed_when_not_stored(tmp_path) -> None:
    path = tmp_path / "ws.gpkg"
    scenes = tmp_path / "r.csv"
    scenes.write_text(f"scene_id;wkt\nA1;{box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200).wkt}\n")
    with create_workspace(path, square_region(), "Test") as store:
        assert change.history(store).to_dict() == {"rounds": [], "places": []}
        import_scenes(store, scenes, "2023", crs=3006)
        stored = change.history(store)
        # A round written without its history: the stored table lacks it.
        store.write_round(RoundRecord("2024"), store.round_scenes("2023"), replace=False)
        fresh = change.history(store, scene_id="A1")
    assert not stored.recomputed and fresh.recomputed
    assert [p["place_id"] for p in stored.to_dict()["places"]] == ["2023:A1"]
    [place] = fresh.to_dict()["places"]
    assert place["rounds_present"] == ["2023", "2024"] and place["current_run"] == 2
    assert fresh.observations is not None and len(fresh.observations) == 2


def test_hotspots_json_is_the_result(ws, capsys, tmp_path) -> None:
    period = Period.parse("2022-10-01", "2023-09-30")
    with open_workspace(ws) as store:
        result = hotspots(store, round_label="2023", period=period)
        with pytest.raises(UsageError, match="step"):
            hotspots(store, round_label="2023", period=period, step="week")  # type: ignore[arg-type]
        with pytest.raises(NotFoundError, match="1999"):
            hotspots(store, round_label="1999", period=period)
    top = result.candidates.candidates.iloc[0]
    assert abs(top["x"] - CLUSTER[0]) < 200 and abs(top["y"] - CLUSTER[1]) < 200
    assert result.emerging is not None
    base = ["hotspots", ws, "--round", "2023", "--from", "2022-10-01", "--to", "2023-09-30"]
    code, out, err = run(*base, "--json")
    assert code == 0, err
    assert out == printed(result.to_dict(), capsys)
    with open_workspace(ws) as store:
        other = hotspots(
            store,
            round_label="2022",
            period=period,
            categories=["shooting", "violence"],
            cell_m=200.0,
            band_m=400.0,
            step=None,
            distance_m=300.0,
            fdr=False,
        )
    base[3] = "2022"
    code, out, err = run(
        *base, "--category", "shooting", "--category", "violence", "--cell", "200",
        "--band", "400", "--period", "none", "--distance", "300", "--no-fdr", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert out == printed(other.to_dict(), capsys)
    layers = write_hotspots_gpkg(tmp_path / "hs.gpkg", result)
    assert layers[0] == "candidates" and layers[-1] == "cells"


def test_hotspots_without_incidents_in_the_period(ws) -> None:
    from drugscenes.errors import DataError

    with open_workspace(ws) as store, pytest.raises(DataError, match="no incidents from"):
        hotspots(store, round_label="2023", period=Period.parse("2030-01-01", "2030-06-30"))
