"""The Arrow side of the incident contract, against every backend: an import's accepted
rows written as an Arrow table (``write_incident_table``) and a period read with the
categories as dictionary codes (``read_incident_table``) hold exactly what the frame
methods hold; the crime job gives the same result through either."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from drugscenes.store import create_workspace
from drugscenes.store.base import (
    INCIDENT_CODED,
    INCIDENT_COLUMNS,
    IncidentWrite,
    incident_frame,
    incident_table,
)
from helpers import square_region

X0, Y0 = 660_000, 6_570_000


@pytest.fixture(params=["geopackage", "postgis"])
def target(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "geopackage":
        return tmp_path / "ws.gpkg"
    return request.getfixturevalue("postgis_url")


def _incidents(n: int, prefix: str = "i") -> pd.DataFrame:
    k = np.arange(n)
    return pd.DataFrame(
        {
            "incident_id": [f"{prefix}{j}" for j in k],
            "time": pd.Timestamp("2022-12-31T23:30:00Z") + pd.to_timedelta(k * 7, unit="h"),
            "source_type": np.array(["Rån", "Misshandel, grov", "Skottlossning"])[k % 3],
            "category": np.array(["violence", "violence", "shooting"])[k % 3],
            "x": X0 + 1_000.5 + 10.25 * k,
            "y": Y0 + 2_000.125 + 3.5 * k,
            "police_activity": k % 4 == 0,
            "municipality_code": np.array(["0180", "0183"])[k % 2],
        }
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("incident_id", ignore_index=True)


def test_table_round_trip_is_the_frame() -> None:
    frame = _incidents(7)
    table = incident_table(frame)
    for c in INCIDENT_CODED:
        assert pa.types.is_dictionary(table[c].type)
    back = incident_frame(table)
    pd.testing.assert_frame_equal(back, frame.astype({"time": "datetime64[ns, UTC]"}))


def test_write_and_read_tables(target) -> None:  # type: ignore[no-untyped-def]
    frame = _incidents(300)
    with create_workspace(target, square_region(), "Test") as store:
        assert store.read_incident_table().num_rows == 0
        assert store.write_incident_table(incident_table(frame)) == IncidentWrite(0, 300)
        again = store.write_incident_table(incident_table(frame.iloc[:100]))
        assert again == IncidentWrite(300, 300)  # the same ids: replaced, nothing added
        start, end = pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2023-02-01", tz="UTC")
        table = store.read_incident_table(start, end)
        assert all(pa.types.is_dictionary(table[c].type) for c in INCIDENT_CODED)
        got = _sorted(incident_frame(table)[INCIDENT_COLUMNS])
        want = _sorted(store.read_incidents(start, end))
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert len(got) == int(((frame["time"] >= start) & (frame["time"] < end)).sum())
        cols = ["time", "category", "x"]
        some = store.read_incident_table(start, end, cols)
        assert some.column_names == cols
        coded = some.to_pandas()
        assert isinstance(coded["category"].dtype, pd.CategoricalDtype)
        assert sorted(coded["category"].astype(str)) == sorted(want["category"])
