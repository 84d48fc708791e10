"""A plain DuckDB script doing the counts of ``drugscenes crime``: incidents of a period by
zone (inside a scene of the round, within the ring of one, the rest) and category.

It reads the very files drugscenes reads: the round's scenes from the workspace GeoPackage
(``ST_Read`` of the spatial extension, GDAL) and the stored incidents from
``<workspace>.incidents/`` (the GeoParquet dataset partitioned by year; only the years of the
period are read). Zones as drugscenes defines them: a point on a scene's edge is inside it
(``ST_Intersects``), a point at exactly the ring's distance is within the ring
(``ST_DWithin``). The days are Swedish local days, the last one included.

The spatial extension is LOADed from the ``duckdb-extension-spatial`` package (no download;
``INSTALL spatial`` needs extensions.duckdb.org). Install both into the venv with::

    .venv/bin/pip install -e '.[bench]'    # duckdb==1.5.5, duckdb-extension-spatial==1.5.5

Usage::

    .venv/bin/python benchmarks/duckdb_crime.py WORKSPACE.gpkg --round 2023 \
        --from 2023-01-01 --to 2023-12-31 [--ring 200]

prints one JSON object: ``{"zones": {zone: {category: n}}, "n_incidents": n}``.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

STOCKHOLM = ZoneInfo("Europe/Stockholm")

SQL = """
WITH scenes AS (
    SELECT geom FROM ST_Read(?, layer = 'scene_observations') WHERE round = ?
),
inc AS (
    SELECT incident_id, category, ST_Point(x, y) AS p
    FROM read_parquet(?, hive_partitioning = true)
    WHERE year BETWEEN ? AND ? AND time >= ?::TIMESTAMPTZ AND time < ?::TIMESTAMPTZ
),
near AS (  -- every incident within the ring of some scene, and whether inside one
    SELECT i.incident_id, bool_or(ST_Intersects(s.geom, i.p)) AS inside
    FROM inc i JOIN scenes s ON ST_DWithin(s.geom, i.p, ?)
    GROUP BY i.incident_id
)
SELECT CASE WHEN n.inside THEN 'scene' WHEN n.inside IS NOT NULL THEN ? ELSE 'rest' END AS zone,
       i.category, count(*) AS n
FROM inc i LEFT JOIN near n USING (incident_id)
GROUP BY ALL
"""


def spatial(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD the spatial extension shipped by the ``duckdb-extension-spatial`` package."""
    import duckdb_extension_spatial

    ext = next(Path(duckdb_extension_spatial.__file__).parent.rglob("spatial.duckdb_extension"))
    con.execute(f"LOAD '{ext}'")


def utc_bounds(first: str, last: str) -> tuple[str, str]:
    """The instants ``[first 00:00, last + 1 day 00:00)`` of Swedish local days, in UTC."""

    def midnight(d: date) -> str:
        local = datetime(d.year, d.month, d.day, tzinfo=STOCKHOLM)
        return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S+00")

    return midnight(date.fromisoformat(first)), midnight(
        date.fromisoformat(last) + timedelta(days=1)
    )


def incidents_glob(workspace: Path) -> str:
    """The current version of the stored incident dataset beside the workspace."""
    folder = workspace.with_name(workspace.stem + ".incidents")
    version = (folder / "CURRENT").read_text().strip()
    return str(folder / version / "year=*" / "*.parquet")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--round", required=True)
    ap.add_argument("--from", dest="first", required=True)
    ap.add_argument("--to", dest="last", required=True)
    ap.add_argument("--ring", type=float, default=200.0)
    a = ap.parse_args()
    start, end = utc_bounds(a.first, a.last)
    con = duckdb.connect()
    spatial(con)
    rows = con.execute(
        SQL,
        [
            str(a.workspace),
            a.round,
            incidents_glob(a.workspace),
            int(a.first[:4]) - 1,  # a local day's first hours lie in the UTC year before
            int(a.last[:4]),
            start,
            end,
            a.ring,
            f"near_{a.ring:g}",
        ],
    ).fetchall()
    zones: dict[str, dict[str, int]] = {}
    for zone, category, n in rows:
        zones.setdefault(zone, {})[category] = n
    print(json.dumps({"zones": zones, "n_incidents": sum(r[2] for r in rows)}))


if __name__ == "__main__":
    main()
