"""Reading the CSV files people export from Excel and other tools.

Swedish Excel writes ``;`` as separator (the comma is the decimal mark) and, on
older versions, Windows-1252 instead of UTF-8; both are detected here so that
every reader in drugscenes (scenes, incidents, survey) accepts the same files and
reports the same row-level problems:

- a file that is not valid UTF-8 as a whole is decoded line by line: a file with
  no UTF-8 letters at all is Windows-1252 (Excel on Swedish Windows); in a file
  that is otherwise UTF-8 (or starts with a UTF-8 byte-order mark), each line that
  is not UTF-8 is read as Windows-1252 and its row gets a warning, so that a file
  pieced together from two exports keeps its å, ä and ö;
- a row with another number of fields than the header (an unquoted separator
  inside a value) is named, instead of shifting every column after it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from drugscenes.errors import DataError, Problem

ENCODINGS = ("utf-8", "cp1252")
"""Encodings tried in order when a file has no byte-order mark: UTF-8, then Windows-1252."""

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF8_LETTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
"""A multi-byte UTF-8 sequence: Windows-1252 text practically never holds one."""
_LEAD_THEN_CONTINUATION = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
"""The start of :data:`_UTF8_LETTER`, five times faster to look for in a large file."""
_FIELD_SIZE_LIMIT = 1 << 30
"""Largest CSV field read (a detailed polygon's WKT is far beyond the csv module's 128 KB)."""


@dataclass
class DecodedText:
    """A file's text and the lines that were not in the file's own encoding.

    Attributes
    ----------
    text : str
        The text, byte-order mark dropped.
    encoding : str
        ``utf-8``, ``utf-16``, ``cp1252`` or ``utf-8+cp1252`` (a UTF-8 file with lines
        in Windows-1252).
    legacy_lines : list of int
        1-based lines of a UTF-8 file that were read as Windows-1252.
    bad_lines : list of int
        1-based lines that are neither UTF-8 nor Windows-1252 (read with replacement
        characters).
    """

    text: str
    encoding: str
    legacy_lines: list[int] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)


def decode_file_bytes(raw: bytes) -> DecodedText:
    """Decode a text file's bytes as Excel writes them (see the module docstring)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return DecodedText(raw.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            return DecodedText(raw.decode("utf-16", errors="replace"), "utf-16", bad_lines=[1])
    bom = raw.startswith(_UTF8_BOM)
    if bom:
        raw = raw[len(_UTF8_BOM) :]
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf8 = bom or _has_utf8_letter(raw)
    if not utf8:
        try:
            return DecodedText(raw.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            pass  # bytes Windows-1252 leaves undefined: find their lines below
    lines: list[str] = []
    legacy: list[int] = []
    bad: list[int] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):  # only files mixing encodings
        try:
            lines.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            lines.append(line.decode("cp1252"))
            legacy.append(number)
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            bad.append(number)
    return DecodedText(
        "\n".join(lines), "utf-8+cp1252" if utf8 else "cp1252", legacy if utf8 else [], bad
    )


def _has_utf8_letter(raw: bytes) -> bool:
    return bool(_LEAD_THEN_CONTINUATION.search(raw) and _UTF8_LETTER.search(raw))


def decode_bytes(raw: bytes, name: str = "") -> str:
    """Text of a file's bytes: UTF-8 or UTF-16 by their byte-order mark, else UTF-8, else
    Windows-1252 (Excel on Swedish Windows), line by line; the mark is dropped.

    Raises DataError naming the first line that is neither UTF-8 nor Windows-1252.
    """
    decoded = decode_file_bytes(raw)
    if decoded.bad_lines:
        line = decoded.bad_lines[0]
        raise DataError(
            f"{name}: line {line} is neither UTF-8 nor Windows-1252 text",
            [Problem("encoding", f"line {line} is not UTF-8 or Windows-1252 text", file=name)],
        )
    return decoded.text


def read_bytes(path: Path) -> bytes:
    """A file's bytes, gzip-compressed files (``.gz``) unpacked."""
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(
                f"{path.name}: not a readable gzip file ({exc})",
                [Problem("file-unreadable", "not a readable gzip file", file=path.name)],
            ) from None
    return raw


def decode_text(path: Path) -> tuple[str, str]:
    """The file's text (gzip-compressed files are unpacked) and its name."""
    return decode_bytes(read_bytes(path), path.name), path.name


