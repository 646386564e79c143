"""Parquet files as a data platform exports air readings: types kept, read from a file or a URL; files given to
the wrong connector named for what they are."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ioc.config import load_config
from ioc.ingest import ingest
from tests.helpers import Reply, snapshot_rows, write_config

COLUMNS = {
    "station_id": {"required": True},
    "ward_code": {},
    "measured_at": {"type": "timestamp", "required": True},
    "pm25": {"type": "double", "min": 0},
    "valid": {"type": "boolean"},
}


COLUMNS_OF = (
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'env_air_pq' ORDER BY ordinal_position"
)


def readings(path, n: int = 5) -> None:
    """Hourly readings as an air-monitoring platform exports them: typed columns, a UTC instant, a flag."""
    start = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)  # 00:00 on 1 December in the city
    table = pa.table(
        {
            "station_id": pa.array([f"TDM{i % 2 + 1:02d}" for i in range(n)]),
            "ward_code": pa.array(["25741", "25744", None, "25741", "25747"][:n]),
            "measured_at": pa.array([start + dt.timedelta(hours=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
            "pm25": pa.array([12.5, 30.25, -1.0, 45.0, None][:n], pa.float64()),
            "valid": pa.array([True, True, False, True, None][:n]),
            "extra_flag": pa.array(list(range(n)), pa.int32()),
        }
    )
    pq.write_table(table, path)


def test_a_parquet_file_loads_with_its_types_and_instants_in_city_time(tmp_path):
    readings(tmp_path / "air.parquet")
    src = {"connector": "parquet", "sector": "env", "table": "env_air_pq", "path": "air.parquet", "columns": COLUMNS}
    cfg = load_config(write_config(tmp_path, {"air": src}))
    res = ingest(cfg).results[0]
    assert res.status == "ok", res.error
    assert (res.rows_loaded, res.rejects) == (4, 1)  # pm25 -1 breaks min 0
    rows = snapshot_rows(cfg, "SELECT station_id, measured_at, pm25, valid, extra_flag FROM env_air_pq ORDER BY ALL")
    assert rows[0] == ("TDM01", dt.datetime(2026, 12, 1, 0, 0), 12.5, True, 0)  # 17:00 UTC is midnight in the city
    types = dict(snapshot_rows(cfg, COLUMNS_OF.replace("column_name", "column_name, data_type")))
    assert types["extra_flag"] == "INTEGER" and types["pm25"] == "DOUBLE" and types["measured_at"] == "TIMESTAMP"


def test_a_parquet_file_from_a_url(tmp_path, http_server):
    readings(tmp_path / "air.parquet")
    http_server.script("/export/air.parquet", Reply((tmp_path / "air.parquet").read_bytes()))
    src = {
        "connector": "parquet",
        "sector": "env",
        "table": "env_air_pq",
        "url": http_server.url("/export/air.parquet"),
        "columns": COLUMNS,
        "options": {"columns": ["station_id", "measured_at", "pm25"]},
    }
    src["columns"] = {k: COLUMNS[k] for k in ("station_id", "measured_at", "pm25")}
    cfg = load_config(write_config(tmp_path, {"air": src}))
    res = ingest(cfg).results[0]
    assert res.status == "ok", res.error
    cols = [r[0] for r in snapshot_rows(cfg, COLUMNS_OF)]
    assert cols == ["station_id", "measured_at", "pm25"]


def _xlsx(path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["station_id", "pm25"])
    wb.save(path)


@pytest.mark.parametrize(
    "connector, make, message",
    [
        ("csv", lambda p: readings(p), "this is a Parquet file, not CSV text: use connector parquet"),
        ("csv", _xlsx, "this is a ZIP archive (an .xlsx workbook is one), not CSV text: use connector excel"),
        ("csv", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "this is a PDF document, not CSV"),
        ("csv", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)), "save it as .xlsx"),
        ("excel", lambda p: readings(p), "this is a Parquet file, not an .xlsx workbook: use connector parquet"),
        ("excel", lambda p: p.write_text("station_id,pm25\nA,1\n"), "text? use connector csv"),
        ("parquet", lambda p: p.write_text("station_id,pm25\nA,1\n"), "this is not a Parquet file"),
    ],
)
def test_a_file_given_to_the_wrong_connector_is_named_for_what_it_is(tmp_path, connector, make, message):
    make(tmp_path / "in.bin")
    src = {"connector": connector, "sector": "env", "table": "t", "path": "in.bin", "columns": {"station_id": {}}}
    res = ingest(load_config(write_config(tmp_path, {"s": src}))).results[0]
    assert res.status == "failed" and message in res.error, res.error
