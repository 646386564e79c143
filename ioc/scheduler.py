"""Runs each enabled source on its cron (city time). Sources falling due together share one snapshot.

Cron jobs only queue their source; one worker thread drains the queue after a short batch window
and ingests what it collected. One worker means one run of a source at a time; a source queued again
while waiting is queued once; missed runs coalesce into one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from ioc.config import Config
from ioc.errors import IOCError
from ioc.freshness import cron_trigger

log = logging.getLogger("ioc.scheduler")


class Scheduler:
    def __init__(self, cfg: Config, ingest_fn: Callable[[list[str]], object] | None = None):
        self.cfg = cfg
        self._ingest = ingest_fn or self._default_ingest
        self._pending: list[str] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._aps = BackgroundScheduler(timezone=cfg.city.timezone)
        self._worker = threading.Thread(target=self._drain, name="ioc-ingest-worker", daemon=True)
        self.batches: list[list[str]] = []  # what each ingest ran, for status and tests

    def _default_ingest(self, names: list[str]) -> object:
        from ioc.ingest import ingest

        return ingest(self.cfg, names)

    def jobs(self) -> dict[str, str]:
        return {n: s.schedule for n, s in self.cfg.sources.items() if s.enabled and s.schedule}

    def start(self) -> Scheduler:
        for name, cron in self.jobs().items():
            self._aps.add_job(
                self.enqueue,
                cron_trigger(cron, self.cfg.city.timezone),
                args=[name],
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        self._aps.start()
        self._worker.start()
        log.info("scheduler started with %d sources", len(self.jobs()))
        return self

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
