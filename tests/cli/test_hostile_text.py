"""Names from data cannot break or steer the terminal: Rich markup in a name is shown as
written, and escape sequences (ESC, BEL, C1 controls) never reach standard output or error."""

from __future__ import annotations

import importlib
import io
import json

import pytest
from rich.text import Text

from helpers import run
from hostile import MARKUP_NAME, MARKUP_VISIBLE, OSC_NAME, SCENES, hostile_workspace

CONTROLS = ("\x1b", "\x07", "\x9b", "\r")
cli_app = importlib.import_module("drugscenes.cli.app")  # the module (the package exports `app`)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return hostile_workspace(tmp_path_factory.mktemp("hostile"))


def _inert(*texts: str) -> None:
    for text in texts:
        for c in CONTROLS:
            assert c not in text, (c, text)


@pytest.mark.parametrize(
    "args",
    [
        ("summary",),
        ("summary", "--round", "2021"),
        ("rounds",),
        ("history",),
        ("history", "--scene", "=1+1"),
        ("compare", "2021", "2023"),
    ],
)
def test_commands_show_hostile_names_as_text(workspace, args):
    code, out, err = run(args[0], workspace, *args[1:])
    assert code == 0, err
    _inert(out, err)


def test_summary_shows_the_visible_text_of_the_names(workspace):
    code, out, err = run("summary", workspace, "--largest", "10")
    assert code == 0, err
    _inert(out, err)
    assert MARKUP_VISIBLE in out
    assert "$\\frac{a}{$" in out  # a municipality's name, as written
    assert "=1+1" in out and "@SUM(A1)" in out


def test_json_output_escapes_every_control_character(workspace):
    code, out, err = run("summary", workspace, "--largest", "10", "--json")
    assert code == 0, err
    _inert(out, err)
    names = {s["name"] for s in json.loads(out)["largest_scenes"]}
    assert {MARKUP_NAME, OSC_NAME} <= names  # the data itself is unchanged


def test_error_messages_show_hostile_text_as_text(workspace):
    code, out, err = run("history", workspace, "--scene", MARKUP_NAME)
    assert code in (1, 2) and "Traceback" not in err
    _inert(out, err)
    assert MARKUP_VISIBLE in err


def test_problems_list_shows_hostile_ids_as_text(workspace, tmp_path):
    src = tmp_path / "dup.csv"
    wkt = "POLYGON ((661000 6571000, 661100 6571000, 661100 6571100, 661000 6571000))"
    rows = [f"{MARKUP_NAME};[bold]x[/];0180;{wkt}"] * 2
    src.write_text("scene_id;name;municipality_code;wkt\n" + "\n".join(rows) + "\n")
    code, out, err = run("import", "scenes", workspace, src, "--round", "2024", "--crs", "3006")
    assert code == 1 and "Traceback" not in err
    _inert(out, err)
    assert MARKUP_VISIBLE in err


def test_consoles_drop_control_characters_but_keep_their_own_styles():
    buf = io.StringIO()
    console = cli_app.SafeConsole(
        file=buf, force_terminal=True, color_system="standard", highlight=False
    )
    console.print(Text(OSC_NAME, style="bold"))
    console.print(f"[green]{cli_app.safe(MARKUP_NAME)}[/]")
    console.print(f"not made safe: {MARKUP_NAME}")  # broken markup: printed as it is
    text = buf.getvalue()
    assert "\x1b[1m" in text and "\x1b[32m" in text  # Rich's own styles
    assert "\x1b]" not in text and "\x07" not in text and "\x9b" not in text
    assert "\x1b[31m" not in text and "Torget]0;pwned2J" in text
    assert text.count(MARKUP_VISIBLE) == 2


def test_spinner_shows_hostile_text_as_text(monkeypatch):
    buf = io.StringIO()
    console = cli_app.SafeConsole(file=buf, force_terminal=True, color_system=None)
    monkeypatch.setattr(cli_app, "err", console)
    with cli_app.spinner(f"reading {MARKUP_NAME}") as step:
        step(f"importing {OSC_NAME}")
    assert "\x07" not in buf.getvalue() and "\x9b" not in buf.getvalue()


def test_helpers():
    assert cli_app.safe(MARKUP_NAME) == "\\" + MARKUP_VISIBLE
    assert cli_app.plain(OSC_NAME) == "Torget]0;pwned2J"
    assert cli_app.plain("a\tb\nc") == "a\tb\nc"
    assert len(SCENES) == 5
