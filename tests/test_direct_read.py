"""The direct CSV read (DuckDB's reader straight into the snapshot) gives exactly what the general path gives.

Each case is ingested twice, with the direct read offered and with it withheld, and everything a user can
see is compared: the table with its column types, the rejects, and the run's counts and status. The case
also says whether the direct read must have been kept (a clean file) or handed over to the general path (a
file with something only the general path can report), so the fast path cannot silently stop working.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

import connectors.csv as csv_connector
from ioc.config import load_config
from ioc.direct import STAGE
from ioc.ingest import ingest
from tests.helpers import snapshot_rows, write_config

DIRECT = "read by DuckDB's reader"
HEAD = "station,ward,ts,pm25,n\n"
COLUMNS = {
    "station": {"required": True},
    "ward": {},
    "ts": {"type": "timestamp", "required": True},
    "pm25": {"type": "double", "min": 0, "max": 1000},
    "n": {"type": "integer", "min": 0},
}


def rows(n: int, start: int = 0) -> str:
    return "".join(
        f"ST{i % 7},2574{i % 10},2026-01-01 {i % 24:02d}:{i % 60:02d}:00,{i % 50}.5,{i}\n"
        for i in range(start, start + n)
    )


def run(folder: Path, text, source: dict, direct: bool, monkeypatch) -> dict:
    """Ingest `text` (a str, bytes, or a list of them for successive runs) and return what a user sees."""
    folder.mkdir(parents=True)
    spec = {"connector": "csv", "sector": "env", "table": "t", "path": "in.csv", "columns": COLUMNS} | source
    cfg = load_config(write_config(folder, {"s": spec}))
    if not direct:
        monkeypatch.setattr(csv_connector.Csv, "direct", lambda *a: None)
    texts = text if isinstance(text, list) else [text]
    results = []
    for t in texts:
        data = t if isinstance(t, bytes) else t.encode("utf-8")
        (folder / "in.csv").write_bytes(data)
        results.append(ingest(cfg, ["s"]).results[0])
    monkeypatch.undo()
    last = results[-1]
    out = {
        "status": [(r.status, r.rows_loaded, r.rejects, r.dropped, r.error) for r in results],
        "direct": [any(DIRECT in n for n in r.notes) for r in results],
    }
    if any(r.status == "ok" for r in results):
        out["types"] = snapshot_rows(
            cfg,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 't' ORDER BY ordinal_position",
        )
        # as a set: rows the general path read again are stored after the others, not in file order
        out["table"] = snapshot_rows(cfg, "SELECT * FROM t ORDER BY ALL")
        out["rejects"] = snapshot_rows(
            cfg, "SELECT row_number, column_name, value, reason FROM _rejects ORDER BY run_id, row_number, column_name"
        )
        out["dropped"] = snapshot_rows(cfg, "SELECT row_number, reason, text FROM _dropped ORDER BY ALL")
    out["ok"] = last.status == "ok"
    return out


def same_either_way(tmp_path, monkeypatch, text, source: dict | None = None) -> dict:
    fast = run(tmp_path / "direct", text, source or {}, True, monkeypatch)
    slow = run(tmp_path / "general", text, source or {}, False, monkeypatch)
    assert not any(slow["direct"])
    assert {k: v for k, v in fast.items() if k != "direct"} == {k: v for k, v in slow.items() if k != "direct"}
    return fast


CLEAN = {
    "plain": (HEAD + rows(300), {}),
    "windows line ends and a BOM": (("\ufeff" + HEAD + rows(50)).replace("\n", "\r\n"), {}),
    "title rows above the header, no newline at the end": ("Báo cáo quan trắc\n\n" + HEAD + rows(20).rstrip("\n"), {}),
    "padded text, an integer written 12.0, empty cells": (
        HEAD + "  ST1 ,25741,2026-01-01 01:00:00,1.5,12.0\nST2,,2026-01-01 02:00:00,,\n",
        {},
    ),
    "semicolons and decimal commas with a date format": (
        "station;ward;ts;pm25;n\n" + "".join(f"ST{i};25741;0{i}/02/2026;{i},5;{i}\n" for i in range(1, 9)),
        {"options": {"decimal": ",", "date_format": "%d/%m/%Y"}},
    ),
    "thousands separators": (
        "station;ward;ts;pm25;n\nST1;25741;2026-02-01;234,5;12.000\nST2;25741;2026-02-02;7,25;3.456.789\n",
        {"options": {"decimal": ",", "thousands": "."}},
    ),
    "missing-value words": (
        HEAD + "ST1, - ,2026-01-01 01:00:00,-,1\nST2,n/a,2026-01-01 02:00:00,n/a,2\n",
        {"options": {"na_values": ["-", "n/a"]}},
    ),
    "a stray quote inside a cell": (HEAD + rows(3) + 'ST1,25"741,2026-01-01 00:00:00,1,1\n', {}),
    "timestamps with a UTC offset, typed as the contract types them": (
        HEAD + "ST1,25741,2026-01-01T08:30:00+07:00,1,1\nST2,25741,2026-01-01T01:30:00Z,2,2\n",
        {},
    ),
    "a boolean, a date and an undeclared column": (
        "station,ts,ok,day,note\nST1,2026-01-01 00:00,có,2026-01-01,x\nST2,2026-01-02 00:00,không,2026-01-02,\n",
        {"columns": {"station": {}, "ts": {"type": "timestamp"}, "ok": {"type": "boolean"}, "day": {"type": "date"}}},
    ),
    "an optional declared column absent from the file": (
        "station,ts\nST1,2026-01-01 00:00\n",
        {"columns": {"station": {}, "ts": {"type": "timestamp"}, "pm25": {"type": "double", "optional": True}}},
    ),
    "a key that does not repeat": (HEAD + rows(40), {"mode": "upsert", "key": ["station", "ts"]}),
    "timestamps in the source's date format": (
        "station;ts\nST1;05/02/2026\nST2;06/02/2026\n",
        {"columns": {"station": {}, "ts": {"type": "timestamp"}}, "options": {"date_format": "%d/%m/%Y"}},
    ),
    "only a header": (HEAD, {"guard": {"allow_empty": True}}),
}


@pytest.mark.parametrize("case", list(CLEAN))
def test_a_clean_file_is_read_directly_with_the_same_result(tmp_path, monkeypatch, case):
    text, source = CLEAN[case]
    got = same_either_way(tmp_path, monkeypatch, text, source)
    assert got["ok"] and all(got["direct"])


PROBLEM_ROWS = {
    "a section title row": (HEAD + rows(5) + "Khu công nghiệp VSIP,,,,\n" + rows(5, 5), {}),
    "a row with more cells than the header": (HEAD + rows(5) + "ST1,25741,2026-01-01 00:00:00,1,2,extra\n", {}),
    "a row with fewer cells than the header": (HEAD + rows(5) + "ST1,25741,2026-01-01 00:00:00\n" + rows(2, 5), {}),
    "a number that is not one": (HEAD + rows(5) + "ST1,25741,2026-01-01 00:00:00,nhiều,1\n", {}),
    "two bad cells in one row, and bad rows side by side": (
        HEAD + rows(3) + "ST1,25741,2026-01-01 00:00:00,nhiều,x\nST2,25741,hôm qua,-1,1\n" + rows(3, 3),
        {},
    ),
    "an integer written 12.5": (HEAD + rows(5) + "ST1,25741,2026-01-01 00:00:00,1,12.5\n", {}),
    "integers too big for one, and the smallest there is": (
        HEAD
        + rows(3)
        + "ST1,25741,2026-01-01 00:00:00,1,12345678901234567890\n"
        + "ST2,25741,2026-01-01 00:00:00,1,-9223372036854775807\n",
        {"columns": COLUMNS | {"n": {"type": "integer"}}},
    ),
    "a value below its minimum": (HEAD + rows(5) + "ST1,25741,2026-01-01 00:00:00,-3,1\n", {}),
    "a required cell empty": (HEAD + rows(5) + ",25741,2026-01-01 00:00:00,3,1\n", {}),
    "a timestamp with an offset after the sampled rows": (
        HEAD + rows(150) + "ST1,25741,2026-01-01T08:30:00+00:00,1,1\n",
        {},
    ),
    "a date the reader refuses but the contract reads": (
        "station,day\n" + "".join(f"ST{i},2026-01-0{i}\n" for i in range(1, 8)) + "ST9,2026-01-08 07:30\n",
        {"columns": {"station": {}, "day": {"type": "date"}}},
    ),
    "a value outside its list": (
        HEAD + rows(5) + "ST9,25741,2026-01-01 00:00:00,1,1\n",
        {"columns": COLUMNS | {"station": {"values": [f"ST{i}" for i in range(7)]}}},
    ),
    "an empty key": (
        HEAD + rows(5) + "ST1,25741,,1,1\n",
        {"mode": "upsert", "key": ["station", "ts"], "columns": COLUMNS | {"ts": {"type": "timestamp"}}},
    ),
    "a missing-value word with spaces in a number column": (
        HEAD + "ST1,25741,2026-01-01 01:00:00, - ,1\n",
        {"options": {"na_values": ["-"]}},
    ),
    "the last line bad, without a line end": (HEAD + rows(4) + "ST1,25741,2026-01-01 00:00:00,-3,1", {}),
    "a decimal point in a decimal-comma file": (
        "station;ward;ts;pm25;n\nST1;25741;2026-02-01;2,5;1\nST2;25741;2026-02-02;1.234;3\n",
        {"options": {"decimal": ","}},
    ),
    "title rows above the header and a bad row": ("Báo cáo\n\n" + HEAD + rows(4) + "ST1,,,1,1\n" + rows(2, 4), {}),
    "a blank line in the body": (HEAD + rows(5) + "\n" + rows(5, 5), {}),
    "a blank line at the end": (HEAD + rows(5) + "\n", {}),
    "blank lines, then bad rows, in windows line ends": (
        (
            HEAD
            + rows(3)
            + "\n\n"
            + rows(2, 3)
            + "ST1,25741,2026-01-01 00:00:00,-3,1\n\n"
            + "Ghi chú: số liệu sơ bộ,,,,\n"
            + rows(2, 5)
        ).replace("\n", "\r\n"),
        {},
    ),
    "a repeated key": (HEAD + rows(5) + rows(1), {"mode": "upsert", "key": ["station", "ts"]}),
    # text is stored as read; a cell with spaces around it is trimmed, then checked, by the general path
    "a required text cell of spaces only": (HEAD + rows(3) + "   ,25741,2026-01-01 00:00:00,3,1\n", {}),
    "a text cell outside its list once trimmed, another inside": (
        HEAD + " ST1,25741,2026-01-01 00:00:00,1,1\nST9 ,25741,2026-01-01 00:00:00,1,1\n",
        {"columns": COLUMNS | {"station": {"values": [f"ST{i}" for i in range(7)]}}},
    ),
    "a title row padded with spaces": (HEAD + rows(3) + "Ghi chú ,  ,,,\n" + rows(2, 3), {}),
    "a missing-value word with spaces in a text column": (
        HEAD + rows(2) + "ST1, n/a ,2026-01-01 01:00:00,1,1\n",
        {"options": {"na_values": ["n/a"]}},
    ),
    "a key three times, one of them bad": (
        HEAD + rows(3) + "ST1,25741,2026-01-01 01:01:00,-1,1\n" + rows(2, 1) + rows(2, 6),
        {"mode": "upsert", "key": ["station", "ts"]},
    ),
}


@pytest.mark.parametrize("case", list(PROBLEM_ROWS))
def test_rows_with_something_to_report_are_read_again_by_the_general_path(tmp_path, monkeypatch, case):
    """The reader loads the rest; the rows it set aside, or that break a rule, are read and reported by the
    general path and numbered as in the file: the same table, rejects and counts as the general path alone."""
    text, source = PROBLEM_ROWS[case]
    got = same_either_way(tmp_path, monkeypatch, text, source)
    assert all(got["direct"])


WHOLE = {
    "a cell with a line break": (HEAD + rows(3) + 'ST1,"257\n41",2026-01-01 00:00:00,1,1\n', {}),
    # a row read again repeats a key of a row read directly: which came first is the general path's to say
    "a key that repeats once its spaces are trimmed": (
        HEAD + rows(5) + " ST0 ,25740,2026-01-01 00:00:00,1,1\n",
        {"mode": "upsert", "key": ["station", "ts"]},
    ),
    "a tenth of the rows to report": (
        HEAD + "".join(f"ST1,25741,2026-01-01 00:00:00,{-i},1\n" for i in range(1, 1200)) + rows(9000),
        {},
    ),
}


@pytest.mark.parametrize("case", list(WHOLE))
def test_a_file_the_reader_cannot_number_goes_the_general_way(tmp_path, monkeypatch, case):
    """A line break in a cell makes the reader's rows and the file's lines differ; past a tenth of the rows to
    report, reading them all is as quick."""
    text, source = WHOLE[case]
    got = same_either_way(tmp_path, monkeypatch, text, source)
    assert not any(got["direct"])


def test_a_payload_missing_a_required_column_fails_with_the_same_message(tmp_path, monkeypatch):
    got = same_either_way(tmp_path, monkeypatch, "station,pm25\nST1,1\n")
    assert not got["ok"] and "ts" in got["status"][0][4]


def test_appending_and_upserting_directly_add_to_the_table_as_the_general_path_does(tmp_path, monkeypatch):
    got = same_either_way(tmp_path / "append", monkeypatch, [HEAD + rows(10), HEAD + rows(10, 10)], {"mode": "append"})
    assert all(got["direct"]) and len(got["table"]) == 20
    got = same_either_way(
        tmp_path / "upsert",
        monkeypatch,
        [HEAD + rows(10), HEAD + rows(10, 5)],
        {"mode": "upsert", "key": ["station", "ts"]},
    )
    assert all(got["direct"]) and len(got["table"]) == 15


def test_a_second_run_replaces_the_table_and_reports_its_own_rows(tmp_path, monkeypatch):
    """The direct read writes the table in the load's transaction; a second payload replaces it whole, and its
    rejects are numbered in its own file (the header is row 1)."""
    got = same_either_way(
        tmp_path,
        monkeypatch,
        [HEAD + rows(10), HEAD + rows(4) + "ST1,,,1,1\n"],
        {"guard": {"max_row_drop": 1}},  # a sharp drop, allowed: the replacement is what is tested here
    )
    assert got["direct"] == [True, True] and len(got["table"]) == 4
    assert got["rejects"] == [(6, "ts", None, "required: missing")]


def test_a_load_failing_after_the_direct_read_keeps_the_earlier_rows(tmp_path, monkeypatch):
    """A failure after the direct read wrote the table (here: recording the lineage) rolls the whole load back."""
    from ioc.warehouse import Build

    folder = tmp_path / "t"
    folder.mkdir()
    cfg = load_config(
        write_config(
            folder, {"s": {"connector": "csv", "sector": "env", "table": "t", "path": "in.csv", "columns": COLUMNS}}
        )
    )
    (folder / "in.csv").write_text(HEAD + rows(10), encoding="utf-8")
    assert ingest(cfg, ["s"]).results[0].status == "ok"
    (folder / "in.csv").write_text(HEAD + rows(8, 100), encoding="utf-8")

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Build, "record_rejects", broken)
    res = ingest(cfg, ["s"]).results[0]
    assert res.status == "failed" and "disk full" in res.error
    assert len(snapshot_rows(cfg, "SELECT * FROM t")) == 10


def test_every_sample_csv_source_loads_the_same_either_way(tmp_path, monkeypatch):
    """The departments' own files in data/sample/: every CSV source, both ways, table by table."""
    config = Path(__file__).resolve().parents[1] / "config.yaml"
    seen = {}
    for direct in (True, False):
        monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / str(direct)))
        cfg = load_config(config)
        names = [n for n, s in cfg.sources.items() if s.connector == "csv" and s.enabled]
        if not direct:
            monkeypatch.setattr(csv_connector.Csv, "direct", lambda *a: None)
        res = ingest(cfg, names)
        tables = sorted({cfg.sources[n].table for n in names})
        seen[direct] = {
            "runs": [(r.source, r.status, r.rows_loaded, r.rejects, r.dropped) for r in res.results],
            "tables": {t: snapshot_rows(cfg, f"SELECT * FROM {t} ORDER BY ALL") for t in tables},
            "rejects": snapshot_rows(
                cfg, "SELECT source, row_number, column_name, value, reason FROM _rejects ORDER BY ALL"
            ),
            "direct": [r.source for r in res.results if any(DIRECT in n for n in r.notes)],
        }
        # only now: the data dir comes from IOC_DATA_DIR each time it is asked for
        monkeypatch.undo()
    # every UTF-8 sample file without a transform is read directly, its totals, notes and bad rows by the
    # general path, as real files have them
    assert len(seen[True]["direct"]) >= 8, seen[True]["direct"]
    assert not seen[False]["direct"]
    for key in ("runs", "rejects"):
        assert seen[True][key] == seen[False][key]
    for t in seen[False]["tables"]:
        assert seen[True]["tables"][t] == seen[False]["tables"][t], t


