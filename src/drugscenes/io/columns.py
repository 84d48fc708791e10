"""Finding a file's columns by name: one rule for every reader.

Scene, municipality, incident and survey files name their columns in Swedish or
English, in any case. Each reader describes its fields with a :data:`ColumnSpec`
(field -> accepted column names, in order of preference, and whether the field is
required) and calls :func:`resolve_columns`, which applies the same rules
everywhere:

- names are compared after trimming spaces and case-folding (``" Namn "`` is
  ``namn``); no other letters are folded (``källa`` and ``kalla`` are different
  names, so alias lists spell both when both occur);
- for each field the first accepted name present wins; a column of exactly that
  spelling is preferred to one differing in case;
- a column named explicitly (``--name-field``, ``--column FIELD=COLUMN``, ...) must
  exist (exact spelling first, then the same rule); if it does not, or a required
  field has no column, :class:`~drugscenes.errors.ColumnError` names the file, the
  option or field, the accepted names and the file's columns.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from drugscenes.errors import ColumnError

ColumnSpec = Mapping[str, tuple[tuple[str, ...], bool]]
"""Field -> (accepted column names in order of preference, required)."""

Requirement = tuple[tuple[str, ...], ...]
"""Alternatives of which one must be found whole, e.g. ``(("x", "y"), ("lat", "lon"))``."""


def column_key(name: object) -> str:
    """The form in which column names are compared: NFC, trimmed, case-folded.

    Examples
    --------
    >>> column_key("  Kommunkod "), column_key("KÄLLA") == column_key("källa")
    ('kommunkod', True)
    """
    return unicodedata.normalize("NFC", str(name)).strip().casefold()


def find_column(
    columns: Sequence[str], names: Iterable[str], taken: Iterable[str] = ()
) -> str | None:
    """The column matching the first of ``names`` that any column matches.

    Parameters
    ----------
    columns : sequence of str
        The file's column names, in file order.
    names : iterable of str
        Accepted names, in order of preference.
    taken : iterable of str, optional
        Columns not to return (already used for another field).

    Returns
    -------
    str or None
        The column as spelled in the file: one spelled exactly as the name if
        there is one, else the first that matches :func:`column_key`.

    Examples
    --------
    >>> find_column(["ID", "Namn", "namn"], ("name", "namn"))
    'namn'
    >>> find_column(["ID", "Namn"], ("name", "namn")), find_column(["x"], ("id",))
    ('Namn', None)
    """
    skip = set(taken)
    for name in names:
        key = column_key(name)
        matches = [c for c in columns if column_key(c) == key and c not in skip]
        if matches:
            return name if name in matches else matches[0]
    return None


def resolve_columns(
    columns: Iterable[object],
    spec: ColumnSpec,
    overrides: Mapping[str, str | None] | None = None,
    *,
    file: str,
    options: Mapping[str, str] | None = None,
    one_of: Sequence[Requirement] = (),
    distinct: bool = False,
) -> dict[str, str | None]:
    """Find the column of each field, checking explicit choices and required fields.

    Parameters
    ----------
    columns : iterable
        The file's column names in file order (converted with ``str``).
    spec : ColumnSpec
        Field -> (accepted names in order of preference, required).
    overrides : mapping, optional
        Field -> column named explicitly; it must exist. ``None`` or blank values
        count as not given.
    file : str
        The file's name, for messages.
    options : mapping, optional
        Field -> the option that names its column (``"--name-field"``), for messages.
    one_of : sequence of Requirement, optional
        Groups of alternatives of which one must be found whole, e.g.
        ``[(("type",), ("category",))]`` or ``[(("x", "y"), ("lat", "lon"))]``.
    distinct : bool
        When true, a column found by name is not one that an earlier field (in
        ``spec`` order) already uses.

    Returns
    -------
    dict
        Field -> column as spelled in the file, or None, for every field of ``spec``
        in its order.

    Raises
    ------
    ColumnError
        An override names a field not in ``spec`` or a column not in the file, or
        a required field (or every alternative of a ``one_of`` group) has no
        column. One error lists every such problem and the file's columns.

    Examples
    --------
    >>> spec = {"scene_id": (("scene_id", "id"), False), "name": (("name", "namn"), True)}
    >>> resolve_columns(["ID", " Namn ", "wkt"], spec, file="scenes.csv")
    {'scene_id': 'ID', 'name': ' Namn '}
    >>> resolve_columns(["id", "wkt"], spec, {"name": "id"}, file="scenes.csv")
    {'scene_id': 'id', 'name': 'id'}
    >>> try:
    ...     resolve_columns(["id", "namn", "wkt"], spec, {"name": "nman"}, file="scenes.csv",
    ...                     options={"name": "--name-field"})
    ... except ColumnError as e:
    ...     print(e)
    scenes.csv: --name-field: no column 'nman' (did you mean 'namn'?); columns: id, namn, wkt
    >>> try:
    ...     resolve_columns(["id", "wkt"], spec, file="scenes.csv")
    ... except ColumnError as e:
    ...     print(e)
    scenes.csv: no column for name (looked for: name, namn); columns: id, wkt
    """
    cols = [str(c) for c in columns]
    given = {f: c for f, c in (overrides or {}).items() if c is not None and c.strip()}
    labels = dict(options or {})
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ColumnError(
            f"{file}: unknown field(s) {', '.join(unknown)}; fields are {', '.join(spec)}"
        )
    issues: list[str] = []
    failed: set[str] = set()  # overrides naming no column, reported once
    out: dict[str, str | None] = {}
    for f, (aliases, _required) in spec.items():
        if f in given:
            wanted = given[f]
            out[f] = find_column(cols, (wanted,))
            if out[f] is None:
                failed.add(f)
                label = labels.get(f, f"field '{f}'")
                issues.append(f"{label}: no column '{wanted}'{_did_you_mean(wanted, cols)}")
        else:
            taken = [c for c in out.values() if c is not None] if distinct else ()
            out[f] = find_column(cols, aliases, taken)
    needed = [((f,),) for f, (_a, required) in spec.items() if required] + list(one_of)
    for alternatives in needed:
        fields = {f for alt in alternatives for f in alt}
        found = any(all(out.get(f) for f in alt) for alt in alternatives)
        if not found and failed.isdisjoint(fields):
            issues.append(_missing(alternatives, spec, labels))
    if issues:
        raise ColumnError(f"{file}: {'; '.join(issues)}; columns: {', '.join(cols)}")
    return out


def _did_you_mean(wanted: str, columns: list[str]) -> str:
    keys = {column_key(c): c for c in reversed(columns)}
    close = difflib.get_close_matches(column_key(wanted), list(keys), n=1)
    return f" (did you mean '{keys[close[0]]}'?)" if close else ""


def _missing(alternatives: Requirement, spec: ColumnSpec, labels: Mapping[str, str]) -> str:
    """``no column for x/y (looked for: x, e / y, n) or lat/lon (...), name it with ...``."""
    looked = " or ".join(
        f"{'/'.join(alt)} (looked for: {' / '.join(', '.join(spec[f][0]) for f in alt)})"
        for alt in alternatives
    )
    plural = any(len(alt) > 1 for alt in alternatives)
    hint = ""
    if all(f in labels for alt in alternatives for f in alt):
        hint = f", name {'them' if plural else 'it'} with " + " or ".join(
            "/".join(labels[f] for f in alt) for alt in alternatives
        )
    return f"no column{'s' if plural else ''} for {looked}{hint}"
