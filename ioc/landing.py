"""The landing zone: every fetched payload kept as bytes, with its checksum, before it is parsed.

A payload is written and named at once, so it can be read straight away. Its checksum is computed beside
the write and may still be running when `save` returns (`Landed.sha256` waits for it): a payload whose
length no recent one has cannot repeat them, so nothing needs its checksum before it is read. Making it
durable (fsync) and writing its checksum note happen in the background, and `flush()` waits for them:
ingest calls it before publishing a snapshot, so no published load rests on a payload that a power cut
could take. The note is written last, so a file without one is incomplete and is never matched as an
earlier identical payload.

The same bytes are kept once: a payload identical to one landed earlier for the same source is that file
(`reused`); identical to another source's (two sources reading one file) it is a hard link to it, so each
source has its own path and record, and pruning one source's copy never takes the other's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path

from ioc.disk import fsync_dir, fsync_file


@dataclass
class Landed:
    path: Path
    digest: Future[str]  # the SHA-256, computed beside the write; `sha256` waits for it
    size: int
    reused: bool  # identical bytes were already landed: the earlier file is referenced, not rewritten

    @property
    def sha256(self) -> str:
        return self.digest.result()


def utc_stamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


class Landing:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._pending: list[Future] = []
        self._lock = threading.Lock()
        # naming a payload (finding its twin, linking or writing it, recording it) one fetch at a time: two
        # sources reading one file at once would each miss the other's copy and keep the bytes twice
        self._naming = threading.Lock()
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None  # hashing, sealing
        # fsyncs wait while this is clear: a big payload's fsync holds the disk's journal, and the small
        # commits that open a snapshot would wait behind it (20 ms); see hold()
        self._may_seal = threading.Event()
        self._may_seal.set()
        self._landed: list[tuple[str, int, Future[str], Path]] = []  # this process's payloads, notes maybe pending

    def hold(self) -> None:
        """Hold back the fsyncs of payloads saved from now on until release() (or flush())."""
        self._may_seal.clear()

    def release(self) -> None:
        self._may_seal.set()

    def save(self, source: str, data: bytes, ext: str, stamp: str, part: str = "") -> Landed:
        """Write a payload under landing/<source>/, hashing it beside the write (both leave Python's lock).
        Hashed first only if an earlier payload is as long, and so may hold the same bytes, which are then
        not written again; else this returns once the file is named, its checksum maybe still running."""
        return self._keep(
            source,
            ext,
            stamp,
            part,
            len(data),
            self._workers()[0].submit(_sha256, data),
            lambda tmp: tmp.write_bytes(data),
        )

    def save_file(self, source: str, file: Path, ext: str, stamp: str, part: str = "") -> Landed:
        """`save` for a payload that is a local file: copied in the kernel (its bytes never pass through
        Python), then hashed from the copy, which is what gets read."""
        folder = self.root / source
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{stamp}{'-' + part if part else ''}.{ext}.copy.tmp"
        shutil.copyfile(file, tmp)
        fh = open(tmp, "rb")  # noqa: SIM115 - hashed (and closed) through this handle, whatever the copy's name
        size = os.fstat(fh.fileno()).st_size
        hashing = self._workers()[0].submit(_sha256_file, fh)
        landed = self._keep(source, ext, stamp, part, size, hashing, lambda t: tmp.replace(t))
        # not renamed into place: the bytes were landed already (reused, or linked from another source's
        # twin), and its checksum was awaited, so the handle is closed: the copy is not needed
        tmp.unlink(missing_ok=True)
        return landed

    def _workers(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        with self._lock:
            if self._pools is None:
                self._pools = (
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-hash"),
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-sync"),
                )
            return self._pools

    def _keep(
        self,
        source: str,
        ext: str,
        stamp: str,
        part: str,
        size: int,
        hashing: Future[str],
        write: Callable[[Path], object],
    ) -> Landed:
        """Name a payload of `size` bytes in the landing zone (`write` puts its bytes at a path), unless an
        earlier payload of the source holds the same bytes."""
        folder = self.root / source
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.tmp"):  # left by a process killed while writing
            try:
                if stale.stat().st_mtime < time.time() - 3600:
                    stale.unlink(missing_ok=True)
            except FileNotFoundError:  # a note being sealed right now, renamed in between
                pass
        if any(p.stat().st_size == size for p in self._recent(source)):  # it may be one of them
            previous = self.find(source, hashing.result())
            if previous is not None:
                return Landed(previous, hashing, size, True)
        name = f"{stamp}{'-' + part if part else ''}.{ext}"
        tmp = folder / f".{name}.tmp"
        with self._naming:
            twin = self._twin(source, size, hashing)
            if twin is None or not _link(twin, tmp):
                write(tmp)
            os.replace(tmp, folder / name)
            with self._lock:
                self._landed = [*self._landed[-199:], (source, size, hashing, folder / name)]
        sealing = self._workers()[1].submit(_seal, folder / name, hashing, self._may_seal)
        with self._lock:
            self._pending.append(sealing)
        return Landed(folder / name, hashing, size, False)

    def flush(self, quiet: bool = False) -> None:
        """Wait until every payload saved so far is on disk with its checksum note; raises what failed, unless
        quiet (a run already failing for another reason)."""
        self.release()
        with self._lock:
            pending, self._pending = self._pending, []
            pools, self._pools = self._pools, None
        try:
            for fut in pending:
                if quiet:
                    fut.exception()
                else:
                    fut.result()
        finally:
            for pool in pools or ():
                pool.shutdown(wait=True)  # no thread outlives the run (the scheduler runs for months)

    def _recent(self, source: str, among: int = 50) -> list[Path]:
        """The newest landed payloads of a source that have their checksum note (at most `among`)."""
        notes = sorted((self.root / source).glob("*.sha256"), reverse=True)[:among]
        paths = [n.with_name(n.name[: -len(".sha256")]) for n in notes]
        return [p for p in paths if p.exists()]

    def _twin(self, source: str, size: int, hashing: Future[str]) -> Path | None:
        """Another source's recent payload with these bytes (two sources reading one file), else None: one this
        process landed (its note may not be written yet), or one with its note on disk."""
        with self._lock:
            mine = [(d, p) for s, n, d, p in reversed(self._landed) if s != source and n == size]
        for digest, path in mine:
            if digest.exception() is None and digest.result() == hashing.result() and path.exists():
                return path
        for other in sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != source):
            if any(p.stat().st_size == size for p in self._recent(other, 10)):
                found = self.find(other, hashing.result(), 10)
                if found is not None:
                    return found
        return None

    def find(self, source: str, digest: str, among: int = 50) -> Path | None:
        """The newest landed file of a source with these bytes (checked by its .sha256 note)."""
        for path in self._recent(source, among):
            try:
                text = path.with_name(path.name + ".sha256").read_text().split()
            except OSError:
                continue
            if text and text[0] == digest:
                return path
        return None

    def prune(self, source: str, keep_days: int, now: dt.datetime | None = None) -> int:
        """Delete payloads older than keep_days (the retention setting); never the newest one."""
        now = now or dt.datetime.now(dt.UTC)
        cutoff = (now - dt.timedelta(days=keep_days)).timestamp()
        files = sorted(
            p for p in (self.root / source).glob("*") if not p.name.endswith(".sha256") and not p.name.startswith(".")
        )
        gone = 0
        for p in files[:-1]:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                p.with_name(p.name + ".sha256").unlink(missing_ok=True)
                gone += 1
        return gone


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()  # hashlib leaves Python's lock for large inputs


def _sha256_file(fh: BufferedReader) -> str:
    with fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _link(existing: Path, new: Path) -> bool:
    """A hard link `new` to `existing` (one copy of the bytes on disk); False where links cannot be made."""
    try:
        os.link(existing, new)
    except OSError:
        return False
    return True


def _seal(path: Path, hashing: Future[str], may: threading.Event) -> None:
    """Make a landed payload durable, then write its checksum note (and make that durable too)."""
    may.wait()
    fsync_file(path)
    digest = hashing.result()
    note = path.with_name(path.name + ".sha256")
    tmp = note.with_name("." + note.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(f"{digest}  {path.name}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, note)
    fsync_dir(path.parent)