def sniff_separator(header: str) -> str:
    """``;`` for Swedish Excel exports, tab or ``,`` otherwise, judged on the header line."""
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


@dataclass
class CsvTable:
    """A CSV file read as text columns, with the rows that could not be read.

    Attributes
    ----------
    frame : DataFrame
        One column per header field, every value a string (empty cells missing);
        index 0..n-1 where index ``i`` is data row ``i + 1`` (the line after the header
        is row 1). Rows in ``bad`` hold no values.
    separator : str
        The field separator found on the header line.
    problems : list of Problem
        Errors for rows that cannot be read (another number of fields than the
        header, text in no known encoding) and warnings for rows read in another
        encoding than the rest of the file; each names its row.
    bad : ndarray of bool
        Per row of ``frame``: the row cannot be read.
    """

    frame: pd.DataFrame
    separator: str
    problems: list[Problem]
    bad: np.ndarray

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def require_every_row(self, name: str) -> None:
        """For all-or-nothing imports: DataError listing every row that cannot be read."""
        if self.bad.any():
            raise DataError(
                f"{name}: {int(self.bad.sum())} row(s) cannot be read; nothing was imported",
                self.problems,
            )


def read_csv(source: str | Path, *, skipinitialspace: bool = False) -> CsvTable:
    """Read a CSV file as text columns, whatever its separator and encoding.

    Every value is kept as a string (empty cells as missing) so that codes such
    as ``0180`` keep their leading zero and no number is guessed wrongly; callers
    convert the columns they need and report the rows that do not convert.

    Parameters
    ----------
    source : str or Path
        The CSV file (``.gz`` is unpacked). The first line is the header.
    skipinitialspace : bool
        Drop spaces after a separator.

    Raises
    ------
    DataError
        The file is empty, not CSV at all, or none of its rows can be read (e.g.
        every row has one field more than the header): one message says so.
    """
    path = Path(source)
    return parse_csv(read_bytes(path), path.name, skipinitialspace=skipinitialspace)


def parse_csv(raw: bytes, name: str, *, skipinitialspace: bool = False) -> CsvTable:
    """:func:`read_csv` of a file's bytes; ``name`` is named in every problem."""
    decoded = decode_file_bytes(raw)
    text = decoded.text
    header = text.split("\n", 1)[0]
    no_header = DataError(
        f"{name}: the file is empty or has no header row",
        [Problem("csv-empty", "no header row", file=name)],
    )
    if not header.strip():
        raise no_header
    sep = sniff_separator(header)
    counts, last_lines = _record_shape(text, sep, skipinitialspace, name)
    if not len(counts):  # only blank records: a lone '"' is one
        raise no_header
    n_fields = int(counts[0])
    row_counts = counts[1:]
    wrong = row_counts != n_fields
    problems: list[Problem] = []
    if len(row_counts) and wrong.all():
        if (row_counts == row_counts[0]).all():
            what = f"every row has {row_counts[0]} fields, the header has {n_fields}"
        else:
            what = f"no row has the {n_fields} fields of the header"
        message = f"{what}: {_separator_hint(sep, bool(row_counts[0] > n_fields))}"
        raise DataError(  # said once, for the whole file
            f"{name}: no row has the header's number of fields; nothing was imported",
            [Problem("csv-field-count", message, file=name)],
        )
    for i in np.flatnonzero(wrong):
        problems.append(
            Problem(
                "csv-field-count",
                f"has {row_counts[i]} fields, the header has {n_fields} "
                f"({_separator_hint(sep, bool(row_counts[i] > n_fields))})",
                file=name,
                row=int(i) + 1,
            )
        )
    bad = wrong.copy()
    for row in _rows_of_lines(decoded.bad_lines, last_lines):
        if row is None:
            message = "the header is neither UTF-8 nor Windows-1252 text"
            raise DataError(f"{name}: {message}", [Problem("encoding", message, file=name)])
        bad[row - 1] = True
        problems.append(Problem("encoding", "is neither UTF-8 nor Windows-1252 text", name, row))
    for row in _rows_of_lines(decoded.legacy_lines, last_lines):
        what = "the header is" if row is None else "is"
        message = (
            f"{what} not UTF-8 like the rest of the file; read as Windows-1252 (check å, ä, ö)"
        )
        problems.append(Problem("encoding-mixed", message, name, row, severity="warning"))
    if len(bad) and bad.all():
        raise DataError(f"{name}: no row can be read; nothing was imported", problems)
    frame = _frame(text, sep, skipinitialspace, name, bad)
    problems.sort(key=lambda p: p.row or 0)
    return CsvTable(frame, sep, problems, bad)


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """The frame of :func:`read_csv`; any row that cannot be read is a DataError."""
    path = Path(path)
    table = read_csv(path)
    table.require_every_row(path.name)
    return table.frame


