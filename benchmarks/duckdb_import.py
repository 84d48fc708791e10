"""A plain DuckDB script doing the storing part of ``drugscenes import incidents``: read an
incident file (GeoParquet or CSV) and write it as Parquet partitioned by year.

It is the yardstick of issue 14 ("import within 5x of DuckDB's COPY"), not an equivalent:
it checks nothing (no region test, no category mapping, no rejected-row report, no
replacement by id), it only reads, adds the year and writes. No extension is needed: the
GeoParquet's point geometry is left out, x and y are columns of the file.

Usage::

    .venv/bin/python benchmarks/duckdb_import.py INPUT OUT_DIR

``INPUT`` is a ``.parquet`` file (columns ``id``, ``time``, ``type``, ``x``, ``y``, and a
geometry) or a ``.csv`` file with the same columns (ISO times with an offset). Prints
``{"n_rows": n}``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import duckdb

SOURCES = {
    ".parquet": "read_parquet(?)",
    ".csv": "read_csv(?, header = true, columns = {'id': 'VARCHAR', 'time': 'TIMESTAMPTZ', "
    "'type': 'VARCHAR', 'x': 'DOUBLE', 'y': 'DOUBLE'})",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("out_dir", type=Path)
    a = ap.parse_args()
    source = SOURCES[a.input.suffix.lower()]
    shutil.rmtree(a.out_dir, ignore_errors=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # COPY takes no prepared parameters: the paths go in as quoted literals.
    quoted = "'" + str(a.input).replace("'", "''") + "'"
    out = "'" + str(a.out_dir).replace("'", "''") + "'"
    con.execute(
        f"COPY (SELECT id AS incident_id, time::TIMESTAMPTZ AS time, type AS source_type, x, y,"
        f" year(time::TIMESTAMPTZ) AS year FROM {source.replace('?', quoted)})"
        f" TO {out} (FORMAT parquet, PARTITION_BY (year))"
    )
    n = con.execute(f"SELECT count(*) FROM read_parquet({out} || '/*/*.parquet')").fetchone()[0]
    print(json.dumps({"n_rows": n}))


if __name__ == "__main__":
    main()