def test_a_payload_read_before_its_checksum_is_known_is_still_told_unchanged(tmp_path, monkeypatch):
    """A payload with a length no recent payload has is read at once, its checksum computed beside the read;
    if it proves to be the bytes the snapshot holds (here: the landing that would show it was pruned), the
    load is rolled back and the run recorded as unchanged, as when the checksum is known first."""
    from ioc.landing import Landing

    folder = tmp_path / "t"
    folder.mkdir()
    cfg = load_config(
        write_config(
            folder, {"s": {"connector": "csv", "sector": "env", "table": "t", "path": "in.csv", "columns": COLUMNS}}
        )
    )
    (folder / "in.csv").write_text(HEAD + rows(10), encoding="utf-8")
    first = ingest(cfg, ["s"])
    assert first.results[0].status == "ok"
    import ioc.direct as direct_module
    import ioc.landing as landing_module

    monkeypatch.setattr(Landing, "_recent", lambda self, source: [])  # no earlier payload to compare lengths with

    def late(hash_of):
        def hashing(payload):  # the checksum is still being computed when the fetch asks for it
            time.sleep(0.5)
            return hash_of(payload)

        return hashing

    reads = []
    read = direct_module.load
    for name in ("_sha256", "_sha256_file"):  # bytes fetched, or a local file copied
        monkeypatch.setattr(landing_module, name, late(getattr(landing_module, name)))
    monkeypatch.setattr(direct_module, "load", lambda *a, **k: reads.append(1) or read(*a, **k))
    again = ingest(cfg, ["s"])
    assert reads == [1]  # it was read, then found unchanged
    res = again.results[0]
    assert (res.status, res.rows_loaded, res.rejects) == ("unchanged", 10, 0), res
    assert again.snapshot_id is None  # nothing changed: no new snapshot
    assert snapshot_rows(cfg, "SELECT count(*) FROM t") == [(10,)]
    assert snapshot_rows(cfg, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{STAGE}'") == [(0,)]


def test_plain_times_in_a_column_declared_utc_are_city_time_either_way(tmp_path, monkeypatch):
    got = same_either_way(
        tmp_path,
        monkeypatch,
        "station,ts\nST1,2026-01-01 01:30:00\nST2,2026-01-01 20:00:00\n",
        {"columns": {"station": {}, "ts": {"type": "timestamp", "timezone": "UTC"}}},
    )
    assert got["table"] == [("ST1", dt.datetime(2026, 1, 1, 8, 30)), ("ST2", dt.datetime(2026, 1, 2, 3, 0))]
