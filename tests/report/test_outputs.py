"""Outputs never follow a link and touch nothing outside their folder: ``report --out``,
``compare --gpkg``, ``hotspots --gpkg``, ``--problems``, ``demo --out``. Every refusal is
one line, exit status 2, and nothing is written (or imported)."""

from __future__ import annotations

import csv
import os

import geopandas as gpd
import pytest

from drugscenes.errors import UsageError
from drugscenes.io.gpkg_export import write_gpkg_layers
from drugscenes.io.outputs import output_file, staged_outputs
from helpers import digest, run
from hostile import hostile_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return hostile_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture
def outside(tmp_path):
    """A file outside every output folder, which no command may change."""
    f = tmp_path / "outside" / "precious.txt"
    f.parent.mkdir()
    f.write_text("precious\n", encoding="utf-8")
    return f


def _refused(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err.replace("\n", " "), (w, err)


def _leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".drugscenes-")]


# -- report --out ---------------------------------------------------------------------------


def test_report_out_at_a_file_is_refused(workspace, tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x", encoding="utf-8")
    code, _, err = run("report", workspace, "--out", f)
    _refused(code, err, "--out", "is a file, not a folder")
    assert f.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("name", ["report.html", "report.xlsx", "scenes.gpkg"])
def test_report_file_that_is_a_link_is_refused(workspace, tmp_path, outside, name):
    out = tmp_path / "r"
    out.mkdir()
    (out / name).symlink_to(outside)
    before = digest(outside)
    code, _, err = run("report", workspace, "--out", out)
    _refused(code, err, "--out", "symbolic link")
    assert digest(outside) == before
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing written


def test_report_folder_that_is_a_link_is_refused(workspace, tmp_path, outside):
    link = tmp_path / "r"
    link.symlink_to(outside.parent)
    code, _, err = run("report", workspace, "--out", link)
    _refused(code, err, "--out", "symbolic link")
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]


def test_report_file_that_is_a_folder_is_refused(workspace, tmp_path):
    (tmp_path / "r" / "report.xlsx").mkdir(parents=True)
    code, _, err = run("report", workspace, "--out", tmp_path / "r")
    _refused(code, err, "--out", "report.xlsx", "is a folder")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["report.xlsx"]


def test_failed_report_leaves_no_folder(workspace, tmp_path):
    out = tmp_path / "new" / "report"
    code, _, err = run("report", workspace, "--out", out, "--round", "1999")
    assert code == 1 and "1999" in err
    assert not (tmp_path / "new").exists()


def test_report_replaces_its_files_and_leaves_nothing_else(workspace, tmp_path):
    out = tmp_path / "r"
    for _ in range(2):
        code, _, err = run("report", workspace, "--out", out)
        assert code == 0, err
    names = ["report.html", "report.pdf", "report.xlsx", "scenes.gpkg"]
    assert sorted(p.name for p in out.iterdir()) == names


# -- --gpkg ---------------------------------------------------------------------------------


def test_compare_gpkg_at_a_folder_is_refused(workspace, tmp_path):
    folder = tmp_path / "layers.gpkg"
    folder.mkdir()
    code, _, err = run("compare", workspace, "2021", "2023", "--gpkg", folder)
    _refused(code, err, "--gpkg", "is a folder")
    assert list(folder.iterdir()) == []


def test_compare_gpkg_link_is_refused(workspace, tmp_path, outside):
    link = tmp_path / "layers.gpkg"
    link.symlink_to(outside)
    before = digest(outside)
    code, _, err = run("compare", workspace, "2021", "2023", "--gpkg", link)
    _refused(code, err, "--gpkg", "symbolic link")
    assert digest(outside) == before and link.is_symlink()


def test_compare_gpkg_in_a_missing_folder_is_refused(workspace, tmp_path):
    code, _, err = run("compare", workspace, "2021", "2023", "--gpkg", tmp_path / "no" / "x.gpkg")
    _refused(code, err, "--gpkg", "does not exist")
    assert not (tmp_path / "no").exists()


def test_hotspots_gpkg_link_is_refused(workspace, tmp_path, outside):
    link = tmp_path / "hot.gpkg"
    link.symlink_to(outside)
    before = digest(outside)
    code, _, err = run(
        "hotspots", workspace, "--round", "2023", "--from", "2023-01-01", "--to", "2023-12-31",
        "--gpkg", link,
    )  # fmt: skip
    _refused(code, err, "--gpkg", "symbolic link")
    assert digest(outside) == before


