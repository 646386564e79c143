"""Data health, one truth for every view of it (status, the freshness table, the badges, the catalog, the kiosk,
the operations page): each source's state, its last good load as the served snapshot holds it, its next run,
and whether the scheduler runs.

A source's `state`, worst first (STATES): its last run failed, was held for an operator or was interrupted; else
its freshness against its schedule (late, never loaded, loaded by hand, fresh), where late is also a load on
time whose data's own latest period (`latest`) is older than the schedule promises; `off` when disabled. The
last good load is when the payload the served snapshot holds was last loaded or found unchanged, so it follows a
rollback."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import duckdb

from ioc import i18n
from ioc.config import Config
from ioc.freshness import cron_trigger, data_behind, freshness
from ioc.ops import OpsStore
from ioc.scheduler import HEARTBEAT
from ioc.warehouse import LockTimeout, Warehouse

STATES = ("failed", "held", "interrupted", "late", "never", "off", "manual", "fresh")  # worst first
RUN_STATES = ("failed", "held", "interrupted")  # a last run in one of these is the source's state
GOOD_STATES = ("fresh", "manual", "off")  # nothing for an operator to act on


def label(state: str, lang: str) -> str:
    """A state as every view writes it: a mark (● good, ⚠ to act on) and its name in lang."""
    mark = "● " if state == "fresh" else "" if state in GOOD_STATES else "⚠ "
    return mark + i18n.t(f"freshness.{state}", lang)


def reason(s: dict, lang: str) -> str:
    """Why a source is in its state, in lang: the reasons this module words itself (off, late) from the locale;
    a run's own error as the ingest wrote it (English, with the file, row or key it names)."""
    why = s.get("why")
    if not why:
        return s.get("reason") or ""
    if why["key"] == "behind":
        at = dt.datetime.fromisoformat(why["latest"])
        latest = i18n.datetime(at) if why["grain"] == "hour" else i18n.period(at, why["grain"], lang)
        grain = i18n.t(f"grain_unit.{why['grain']}{'s' if why['n'] != 1 else ''}", lang)
        return i18n.t("freshness.why.behind", lang, latest=latest, n=why["n"], grain=grain, column=why["column"])
    if why["key"] == "overdue":
        return i18n.t("freshness.why.overdue", lang, due=i18n.datetime(dt.datetime.fromisoformat(why["due"])))
    return i18n.t(f"freshness.why.{why['key']}", lang)


def tone(state: str | None) -> str:
    """good | neutral | bad: the colour a state is shown in."""
    return "good" if state == "fresh" else "neutral" if state in GOOD_STATES or state is None else "bad"


def worst(states) -> str | None:
    """The worst of some states (STATES order), None for none."""
    present = [s for s in states if s]
    return min(present, key=STATES.index) if present else None


def source_status(cfg: Config, now: dt.datetime | None = None) -> dict:
    """{snapshot, scheduler, last_rollback, sources}: per source its state, reason, last run, last good load,
    rows, rejects, schedule, next run and a held run's two counts."""
    now = now or dt.datetime.now(dt.UTC)
    root = cfg.data_path
    ops = OpsStore(root / "ops.sqlite")
    wh = Warehouse(root / "warehouse", cfg.snapshots.keep)
    _settle(wh, ops)
    last = ops.last_runs()
    sid = wh.current_id()
    snap = next((s for s in wh.snapshots() if s.id == sid), None)
    served = _served(wh) if snap else {}
    sources = []
    for name, src in cfg.sources.items():
        run = last.get(name)
        held_in = served.get(name)  # (run_id, checksum, rows) of the load the served snapshot holds
        good_ts = ops.good_since(name, held_in[0], held_in[1]) if held_in else None
        good_run = ops.run(held_in[0]) if held_in else None
        fr = freshness(src.schedule, cfg.city.timezone, good_ts, now)
        latest = held_in[3] if held_in else None
        behind = (
            data_behind(latest, src.latest.grain, src.latest.lag, src.schedule, cfg.city.timezone, now)
            if src.latest
            else None
        )
        status = run["status"] if run else "never"
        if not src.enabled:
            state = "off"
        elif status in RUN_STATES:
            state = status
        elif fr.state in ("fresh", "manual") and behind:
            state = "late"  # loaded on time, but with data older than its schedule promises
        else:
            state = fr.state
        next_run = None
        if src.enabled and src.schedule:
            nxt = cron_trigger(src.schedule, cfg.city.timezone).get_next_fire_time(None, now)
            next_run = nxt.astimezone(dt.UTC).isoformat(timespec="seconds") if nxt else None
        reason = src.off_reason if state == "off" else None
        why: dict | None = {"key": "internet"} if state == "off" and src.off_reason else None
        if state in RUN_STATES and run:
            reason = run["error"]
        elif state == "late" and fr.state != "late" and src.latest and latest is not None:
            reason = (
                f"its latest data is of {latest.isoformat(sep=' ', timespec='minutes')} ({src.latest.column}): "
                f"{behind} {src.latest.grain}(s) behind what its schedule promises"
            )
            why = {"key": "behind", "latest": latest.isoformat(), "grain": src.latest.grain, "n": behind}
            why["column"] = src.latest.column
        elif state == "late" and fr.expected_by:
            reason = f"no good load since the run due at {fr.expected_by.isoformat(timespec='minutes')}"
            why = {"key": "overdue", "due": fr.expected_by.astimezone(ZoneInfo(cfg.city.timezone)).isoformat()}
        sources.append(
            {
                "source": name,
                "sector": src.sector,
                "table": src.table,
                "connector": src.connector,
                "enabled": src.enabled,
                "schedule": src.schedule,
                "state": state,
                "reason": reason,  # in English, for the command line and the API
                "why": why,  # the same, for the pages to word in their language (reason())
                "status": status,
                "last_run": _iso(run["finished_at"] or run["started_at"]) if run else None,
                "last_run_id": run["id"] if run else None,
                "last_good": _iso(good_ts),
                "rows": held_in[2] if held_in else None,
                "rejects": good_run["rejects"] if good_run else None,
                "rows_held": run["rows_held"] if run and status == "held" else None,
                "rows_previous": run["rows_previous"] if run and status == "held" else None,
                "expected_by": fr.expected_by.isoformat() if fr.expected_by else None,
                "latest": latest.isoformat(sep=" ", timespec="minutes") if latest else None,
                "latest_grain": src.latest.grain if src.latest else None,
                "behind": behind,
                "next_run": next_run,
                "error": run["error"] if run and status in RUN_STATES else None,
            }
        )
    return {
        "snapshot": {"id": sid, "created": snap.created.isoformat() if snap else None},
        "scheduler": scheduler_state(ops),
        "last_rollback": _rollback(ops.last_rollback()),
        "sources": sources,
    }


