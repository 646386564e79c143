"""Snapshots between processes: readers during a publish, ingests killed with SIGKILL, concurrent ingests, rollback."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ioc.config import Config, load_config
from ioc.ingest import ingest
from ioc.ops import OpsStore
from ioc.warehouse import LOCK, Warehouse
from tests.helpers import cli, ioc_env, snapshot_rows, write_config

AIR = {
    "connector": "csv",
    "sector": "env",
    "table": "env_air",
    "path": "air.csv",
    "columns": {
        "id": {"type": "integer", "required": True},
        "ward_code": {"required": True},
        "pm25": {"type": "double", "min": 0},
        "batch": {"type": "integer"},
    },
}
WARDS = ("25741", "25744", "25747")


def write_air(folder: Path, batch: int, rows: int = 3) -> None:
    body = "".join(f"{i},{WARDS[i % 3]},{i % 50}.5,{batch}\n" for i in range(rows))
    (folder / "air.csv").write_text("id,ward_code,pm25,batch\n" + body, encoding="utf-8")


def air_config(folder: Path, **sources) -> Config:
    return load_config(write_config(folder, {"air": AIR, **sources}))


def batches(cfg: Config) -> list[tuple]:
    """(batch, rows) in the current snapshot."""
    return snapshot_rows(cfg, "SELECT batch, count(*) FROM env_air GROUP BY batch")


def leftovers(cfg: Config) -> list[str]:
    return sorted(p.name for p in (cfg.data_path / "warehouse").glob("*.building*"))


READER = r"""
import json, sys, time
from pathlib import Path
from ioc.warehouse import Warehouse

