"""The embedded sample data, kept current: `data/sample/generate.py --today DATE` run into the data folder's
sample/, whose files are then read in place of the committed ones (which stay as they are, the picture of
one fixed date that tests and docs rely on). Deterministic: the same date gives the same bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from ioc.config import Config
from ioc.errors import IOCError


def folder(cfg: Config) -> Path:
    """Where the current sample is generated (data folder's sample/)."""
    return cfg.data_path / "sample"


COMMITTED = "committed"  # the marker of a pinned folder: the committed files are read, none is generated


def pin_committed(cfg: Config) -> None:
    """Read the committed files as they are (the fixed picture tests and docs rely on), and generate none."""
    out = folder(cfg)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / ".generated").write_text(COMMITTED + "\n", encoding="utf-8")


def generated_for(cfg: Config) -> str | None:
    """The date the current sample was generated for (its .generated marker), None without one."""
    try:
        return (folder(cfg) / ".generated").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def uses_sample(cfg: Config) -> bool:
    """Whether an enabled source reads the committed sample files."""
    return any(src.sample and src.enabled for src in cfg.sources.values())


def generate(cfg: Config, today: dt.date) -> Path:
    """Generate the sample as of `today` (data to yesterday) into folder(cfg), replacing the one there; a
    failure leaves the previous one in place. Raises IOCError naming what failed."""
    script = cfg.resolve(cfg.sample_path) / "generate.py"
    if not script.exists():
        raise IOCError(f"{script}: no sample generator here")
    out = folder(cfg)
    tmp = out.with_name(".sample.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, str(script), "--today", today.isoformat(), "--out", str(tmp)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise IOCError(f"{script} --today {today}: {(done.stderr or done.stdout).strip()[-500:]}")
    old = out.with_name(".sample.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def refresh_if_stale(cfg: Config, today: dt.date) -> bool:
    """Generate the sample for `today` unless the current one is of today; True when it generated one."""
    if not cfg.generate_sample or not uses_sample(cfg) or generated_for(cfg) in (today.isoformat(), COMMITTED):
        return False
    generate(cfg, today)
    return True