def _separator_hint(sep: str, more: bool = True) -> str:
    shown = "tab" if sep == "\t" else f"'{sep}'"
    if more:
        return f"a value holding an unquoted {shown}? Put such values in quotes"
    return f"a missing {shown}, or a line break in a value that is not in quotes?"


def _record_shape(
    text: str, sep: str, skipinitialspace: bool, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Field count and last line (1-based) of every non-blank record, the header first.

    Blank and whitespace-only lines are skipped, as pandas skips them; a line of
    separators only (tabs, with a tab as separator) is a record of empty fields.
    """
    if '"' not in text:  # no quoting: a record is a line (fast path for large files)
        lines = text.split("\n")
        numbers = [i for i, line in enumerate(lines, start=1) if line.strip() or sep in line]
        counts = [lines[i - 1].count(sep) + 1 for i in numbers]
        return np.array(counts, dtype=np.int64), np.array(numbers, dtype=np.int64)
    counts, last = [], []
    for record, line in _records(text, sep, skipinitialspace, name):
        counts.append(len(record))
        last.append(line)
    return np.array(counts, dtype=np.int64), np.array(last, dtype=np.int64)


def _rows_of_lines(lines: list[int], last_lines: np.ndarray) -> list[int | None]:
    """Data rows (None for the header) holding the given physical lines, once each."""
    if not lines:
        return []
    k = np.searchsorted(last_lines, np.asarray(lines), side="left")
    k = np.unique(k[k < len(last_lines)])
    return [None if i == 0 else int(i) for i in k]


def _frame(text: str, sep: str, skipinitialspace: bool, name: str, bad: np.ndarray) -> pd.DataFrame:
    """Parse with pandas: one frame row per record of :func:`_record_shape`.

    When some rows cannot be read, or pandas would see the records otherwise (it
    differs from the csv module on odd blank lines), the records are written again as
    the csv module reads them, each bad row emptied, so that no column shifts.
    """
    if not bad.any():
        frame = _pandas(text, sep, skipinitialspace, name)
        if len(frame) == len(bad):
            return frame
    frame = _pandas(_records_again(text, sep, skipinitialspace, name, bad), sep, False, name)
    if len(frame) != len(bad):  # pragma: no cover - the records were written by csv itself
        raise DataError(
            f"{name}: not a readable CSV file",
            [Problem("csv-unreadable", "not a readable CSV file", file=name)],
        )
    return frame


def _pandas(text: str, sep: str, skipinitialspace: bool, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=skipinitialspace,
            index_col=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(
            f"{name}: not a readable CSV file ({exc})",
            [Problem("csv-unreadable", "not a readable CSV file", file=name)],
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def _records_again(text: str, sep: str, skipinitialspace: bool, name: str, bad: np.ndarray) -> str:
    """The non-blank records, every field quoted; a bad row becomes one blank value and
    empty fields (so that it stays a row)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_ALL)
    n_fields = 0
    for k, (record, _line) in enumerate(_records(text, sep, skipinitialspace, name)):
        if k == 0:
            n_fields = len(record)
        elif bad[k - 1]:
            record = [" "] + [""] * (n_fields - 1)
        writer.writerow(record)
    return out.getvalue()


def _records(
    text: str, sep: str, skipinitialspace: bool, name: str
) -> Iterator[tuple[list[str], int]]:
    """The csv module's records and the line each ends on, blank and whitespace-only
    lines skipped as pandas skips them."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_SIZE_LIMIT))
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=skipinitialspace)
    try:
        for record in reader:
            if record and (len(record) > 1 or record[0].strip()):
                yield record, reader.line_num
    except csv.Error as exc:
        raise DataError(
            f"{name}: not a readable CSV file (line {reader.line_num}: {exc})",
            [Problem("csv-unreadable", f"line {reader.line_num}: {exc}", file=name)],
        ) from None


def parse_decimal(values: pd.Series) -> pd.Series:
    """Numbers written with a decimal comma or point (``"674 123,5"`` or ``"674123.5"``).

    Unparseable values become NaN; callers report them with their row.
    """
    text = values.astype("string").str.strip()
    text = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)
