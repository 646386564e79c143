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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import duckdb

from ioc.errors import IOCError, NoSnapshotError

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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Warehouse:
    def __init__(self, root: Path, keep: int = 10):
        self.dir = Path(root)
        self.keep = keep

    # ------------------------------------------------------------------ reading
    def current_id(self) -> Optional[str]:
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

    def connect(self, sid: Optional[str] = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot (the current one by default)."""
        path = self.path_of(sid) if sid else self.current_path()
        return duckdb.connect(str(path), read_only=True)

    def snapshots(self) -> list[SnapshotInfo]:
        cur = self.current_id()
        out = []
        for p in sorted(self.dir.glob(f"*{SUFFIX}")):
            sid = p.name[: -len(SUFFIX)]
            st = p.stat()
            out.append(SnapshotInfo(sid, p, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc), sid == cur))
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
                        raise LockTimeout(f"another ingest holds {self.dir / LOCK} for over {timeout:g} s")
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)  # closing releases the lock; so does the death of the process

    def _new_id(self) -> str:
        now = dt.datetime.now(dt.timezone.utc)
        sid = now.strftime("%Y%m%dT%H%M%S%fZ")
        existing = {p.name[: -len(SUFFIX)] for p in self.dir.glob(f"*{SUFFIX}")}
        while sid in existing or sid <= (self.current_id() or ""):
            now += dt.timedelta(microseconds=1)
            sid = now.strftime("%Y%m%dT%H%M%S%fZ")
        return sid

    @contextmanager
    def build(self, on_locked: Optional[Callable[[], None]] = None) -> Iterator["Build"]:
        """Lock, copy the current snapshot to a new file, yield it for loading; publish on success.

        `on_locked` runs under the lock, beside the copy and the opening of the new file (which leave
        Python's lock), before the block. An exception inside the block discards the new file and
        publishes nothing.
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
            try:
                yield b
                if b.discard:
                    raise _Discard()
                con.execute("CHECKPOINT")
                con.close()
            except BaseException as exc:
                try:
                    con.close()
                finally:
                    for f in self.dir.glob(f"{sid}{SUFFIX}{BUILDING}*"):
                        f.unlink(missing_ok=True)
                if isinstance(exc, _Discard):
                    return
                raise
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            final = self.path_of(sid)
            os.replace(tmp, final)
            self._point(sid)
            b.published = True
            self.prune()

    def _point(self, sid: str) -> None:
        tmp = self.dir / f"{POINTER}.tmp"
        with open(tmp, "w") as fh:
            fh.write(sid + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / POINTER)
        _fsync_dir(self.dir)

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


class _Discard(Exception):
    pass


@dataclass
class Build:
    id: str
    path: Path
    con: duckdb.DuckDBPyConnection
    discard: bool = False
    published: bool = False
