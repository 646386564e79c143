"""Runs each enabled source on its cron (city time). Sources falling due together share one snapshot.

Cron jobs only queue their source; one worker thread drains the queue after a short batch window
and ingests what it collected. One worker means one run of a source at a time; a source queued again
while waiting is queued once; missed runs coalesce into one.

A heartbeat thread tells the operational store the scheduler is alive (status shows it) and picks up a
changed config file without a restart: the new config is validated first; a valid one is applied (new
sources scheduled, changed schedules moved, removed or disabled ones unscheduled), an invalid one keeps
the running config and its problems are logged and shown by status.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from ioc.config import Config, load_config
from ioc.errors import ConfigError, IOCError
from ioc.freshness import cron_trigger
from ioc.ops import OpsStore

log = logging.getLogger("ioc.scheduler")
HEARTBEAT = 30.0  # seconds between heartbeats (and config checks); status counts three missed as stopped


OUTBOX_JOB = "_outbox"  # the outbox worker's job (sources' jobs are named by source)


class Scheduler:
    def __init__(
        self, cfg: Config, ingest_fn: Callable[[list[str]], object] | None = None, heartbeat: float = HEARTBEAT
    ):
        self.cfg = cfg
        self.heartbeat = heartbeat
        self.config_error: str | None = None  # the problems of a changed config it refused
        self._started = time.time()
        self._loaded = time.time()
        self._mtime = self._config_mtime()
        self._ops = OpsStore(cfg.data_path / "ops.sqlite")
        self._beats = threading.Thread(target=self._beat_loop, name="ioc-scheduler-heartbeat", daemon=True)
        self._ingest = ingest_fn or self._default_ingest
        self._pending: list[str] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._aps = BackgroundScheduler(timezone=cfg.city.timezone)
        self._worker = threading.Thread(target=self._drain, name="ioc-ingest-worker", daemon=True)
        self.batches: list[list[str]] = []  # what each ingest ran, for status and tests

    def _default_ingest(self, names: list[str]) -> object:
        from ioc import sample
        from ioc.ingest import ingest

        try:  # the first batch of a day makes the sample current, and reads all of it again
            if sample.refresh_if_stale(self.cfg, self.cfg.city.today()):
                names = [*names, *(n for n, s in self.cfg.sources.items() if s.sample and s.enabled and n not in names)]
        except IOCError as exc:  # the previous sample stays, and is read as it is
            log.error("sample data not made current: %s", exc)
        from ioc.alerts import follow  # what follows a published snapshot: its alerts, the province's push

        return follow(self.cfg, ingest(self.cfg, names))

    def jobs(self) -> dict[str, str]:
        return {n: s.schedule for n, s in self.cfg.sources.items() if s.enabled and s.schedule}

    def start(self) -> Scheduler:
        for name, cron in self.jobs().items():
            self._add_job(name, cron)
        self._aps.add_job(
            self._outbox,
            "interval",
            seconds=self.cfg.notifications.every_seconds,
            id=OUTBOX_JOB,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        self._aps.start()
        self._worker.start()
        self._beat()
        self._beats.start()
        log.info("scheduler started with %d sources", len(self.jobs()))
        return self

    def _add_job(self, name: str, cron: str) -> None:
        self._aps.add_job(
            self.enqueue,
            cron_trigger(cron, self.cfg.city.timezone),
            args=[name],
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )

    def _outbox(self) -> None:
        """The outbox worker's round: notifications and the province's push delivered, in order."""
        from ioc.alerts import run_outbox

        try:
            run_outbox(self.cfg)
        except Exception:  # the next round tries again; nothing is lost (the outbox keeps every message)
            log.exception("outbox round failed")

    # ------------------------------------------------------------------ heartbeat and config reload
    def _config_mtime(self) -> float | None:
        try:
            return self.cfg.path.stat().st_mtime if self.cfg.path else None
        except OSError:
            return None

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                self.reload_if_changed()
                self._beat()
            except Exception:  # the heartbeat must outlive a bad moment (a locked store, a vanished file)
                log.exception("scheduler heartbeat failed")

    def _beat(self) -> None:
        self._ops.scheduler_beat(os.getpid(), socket.gethostname(), self._started, self._loaded, self.config_error)

    def reload_if_changed(self) -> bool:
        """Apply the config file if it changed since it was read and is valid; True when applied."""
        mtime = self._config_mtime()
        if mtime is None or mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            new = load_config(self.cfg.path)
        except ConfigError as exc:
            self.config_error = "; ".join(exc.problems)
            log.error("config %s changed but is invalid; still running the previous one: %s", exc.where, exc)
            return False
        self.apply(new)
        return True

    def apply(self, new: Config) -> None:
        """Run `new` from now on: its jobs added, moved or removed against the running ones."""
        old = self.jobs()
        self.cfg, self.config_error, self._loaded = new, None, time.time()
        jobs = self.jobs()
        for name in old.keys() - jobs.keys():
            self._aps.remove_job(name)
        for name, cron in jobs.items():
            if old.get(name) != cron:
                self._add_job(name, cron)
        moved = sorted(n for n in jobs if n in old and old[n] != jobs[n])
        log.info(
            "config reloaded: %d sources scheduled (added %s; moved %s; removed %s)",
            len(jobs),
            ", ".join(sorted(jobs.keys() - old.keys())) or "none",
            ", ".join(moved) or "none",
            ", ".join(sorted(old.keys() - jobs.keys())) or "none",
        )

    def enqueue(self, name: str) -> None:
        with self._cond:
            if name not in self._pending:
                self._pending.append(name)
            self._cond.notify()

    def _drain(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._pending and not self._stop.is_set():
                    self._cond.wait(timeout=1.0)
                if self._stop.is_set():
                    return
            time.sleep(self.cfg.scheduler.batch_seconds)  # let sources due together join the batch
            with self._cond:
                batch, self._pending = self._pending, []
            self.batches.append(batch)
            try:
                self._ingest(batch)
            except IOCError as exc:
                log.error("ingest of %s failed: %s", ", ".join(batch), exc)
            except Exception:  # the scheduler must outlive any one bad run
                log.exception("ingest of %s crashed", ", ".join(batch))

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._aps.shutdown(wait=False)
        self._worker.join(timeout=60)
        self._ops.scheduler_stopped(os.getpid())


def run_forever(cfg: Config) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sch = Scheduler(cfg).start()
    for name, cron in sch.jobs().items():
        print(f"{name:<24} {cron}")
    print(f"scheduler running ({len(sch.jobs())} sources, city time {cfg.city.timezone}); Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        sch.stop()