def scheduler_state(ops: OpsStore, clock=time.time) -> dict:
    """Whether a scheduler is running (its heartbeat is recent), since when, and a config it refused."""
    row = ops.scheduler()
    if not row:
        return {"running": False, "since": None, "heartbeat": None, "config_loaded": None, "config_error": None}
    beat = row["heartbeat_at"]
    return {
        "running": bool(beat) and clock() - beat < 3 * HEARTBEAT,
        "pid": row["pid"],
        "host": row["host"],
        "since": _iso(row["started_at"]),
        "heartbeat": _iso(beat),
        "config_loaded": _iso(row["config_loaded_at"]),
        "config_error": row["config_error"],
    }


def _settle(wh: Warehouse, ops: OpsStore) -> None:
    """Runs a killed ingest left 'running' are shown interrupted at once: when nobody holds the build lock,
    no run is live. A lock held elsewhere leaves them as they are (they may be running)."""
    try:
        with wh.lock(timeout=0):
            ops.mark_interrupted()
    except LockTimeout:
        pass


def _served(wh: Warehouse) -> dict[str, tuple[int, str | None, int | None, dt.datetime | None]]:
    """Source → (run_id, checksum, rows, latest period) of its load in the served snapshot (its _lineage)."""
    try:
        with wh.connect() as con:
            cols = {r[0] for r in con.execute("DESCRIBE _lineage").fetchall()}
            latest = "latest" if "latest" in cols else "NULL"  # a snapshot from before the column
            rows = con.execute(f"SELECT source, run_id, checksum, rows, {latest} FROM _lineage").fetchall()
    except (duckdb.Error, FileNotFoundError):  # a snapshot from before _lineage, or pruned under us
        return {}
    return {s: (int(r), c, n, t) for s, r, c, n, t in rows if r is not None}


def _rollback(row: dict | None) -> dict | None:
    if not row:
        return None
    return {"at": _iso(row["at"]), "by": row["by"], "from": row["from_snapshot"], "to": row["to_snapshot"]}


def runs(cfg: Config, limit: int = 100, source: str | None = None, problems: bool = False) -> list[dict]:
    """The run history, newest first: of one source, and only runs that failed, were held or interrupted."""
    return OpsStore(cfg.data_path / "ops.sqlite").runs(limit, source, RUN_STATES if problems else ())


def rollback(cfg: Config, sid: str, by: str) -> None:
    """Serve snapshot `sid` again, and record who did it and when (status shows the last rollback)."""
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    before = wh.current_id()
    wh.rollback(sid)
    OpsStore(cfg.data_path / "ops.sqlite").record_rollback(by, before, sid)
    from ioc import audit

    audit.record(cfg.data_path / "ops.sqlite", by, "rollback", f"{before} → {sid}", "cli")
    from ioc.alerts import after_publish  # the alerts follow the data served, whichever snapshot it is

    after_publish(cfg)


def _iso(ts: float | None) -> str | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds") if ts else None
