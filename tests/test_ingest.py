"""Ingest: load modes, sources failing alone, unchanged payloads, the landing zone, system tables, indicators."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from ioc.config import Config, load_config
from ioc.ingest import ingest
from ioc.ops import OpsStore
from ioc.warehouse import Warehouse
from tests.helpers import snapshot_rows, write_config

AIR = {
    "connector": "csv",
    "sector": "env",
    "table": "env_air",
    "path": "air.csv",
    "rename": {"Mã phường": "ward_code", "Ngày": "day", "PM2.5": "pm25"},
    "columns": {
        "ward_code": {"required": True},
        "day": {"type": "date", "required": True},
        "pm25": {"type": "double", "min": 0},
    },
}
WIDE = {
    "connector": "csv",
    "sector": "admin",
    "table": "admin_dossiers",
    "path": "wide.csv",
    "transform": "SELECT _row, ward_code, CAST(right(year, 4) AS INTEGER) AS year, n "
    "FROM (UNPIVOT raw ON y2022, y2023 INTO NAME year VALUE n)",
    "columns": {"ward_code": {"required": True}, "year": {"type": "integer"}, "n": {"type": "integer"}},
}
PM25 = {
    "code": "ENV_PM25",
    "sector": "env",
    "name": {"vi": "Bụi PM2.5"},
    "sql": "SELECT NULL AS ward_code, day AS period, avg(pm25) AS value FROM env_air GROUP BY day",
}
AIR_V1 = "Mã phường,Ngày,PM2.5\n25741,2025-06-01,20\n25744,2025-06-01,30\n25747,2025-06-01,-1\n"
AIR_V2 = "Mã phường,Ngày,PM2.5\n25741,2025-06-01,22\n25741,2025-06-02,40\n"
WIDE_V1 = "ward_code,y2022,y2023\n25741,10,12\n25744,8,nhiều\n"


def setup(folder: Path, sources: dict, files: dict[str, str], **top) -> Config:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_config(write_config(folder, sources, **top))


def table(cfg: Config, name: str, order: str = "ALL") -> list[tuple]:
    return snapshot_rows(cfg, f"SELECT * FROM {name} ORDER BY {order}")


def snapshot_ids(cfg: Config) -> list[str]:
    return [s.id for s in Warehouse(cfg.data_path / "warehouse").snapshots()]


D1, D2 = "2025-06-01", "2025-06-02"


@pytest.mark.parametrize(
    "mode, key, expected",
    [
        ("replace", [], [("25741", D1, 22.0), ("25741", D2, 40.0)]),
        ("append", [], [("25741", D1, 20.0), ("25741", D1, 22.0), ("25741", D2, 40.0), ("25744", D1, 30.0)]),
        ("upsert", ["ward_code", "day"], [("25741", D1, 22.0), ("25741", D2, 40.0), ("25744", D1, 30.0)]),
    ],
)
def test_load_modes(tmp_path, mode, key, expected):
    cfg = setup(tmp_path, {"air": {**AIR, "mode": mode, "key": key}}, {"air.csv": AIR_V1})
    assert [r.status for r in ingest(cfg).results] == ["ok"]
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")
    assert [r.status for r in ingest(cfg).results] == ["ok"]
    got = snapshot_rows(cfg, "SELECT ward_code, CAST(day AS VARCHAR), pm25 FROM env_air ORDER BY ALL")
    assert got == expected


def test_append_takes_a_new_column(tmp_path):
    cfg = setup(tmp_path, {"air": {**AIR, "mode": "append"}}, {"air.csv": AIR_V1})
    ingest(cfg)
    (tmp_path / "air.csv").write_text("Mã phường,Ngày,PM2.5,Trạm\n25741,2025-06-02,40,S1\n", encoding="utf-8")
    ingest(cfg)
    got = snapshot_rows(cfg, 'SELECT ward_code, pm25, "Trạm" FROM env_air ORDER BY pm25')
    assert got == [("25741", 20.0, None), ("25744", 30.0, None), ("25741", 40.0, "S1")]


FAILURES = [
    ("fetch", lambda d: (d / "air.csv").unlink(), "air.csv: No such file or directory"),
    (
        "required column",
        lambda d: (d / "air.csv").write_text("Mã phường,PM2.5\n25741,3\n"),
        "the payload lacks column(s) day (declare `optional: true` for a column that may be absent); "
        "it has: ward_code, pm25",
    ),
    ("parse", lambda d: (d / "air.csv").write_bytes(b""), "no rows: the payload is empty"),
    (
        "load",
        lambda d: (d / "air.csv").write_text("Mã phường,Ngày,PM2.5,Trạm\n25741,2025-06-02,4,S1\n"),
        "load failed: ",
    ),
]


@pytest.mark.parametrize("break_it, error", [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_a_failing_source_keeps_its_rows_and_the_others_load(tmp_path, break_it, error):
    # "load": the table already has an INTEGER column that the payload fills with text
    cfg = setup(tmp_path, {"air": {**AIR, "mode": "append"}, "wide": WIDE}, {"air.csv": AIR_V1, "wide.csv": WIDE_V1})
    first = ingest(cfg)
    if error == "load failed: ":
        with Warehouse(cfg.data_path / "warehouse").build() as b:
            b.con.execute('ALTER TABLE env_air ADD COLUMN "Trạm" INTEGER')
    before = table(cfg, "env_air")
    break_it(tmp_path)
    (tmp_path / "wide.csv").write_text("ward_code,y2022,y2023\n25747,1,2\n", encoding="utf-8")
    result = ingest(cfg)
    assert [(r.source, r.status) for r in result.results] == [("air", "failed"), ("wide", "ok")]
    assert error in result.failed[0].error
    assert result.snapshot_id is not None and result.snapshot_id != first.snapshot_id
    assert table(cfg, "env_air") == before
    assert table(cfg, "admin_dossiers") == [("25747", 2022, 1), ("25747", 2023, 2)]
    runs = OpsStore(cfg.data_path / "ops.sqlite").last_runs()
    assert runs["air"]["status"] == "failed" and error in runs["air"]["error"]
    # the failed run is in the snapshot's _runs, and its payload left no rejects there
    assert snapshot_rows(cfg, "SELECT status FROM _runs WHERE source = 'air' ORDER BY run_id") == [("ok",), ("failed",)]
    assert snapshot_rows(cfg, "SELECT DISTINCT run_id FROM _rejects WHERE source = 'air'") == [
        (first.results[0].run_id,)
    ]


def test_an_unchanged_payload_makes_no_snapshot_and_a_changed_config_rereads_it(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    first = ingest(cfg)
    again = ingest(cfg)
    assert [(r.status, r.rows_loaded, r.rejects) for r in again.results] == [("unchanged", 2, 1)]
    assert again.snapshot_id is None
    assert snapshot_ids(cfg) == [first.snapshot_id]
    assert OpsStore(cfg.data_path / "ops.sqlite").last_runs()["air"]["status"] == "unchanged"

    stricter = {
        **AIR,
        "columns": {**AIR["columns"], "pm25": {"type": "double", "min": 0, "max": 25}},
        "guard": {"max_reject_share": 0.7},  # two of three rows rejected: allowed here
    }
    cfg = load_config(write_config(tmp_path, {"air": stricter}))
    third = ingest(cfg)
    assert [(r.status, r.rows_loaded, r.rejects) for r in third.results] == [("ok", 1, 2)]
    assert snapshot_ids(cfg) == [first.snapshot_id, third.snapshot_id]
    assert snapshot_rows(cfg, "SELECT ward_code FROM env_air") == [("25741",)]


def test_every_payload_is_landed_with_its_checksum(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    ingest(cfg)
    ingest(cfg)  # the same bytes are not landed twice
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")
    ingest(cfg)
    folder = cfg.data_path / "landing" / "air"
    payloads = sorted(p for p in folder.iterdir() if not p.name.endswith(".sha256"))
    assert [p.read_text(encoding="utf-8") for p in payloads] == [AIR_V1, AIR_V2]
    for p in payloads:
        assert re.fullmatch(r"\d{8}T\d{12}Z\.csv", p.name)
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        assert (folder / f"{p.name}.sha256").read_text() == f"{digest}  {p.name}\n"
    landed = snapshot_rows(cfg, "SELECT landing FROM _lineage WHERE source = 'air'")
    assert landed == [(str(payloads[1]),)]


def test_a_local_file_is_copied_into_landing_and_read_from_the_copy(tmp_path, monkeypatch):
    """The department may rewrite its export while a run reads it: the run reads the copy it keeps, whose
    checksum it records. A file DuckDB reads straight into the warehouse is never read whole into Python."""
    from connectors.base import Payload
    from ioc.landing import Landing

    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V2})
    copy = Landing.save_file

    def rewritten_after_the_copy(self, *a, **k):
        landed = copy(self, *a, **k)
        (tmp_path / "air.csv").write_text(AIR_V1, encoding="utf-8")
        return landed

    whole_reads = []
    data = Payload.data
    monkeypatch.setattr(Landing, "save_file", rewritten_after_the_copy)
    monkeypatch.setattr(Payload, "data", property(lambda self: whole_reads.append(self.file) or data.fget(self)))
    res = ingest(cfg).results[0]
    assert (res.status, res.rows_loaded, res.rejects) == ("ok", 2, 0)
    assert snapshot_rows(cfg, "SELECT ward_code, CAST(day AS VARCHAR), pm25 FROM env_air ORDER BY ALL") == [
        ("25741", D1, 22.0),
        ("25741", D2, 40.0),
    ]
    assert whole_reads == []
    (landed,) = [p for p in (cfg.data_path / "landing" / "air").iterdir() if p.suffix == ".csv"]
    assert landed.read_text(encoding="utf-8") == AIR_V2
    digest = hashlib.sha256(AIR_V2.encode()).hexdigest()
    assert snapshot_rows(cfg, "SELECT landing FROM _lineage") == [(str(landed),)]
    with sqlite3.connect(cfg.data_path / "ops.sqlite") as ops:
        assert ops.execute("SELECT sha256, bytes FROM payloads WHERE run_id = ?", [res.run_id]).fetchall() == [
            (digest, len(AIR_V2.encode()))
        ]


def test_system_and_reference_tables_are_in_every_snapshot(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1}, indicators=[PM25])
    run_id = ingest(cfg).results[0].run_id
    assert snapshot_rows(cfg, "SELECT run_id, source, status, rows_loaded, rejects FROM _runs") == [
        (run_id, "air", "ok", 2, 1)
    ]
    assert snapshot_rows(cfg, "SELECT source, run_id, row_number, column_name, value, reason FROM _rejects") == [
        ("air", run_id, 4, "pm25", "-1", "min: below 0")
    ]
    assert snapshot_rows(cfg, "SELECT table_name, source, connector, sector, mode, run_id, rows FROM _lineage") == [
        ("env_air", "air", "csv", "env", "replace", run_id, 2)
    ]
    assert snapshot_rows(cfg, "SELECT ward_code, name_vi, population FROM dim_ward ORDER BY 1") == [
        ("25741", "Hiệp Thành", 30000),
        ("25744", "Phú Lợi", None),
        ("25747", "Phú Cường", None),
    ]
    assert snapshot_rows(cfg, "SELECT code, sector, name_vi, status FROM indicator") == [
        ("ENV_PM25", "env", "Bụi PM2.5", "ok")
    ]
    assert snapshot_rows(cfg, "SELECT code, ward_code, CAST(period AS VARCHAR), value FROM indicator_value") == [
        ("ENV_PM25", None, D1, 25.0)
    ]


def test_a_transform_unpivots_a_wide_table(tmp_path):
    cfg = setup(tmp_path, {"wide": WIDE}, {"wide.csv": WIDE_V1})
    result = ingest(cfg)
    assert [(r.status, r.rows_loaded, r.rejects) for r in result.results] == [("ok", 3, 1)]
    assert table(cfg, "admin_dossiers") == [("25741", 2022, 10), ("25741", 2023, 12), ("25744", 2022, 8)]
    # the transform kept `_row`, so the reject names the file's row
    assert snapshot_rows(cfg, "SELECT row_number, column_name, value FROM _rejects") == [(3, "n", "nhiều")]


def test_a_failing_transform_fails_its_source(tmp_path):
    broken = {**WIDE, "transform": "SELECT * FROM (UNPIVOT raw ON y2021 INTO NAME year VALUE n)"}
    cfg = setup(tmp_path, {"wide": broken}, {"wide.csv": WIDE_V1})
    result = ingest(cfg)
    assert result.failed[0].error.startswith("transform failed: Binder Error")
    assert "y2021" in result.failed[0].error
    assert result.failed[0].error.endswith("raw has columns: ward_code, y2022, y2023")  # what it could have used


def test_a_failing_indicator_keeps_its_values(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1}, indicators=[PM25])
    ingest(cfg)
    broken = {**PM25, "sql": "SELECT NULL AS ward_code, day AS period, avg(pm10) AS value FROM env_air GROUP BY day"}
    cfg = load_config(write_config(tmp_path, {"air": AIR}, indicators=[broken]))
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")
    assert ingest(cfg).snapshot_id is not None
    status, error = snapshot_rows(cfg, "SELECT status, error FROM indicator")[0]
    assert status == "failed"
    assert "pm10" in error
    assert snapshot_rows(cfg, "SELECT CAST(period AS VARCHAR), value FROM indicator_value") == [(D1, 25.0)]
    assert snapshot_rows(cfg, "SELECT count(*) FROM env_air")[0] == (2,)  # the source itself loaded


def test_an_indicator_failing_in_the_first_snapshot_has_no_values_and_says_why(tmp_path):
    good = {**PM25, "code": "ENV_PM25_OK"}
    broken = {**PM25, "sql": "SELECT NULL AS ward_code, day AS period, avg(pm10) AS value FROM env_air GROUP BY day"}
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1}, indicators=[broken, good])
    assert ingest(cfg).snapshot_id is not None
    assert snapshot_rows(cfg, "SELECT code, status FROM indicator ORDER BY code") == [
        ("ENV_PM25", "failed"),
        ("ENV_PM25_OK", "ok"),
    ]
    assert snapshot_rows(cfg, "SELECT code, CAST(period AS VARCHAR), value FROM indicator_value") == [
        ("ENV_PM25_OK", D1, 25.0)
    ]


def test_snapshots_keep_the_newest_n_and_the_current_one(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1}, snapshots={"keep": 2})
    ids = []
    for i in range(4):
        (tmp_path / "air.csv").write_text(AIR_V1 + f"25741,2025-06-0{i + 2},{i}\n", encoding="utf-8")
        ids.append(ingest(cfg).snapshot_id)
    assert snapshot_ids(cfg) == ids[2:]
    wh = Warehouse(cfg.data_path / "warehouse", keep=1)
    wh.rollback(ids[2])
    assert wh.prune() == []  # the newest and the current one stay
    assert snapshot_ids(cfg) == ids[2:]
    wh.rollback(ids[3])
    assert wh.prune() == [ids[2]]


def test_a_load_that_never_reached_a_snapshot_is_read_again(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    ingest(cfg)
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")

    def power_cut(result, done, total):  # after the source's run is recorded, before the publish
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(cfg, progress=power_cut)
    again = ingest(cfg)
    assert [(r.status, r.rows_loaded) for r in again.results] == [("ok", 2)]
    assert snapshot_rows(cfg, "SELECT max(pm25) FROM env_air") == [(40.0,)]
    runs = OpsStore(cfg.data_path / "ops.sqlite").runs()
    assert [(r["status"], r["snapshot_id"]) for r in runs] == [
        ("ok", again.snapshot_id),
        ("interrupted", None),
        ("ok", snapshot_ids(cfg)[0]),
    ]
    assert runs[1]["error"] == "the ingest stopped before its snapshot was published"


def test_after_a_rollback_a_payload_newer_than_the_snapshot_is_loaded_again(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    first = ingest(cfg)
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")
    ingest(cfg)
    Warehouse(cfg.data_path / "warehouse").rollback(first.snapshot_id)
    assert table(cfg, "env_air", "1, 2") == [("25741", dt_date(D1), 20.0), ("25744", dt_date(D1), 30.0)]
    again = ingest(cfg)  # the bytes are v2's, which the current (rolled back) snapshot does not hold
    assert [r.status for r in again.results] == ["ok"]
    assert table(cfg, "env_air", "1, 2") == [("25741", dt_date(D1), 22.0), ("25741", dt_date(D2), 40.0)]


def dt_date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_reserved_table_names_are_refused(tmp_path):
    from ioc.errors import ConfigError

    with pytest.raises(ConfigError, match=r"sources\.air\.table: .*reserved"):
        setup(tmp_path, {"air": {**AIR, "table": "indicator_value"}}, {"air.csv": AIR_V1})


def test_the_search_index_is_redone_only_for_the_tables_a_run_loaded(tmp_path):
    """A run loading one source recomputes that table's searchable values and keeps the others' as they were;
    the result equals computing the whole index again."""
    from ioc.queries import catalog as qc

    other = AIR | {"table": "env_other", "path": "other.csv"}
    cfg = setup(tmp_path, {"air": AIR, "other": other}, {"air.csv": AIR_V1, "other.csv": AIR_V1})
    ingest(cfg)
    (tmp_path / "air.csv").write_text(AIR_V1.replace("25744", "25750"), encoding="utf-8")
    (tmp_path / "other.csv").write_text(AIR_V1.replace("25744", "25760"), encoding="utf-8")
    ingest(cfg, ["air"])  # other.csv changed too, but is not loaded: its table and values stay
    stored = snapshot_rows(
        cfg,
        f"SELECT table_name, value FROM {qc.SEARCH_INDEX} "
        "WHERE column_name = 'ward_code' AND table_name LIKE 'env_%' ORDER BY ALL",
    )
    assert ("env_air", "25750") in stored and ("env_air", "25744") not in stored
    assert ("env_other", "25744") in stored and ("env_other", "25760") not in stored
    with Warehouse(cfg.data_path / "warehouse").connect() as con:
        whole = {tuple(r) for r in qc._text_values(con)[["table_name", "column_name", "value"]].astype(str).values}
        kept = {tuple(map(str, r)) for r in con.execute(f"SELECT * FROM {qc.SEARCH_INDEX}").fetchall()}
    assert kept == whole


def test_a_build_that_cannot_open_leaves_no_fetch_waiting(tmp_path, monkeypatch):
    """Fetching starts before the build opens and waits for its lineage: a build that fails to open (another
    ingest holding the lock too long) must end the run with its error, not leave it hanging."""
    import threading
    from contextlib import contextmanager

    from ioc.warehouse import LockTimeout

    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})

    @contextmanager
    def locked(self, on_locked=None, on_published=None):
        raise LockTimeout("another ingest holds the lock")
        yield  # pragma: no cover

    monkeypatch.setattr(Warehouse, "build", locked)
    outcome: list = []

    def run() -> None:
        try:
            ingest(cfg)
        except LockTimeout as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the ingest hangs"
    assert outcome and "lock" in str(outcome[0])


def test_rejects_are_kept_for_the_last_runs_that_had_any(tmp_path, monkeypatch):
    """With room for two runs' rejects: the third run with rejects pushes out the first; a clean run after
    them keeps both (the health page still shows what the last bad payloads held)."""
    import ioc.warehouse as warehouse_module

    monkeypatch.setattr(warehouse_module, "REJECTS_KEEP_RUNS", 2)
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    runs = []
    for value in ("-1", "-2", "-3"):
        (tmp_path / "air.csv").write_text(AIR_V1.replace("-1", value), encoding="utf-8")
        runs.append(ingest(cfg).results[0].run_id)
    (tmp_path / "air.csv").write_text(AIR_V2, encoding="utf-8")
    assert ingest(cfg).results[0].rejects == 0
    assert snapshot_rows(cfg, "SELECT run_id, value FROM _rejects ORDER BY run_id") == [
        (runs[1], "-2"),
        (runs[2], "-3"),
    ]


def test_a_snapshot_that_cannot_be_opened_fails_the_runs_it_started(tmp_path, monkeypatch):
    """Runs are started under the build lock while the new snapshot file opens; if it cannot open, the run
    ends with the error and is recorded failed, not left running."""
    import duckdb

    import ioc.warehouse as warehouse_module

    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})

    def refused(path, *a, **k):
        raise duckdb.IOException(f"cannot open {path}: no space left on device")

    monkeypatch.setattr(warehouse_module.duckdb, "connect", refused)
    with pytest.raises(duckdb.IOException):
        ingest(cfg)
    monkeypatch.undo()
    (run,) = OpsStore(cfg.data_path / "ops.sqlite").runs()
    assert run["status"] == "failed" and "could not be built" in run["error"] and "no space" in run["error"]
    assert not list((cfg.data_path / "warehouse").glob("*.duckdb*"))


# ------------------------------------------------------------------------------------ guards: bad runs keep good data
AIR_MANY = "Mã phường,Ngày,PM2.5\n" + "".join(f"2574{i % 10},2025-06-{1 + i % 28:02d},{i}\n" for i in range(40))


def test_a_run_with_no_rows_fails_and_keeps_the_rows(tmp_path):
    """A header and nothing under it is not an empty city: the run fails, the table keeps its rows."""
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    ingest(cfg)
    (tmp_path / "air.csv").write_text("Mã phường,Ngày,PM2.5\n", encoding="utf-8")
    res = ingest(cfg)
    assert [r.status for r in res.results] == ["failed"] and res.failed and res.snapshot_id is None
    assert "nothing to load: the payload has no rows" in res.results[0].error
    assert len(table(cfg, "env_air")) == 2

    cfg = load_config(write_config(tmp_path, {"air": AIR | {"guard": {"allow_empty": True}}}))
    assert [r.status for r in ingest(cfg).results] == ["ok"]
    assert table(cfg, "env_air") == []


def test_a_run_rejecting_most_rows_fails_naming_the_main_reasons(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    ingest(cfg)
    bad = "Mã phường,Ngày,PM2.5\n25741,2025-06-01,1\n" + "25741,hôm qua,2\n" * 3 + "25744,2025-06-02,-5\n" * 2
    (tmp_path / "air.csv").write_text(bad, encoding="utf-8")
    res = ingest(cfg).results[0]
    assert res.status == "failed"
    assert "5 of 6 rows rejected (83 %, over guard.max_reject_share 50 %)" in res.error
    assert res.error.index("(day) ×3") < res.error.index("(pm25) ×2")  # the commonest reason first
    assert len(table(cfg, "env_air")) == 2  # the last good rows
    run = OpsStore(cfg.data_path / "ops.sqlite").last_runs()["air"]
    assert run["status"] == "failed" and run["rows_read"] == 6


def test_a_truncated_replace_is_held_until_an_operator_accepts_it(tmp_path):
    from ioc.errors import IOCError
    from ioc.ingest import accept

    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_MANY})
    ingest(cfg)
    assert len(table(cfg, "env_air")) == 40
    half = "".join(AIR_MANY.splitlines(keepends=True)[:12])  # a half export: 11 rows
    (tmp_path / "air.csv").write_text(half, encoding="utf-8")
    res = ingest(cfg)
    held = res.results[0]
    assert held.status == "held" and res.failed == [held] and res.snapshot_id is None
    assert "held: 11 rows against 40 at the last good load (72 % fewer" in held.error
    assert len(table(cfg, "env_air")) == 40
    ops = OpsStore(cfg.data_path / "ops.sqlite")
    run = ops.last_runs()["air"]
    assert (run["status"], run["rows_held"], run["rows_previous"]) == ("held", 11, 40)

    # the same file again is still held (not 'unchanged'), and a new full file loads without anyone's word
    assert ingest(cfg).results[0].status == "held"
    (tmp_path / "air.csv").write_text(AIR_MANY, encoding="utf-8")
    assert ingest(cfg).results[0].status in ("ok", "unchanged")
    with pytest.raises(IOCError, match="no held run to accept"):
        accept(cfg, "air", "ops1")

    (tmp_path / "air.csv").write_text(half, encoding="utf-8")
    assert ingest(cfg).results[0].status == "held"
    (tmp_path / "air.csv").write_text("changed after the hold\n", encoding="utf-8")  # accept loads what was held
    done = accept(cfg, "air", "ops1")
    assert [r.status for r in done.results] == ["ok"] and done.snapshot_id
    assert len(table(cfg, "env_air")) == 11
    last = ops.last_runs()["air"]
    assert last["accepted_by"] == "ops1" and any("accepted by ops1" in n for n in last["notes"].split("\n"))


COLUMNS_OF_AIR = "SELECT column_name FROM information_schema.columns WHERE table_name = 'env_air'"


def test_a_missing_declared_column_fails_by_name_and_an_undeclared_one_is_noted(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": AIR_V1})
    ingest(cfg)
    (tmp_path / "air.csv").write_text(AIR_V1.replace("PM2.5", "PM25"), encoding="utf-8")
    res = ingest(cfg).results[0]
    assert res.status == "failed" and "the payload lacks column(s) pm25" in res.error
    assert len(table(cfg, "env_air")) == 2

    (tmp_path / "air.csv").write_text(AIR_V1.replace("PM2.5", "PM2.5,Ghi chú").replace("\n2", ",x\n2"), "utf-8")
    res = ingest(cfg).results[0]
    assert res.status == "ok" and any("not in the contract, kept as read: Ghi chú" in n for n in res.notes)
    cols = [r[0] for r in snapshot_rows(cfg, COLUMNS_OF_AIR)]
    assert "Ghi chú" in cols
    (tmp_path / "air.csv").write_text(AIR_V1, encoding="utf-8")  # replace: the stray column leaves with its file
    assert ingest(cfg).results[0].status == "ok"
    cols = [r[0] for r in snapshot_rows(cfg, COLUMNS_OF_AIR)]
    assert "Ghi chú" not in cols


def test_instants_are_stored_in_city_time_whichever_way_they_come(tmp_path):
    """An offset in the text, a transform's TIMESTAMPTZ, a plain time in a column declared UTC: all city time."""
    text = "station,ts,seen_utc\nA,2026-01-01T01:30:00Z,2026-01-01 01:30:00\nB,2026-01-01 08:30:00,2026-01-01 02:00\n"
    src = {
        "connector": "csv",
        "sector": "env",
        "table": "env_times",
        "path": "t.csv",
        "transform": "SELECT station, ts, seen_utc, CAST(ts AS TIMESTAMPTZ) AS as_instant FROM raw",
        "columns": {
            "station": {},
            "ts": {"type": "timestamp"},
            "seen_utc": {"type": "timestamp", "timezone": "UTC"},
            "as_instant": {"type": "timestamp"},
        },
    }
    cfg = setup(tmp_path, {"t": src}, {"t.csv": text})
    assert ingest(cfg).results[0].status == "ok"
    import datetime as dt

    rows = table(cfg, "env_times", "station")
    h = lambda hh, mm: dt.datetime(2026, 1, 1, hh, mm)  # noqa: E731
    assert rows[0][:3] == ("A", h(8, 30), h(8, 30)) and rows[1][:3] == ("B", h(8, 30), h(9, 0))


