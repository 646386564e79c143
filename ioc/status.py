"""Data health: each source's last run and freshness against its schedule, and the current snapshot."""

from __future__ import annotations

import datetime as dt

from ioc.config import Config
from ioc.freshness import freshness
from ioc.ops import OpsStore
from ioc.warehouse import Warehouse


def source_status(cfg: Config) -> dict:
    """Per source: last run, status, rows, rejects, freshness, last error; and the current snapshot."""
    root = cfg.data_path
    ops = OpsStore(root / "ops.sqlite")
    last, good = ops.last_runs(), ops.last_good_all()
    wh = Warehouse(root / "warehouse", cfg.snapshots.keep)
    sid = wh.current_id()
    snap = next((s for s in wh.snapshots() if s.id == sid), None)
    sources = []
    for name, src in cfg.sources.items():
        run, ok = last.get(name), good.get(name)
        fr = freshness(src.schedule, cfg.city.timezone, ok["finished_at"] if ok else None)
        sources.append(
            {
                "source": name,
                "sector": src.sector,
                "table": src.table,
                "connector": src.connector,
                "enabled": src.enabled,
                "schedule": src.schedule,
                "last_run": _iso(run["finished_at"] or run["started_at"]) if run else None,
                "status": run["status"] if run else "never",
                "rows": ok["rows_loaded"] if ok and ok["rows_loaded"] is not None else None,
                "rejects": ok["rejects"] if ok else None,
                "last_good": _iso(ok["finished_at"]) if ok else None,
                "freshness": fr.state,
                "expected_by": fr.expected_by.isoformat() if fr.expected_by else None,
                "error": run["error"] if run and run["status"] in ("failed", "interrupted") else None,
            }
        )
    return {
        "snapshot": {"id": sid, "created": snap.created.isoformat() if snap else None},
        "sources": sources,
    }


def _iso(ts: float | None) -> str | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds") if ts else None
