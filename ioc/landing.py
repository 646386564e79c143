"""The landing zone: every fetched payload kept as bytes, with its checksum, before it is parsed."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass
class Landed:
    path: Path
    sha256: str
    size: int
    reused: bool  # identical bytes were already landed: the earlier file is referenced, not rewritten


def utc_stamp(now: Optional[dt.datetime] = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


class Landing:
    def __init__(self, root: Path):
        self.root = Path(root)

    def save(self, source: str, data: bytes, ext: str, stamp: str, part: str = "") -> Landed:
        digest = hashlib.sha256(data).hexdigest()
        folder = self.root / source
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.tmp"):  # left by a process killed while writing
            if stale.stat().st_mtime < time.time() - 3600:
                stale.unlink(missing_ok=True)
        previous = self.find(source, digest)
        if previous is not None:
            return Landed(previous, digest, len(data), True)
        name = f"{stamp}{'-' + part if part else ''}.{ext}"
        tmp = folder / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
        (folder / f"{name}.sha256").write_text(f"{digest}  {name}\n")
        return Landed(folder / name, digest, len(data), False)

    def find(self, source: str, digest: str) -> Optional[Path]:
        """The newest landed file of a source with these bytes (checked by its .sha256 note)."""
        folder = self.root / source
        for note in sorted(folder.glob("*.sha256"), reverse=True)[:50]:
            try:
                text = note.read_text().split()
            except OSError:
                continue
            if text and text[0] == digest:
                path = note.with_name(note.name[: -len(".sha256")])
                if path.exists():
                    return path
        return None

    def prune(self, source: str, keep_days: int, now: Optional[dt.datetime] = None) -> int:
        """Delete payloads older than keep_days (the retention setting); never the newest one."""
        now = now or dt.datetime.now(dt.timezone.utc)
        cutoff = (now - dt.timedelta(days=keep_days)).timestamp()
        files = sorted(p for p in (self.root / source).glob("*") if not p.name.endswith(".sha256") and not p.name.startswith("."))
        gone = 0
        for p in files[:-1]:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                p.with_name(p.name + ".sha256").unlink(missing_ok=True)
                gone += 1
        return gone
