"""The audit log in the ops store: who did what, when and from where. Append-only from the app: it has
functions to add and read entries, none to change or remove one."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,        -- sign_in, sign_in_failed, sign_out, page, export, sql, sql_refused, alert_*, user_*
    detail TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT ''   -- where from: an address, a wall, the command line
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.row_factory = sqlite3.Row
    con.executescript(SCHEMA)
    return con


def record(path: Path, who: str, action: str, detail: str = "", origin: str = "", at: float | None = None) -> None:
    con = _connect(path)
    try:
        con.execute(
            "INSERT INTO audit(at, who, action, detail, origin) VALUES (?, ?, ?, ?, ?)",
            (time.time() if at is None else at, who, action, detail, origin),
        )
    finally:
        con.close()


THROTTLED = "too many failures from this address"  # the detail of a refusal by address, not itself counted


def failures_from(path: Path, origin: str, since: float) -> list[float]:
    """When the failed sign-ins from one address since `since` were, oldest first (the refusals of an address
    already throttled are not among them: waiting out the time is enough)."""
    con = _connect(path)
    try:
        rows = con.execute(
            "SELECT at FROM audit WHERE action = 'sign_in_failed' AND origin = ? AND at >= ? "
            "AND detail <> ? ORDER BY at",
            (origin, since, THROTTLED),
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def entries(
    path: Path, since: float | None = None, who: str | None = None, action: str | None = None, limit: int = 1000
) -> list[dict]:
    """Entries newest first, filtered by time, person and action."""
    con = _connect(path)
    try:
        rows = con.execute(
            "SELECT * FROM audit WHERE (? IS NULL OR at >= ?) AND (? IS NULL OR who = ?) "
            "AND (? IS NULL OR action = ?) ORDER BY id DESC LIMIT ?",
            (since, since, who, who, action, action, limit),
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()
