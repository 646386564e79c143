"""Freshness: is a source's last good load late against its own schedule?"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

GRACE = 0.5  # a load may come half an interval late before it counts as late


@dataclass
class Freshness:
    state: str  # fresh | late | never | manual
    last_good: Optional[dt.datetime]
    expected_by: Optional[dt.datetime]  # the scheduled run it should have loaded by, plus grace
    interval: Optional[dt.timedelta]

    @property
    def late(self) -> bool:
        return self.state in ("late", "never")


def schedule_times(cron: str, tz: str, now: dt.datetime) -> tuple[Optional[dt.datetime], dt.timedelta]:
    """(the most recent scheduled time at or before now, the schedule's typical interval)."""
    trig = CronTrigger.from_crontab(cron, timezone=ZoneInfo(tz))
    nxt = trig.get_next_fire_time(None, now)
    after = trig.get_next_fire_time(nxt, nxt + dt.timedelta(seconds=1)) if nxt else None
    interval = (after - nxt) if (nxt and after) else dt.timedelta(days=1)
    # walk forward from a few intervals back to find the last fire time not after now
    t = trig.get_next_fire_time(None, now - 3 * interval)
    prev = None
    while t is not None and t <= now:
        prev = t
        t = trig.get_next_fire_time(t, t + dt.timedelta(seconds=1))
    return prev, interval


def freshness(cron: Optional[str], tz: str, last_good_ts: Optional[float], now: Optional[dt.datetime] = None) -> Freshness:
    now = now or dt.datetime.now(dt.timezone.utc)
    last = dt.datetime.fromtimestamp(last_good_ts, dt.timezone.utc) if last_good_ts else None
    if not cron:
        return Freshness("manual" if last else "never", last, None, None)
    prev, interval = schedule_times(cron, tz, now)
    if last is None:
        return Freshness("never", None, None, interval)
    if prev is None:
        return Freshness("fresh", last, None, interval)
    expected_by = prev + GRACE * interval
    # late when the last good load is older than the run before the latest one and the grace has passed
    if last < prev - interval + dt.timedelta(seconds=1) or (last < prev and now > expected_by):
        return Freshness("late", last, expected_by, interval)
    return Freshness("fresh", last, expected_by, interval)
