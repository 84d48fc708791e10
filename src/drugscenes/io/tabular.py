"""Reading the CSV files people export from Excel and other tools.

Swedish Excel writes ``;`` as separator (the comma is the decimal mark) and, on
older versions, Windows-1252 instead of UTF-8; both are detected here so that
every reader in drugscenes accepts the same files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from drugscenes.errors import DataError, Problem

ENCODINGS = ("utf-8", "cp1252")
"""Encodings tried in order when a file has no byte-order mark: UTF-8, then Windows-1252."""


def decode_bytes(raw: bytes, name: str = "") -> str:
    """Text of a file's bytes: UTF-8 or UTF-16 by their byte-order mark, else UTF-8, else
    Windows-1252 (Excel on Swedish Windows); the mark is dropped."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return raw.decode("utf-16")
    for enc in ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(  # cp1252 decodes almost anything; this is a safety net
        f"{name}: cannot decode as UTF-8 or Windows-1252",
        [Problem("encoding", "not UTF-8 or Windows-1252 text", file=name)],
    )


def decode_text(path: Path) -> tuple[str, str]:
    """The file's text (gzip-compressed files are unpacked) and its name."""
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        import gzip

        raw = gzip.decompress(raw)
    return decode_bytes(raw, path.name), path.name


def sniff_separator(header: str) -> str:
    """``;`` for Swedish Excel exports, tab or ``,`` otherwise, judged on the header line."""
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file as text columns, whatever its separator and encoding.

    Every value is kept as a string (empty cells as missing) so that codes such
    as ``0180`` keep their leading zero and no number is guessed wrongly; callers
    convert the columns they need and report the rows that do not convert.

    Parameters
    ----------
    path : str or Path
        The CSV file. The first line is the header.

    Returns
    -------
    DataFrame
        One column per header field (names stripped), index 0..n-1 where index
        ``i`` is data row ``i + 1`` (the line after the header is row 1).
    """
    path = Path(path)
    text, _ = decode_text(path)
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise DataError(
            f"{path.name}: the file is empty or has no header row",
            [Problem("csv-empty", "no header row", file=path.name, row=None)],
        )
    sep = sniff_separator(first)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(
            f"{path.name}: not a readable CSV file ({exc})",
            [Problem("csv-unreadable", str(exc), file=path.name)],
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def parse_decimal(values: pd.Series) -> pd.Series:
    """Numbers written with a decimal comma or point (``"674 123,5"`` or ``"674123.5"``).

    Unparseable values become NaN; callers report them with their row.
    """
    text = values.astype("string").str.strip()
    text = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)