def test_a_timestamp_column_named_for_utc_must_say_its_zone(tmp_path):
    from ioc.errors import ConfigError

    src = {
        "connector": "csv",
        "sector": "env",
        "table": "t",
        "path": "t.csv",
        "columns": {"read_utc": {"type": "timestamp"}},
    }
    with pytest.raises(ConfigError, match=r"read_utc: named for UTC.*declare `timezone: UTC`"):
        load_config(write_config(tmp_path, {"t": src}))


# A PX-Web table as the statistics office exports it: a title, the header, each region's name on a row of its own
PXWEB = (
    '"Dân số trung bình phân theo địa phương (Nghìn người)"\n'
    "\n"
    "Địa phương,2023,2024\n"
    "Cả nước,100309.2,101112.0\n"
    "Đông Nam Bộ,,\n"
    "Bình Dương,2763.1,2823.0\n"
    "Đồng Nai,3310.9,3340.6\n"
    "Đồng bằng sông Cửu Long,,\n"
    "Cần Thơ,1258.9,1268.1\n"
    "\n"
    "Nguồn: Tổng cục Thống kê\n"
)
PX_SOURCE = {
    "connector": "csv",
    "sector": "env",
    "table": "stat_population",
    "path": "px.csv",
    "rename": {"Địa phương": "area", "2023": "y2023", "2024": "y2024"},
    "columns": {"area": {"required": True}, "y2023": {"type": "double"}, "y2024": {"type": "double"}},
}


