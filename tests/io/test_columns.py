"""The one column-name resolver every reader uses: case, alias order, overrides, errors."""

from __future__ import annotations

import pytest

from drugscenes.errors import EXIT_USAGE, ColumnError, DataError, UsageError
from drugscenes.io.columns import column_key, find_column, resolve_columns
from drugscenes.registry.prepare import FIELD_ALIASES, resolve_fields

SPEC = {
    "id": (("scene_id", "id"), False),
    "name": (("name", "namn", "platsnamn"), True),
    "code": (("kommunkod", "kod", "kommun"), False),
}
OPTIONS = {"id": "--id-field", "name": "--name-field", "code": "--code-field"}


def test_names_match_whatever_their_case_and_surrounding_spaces() -> None:
    found = resolve_columns(["ID", " NAMN ", "Kommunkod\t", "wkt"], SPEC, file="s.csv")
    assert found == {"id": "ID", "name": " NAMN ", "code": "Kommunkod\t"}
    assert column_key(" Källa ") == column_key("KÄLLA") == "källa"
    # Letters are not folded: 'kalla' is another name than 'källa'.
    assert find_column(["källa"], ("kalla",)) is None


def test_first_alias_wins_not_first_column() -> None:
    columns = ["kommun", "kod", "platsnamn", "namn", "kommunkod"]
    found = resolve_columns(columns, SPEC, file="s.csv")
    assert found == {"id": None, "name": "namn", "code": "kommunkod"}
    # Drop the preferred ones and the next alias is taken.
    found = resolve_columns(["kommun", "kod", "platsnamn"], SPEC, file="s.csv")
    assert found["name"] == "platsnamn" and found["code"] == "kod"


def test_exact_spelling_wins_over_a_case_variant() -> None:
    assert find_column(["NAMN", "namn"], ("namn",)) == "namn"
    assert find_column(["Namn", "NAMN"], ("namn",)) == "Namn"
    assert resolve_columns(["Namn", "namn"], SPEC, {"name": "Namn"}, file="s.csv")["name"] == "Namn"


def test_override_names_a_column_in_any_case_and_beats_the_aliases() -> None:
    found = resolve_columns(["namn", "Plats"], SPEC, {"name": "PLATS"}, file="s.csv")
    assert found["name"] == "Plats"
    # None and blank overrides are "not given".
    assert resolve_columns(["namn"], SPEC, {"name": None, "id": " "}, file="s.csv") == {
        "id": None,
        "name": "namn",
        "code": None,
    }


def test_override_to_a_missing_column_names_file_option_and_columns() -> None:
    with pytest.raises(ColumnError) as info:
        resolve_columns(
            ["id", "namn", "wkt"], SPEC, {"name": "nman"}, file="scenes.csv", options=OPTIONS
        )
    message = str(info.value)
    assert message == (
        "scenes.csv: --name-field: no column 'nman' (did you mean 'namn'?); columns: id, namn, wkt"
    )
    # One error type: a usage error (exit 2) that handlers of bad data catch too.
    assert isinstance(info.value, UsageError) and isinstance(info.value, DataError)
    assert info.value.exit_code == EXIT_USAGE
    # Without an option the field is named.
    with pytest.raises(ColumnError, match=r"s\.csv: field 'code': no column 'kk'; columns: namn"):
        resolve_columns(["namn"], SPEC, {"code": "kk"}, file="s.csv")


def test_required_field_absent_names_the_accepted_names() -> None:
    with pytest.raises(ColumnError) as info:
        resolve_columns(["id", "wkt"], SPEC, file="scenes.csv", options=OPTIONS)
    assert str(info.value) == (
        "scenes.csv: no column for name (looked for: name, namn, platsnamn), "
        "name it with --name-field; columns: id, wkt"
    )


def test_every_problem_is_in_one_error() -> None:
    spec = {**SPEC, "x": (("x",), False), "y": (("y",), False), "lat": (("lat",), False)}
    with pytest.raises(ColumnError) as info:
        resolve_columns(
            ["namn", "x"],
            spec,
            {"code": "kommun", "name": "nm"},
            file="f.csv",
            one_of=[(("x", "y"), ("lat",))],
        )
    message = str(info.value)
    assert "field 'name': no column 'nm'" in message
    assert "field 'code': no column 'kommun'" in message
    assert "no columns for x/y (looked for: x / y) or lat (looked for: lat)" in message
    # A field whose override failed is not reported a second time as missing.
    assert "no column for name" not in message


def test_one_of_is_met_by_any_whole_alternative() -> None:
    spec = {"x": (("x",), False), "y": (("y",), False), "lat": (("lat",), False)}
    found = resolve_columns(["lat"], spec, file="f.csv", one_of=[(("x", "y"), ("lat",))])
    assert found == {"x": None, "y": None, "lat": "lat"}


def test_distinct_keeps_a_column_to_the_first_field_that_finds_it() -> None:
    spec = {"a": (("kod",), False), "b": (("kod", "code"), False)}
    assert resolve_columns(["kod"], spec, file="f", distinct=True) == {"a": "kod", "b": None}
    assert resolve_columns(["kod"], spec, file="f") == {"a": "kod", "b": "kod"}


def test_unknown_override_field_is_an_error() -> None:
    with pytest.raises(ColumnError, match=r"unknown field.*nmae"):
        resolve_columns(["namn"], SPEC, {"nmae": "namn"}, file="f.csv")


def test_scene_fields_keep_their_documented_aliases_and_order() -> None:
    # The README's scene table lists these names in this order (first match wins).
    assert FIELD_ALIASES["name"] == ("name", "namn", "scene_name", "platsnamn", "plats")
    assert resolve_fields(["Plats", "PlatsNamn", "Kommun", "KOD"]) == {
        "name": "PlatsNamn",
        "municipality_code": "KOD",
    }
