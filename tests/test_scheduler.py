"""The scheduler's queue and worker, with a fake ingest: batches, repeats, crashes; cron read as standard cron."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ioc.config import parse_config
from ioc.errors import IOCError
from ioc.freshness import cron_trigger
from ioc.scheduler import OUTBOX_JOB, Scheduler
from tests.helpers import config_doc

SOURCE = {"connector": "csv", "sector": "env", "table": "env_air", "path": "air.csv"}
SOURCES = {
    "air": {**SOURCE, "schedule": "0 * * * *"},
    "noise": {**SOURCE, "table": "env_noise", "schedule": "0 6 * * 1-5"},
    "water": {**SOURCE, "table": "env_water"},
    "old": {**SOURCE, "table": "env_old", "schedule": "0 6 * * *", "enabled": False},
}


class FakeIngest:
    """Records each batch; `behave` decides what a call does (raise, wait); wait() waits for calls."""

    def __init__(self, behave: Callable[[int, list[str]], None] = lambda n, names: None):
        self.batches: list[list[str]] = []
        self.behave = behave
        self.called = threading.Semaphore(0)

    def __call__(self, names: list[str]) -> None:
        self.batches.append(list(names))
        try:
            self.behave(len(self.batches), names)
        finally:
            self.called.release()

    def wait(self, n: int = 1) -> None:
        for _ in range(n):
            assert self.called.acquire(timeout=10), f"only {len(self.batches)} ingests ran"


@pytest.fixture
def scheduler(tmp_path, monkeypatch) -> Iterator[Callable[[FakeIngest], Scheduler]]:
    started: list[Scheduler] = []
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))  # its heartbeat goes to this ops store

    def start(fake: FakeIngest) -> Scheduler:
        cfg = parse_config(config_doc(SOURCES, scheduler={"batch_seconds": 0.2}))
        started.append(Scheduler(cfg, fake).start())
        return started[-1]

    yield start
    for s in started:
        s.stop()


def test_only_enabled_scheduled_sources_are_jobs(scheduler):
    assert scheduler(FakeIngest()).jobs() == {"air": "0 * * * *", "noise": "0 6 * * 1-5"}


def test_sources_enqueued_together_share_one_batch(scheduler):
    fake = FakeIngest()
    sch = scheduler(fake)
    sch.enqueue("air")
    sch.enqueue("noise")
    fake.wait()
    assert fake.batches == sch.batches == [["air", "noise"]]


def test_a_source_enqueued_again_while_pending_runs_once(scheduler):
    fake = FakeIngest()
    sch = scheduler(fake)
    for name in ("air", "noise", "air", "air"):
        sch.enqueue(name)
    fake.wait()
    assert fake.batches == [["air", "noise"]]


def test_a_source_enqueued_during_a_run_runs_again_after_it(scheduler):
    release = threading.Event()
    fake = FakeIngest(lambda n, names: release.wait(10) if n == 1 else None)
    sch = scheduler(fake)
    sch.enqueue("air")
    while not fake.batches:  # the first batch is running
        time.sleep(0.01)
    sch.enqueue("air")
    release.set()
    fake.wait(2)
    assert fake.batches == [["air"], ["air"]]


def test_the_worker_survives_a_failing_and_a_crashing_ingest(scheduler, caplog):
    def behave(n: int, names: list[str]) -> None:
        if n == 1:
            raise IOCError("another ingest holds the lock")
        if n == 2:
            raise ZeroDivisionError("a bug")

    fake = FakeIngest(behave)
    sch = scheduler(fake)
    with caplog.at_level(logging.INFO, logger="ioc.scheduler"):
        for name in ("air", "noise", "water"):
            sch.enqueue(name)
            fake.wait()
    assert fake.batches == [["air"], ["noise"], ["water"]]
    errors = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        ("ERROR", "ingest of air failed: another ingest holds the lock"),
        ("ERROR", "ingest of noise crashed"),
    ]


def test_cron_weekdays_are_read_as_cron_numbers_them():
    tz = "Asia/Ho_Chi_Minh"
    saturday = dt.datetime.fromisoformat("2025-06-07T12:00:00+07:00")
    fires = []
    t = cron_trigger("0 6 * * 1-5", tz).get_next_fire_time(None, saturday)
    for _ in range(6):
        fires.append(t.strftime("%a %d %H:%M"))
        t = cron_trigger("0 6 * * 1-5", tz).get_next_fire_time(t, t + dt.timedelta(seconds=1))
    assert fires == ["Mon 09 06:00", "Tue 10 06:00", "Wed 11 06:00", "Thu 12 06:00", "Fri 13 06:00", "Mon 16 06:00"]
    assert cron_trigger("0 6 * * 0", tz).get_next_fire_time(None, saturday).strftime("%a") == "Sun"
    assert cron_trigger("0 6 * * 7", tz).get_next_fire_time(None, saturday).strftime("%a") == "Sun"
    assert cron_trigger("0 6 * * */2", tz).get_next_fire_time(None, saturday).strftime("%a") == "Sun"


@pytest.mark.parametrize("cron", ["0 6 * * 8", "0 6 * * mon-5"])
def test_cron_weekdays_that_mean_nothing(cron):
    with pytest.raises(ValueError, match="day of week"):
        cron_trigger(cron, "UTC")


def test_the_heartbeat_shows_in_status_and_a_changed_config_is_applied_or_refused(tmp_path, monkeypatch, caplog):
    """A running scheduler is seen by status; a valid changed config schedules its new source and moves a
    changed schedule; an invalid one keeps the running config and status says why; stopping is seen too."""
    import json

    from ioc.config import load_config
    from tests.helpers import cli, write_config

    monkeypatch.delenv("IOC_DATA_DIR", raising=False)
    path = write_config(tmp_path, {"air": SOURCES["air"], "noise": SOURCES["noise"]})
    sch = Scheduler(load_config(path), FakeIngest(), heartbeat=0.1).start()
    try:
        st = json.loads(cli("status", "--json", "--config", str(path)).stdout)["scheduler"]
        assert st["running"] is True and st["config_error"] is None and st["pid"]
        jobs = lambda: {j.id for j in sch._aps.get_jobs()} - {OUTBOX_JOB}  # noqa: E731 - the outbox runs always
        assert jobs() == {"air", "noise"}

        def rewrite(sources: dict) -> None:
            old = path.stat().st_mtime
            write_config(tmp_path, sources)
            import os

            os.utime(path, (old + 5, old + 5))  # a change the clock's resolution cannot hide

        rewrite(
            {
                "air": {**SOURCES["air"], "schedule": "30 * * * *"},
                "water": {**SOURCES["water"], "schedule": "0 7 * * *"},
            }
        )
        deadline = time.time() + 10
        while jobs() != {"air", "water"} and time.time() < deadline:
            time.sleep(0.05)
        assert jobs() == {"air", "water"}
        assert str(sch._aps.get_job("air").trigger.fields[6]) == "30"  # minute: moved
        assert sch.cfg.sources["water"].schedule == "0 7 * * *"

        with caplog.at_level(logging.ERROR, logger="ioc.scheduler"):
            rewrite({"air": {**SOURCES["air"], "schedule": "every hour"}})
            deadline = time.time() + 10
            while sch.config_error is None and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # a heartbeat records it
        assert "sources.air.schedule" in (sch.config_error or "")
        assert any("still running the previous one" in r.message for r in caplog.records)
        assert jobs() == {"air", "water"}  # the running config stays
        from ioc.ops import OpsStore
        from ioc.status import scheduler_state

        # status itself refuses the invalid file (exit 2, its problems); what the scheduler runs is recorded
        seen = scheduler_state(OpsStore(sch.cfg.data_path / "ops.sqlite"))
        assert seen["running"] and "sources.air.schedule: not a cron expression" in seen["config_error"]
        assert cli("status", "--config", str(path)).returncode == 2
    finally:
        sch.stop()
    write_config(tmp_path, {"air": SOURCES["air"]})
    st = json.loads(cli("status", "--json", "--config", str(path)).stdout)["scheduler"]
    assert st["running"] is False and st["heartbeat"] is None


def test_the_embedded_scheduler_delivers_the_outbox(tmp_path, monkeypatch, http_server):
    """The outbox's worker runs inside the scheduler: a message waiting is delivered within its interval."""
    import sqlite3

    from ioc import alerts, outbox
    from tests.helpers import Reply

    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    http_server.script("/hook", Reply({"ok": True}))
    cfg = parse_config(
        config_doc(
            SOURCES,
            receivers={"hook": {"kind": "webhook", "url": http_server.url("/hook")}},
            notifications={"every_seconds": 0.2},
        )
    )
    path = alerts.ops_path(cfg)
    alerts.init(path)
    with sqlite3.connect(path) as con:
        outbox.enqueue(con, "hook", "k1", "Thử", {"text": "Xin chào"})
    sch = Scheduler(cfg, FakeIngest()).start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not outbox.messages(path, status="sent"):
            time.sleep(0.1)
    finally:
        sch.stop()
    assert [m["key"] for m in outbox.messages(path, status="sent")] == ["k1"]
    assert [r.path for r in http_server.requests] == ["/hook"]
