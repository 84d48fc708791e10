"""The evaluate job on a small planted workspace: service, CLI JSON and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugscenes.demo.planted import DATE_A, DATE_B, planted_county, planted_incidents
from drugscenes.demo.survey import generate_survey
from drugscenes.errors import DataError, UsageError
from drugscenes.services.evaluate import evaluate
from drugscenes.services.imports import import_incidents, import_scenes, import_survey
from drugscenes.store import create_workspace, open_workspace
from helpers import run


def _build(folder: Path, *, surveys=(2022, 2024), rounds=("A", "B"), incidents=True) -> Path:
    munis, scenes, status = planted_county(11)
    ws = folder / "ws.gpkg"
    files = {
        "A": (scenes, DATE_A),
        "B": (scenes[status == "persisting"], DATE_B),
        "C": (scenes, "2023-06-01"),
    }
    with create_workspace(ws, munis, "Planted", overwrite=True) as store:
        for label in rounds:
            frame, date = files[label]
            path = folder / f"scenes_{label}.gpkg"
            frame[["scene_id", "municipality_code", "geometry"]].to_file(path, driver="GPKG")
            import_scenes(store, path, label, date=date)
        if incidents:
            inc = planted_incidents(11, munis, scenes, status, 0.5)
            path = folder / "incidents.csv"
            pd.DataFrame(
                {
                    "id": inc["incident_id"],
                    "time": inc["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "type": inc["source_type"].astype(str),
                    "x": inc["x"],
                    "y": inc["y"],
                }
            ).to_csv(path, index=False)
            import_incidents(store, path, crs=3006)
        for k, year in enumerate(surveys):
            effect = -0.2 if year > 2023 else 0.0
            s = generate_survey(munis, scenes, 15000, 40 + k, effect=effect,
                                effect_scenes=status == "ceased")  # fmt: skip
            path = folder / f"survey_{year}.csv"
            s.to_csv(path, index=False)
            import_survey(store, path, year, crs=3006)
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("evaluate"))


def test_evaluate_crime_and_survey_and_cli_json(ws: Path) -> None:
    with open_workspace(ws) as store:
        result = evaluate(store, from_round="A", to_round="B")
    d = result.to_dict()
    c, s = d["crime"], d["survey"]
    for key in ("rate_ratio", "ci_low", "ci_high", "p_value", "n_ceased", "n_persisting"):
        assert c[key] is not None
    assert c["n_ceased"] == 10 and c["n_persisting"] == 30
    assert c["ci_low"] < 0.5 < c["ci_high"]
    assert {"period", "coef", "ci_low", "ci_high"} <= set(c["event_study"][0])
    assert c["pretrend_p_value"] is not None and c["event_month"] == "2023-02"
    assert c["placebo"]["estimable"] and c["displacement"]["ring"]["estimable"]
    assert s["years"] == [2022, 2024] and "reason" not in s
    assert s["ci_low"] < -0.2 < s["ci_high"] < 0
    assert s["difference"] == round(s["difference"], 2)  # whole percentage points
    assert "cells" not in s  # protected output
    code, out, _ = run("evaluate", ws, "--from-round", "A", "--to-round", "B", "--json")
    assert code == 0 and json.loads(out) == json.loads(json.dumps(d))
    code, out, _ = run("evaluate", ws, "--from-round", "A", "--to-round", "B")
    assert code == 0 and "rate ratio" in out and "percentage points" in out


def test_one_survey_year_gives_a_survey_reason_and_crime_still_runs(tmp_path: Path) -> None:
    ws = _build(tmp_path, surveys=(2022,))
    with open_workspace(ws) as store:
        d = evaluate(store, from_round="A", to_round="B").to_dict()
    assert d["crime"]["rate_ratio"] is not None
    assert d["survey"]["difference"] is None
    assert "no survey year wholly after round B" in d["survey"]["reason"]


def test_no_incidents_gives_a_crime_reason(tmp_path: Path) -> None:
    ws = _build(tmp_path, incidents=False, surveys=())
    with open_workspace(ws) as store:
        d = evaluate(store, from_round="A", to_round="B").to_dict()
    assert d["crime"]["rate_ratio"] is None and "no incidents" in d["crime"]["reason"]
    assert "reason" in d["survey"]


def test_bad_rounds_are_one_line_messages(tmp_path: Path) -> None:
    ws = _build(tmp_path, rounds=("A", "B", "C"), surveys=())
    with open_workspace(ws) as store:
        with pytest.raises(UsageError, match="same round"):
            evaluate(store, from_round="A", to_round="A")
        with pytest.raises(UsageError, match="later than"):
            evaluate(store, from_round="B", to_round="A")
        with pytest.raises(DataError, match="nothing to evaluate"):
            evaluate(store, from_round="A", to_round="C")  # C is A again: nothing ceased
    code, _, err = run("evaluate", ws, "--from-round", "A", "--to-round", "C")
    assert code == 1 and "nothing to evaluate" in err and "Traceback" not in err
    code, _, err = run("evaluate", ws, "--from-round", "A", "--to-round", "X")
    assert code != 0 and "no round 'X'" in err


def test_fewer_than_two_rounds(tmp_path: Path) -> None:
    ws = _build(tmp_path, rounds=("A",), incidents=False, surveys=())
    code, _, err = run("evaluate", ws, "--from-round", "A", "--to-round", "B")
    assert code == 2 and "needs two mapping rounds" in err
    assert np.isfinite(1.0)
