"""The operational store in SQLite (WAL): ingest runs, landed payloads, rollbacks, the scheduler's heartbeat,
saved explorer views."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ioc.errors import IOCError, NameTaken

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running',   -- running | ok | unchanged | failed | held | interrupted
    rows_read INTEGER,
    rows_loaded INTEGER,
    rejects INTEGER,
    dropped INTEGER,
    seconds REAL,
    checksum TEXT,
    fingerprint TEXT,
    landing TEXT,
    snapshot_id TEXT,
    error TEXT,
    notes TEXT,
    rows_held INTEGER,                        -- held: the rows the payload would have loaded
    rows_previous INTEGER,                    -- held: the rows of the last good load
    accepted_by TEXT                          -- a held payload loaded on an operator's word: who
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, id);
CREATE TABLE IF NOT EXISTS payloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payloads_source ON payloads(source, id);
CREATE TABLE IF NOT EXISTS rollbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    by TEXT NOT NULL,
    from_snapshot TEXT,
    to_snapshot TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduler (
    id INTEGER PRIMARY KEY CHECK (id = 1),   -- one scheduler per data folder
    pid INTEGER,
    host TEXT,
    started_at REAL,
    heartbeat_at REAL,
    config_loaded_at REAL,                   -- when the config it runs was read
    config_error TEXT                        -- a changed config it refused, and why (the old one runs on)
);
CREATE TABLE IF NOT EXISTS saved_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL,                      -- the explorer's URL query string (t=...&g=...)
    created_at REAL NOT NULL
);
"""

RUN_COLUMNS = (
    "id",
    "source",
    "started_at",
    "finished_at",
    "status",
    "rows_read",
    "rows_loaded",
    "rejects",
    "dropped",
    "seconds",
    "checksum",
    "fingerprint",
    "landing",
    "snapshot_id",
    "error",
    "notes",
    "rows_held",
    "rows_previous",
    "accepted_by",
)
ADDED_COLUMNS = {"rows_held": "INTEGER", "rows_previous": "INTEGER", "accepted_by": "TEXT"}  # since the first schema