wh, stop = Warehouse(Path(sys.argv[1])), Path(sys.argv[2])
held = wh.connect()
while not stop.exists():
    seen = {}
    try:
        seen["held"] = held.execute("SELECT max(batch) FROM env_air").fetchone()[0]
        with wh.connect() as fresh:
            seen["fresh"] = fresh.execute("SELECT max(batch) FROM env_air").fetchone()[0]
    except Exception as exc:
        seen["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(seen), flush=True)
    time.sleep(0.005)
"""


def test_a_reader_process_never_fails_during_a_publish(tmp_path):
    write_air(tmp_path, batch=1)
    cfg = air_config(tmp_path)
    ingest(cfg)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(cfg.data_path / "warehouse"), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ioc_env(),
    )
    try:
        seen = [json.loads(reader.stdout.readline())]  # the reader is reading before the publish starts
        write_air(tmp_path, batch=2)
        assert ingest(cfg).snapshot_id is not None
        deadline = time.monotonic() + 30
        while seen[-1].get("fresh") != 2 and time.monotonic() < deadline:
            seen.append(json.loads(reader.stdout.readline()))
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=30)
    seen += [json.loads(line) for line in out.splitlines()]
    assert err == ""
    assert [s for s in seen if "error" in s] == []
    assert {s["held"] for s in seen} == {1}  # an open connection keeps its snapshot
    fresh = [s["fresh"] for s in seen]
    assert fresh[0] == 1 and fresh[-1] == 2
    assert fresh == sorted(fresh)  # old, then new: never back
    assert batches(cfg) == [(2, 3)]


@pytest.mark.slow
def test_an_ingest_killed_at_any_moment_leaves_the_last_snapshot(tmp_path):
    rows = 1_000_000
    write_air(tmp_path, batch=0, rows=3)
    cfg = air_config(tmp_path)
    ingest(cfg)
    command = [sys.executable, "-m", "ioc", "ingest", "air", "--config", str(cfg.path)]
    write_air(tmp_path, batch=1, rows=rows)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=ioc_env())
    full = time.monotonic() - started  # how long a whole run of the slow source takes here
    assert done.returncode == 0, done.stderr
    current = (Warehouse(cfg.data_path / "warehouse").current_id(), batches(cfg))
    assert current[1] == [(1, rows)]
    rng = random.Random(20250605)
    kills, batch = 5, 1
    for slot in range(kills):
        while True:  # a run that finished before its kill is tried again with a new payload
            batch += 1
            assert batch < 2 + 2 * kills, "the runs finished before the kills"
            write_air(tmp_path, batch=batch, rows=rows)
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ioc_env())
            # a random moment in each fifth of a run: start-up, landing, parsing, loading, publishing
            time.sleep((slot + rng.random()) * min(2.5, 0.9 * full) / kills)
            alive = proc.poll() is None
            if alive:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            sid = Warehouse(cfg.data_path / "warehouse").current_id()
            now = batches(cfg)  # the current snapshot opens and holds one whole load
            assert now == (current[1] if sid == current[0] else [(batch, rows)])
            current = (sid, now)
            if alive:
                break
    # the same payload again: whatever the kill interrupted is loaded now
    done = subprocess.run(command, capture_output=True, text=True, env=ioc_env())
    assert done.returncode == 0, done.stderr
    assert batches(cfg) == [(batch, rows)]
    write_air(tmp_path, batch=batch + 1, rows=rows)
    done = subprocess.run(command, capture_output=True, text=True, env=ioc_env())
    assert done.returncode == 0, done.stderr
    assert "published" in done.stdout
    assert batches(cfg) == [(batch + 1, rows)]
    assert leftovers(cfg) == []
    statuses = [r["status"] for r in OpsStore(cfg.data_path / "ops.sqlite").runs()]
    assert "running" not in statuses
    assert statuses[0] == "ok"


def waits_for_lock(pid: int, wh: Warehouse) -> bool:
    """The process has the build lock file open (Linux: /proc), i.e. it holds or waits for the lock."""
    lock = str(wh.dir / LOCK)
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == lock for fd in os.listdir(f"/proc/{pid}/fd"))
    except FileNotFoundError:  # an fd closed while we looked
        return False


def test_concurrent_ingests_wait_for_each_other(tmp_path):
    wide = {**AIR, "table": "env_air_copy", "path": "copy.csv"}
    write_air(tmp_path, batch=1)
    (tmp_path / "copy.csv").write_text((tmp_path / "air.csv").read_text(), encoding="utf-8")
    cfg = air_config(tmp_path, copy=wide)
    ingest(cfg)
    write_air(tmp_path, batch=2)
    (tmp_path / "copy.csv").write_text((tmp_path / "air.csv").read_text().replace(",2\n", ",3\n"), encoding="utf-8")
    wh = Warehouse(cfg.data_path / "warehouse")
    with wh.lock():  # both start while a build is running, so both wait and then race for the lock
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "ioc", "ingest", name, "--config", str(cfg.path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=ioc_env(),
            )
            for name in ("air", "copy")
        ]
        deadline = time.monotonic() + 30
        while not all(waits_for_lock(p.pid, wh) for p in procs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [waits_for_lock(p.pid, wh) for p in procs] == [True, True]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert batches(cfg) == [(2, 3)]
    assert snapshot_rows(cfg, "SELECT DISTINCT batch FROM env_air_copy") == [(3,)]
    assert len(wh.snapshots()) == 3


def test_snapshots_list_and_rollback(tmp_path):
    write_air(tmp_path, batch=1)
    cfg = air_config(tmp_path)
    first = ingest(cfg).snapshot_id
    write_air(tmp_path, batch=2)
    second = ingest(cfg).snapshot_id
    listed = cli("snapshots", "--config", str(cfg.path))
    assert listed.returncode == 0
    rows = [line.split() for line in listed.stdout.splitlines()[2:]]
    assert [rows[0][0], rows[1][:2]] == [first, ["*", second]]
    done = cli("snapshots", "--rollback", first, "--config", str(cfg.path))
    assert (done.returncode, done.stdout) == (0, f"current snapshot is now {first}\n")
    assert batches(cfg) == [(1, 3)]
    assert (
        cli("sql", "SELECT max(batch) FROM env_air", "--format", "csv", "--config", str(cfg.path)).stdout
        == "max(batch)\n1\n"
    )
    unknown = cli("snapshots", "--rollback", "20990101T000000000000Z", "--config", str(cfg.path))
    assert unknown.returncode == 1
    assert unknown.stderr == f"error: snapshot 20990101T000000000000Z not found; known: {first}, {second}\n"
    # the next ingest builds on the rolled-back snapshot and publishes after it
    write_air(tmp_path, batch=3)
    third = ingest(cfg).snapshot_id
    assert third > second
    assert batches(cfg) == [(3, 3)]


def test_a_build_that_raises_publishes_nothing(tmp_path):
    write_air(tmp_path, batch=1)
    cfg = air_config(tmp_path)
    sid = ingest(cfg).snapshot_id
    wh = Warehouse(cfg.data_path / "warehouse")
    with pytest.raises(RuntimeError), wh.build() as b:
        b.con.execute("DELETE FROM env_air")
        raise RuntimeError("power cut")
    assert wh.current_id() == sid
    assert [s.id for s in wh.snapshots()] == [sid]
    assert leftovers(cfg) == []
    assert batches(cfg) == [(1, 3)]


def test_retention_keeps_the_newest_snapshots_and_a_failed_build_never_the_current_one(tmp_path):
    """keep: 3. Room for a new snapshot is made before it is built; after each publish exactly three remain,
    and a build that fails leaves the current snapshot (and the ones before it, less that room)."""
    wh = Warehouse(tmp_path / "wh", keep=3)
    published = []
    for i in range(5):
        with wh.build() as b:
            b.con.execute(f"CREATE OR REPLACE TABLE t AS SELECT {i} AS i")
        published.append(b.id)
        assert [s.id for s in wh.snapshots()] == published[-3:]
    with pytest.raises(RuntimeError), wh.build() as b:
        raise RuntimeError("a load failed")
    assert wh.current_id() == published[-1]
    assert [s.id for s in wh.snapshots()] == published[-2:]
    with wh.connect() as con:
        assert con.execute("SELECT i FROM t").fetchone() == (4,)
    wh.rollback(published[-2])
    with wh.build() as b:  # the current one (rolled back to) stays, whatever its age
        b.con.execute("CREATE OR REPLACE TABLE t AS SELECT 9 AS i")
    assert published[-2] in [s.id for s in wh.snapshots()] and len(wh.snapshots()) <= 3