def test_section_rows_are_kept_as_a_column_and_every_row_set_aside_is_listed(tmp_path):
    src = PX_SOURCE | {"options": {"section_column": "region", "drop_rows_matching": "^Nguồn:"}}
    cfg = setup(tmp_path, {"px": src}, {"px.csv": PXWEB})
    res = ingest(cfg).results[0]
    assert res.status == "ok", res.error
    got = snapshot_rows(cfg, "SELECT area, region, y2024 FROM stat_population ORDER BY y2024")
    assert got == [
        ("Cần Thơ", "Đồng bằng sông Cửu Long", 1268.1),
        ("Bình Dương", "Đông Nam Bộ", 2823.0),
        ("Đồng Nai", "Đông Nam Bộ", 3340.6),
        ("Cả nước", None, 101112.0),  # above the first section: none
    ]
    assert res.dropped == 4
    assert snapshot_rows(cfg, "SELECT row_number, reason, text FROM _dropped ORDER BY row_number") == [
        (5, "title row, kept as region on the rows under it", "Đông Nam Bộ"),
        (8, "title row, kept as region on the rows under it", "Đồng bằng sông Cửu Long"),
        (10, "blank row", None),
        (11, "matches drop_rows_matching", "Nguồn: Tổng cục Thống kê"),
    ]