class OpsStore:
    """A thin wrapper over one SQLite file; every method opens a short connection (safe across threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)
            have = {r["name"] for r in con.execute("PRAGMA table_info(runs)")}
            for name, typ in ADDED_COLUMNS.items():
                if name not in have:
                    con.execute(f"ALTER TABLE runs ADD COLUMN {name} {typ}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.row_factory = sqlite3.Row
            yield con
        finally:
            con.close()

    # ---------------------------------------------------------------- runs
    def start_run(self, source: str) -> int:
        with self._connect() as con:
            cur = con.execute("INSERT INTO runs(source, started_at) VALUES (?, ?)", (source, time.time()))
            return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, status: str, payloads: Sequence[tuple[str, str, str, int]] = (), **fields: Any
    ) -> None:
        """Record a run's outcome, and the payloads it landed: (source, path, sha256, bytes) each."""
        fields = {
            k: (json.dumps(v, ensure_ascii=False) if k == "notes" and v is not None else v) for k, v in fields.items()
        }
        bad = set(fields) - set(RUN_COLUMNS)
        if bad:
            raise ValueError(f"unknown run fields {bad}")
        cols = ", ".join(f"{k} = ?" for k in fields)
        now = time.time()
        with self._connect() as con:
            started = con.execute("SELECT started_at FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
            con.execute("BEGIN")
            con.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, seconds = ?{', ' + cols if cols else ''} WHERE id = ?",
                (status, now, round(now - started, 3), *fields.values(), run_id),
            )
            con.executemany(
                "INSERT INTO payloads(run_id, source, path, sha256, bytes, fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, *p, now) for p in payloads],
            )
            con.execute("COMMIT")

    def set_snapshot(self, run_ids: list[int], snapshot_id: str) -> None:
        with self._connect() as con:
            con.executemany("UPDATE runs SET snapshot_id = ? WHERE id = ?", [(snapshot_id, r) for r in run_ids])

    def mark_interrupted(self) -> int:
        """Runs a killed or crashed ingest left: still 'running', or 'ok' but never published (the snapshot id is
        set only after the publish). Called under the build lock, so none is live."""
        with self._connect() as con:
            cur = con.execute(
                "UPDATE runs SET status = 'interrupted', "
                "error = 'the ingest stopped before its snapshot was published' "
                "WHERE status = 'running' OR (status = 'ok' AND snapshot_id IS NULL)"
            )
            return cur.rowcount

    def last_runs(self) -> dict[str, dict]:
        """The latest run of each source."""
        with self._connect() as con:
            rows = con.execute("SELECT * FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY source)").fetchall()
        return {r["source"]: dict(r) for r in rows}

    def last_good(self, source: str) -> dict | None:
        """The latest run that loaded data (ok) or found it unchanged."""
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM runs WHERE source = ? AND status IN ('ok', 'unchanged') ORDER BY id DESC LIMIT 1",
                (source,),
            ).fetchone()
        return dict(row) if row else None

    def run(self, run_id: int) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return dict(row) if row else None

    def runs(self, limit: int = 10000, source: str | None = None, statuses: Sequence[str] = ()) -> list[dict]:
        """The latest runs, newest first: of one source, with one of these statuses, when given."""
        where, params = ["1 = 1"], []
        if source is not None:
            where.append("source = ?")
            params.append(source)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += list(statuses)
        with self._connect() as con:
            rows = con.execute(
                f"SELECT * FROM runs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [dict(r) for r in rows]

    def payloads(self, run_id: int) -> list[dict]:
        """The payloads a run landed, in order: path, sha256, bytes."""
        with self._connect() as con:
            rows = con.execute("SELECT * FROM payloads WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        return [dict(r) for r in rows]

    def good_since(self, source: str, run_id: int, checksum: str | None) -> float | None:
        """When the payload a snapshot holds (loaded by `run_id`, with `checksum`) was last found current: the
        latest run from that one on that loaded it or found it unchanged."""
        with self._connect() as con:
            row = con.execute(
                "SELECT max(finished_at) FROM runs WHERE source = ? AND id >= ? AND status IN ('ok', 'unchanged') "
                "AND checksum IS ?",
                (source, run_id, checksum),
            ).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- rollbacks
    def record_rollback(self, by: str, from_snapshot: str | None, to_snapshot: str) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO rollbacks(at, by, from_snapshot, to_snapshot) VALUES (?, ?, ?, ?)",
                (time.time(), by, from_snapshot, to_snapshot),
            )

    def last_rollback(self) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM rollbacks ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else None

    # ---------------------------------------------------------------- the scheduler's heartbeat
    def scheduler_beat(self, pid: int, host: str, started_at: float, loaded_at: float, error: str | None) -> None:
        """The scheduler says it is alive, and which config it runs (and any newer one it refused)."""
        with self._connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO scheduler(id, pid, host, started_at, heartbeat_at, config_loaded_at, "
                "config_error) VALUES (1, ?, ?, ?, ?, ?, ?)",
                (pid, host, started_at, time.time(), loaded_at, error),
            )

    def scheduler_stopped(self, pid: int) -> None:
        with self._connect() as con:
            con.execute("UPDATE scheduler SET heartbeat_at = NULL WHERE pid = ?", (pid,))

    def scheduler(self) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM scheduler WHERE id = 1").fetchone()
        return dict(row) if row else None

    # ---------------------------------------------------------------- saved explorer views
    def save_view(self, name: str, query: str) -> int:
        """Store a named explorer view for everyone; IOCError when the name is empty or taken."""
        name = name.strip()
        if not name:
            raise IOCError("a saved view needs a name")
        try:
            with self._connect() as con:
                cur = con.execute(
                    "INSERT INTO saved_views(name, query, created_at) VALUES (?, ?, ?)", (name, query, time.time())
                )
                return int(cur.lastrowid or 0)
        except sqlite3.IntegrityError as exc:
            raise NameTaken(name) from exc

    def views(self) -> list[dict]:
        """Every saved view, newest first."""
        with self._connect() as con:
            rows = con.execute("SELECT id, name, query, created_at FROM saved_views ORDER BY id DESC").fetchall()
        return [dict(r) for r in rows]

    def delete_view(self, view_id: int) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))
