"""Snapshot warehouse: each load builds a new DuckDB file and publishes it by atomically replacing a pointer.

Readers open the snapshot the pointer names, read-only; they never see a half-built file and never
fight a writer's lock. Builds are serialised by a lock file, so two ingests never build from the same
snapshot at once. A killed build leaves a `.building` file that the next build removes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ioc.disk import fsync_dir, fsync_file
from ioc.errors import IOCError, NoSnapshotError, QueryError
from ioc.model import Source

POINTER = "CURRENT"
LOCK = ".build.lock"
SUFFIX = ".duckdb"
BUILDING = ".building"


def ident(name: str) -> str:
    """A SQL identifier, quoted: the one place names from config or data enter SQL text."""
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class SnapshotInfo:
    id: str
    path: Path
    size: int
    created: dt.datetime
    current: bool


class LockTimeout(IOCError):
    pass


class Warehouse:
    def __init__(self, root: Path, keep: int = 10):
        self.dir = Path(root)
        self.keep = keep

    # ------------------------------------------------------------------ reading
    def current_id(self) -> str | None:
        try:
            sid = (self.dir / POINTER).read_text().strip()
        except FileNotFoundError:
            return None
        return sid or None

    def path_of(self, sid: str) -> Path:
        return self.dir / f"{sid}{SUFFIX}"

    def current_path(self) -> Path:
        sid = self.current_id()
        if not sid or not self.path_of(sid).exists():
            raise NoSnapshotError(f"no snapshot published yet in {self.dir}; run `python -m ioc ingest --all`")
        return self.path_of(sid)

    def connect(self, sid: str | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot (the current one by default)."""
        path = self.path_of(sid) if sid else self.current_path()
        return duckdb.connect(str(path), read_only=True)

    def snapshots(self) -> list[SnapshotInfo]:
        cur = self.current_id()
        out = []
        for p in sorted(self.dir.glob(f"*{SUFFIX}")):
            sid = p.name[: -len(SUFFIX)]
            st = p.stat()
            out.append(SnapshotInfo(sid, p, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, dt.UTC), sid == cur))
        return out

    # ------------------------------------------------------------------ writing
    @contextmanager
    def lock(self, timeout: float = 600.0) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"another ingest holds {self.dir / LOCK} for over {timeout:g} s") from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)  # closing releases the lock; so does the death of the process

    def _new_id(self) -> str:
        now = dt.datetime.now(dt.UTC)
        sid = now.strftime("%Y%m%dT%H%M%S%fZ")
        existing = {p.name[: -len(SUFFIX)] for p in self.dir.glob(f"*{SUFFIX}")}
        while sid in existing or sid <= (self.current_id() or ""):
            now += dt.timedelta(microseconds=1)
            sid = now.strftime("%Y%m%dT%H%M%S%fZ")
        return sid

    @contextmanager
    def build(
        self, on_locked: Callable[[], None] | None = None, on_published: Callable[[str], None] | None = None
    ) -> Iterator[Build]:
        """Lock, copy the current snapshot to a new file, yield it for loading; publish on success.

        `on_locked` runs under the lock, beside the copy and the opening of the new file (which leave
        Python's lock), before the block; `on_published` with the new snapshot's id once it is published,
        still under the lock (so nobody sees it published and its runs unaware). An exception inside the
        block discards the new file and publishes nothing.
        """
        with self.lock():
            for stale in self.dir.glob(f"*{BUILDING}*"):
                stale.unlink(missing_ok=True)
            sid = self._new_id()

            def first() -> None:
                # make room for the new one now, beside the copy and the opening, rather than once it is
                # published: unlinking a big file takes a few ms (the prune after publishing finds nothing)
                self.prune(room=1)
                if on_locked:
                    on_locked()

            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="build-open") as aside:
                beside = aside.submit(first)
                tmp = self.dir / f"{sid}{SUFFIX}{BUILDING}"
                cur = self.current_id()
                if cur and self.path_of(cur).exists():
                    shutil.copyfile(self.path_of(cur), tmp)
                con = duckdb.connect(str(tmp))
                try:
                    beside.result()
                except BaseException:
                    con.close()
                    tmp.unlink(missing_ok=True)
                    raise
            b = Build(sid, tmp, con)

            def remove() -> None:
                try:
                    con.close()
                finally:
                    for f in self.dir.glob(f"{sid}{SUFFIX}{BUILDING}*"):
                        f.unlink(missing_ok=True)

            try:
                yield b
            except BaseException:
                remove()
                raise
            if b.discard:  # nothing worth a snapshot: the file goes, nothing is published
                remove()
                return
            con.execute("CHECKPOINT")
            con.close()
            fsync_file(tmp)
            final = self.path_of(sid)
            os.replace(tmp, final)
            self._point(sid)
            b.published = True
            if on_published:
                on_published(sid)
            self.prune()

    def _point(self, sid: str) -> None:
        tmp = self.dir / f"{POINTER}.tmp"
        with open(tmp, "w") as fh:
            fh.write(sid + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / POINTER)
        fsync_dir(self.dir)

    def rollback(self, sid: str) -> None:
        with self.lock():
            if not self.path_of(sid).exists():
                known = ", ".join(s.id for s in self.snapshots()) or "none"
                raise IOCError(f"snapshot {sid} not found; known: {known}")
            self._point(sid)

    def prune(self, room: int = 0) -> list[str]:
        """Keep the newest `keep` snapshots (less `room`, for one about to be built) and the current one;
        deleting an open file is safe on Linux."""
        snaps = self.snapshots()
        n = self.keep - room
        keep = {s.id for s in (snaps[-n:] if n > 0 else [])} | {self.current_id()}
        gone = []
        for s in snaps:
            if s.id not in keep:
                s.path.unlink(missing_ok=True)
                gone.append(s.id)
        return gone