def test_without_a_section_column_title_rows_are_set_aside_by_name(tmp_path):
    cfg = setup(tmp_path, {"px": PX_SOURCE}, {"px.csv": PXWEB})
    res = ingest(cfg).results[0]
    assert res.status == "ok" and res.rejects == 0
    rows = snapshot_rows(cfg, "SELECT row_number, reason, text FROM _dropped ORDER BY row_number")
    assert [r[0] for r in rows] == [5, 8, 10, 11]
    assert rows[0] == (5, "title row (its first cell alone)", "Đông Nam Bộ")
    (tmp_path / "px.csv").write_text(PXWEB.replace("Đông Nam Bộ,,\n", ""), encoding="utf-8")  # the next load's own
    ingest(cfg)
    assert [r[0] for r in snapshot_rows(cfg, "SELECT row_number FROM _dropped ORDER BY 1")] == [7, 9, 10]


def test_options_unpivot_turns_year_columns_into_rows(tmp_path):
    """The PX-Web table, long: a row per area and year, the region kept, a missing value a reject (required)."""
    src = PX_SOURCE | {
        "options": {
            "section_column": "region",
            "drop_rows_matching": "^Nguồn:",
            "unpivot": {"columns": "^y\\d{4}$", "name": "year", "value": "population"},
        },
        "columns": {
            "area": {"required": True},
            "year": {"required": True},
            "population": {"type": "double", "required": True},
        },
    }
    text = PXWEB.replace("Cần Thơ,1258.9,1268.1", "Cần Thơ,,1268.1")
    cfg = setup(tmp_path, {"px": src}, {"px.csv": text})
    res = ingest(cfg).results[0]
    assert res.status == "ok", res.error
    rows = snapshot_rows(cfg, "SELECT area, region, year, population FROM stat_population ORDER BY area, year")
    assert ("Bình Dương", "Đông Nam Bộ", "y2023", 2763.1) in rows and (
        "Bình Dương",
        "Đông Nam Bộ",
        "y2024",
        2823.0,
    ) in rows
    assert len(rows) == 7 and res.rejects == 1
    assert snapshot_rows(cfg, "SELECT row_number, column_name, reason FROM _rejects") == [
        (9, "population", "required: missing")
    ]

    bad = src | {"options": src["options"] | {"unpivot": {"columns": "^nam", "name": "year", "value": "n"}}}
    cfg = load_config(write_config(tmp_path, {"px": bad}))
    err = ingest(cfg).results[0].error
    assert "options.unpivot.columns '^nam' matches no column; raw has: area, y2023, y2024, region" in err