def test_gpkg_writer_replaces_a_file_whole(tmp_path):
    from shapely import box

    frame = gpd.GeoDataFrame({"a": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=3006)
    path = tmp_path / "layers.gpkg"
    path.write_bytes(b"old")
    assert write_gpkg_layers(path, {"one": frame, "empty": frame.iloc[:0]}) == ["one"]
    assert gpd.read_file(path, layer="one")["a"].tolist() == ["x"]
    assert _leftovers(tmp_path) == []
    # With nothing to write, no stale file of the earlier run stays.
    assert write_gpkg_layers(path, {"empty": frame.iloc[:0]}) == []
    assert not path.exists()


def test_a_failed_write_changes_nothing(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), output_file(path, "--x") as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash while writing")
    assert path.read_text(encoding="utf-8") == "old" and _leftovers(tmp_path) == []
    with pytest.raises(UsageError, match=r"--x: .* symbolic link"):
        with staged_outputs(tmp_path, ["out.txt"], "--x") as staged:
            staged["out.txt"].write_text("new", encoding="utf-8")
            path.unlink()
            path.symlink_to(tmp_path / "elsewhere")  # a link put in place meanwhile
    assert not (tmp_path / "elsewhere").exists() and _leftovers(tmp_path) == []


# -- --problems -----------------------------------------------------------------------------


def _bad_scenes(tmp_path, name: str = "bad.csv"):
    f = tmp_path / name
    f.write_text("scene_id;name;wkt\nA1;Torget;POINT (661000 6571000)\n", encoding="utf-8")
    return f


@pytest.mark.parametrize("where", ["missing folder", "folder", "link"])
def test_bad_problems_path_imports_nothing(workspace, tmp_path, outside, where):
    good = tmp_path / "good.gpkg"
    gpd.read_file(workspace.parent / "scenes_2023.gpkg").to_file(good)
    target = {
        "missing folder": tmp_path / "no" / "problems.csv",
        "folder": tmp_path,
        "link": tmp_path / "problems.csv",
    }[where]
    if where == "link":
        target.symlink_to(outside)
    before = digest(workspace), digest(outside)
    code, _, err = run("import", "scenes", workspace, good, "--round", "2024", "--problems", target)
    _refused(code, err, "--problems")
    assert (digest(workspace), digest(outside)) == before
    code, out, _ = run("rounds", workspace, "--json")
    assert code == 0 and "2024" not in out


def test_incident_import_checks_the_problems_path_first(workspace, tmp_path, outside):
    link = tmp_path / "problems.csv"
    link.symlink_to(outside)
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("id,time,type,x,y\n1,2023-05-01T12:00,Misshandel,661000,6571000\n")
    before = digest(outside)
    code, _, err = run(
        "import", "incidents", workspace, incidents, "--crs", "3006", "--problems", link
    )
    _refused(code, err, "--problems", "symbolic link")
    assert digest(outside) == before
    assert not (workspace.parent / f"{workspace.stem}.incidents").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_problems_in_a_folder_that_is_not_writable(workspace, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    code, _, err = run(
        "import", "scenes", workspace, _bad_scenes(tmp_path), "--round", "2024", "--crs", "3006",
        "--problems", folder / "p.csv",
    )  # fmt: skip
    _refused(code, err, "--problems", "not writable")


def test_problems_csv_holds_no_formula(tmp_path):
    ws = tmp_path / "ws.gpkg"
    from drugscenes.store import create_workspace
    from helpers import square_region

    create_workspace(ws, square_region(), "Test").close()
    bad = _bad_scenes(tmp_path, "=HYPERLINK(1).csv")
    problems = tmp_path / "problems.csv"
    code, _, err = run(
        "import", "scenes", ws, bad, "--round", "2024", "--crs", "3006", "--problems", problems
    )
    assert code == 1, err
    with problems.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["file"] == "'=HYPERLINK(1).csv" for r in rows)
    assert _leftovers(tmp_path) == []


# -- demo --out -----------------------------------------------------------------------------


@pytest.mark.parametrize("link", [".", "demo.gpkg", "report", "demo.incidents"])
def test_demo_refuses_links(tmp_path, outside, link):
    out = tmp_path / "demo"
    if link == ".":
        out.symlink_to(outside.parent)
    else:
        out.mkdir()
        (out / link).symlink_to(outside if link == "demo.gpkg" else outside.parent)
    before = digest(outside)
    code, _, err = run("demo", "--out", out)
    _refused(code, err, "--out", "symbolic link")
    assert digest(outside) == before
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]
