"""The embedded sample made current: generated as of a date (deterministic), read in place of the committed
files, and no source late as of that date."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ioc import sample
from ioc.config import load_config
from ioc.ingest import ingest
from ioc.status import source_status
from tests.helpers import ROOT, snapshot_rows

pytestmark = pytest.mark.slow


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("day", [dt.date(2026, 12, 3), dt.date(2027, 3, 15)])
def test_the_sample_as_of_a_date_has_no_source_late(tmp_path, monkeypatch, day):
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path))
    cfg = load_config(ROOT / "config.yaml")
    assert sample.refresh_if_stale(cfg, day) and sample.generated_for(cfg) == day.isoformat()
    assert not sample.refresh_if_stale(cfg, day)  # once a day
    result = ingest(cfg)
    assert not result.failed, [(r.source, r.error) for r in result.failed]
    tz = ZoneInfo(cfg.city.timezone)
    at = dt.datetime.combine(day, dt.time(0, 30), tz)  # half an hour into the day the sample was made for
    # the loads happen now, so only the data's own age is judged as of that day (the loads' own timing is
    # the freshness tests'): every source that dates its rows is as current as its schedule promises
    sources = source_status(cfg, at)["sources"]
    behind = {s["source"]: (s["latest"], s["behind"]) for s in sources if s["behind"]}
    assert not behind, behind
    assert sum(1 for s in sources if s["latest"]) >= 20
    assert not [s["source"] for s in sources if s["state"] in ("failed", "held", "never") and s["enabled"]]
    (last_day,) = snapshot_rows(cfg, "SELECT CAST(max(date) AS VARCHAR) FROM env_air_daily")[0]
    assert last_day == (day - dt.timedelta(days=1)).isoformat()  # data to yesterday


def test_the_same_date_gives_the_same_bytes_and_a_pinned_folder_is_never_regenerated(tmp_path, monkeypatch):
    day = dt.date(2026, 12, 3)
    digests = []
    for run in ("a", "b"):
        monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / run))
        cfg = load_config(ROOT / "config.yaml")
        digests.append(tree_digest(sample.generate(cfg, day)))
    assert digests[0] == digests[1]
    sample.pin_committed(cfg)
    assert not sample.refresh_if_stale(cfg, day) and sample.generated_for(cfg) == sample.COMMITTED