@pytest.mark.parametrize(
    "transform, refused",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "table function read_csv()"),
        ("SELECT * FROM '/etc/hosts'", "/etc/hosts"),
        ("SELECT r.*, f.file FROM raw r, glob('/home/*') f", "table function glob()"),
        ("SELECT *, getenv('IOC_SECRET') AS s FROM raw", "function getenv()"),
        ("SELECT * FROM other_db.main.t", "other_db.main.t"),
        ("COPY raw TO '/tmp/out.csv'", "not one SELECT"),
    ],
)
def test_a_transform_reads_only_raw_and_the_snapshot(tmp_path, transform, refused):
    from ioc.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        setup(tmp_path, {"wide": {**WIDE, "transform": transform}}, {"wide.csv": WIDE_V1})
    assert any(p.startswith("sources.wide.transform: reads only `raw`") and refused in p for p in exc.value.problems)
    ok = "SELECT w.*, d.code AS known FROM raw w LEFT JOIN main.dim_ward d ON d.code = w.ward_code"
    assert setup(tmp_path, {"wide": {**WIDE, "transform": ok}}, {"wide.csv": WIDE_V1})


def test_ward_names_written_every_way_fill_ward_code_and_text_is_one_form(tmp_path):
    """A department's report naming wards as people type them; look-alike Ð, decomposed tones (a macOS or
    cp1258 export), the old tone placement; an unknown ward is a reject naming the value."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Hiệp Thành")
    text = (
        "Phường,Loại,Số vụ\n"
        "P. Phú Cường,Ðiện,3\n"  # Ð is U+00D0, not Đ
        "Phường Phú Lợi,Nước,2\n"
        "PHÚ CƯỜNG,Điện,1\n"
        "Phu Loi,Nước,4\n"
        f"{decomposed},{unicodedata.normalize('NFD', 'Điện')},5\n"
        "P.Hiệp Thành,Nước,6\n"
        "Phường Tân An,Điện,7\n"  # merged into another unit in 2025: not a ward of this config
        "25747,Nước,8\n"
    )
    src = {
        "connector": "csv",
        "sector": "env",
        "table": "env_incidents",
        "path": "r.csv",
        "rename": {"Phường": "ward_name", "Loại": "kind", "Số vụ": "n"},
        "options": {"ward_from": "ward_name"},
        "columns": {
            "ward_code": {"required": True, "values_from": "wards"},
            "ward_name": {},
            "kind": {"values": ["Điện", "Nước"]},
            "n": {"type": "integer"},
        },
    }
    cfg = setup(tmp_path, {"r": src}, {"r.csv": text})
    res = ingest(cfg).results[0]
    assert res.status == "ok", res.error
    assert (res.rows_loaded, res.rejects) == (7, 1)
    assert snapshot_rows(cfg, "SELECT n, ward_code, kind FROM env_incidents ORDER BY n") == [
        (1, "25747", "Điện"),
        (2, "25744", "Nước"),
        (3, "25747", "Điện"),  # Ð read as Đ: the value passes `values`
        (4, "25744", "Nước"),
        (5, "25741", "Điện"),  # composed: equal to the same words typed in NFC
        (6, "25741", "Nước"),
        (8, "25747", "Nước"),
    ]
    assert snapshot_rows(cfg, "SELECT row_number, column_name, value, reason FROM _rejects") == [
        (8, "ward_name", "Phường Tân An", "ward_from: no ward named 'Phường Tân An'")
    ]


@pytest.mark.parametrize(
    "a, b, equal",
    [("Hoà", "Hòa", True), ("Thuỷ", "Thủy", True), ("ĐỊNH HOÀ", "Ðịnh Hòa", True), ("Hóa", "Hòa", False)],
)
def test_tone_placement_and_look_alikes_compare_equal(a, b, equal):
    from ioc.text import tone_key

    assert (tone_key(a) == tone_key(b)) is equal


def test_the_ward_map_takes_its_polygons_from_a_table(tmp_path):
    """maps.wards_table: a geojson source's polygons are the wards' at the next snapshot; a ward the table lacks
    keeps none here (no wards_geojson), and a row whose geometry is no GeoJSON is skipped."""
    import json

    square = {"type": "Polygon", "coordinates": [[[106.6, 11.0], [106.7, 11.0], [106.7, 11.1], [106.6, 11.0]]]}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma": "25741"}, "geometry": square},
            {"type": "Feature", "properties": {"ma": "25744"}, "geometry": None},
        ],
    }
    src = {"connector": "geojson", "sector": "env", "table": "ref_wards", "path": "w.geojson"}
    src["rename"] = {"ma": "ward_code"}
    cfg = setup(
        tmp_path, {"w": src}, {"w.geojson": json.dumps(doc)}, maps={"wards_geojson": None, "wards_table": "ref_wards"}
    )
    assert ingest(cfg).results[0].status == "ok"
    rows = dict(snapshot_rows(cfg, "SELECT ward_code, geometry FROM dim_ward"))
    assert json.loads(rows["25741"]) == square
    assert rows["25744"] is None and rows["25747"] is None


def test_wards_table_must_be_a_sources_table(tmp_path):
    from ioc.config import ConfigError

    with pytest.raises(ConfigError, match=r"maps\.wards_table: no source writes table 'nowhere'"):
        setup(tmp_path, {}, {}, maps={"wards_table": "nowhere"})


def test_two_sources_reading_one_file_keep_one_copy_each_with_its_record(tmp_path):
    """Content addressed: the second source's payload is a hard link to the first's (one copy of the bytes),
    under its own name, with its own payload record and lineage; pruning one leaves the other whole."""
    from ioc.landing import Landing

    other = {**AIR, "table": "env_air_copy"}
    cfg = setup(tmp_path, {"air": AIR, "air_copy": other}, {"air.csv": AIR_V2})
    results = ingest(cfg).results
    assert [r.status for r in results] == ["ok", "ok"]
    root = cfg.data_path / "landing"
    (a,) = [p for p in (root / "air").iterdir() if p.suffix == ".csv"]
    (b,) = [p for p in (root / "air_copy").iterdir() if p.suffix == ".csv"]
    assert a.stat().st_ino == b.stat().st_ino and a.stat().st_nlink == 2
    assert b.read_text(encoding="utf-8") == AIR_V2 and (b.parent / (b.name + ".sha256")).exists()
    with sqlite3.connect(cfg.data_path / "ops.sqlite") as ops:
        paths = ops.execute("SELECT source, path FROM payloads ORDER BY source").fetchall()
    assert paths == [("air", str(a)), ("air_copy", str(b))]
    assert sorted(snapshot_rows(cfg, "SELECT landing FROM _lineage")) == [(str(a),), (str(b),)]
    a.unlink()  # as prune would: the other source's copy stays
    assert b.read_text(encoding="utf-8") == AIR_V2
    assert Landing(root).find("air_copy", hashlib.sha256(AIR_V2.encode()).hexdigest()) == b


def test_a_count_is_zero_in_a_ward_without_a_row_and_missing_in_a_period_without_any(tmp_path):
    """counts: a ward with no accident in a month that has accidents elsewhere is 0 (ranked, coloured); a
    month with no row at all stays a gap, not zeros."""
    src = {
        "connector": "csv",
        "sector": "env",
        "table": "env_events",
        "path": "e.csv",
        "columns": {"ward_code": {"required": True}, "month": {"type": "date"}, "n": {"type": "integer"}},
    }
    ind = {
        "code": "EVENTS",
        "sector": "env",
        "name": {"vi": "Sự cố"},
        "counts": True,
        "sql": "SELECT ward_code, month AS period, sum(n) AS value FROM env_events "
        "GROUP BY GROUPING SETS ((ward_code, month), (month))",
    }
    text = "ward_code,month,n\n25741,2026-08-01,2\n25744,2026-08-01,1\n25741,2026-10-01,3\n"
    cfg = setup(tmp_path, {"e": src}, {"e.csv": text}, indicators=[ind])
    assert ingest(cfg).results[0].status == "ok"
    rows = snapshot_rows(
        cfg, "SELECT CAST(period AS VARCHAR), ward_code, value FROM indicator_value ORDER BY 1, 2 NULLS FIRST"
    )
    assert rows == [
        ("2026-08-01", None, 3.0),
        ("2026-08-01", "25741", 2.0),
        ("2026-08-01", "25744", 1.0),
        ("2026-08-01", "25747", 0.0),
        ("2026-10-01", None, 3.0),
        ("2026-10-01", "25741", 3.0),
        ("2026-10-01", "25744", 0.0),
        ("2026-10-01", "25747", 0.0),
    ]  # September: no row anywhere, so no value at all
