"""Freshness: is a source's last good load late against its own schedule?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

GRACE = 0.5  # a load may come half an interval late before it counts as late


@dataclass
class Freshness:
    state: str  # fresh | late | never | manual
    last_good: dt.datetime | None
    expected_by: dt.datetime | None  # the scheduled run it should have loaded by, plus grace
    interval: dt.timedelta | None

    @property
    def late(self) -> bool:
        return self.state in ("late", "never")


def cron_trigger(cron: str, tz: str) -> CronTrigger:
    """A trigger for a standard cron expression in time zone tz; ValueError when it is not one.

    APScheduler 3 numbers weekdays from Monday (0) while cron numbers them from Sunday (0 or 7), so
    `0 6 * * 1-5` would run Tuesday to Saturday: numbered weekdays are translated first."""
    fields = cron.split()
    if len(fields) == 5 and any(ch.isdigit() for ch in fields[4]):
        fields[4] = _weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(tz))


def _weekdays(field: str) -> str:
    """A cron day-of-week field (numbers, ranges, steps) as the APScheduler weekday numbers it means."""
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        try:
            if span == "*":
                lo, hi = 0, 6
            elif "-" in span:
                lo, hi = (int(x) for x in span.split("-", 1))
            else:
                lo = int(span)
                hi = 7 if step else lo
            days.update(range(lo, hi + 1, int(step or 1)))
        except ValueError:
            raise ValueError(f"day of week {field!r}: use numbers 0-7 or names (mon-fri), not both") from None
    if not days or max(days) > 7:
        raise ValueError(f"day of week {field!r}: expected numbers 0-7 (0 and 7 are Sunday)")
    return ",".join(str(d) for d in sorted({(d + 6) % 7 for d in days}))


def schedule_times(cron: str, tz: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None, dt.timedelta]:
    """(the latest scheduled run at or before now, the run before it, the time from the latest run to the next).

    The gaps of a schedule differ (`0 6 * * 1-5` waits three days over a weekend), so each is measured
    where it is, not taken from the next gap ahead."""
    trig = cron_trigger(cron, tz)
    step = dt.timedelta(seconds=1)
    nxt = trig.get_next_fire_time(None, now)
    after = trig.get_next_fire_time(nxt, nxt + step) if nxt else None
    span = 3 * ((after - nxt) if (nxt and after) else dt.timedelta(days=1))
    while True:  # walk forward from far enough back to have seen the two latest runs
        runs: list[dt.datetime] = []
        t = trig.get_next_fire_time(None, now - span)
        while t is not None and t <= now:
            runs = [*runs[-1:], t]
            t = trig.get_next_fire_time(t, t + step)
        if len(runs) == 2 or span > dt.timedelta(days=800):
            break
        span *= 2
    prev = runs[-1] if runs else None
    before = runs[0] if len(runs) == 2 else None
    following = trig.get_next_fire_time(prev, prev + step) if prev else None
    interval = (following - prev) if (prev and following) else span / 3
    return prev, before, interval


GRAINS = ("hour", "day", "week", "month", "quarter", "year")
DATA_GRACE = dt.timedelta(minutes=15)  # a run's load may take this long before its data is expected


def period_start(t: dt.datetime, grain: str) -> dt.datetime:
    """The start of the period of `grain` holding t (weeks start on Monday)."""
    if grain == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def periods_between(a: dt.datetime, b: dt.datetime, grain: str) -> int:
    """Whole periods from the period holding a to the one holding b (negative when b is earlier)."""
    a, b = period_start(a, grain), period_start(b, grain)
    if grain in ("hour", "day", "week"):
        step = {"hour": 3600, "day": 86400, "week": 7 * 86400}[grain]
        return int((b - a).total_seconds() // step)
    months = (b.year - a.year) * 12 + b.month - a.month
    return {"month": months, "quarter": months // 3, "year": b.year - a.year}[grain]


def data_behind(
    latest: dt.datetime | None, grain: str, lag: int, cron: str | None, tz: str, now: dt.datetime
) -> int | None:
    """Periods the data's own latest period is behind what its schedule promises (0: as promised; None: no
    data). A run at time R promises every period that ended `lag` periods or more before R; the run counted
    is the latest one at least DATA_GRACE old (a load takes a moment), or now for a source loaded by hand. A
    load that is itself late is the other rule's (freshness): this one judges what the loads brought.
    `latest` is in city time (as the warehouse stores it), `now` aware."""
    if latest is None:
        return None
    promised_at = now
    if cron:
        prev, before, _ = schedule_times(cron, tz, now)
        if prev is not None and now < prev + DATA_GRACE:
            prev = before
        promised_at = prev or now
    local = promised_at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    # the last period complete at the promise, less the lag
    due = period_start(local, grain)
    for _ in range(lag + 1):
        due = period_start(due - dt.timedelta(seconds=1), grain)
    return max(0, periods_between(latest, due, grain))


def freshness(cron: str | None, tz: str, last_good_ts: float | None, now: dt.datetime | None = None) -> Freshness:
    now = now or dt.datetime.now(dt.UTC)
    last = dt.datetime.fromtimestamp(last_good_ts, dt.UTC) if last_good_ts else None
    if not cron:
        return Freshness("manual" if last else "never", last, None, None)
    prev, before, interval = schedule_times(cron, tz, now)
    if last is None:
        return Freshness("never", None, None, interval)
    if prev is None:
        return Freshness("fresh", last, None, interval)
    expected_by = prev + GRACE * interval
    # late when a whole run was missed (the load is older than the run before the latest one), or when the
    # latest run's load is still missing once the grace has passed
    missed = before is not None and last < before + dt.timedelta(seconds=1)
    if missed or (last < prev and now > expected_by):
        return Freshness("late", last, expected_by, interval)
    return Freshness("fresh", last, expected_by, interval)