REJECTS_KEEP_RUNS = 20  # per source, in the warehouse
SYSTEM_TABLES = {
    "_rejects": "CREATE TABLE IF NOT EXISTS _rejects (source VARCHAR, run_id BIGINT, row_number BIGINT, "
    "column_name VARCHAR, value VARCHAR, reason VARCHAR, rejected_at TIMESTAMP)",
    "_lineage": "CREATE TABLE IF NOT EXISTS _lineage (table_name VARCHAR, source VARCHAR, connector VARCHAR, "
    "sector VARCHAR, location VARCHAR, mode VARCHAR, last_good_load TIMESTAMP, run_id BIGINT, checksum VARCHAR, "
    "landing VARCHAR, rows BIGINT, PRIMARY KEY (table_name, source))",
    "_dropped": "CREATE TABLE IF NOT EXISTS _dropped (source VARCHAR, run_id BIGINT, row_number BIGINT, "
    "reason VARCHAR, text VARCHAR, dropped_at TIMESTAMP)",
    "_meta": "CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
}


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate, a count). Fetched to the end: DuckDB refuses
    some later work (register) on a connection whose last result is unfinished."""
    rows = con.execute(sql, params or []).fetchall()
    row = rows[0] if rows else None
    if row is None:  # an aggregate always has its row: this is a query written wrong
        raise QueryError(f"no row from {sql.strip().splitlines()[0][:80]}")
    return row


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        one(
            con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
        )[0]
    )


@dataclass
class Build:
    """A snapshot being built: its connection, and how a source's rows are written into it (by the source's
    mode), with the bookkeeping that says where every table's rows came from."""

    id: str
    path: Path
    con: duckdb.DuckDBPyConnection
    discard: bool = False
    published: bool = False

    def prepare(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Create the bookkeeping tables if new; return the lineage: (table, source) → (checksum, fingerprint)
        of the payload and config each table's rows came from."""
        con = self.con
        con.execute("BEGIN")  # one commit, not four: the loads wait for it
        for ddl in SYSTEM_TABLES.values():
            con.execute(ddl)
        con.execute("ALTER TABLE _lineage ADD COLUMN IF NOT EXISTS fingerprint VARCHAR")
        con.execute("ALTER TABLE _lineage ADD COLUMN IF NOT EXISTS latest TIMESTAMP")
        con.execute("COMMIT")
        return {
            (t, s): (c, fp)
            for t, s, c, fp in con.execute("SELECT table_name, source, checksum, fingerprint FROM _lineage").fetchall()
        }

    def replaces(self, src: Source) -> bool:
        """Whether a load replaces the table (mode replace, or its first load) rather than adding to it."""
        return src.mode == "replace" or not has_table(self.con, src.table)

    def write(self, src: Source, good: str, params: dict) -> None:
        """Load the good rows (a SELECT binding `params`) into the source's table by its mode."""
        if self.replaces(src):
            self.con.execute(f"CREATE OR REPLACE TABLE {ident(src.table)} AS {good}", params)
            return
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming AS {good}", params)
        self.merge(src, "_incoming")
        self.con.execute("DROP TABLE _incoming")

    def adopt(self, src: Source, stage: str) -> None:
        """Make a staged table the source's table (replacing it), or merge its rows in, by the source's mode."""
        if self.replaces(src):
            self.con.execute(f"DROP TABLE IF EXISTS {ident(src.table)}")
            self.con.execute(f"ALTER TABLE {ident(stage)} RENAME TO {ident(src.table)}")
        else:
            self.merge(src, stage)

    def merge(self, src: Source, incoming: str) -> None:
        """Add the rows of `incoming` to the source's table: appended, or replacing rows with the same key;
        columns the table lacks are added."""
        con, t = self.con, ident(src.table)
        have = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
        for row in con.execute(f"DESCRIBE {ident(incoming)}").fetchall():
            name, typ = row[0], row[1]
            if name not in have:
                con.execute(f"ALTER TABLE {t} ADD COLUMN {ident(name)} {typ}")
        if src.mode == "upsert":
            cond = " AND ".join(f"{t}.{ident(k)} IS NOT DISTINCT FROM g.{ident(k)}" for k in src.key)
            con.execute(f"DELETE FROM {t} USING {ident(incoming)} AS g WHERE {cond}")
        con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM {ident(incoming)}")

    def record_dropped(self, source: str, run_id: int, aside: list) -> None:
        """A run's rows set aside as not data (row, reason, text: connectors' Aside), replacing the source's
        earlier ones: the catalog lists what the last load left out and why."""
        self.con.execute("DELETE FROM _dropped WHERE source = ?", [source])
        if not aside:
            return
        tbl = pa.table(
            {
                "row_number": pa.array([a.row for a in aside], pa.int64()),
                "reason": pa.array([a.reason for a in aside], pa.string()),
                "text": pa.array([None if a.text is None else str(a.text)[:500] for a in aside], pa.string()),
            }
        )
        self.con.register("_drop", tbl)
        self.con.execute(
            "INSERT INTO _dropped SELECT ?, ?, row_number, reason, text, timezone('UTC', now()) FROM _drop",
            [source, run_id],
        )
        self.con.unregister("_drop")

    def record_rejects(self, source: str, run_id: int, rejects: list[tuple]) -> None:
        """Add a run's rejects (row, column, value, reason), keeping those of the source's last
        REJECTS_KEEP_RUNS runs with any."""
        if not rejects:  # no run joins the ones kept: nothing falls out
            return
        con = self.con
        tbl = pa.table(
            {
                "row_number": pa.array([r[0] for r in rejects], pa.int64()),
                "column_name": pa.array([r[1] for r in rejects], pa.string()),
                "value": pa.array([None if r[2] is None else str(r[2])[:500] for r in rejects], pa.string()),
                "reason": pa.array([r[3] for r in rejects], pa.string()),
            }
        )
        con.register("_rej", tbl)
        con.execute(
            "INSERT INTO _rejects "
            "SELECT ?, ?, row_number, column_name, value, reason, timezone('UTC', now()) FROM _rej",
            [source, run_id],
        )
        con.unregister("_rej")
        con.execute(
            "DELETE FROM _rejects WHERE source = ? AND run_id NOT IN "
            "(SELECT DISTINCT run_id FROM _rejects WHERE source = ? ORDER BY run_id DESC LIMIT ?)",
            [source, source, REJECTS_KEEP_RUNS],
        )

    def loaded_rows(self, src: Source) -> int | None:
        """The rows the source's table held after the source's last load into it (None: never loaded)."""
        return one(
            self.con, "SELECT max(rows) FROM _lineage WHERE table_name = ? AND source = ?", [src.table, src.name]
        )[0]

    def record_load(self, src: Source, run_id: int, checksum: str, landing: str, fingerprint: str) -> int:
        """Note where the source's table's rows came from (_lineage); returns the rows the table holds."""
        rows = one(self.con, f"SELECT count(*) FROM {ident(src.table)}")[0]
        self.con.execute(
            "INSERT OR REPLACE INTO _lineage (table_name, source, connector, sector, location, mode, last_good_load, "
            "run_id, checksum, landing, rows, fingerprint, latest) "
            "VALUES (?, ?, ?, ?, ?, ?, timezone('UTC', now()), ?, ?, ?, ?, ?, ?)",
            [
                src.table,
                src.name,
                src.connector,
                src.sector,
                src.location,
                src.mode,
                run_id,
                checksum,
                landing,
                rows,
                fingerprint,
                self.latest(src),
            ],
        )
        return rows

    def latest(self, src: Source) -> dt.datetime | None:
        """The latest period of the source's rows (its `latest` column; a year as its first day), city time."""
        if not src.latest or not has_table(self.con, src.table):
            return None
        try:
            value = one(self.con, f"SELECT max({ident(src.latest.column)}) FROM {ident(src.table)}")[0]
        except duckdb.Error:  # the column went with a schema change: no latest period rather than no load
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        if isinstance(value, int) and 1900 <= value <= 2200:
            return dt.datetime(value, 1, 1)
        return None
