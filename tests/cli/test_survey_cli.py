"""`import survey` and `survey` through the command line, with the real workspace."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from drugscenes.demo.build import SURVEY_YEAR, build_demo
from helpers import digest, run


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"))


def test_import_is_idempotent_and_needs_replace_for_another_file(demo, tmp_path):
    ws, src = demo.workspace, demo.files["survey"]
    code, out, err = run("import", "survey", ws, src, "--year", SURVEY_YEAR)
    assert code == 0 and "nothing changed" in out, err
    before = digest(ws)
    other = tmp_path / "other.csv"
    pd.read_csv(src).head(500).to_csv(other, index=False)
    code, _, err = run("import", "survey", ws, other, "--year", SURVEY_YEAR)
    assert code == 1 and "exists already" in err and "--replace" in err
    assert digest(ws) == before
    code, out, _ = run("import", "survey", ws, other, "--year", 2022)
    assert code == 0 and "Imported 500 respondents for 2022" in out


def test_bad_rows_reject_the_whole_file_and_name_only_rows(demo, tmp_path):
    ws = demo.workspace
    rows = pd.read_csv(demo.files["survey"]).head(100)
    rows.loc[3, "weight"] = -1.0
    rows.loc[7, "x"] = None
    bad = tmp_path / "bad.csv"
    rows.to_csv(bad, index=False)
    before = digest(ws)
    code, out, err = run("import", "survey", ws, bad, "--year", 2021)
    assert code == 1
    assert "row 4" in err and "row 8" in err
    assert digest(ws) == before
    # No respondent's id or coordinates in the messages.
    for rid, x in zip(rows["respondent_id"], rows["x"].dropna(), strict=False):
        assert rid not in err + out and f"{x:.2f}" not in err + out


def test_survey_json_has_the_issue_keys(demo):
    code, out, err = run("survey", demo.workspace, "--round", "2023", "--year", SURVEY_YEAR,
                         "--json")  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    assert d["round"] == "2023" and d["year"] == SURVEY_YEAR
    assert {"n", "share_unsafe", "ci_low", "ci_high"} <= set(d["region"])
    for b in d["bands"]:
        assert {"label", "min_m", "max_m", "n", "share_unsafe", "ci_low", "ci_high",
                "suppressed"} <= set(b)  # fmt: skip
    shares = [b["share_unsafe"] for b in d["bands"]]
    assert shares == sorted(shares, reverse=True) and 0 < shares[-1] < shares[0] < 1


def test_init_overwrite_drops_the_old_incidents(demo, tmp_path, shared_data):
    import shutil

    ws = tmp_path / "copy.gpkg"
    shutil.copy(demo.workspace, ws)
    shutil.copytree(demo.workspace.with_name("demo.incidents"), tmp_path / "copy.incidents")
    code, _, err = run("init", ws, "-m", shared_data / "stockholm_municipalities_3006.geojson",
                       "--overwrite")  # fmt: skip
    assert code == 0, err
    assert not (tmp_path / "copy.incidents").exists()
