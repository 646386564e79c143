"""The indicator layer: latest value, change, target and status of each indicator, city-wide or per ward."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import duckdb
import pandas as pd

from ioc.queries import frame
from ioc.warehouse import one


def period_end(period: str, grain: str) -> str:
    """SQL for the last day of the period starting at `period` with grain `grain` (both SQL expressions)."""
    return (
        f"CAST({period} + CASE {grain} WHEN 'year' THEN INTERVAL 1 YEAR WHEN 'quarter' THEN INTERVAL 3 MONTH "
        f"WHEN 'month' THEN INTERVAL 1 MONTH WHEN 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 DAY END "
        f"- INTERVAL 1 DAY AS DATE)"
    )


# A period is open while its last day is today or later (the data runs to yesterday at best). A month, week or
# quarter in progress is not the latest value: two days of December are not December, and against a whole
# November they read as a jump. It is kept apart (partial_*), and said. A year in progress is the year to date
# (a year's plans approved so far, this school year's pupils): it stays the latest, marked in_progress.
OPEN = f"coalesce({period_end('v.period', 'i.grain')} >= CAST($today AS DATE), false)"
# A value that is not (yet) the latest: a month, week or quarter in progress (over indicator_value v joined to
# indicator i, with $today bound). Every query of the latest period or a trend reads `NOT {PARTIAL}`.
PARTIAL = f"({OPEN} AND i.grain <> 'year')"

SUMMARY_SQL = f"""
WITH ind AS (
    SELECT * FROM indicator
    WHERE (CAST($codes AS VARCHAR[]) IS NULL OR list_contains(CAST($codes AS VARCHAR[]), code))
      AND (CAST($headline AS BOOLEAN) IS NULL OR headline = CAST($headline AS BOOLEAN))
),
every AS (
    SELECT v.code, v.period, v.value, {OPEN} AS open, {PARTIAL} AS partial
    FROM indicator_value v JOIN ind AS i USING (code)
    WHERE v.ward_code IS NOT DISTINCT FROM CAST($ward AS VARCHAR)
),
v AS (SELECT code, period, value, open FROM every WHERE NOT partial),
partial AS (
    SELECT code, max(period) AS period, arg_max(value, period) AS value FROM every WHERE partial GROUP BY code
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY code ORDER BY period DESC) AS rn FROM v
),
cur AS (SELECT code, period, value, open FROM ranked WHERE rn = 1),
prev AS (SELECT code, period, value FROM ranked WHERE rn = 2)
SELECT ind.code, ind.sector, ind.name_vi, ind.name_en, ind.unit, ind.direction, ind.grain, ind.target,
       ind.targets, ind.target_aggregate, ind.headline, ind.status AS calc_status, ind.error AS calc_error,
       cur.period, cur.value, coalesce(cur.open, false) AS in_progress,
       partial.period AS partial_period, partial.value AS partial_value,
       prev.period AS prev_period, prev.value AS prev_value, ly.value AS ly_value,
       (SELECT CASE ind.target_aggregate
                 WHEN 'sum' THEN sum(y.value) WHEN 'mean' THEN avg(y.value) ELSE arg_max(y.value, y.period) END
        FROM v AS y WHERE y.code = ind.code AND year(y.period) = year(cur.period) AND y.period <= cur.period) AS ytd,
       (SELECT count(*) FROM v AS y WHERE y.code = ind.code AND year(y.period) = year(cur.period)
          AND y.period <= cur.period) AS ytd_periods
FROM ind
LEFT JOIN cur USING (code)
LEFT JOIN prev USING (code)
LEFT JOIN partial USING (code)
LEFT JOIN v AS ly ON ly.code = ind.code AND ly.period = CASE ind.grain
        WHEN 'week' THEN CAST(cur.period - INTERVAL 364 DAY AS DATE)
        ELSE CAST(cur.period - INTERVAL 1 YEAR AS DATE) END
ORDER BY ind.sector, ind.headline DESC, ind.code
"""

PAST = {"lower": "over_threshold", "higher": "under_threshold"}  # the status past a threshold, by direction
PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12, "quarter": 4, "year": 1}


def _masks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Indicators counting people whose small values must not be shown (code → mask_below)."""
    try:
        rows = con.execute("SELECT code, mask_below FROM indicator WHERE mask_below IS NOT NULL").fetchall()
    except duckdb.BinderException:  # a snapshot from before the setting existed
        return {}
    return dict(rows)


def _thresholds(con: duckdb.DuckDBPyConnection, ward: str | None) -> dict[str, float]:
    """Indicators with an alert threshold for the city's value (ward None) or a ward's (code → threshold)."""
    column = "ward_threshold" if ward else "threshold"
    try:
        rows = con.execute(f"SELECT code, {column} FROM indicator WHERE {column} IS NOT NULL").fetchall()
    except duckdb.BinderException:  # a snapshot from before the setting existed
        return {}
    return dict(rows)


def mask(
    df: pd.DataFrame, masks: dict[str, int], columns: Sequence[str] = ("value",), code: str | None = None
) -> pd.DataFrame:
    """Blank counts from 1 to mask_below − 1 (Nghị định 13/2023) and flag them in `masked` (→ "<N" on screen).

    `code` names the indicator when the frame has no `code` column."""
    codes = df["code"] if "code" in df.columns else pd.Series([code] * len(df), index=df.index)
    limit = codes.map(masks)
    if limit.isna().all():
        return df.assign(masked=False, mask_below=pd.NA) if "masked" not in df.columns else df
    out = df.copy()
    out["mask_below"] = limit
    small = {c: out[c].between(1, limit - 1, inclusive="both") & limit.notna() for c in columns if c in out.columns}
    out["masked"] = small.get(columns[0], pd.Series(False, index=out.index)).fillna(False).astype(bool)
    for c, hit in small.items():
        out.loc[hit.fillna(False).astype(bool), c] = float("nan")
    return out


def last_day(start: dt.date, grain: str) -> dt.date:
    """The last day of the period starting on `start` (as period_end in SQL)."""
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    n = start.year * 12 + start.month - 1 + {"month": 1, "quarter": 3, "year": 12}[grain]
    year, month = divmod(n, 12)
    # as DuckDB adds a month: 31 January + 1 month is the last day of February
    last = (dt.date(year + month // 11, (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(start.day, last)) - dt.timedelta(days=1)


def periods_behind(period, grain: str, today: dt.date) -> int | None:
    """Whole periods between the latest value and the last complete period before today (0 = up to date)."""
    if period is None or pd.isna(period):
        return None
    p = pd.Timestamp(period).date()
    if grain == "month":
        return (today.year * 12 + today.month) - (p.year * 12 + p.month) - 1
    if grain == "quarter":
        return (today.year * 4 + (today.month - 1) // 3) - (p.year * 4 + (p.month - 1) // 3) - 1
    if grain == "year":
        return today.year - p.year - 1
    if grain == "week":
        return (today - p).days // 7 - 1
    return (today - p).days - 1


def summary(
    con: duckdb.DuckDBPyConnection,
    codes: Sequence[str] | None = None,
    ward: str | None = None,
    headline: bool | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """One row per indicator: latest period and value, previous and last-year values, target and status.

    status: see _status; change_pct / change_pp (rates, in points) against the previous period;
    yoy_pct / yoy_pp against the same period last year; behind: periods the data is late by.
    """
    today = today or dt.date.today()
    params = {"codes": list(codes) if codes else None, "ward": ward, "headline": headline, "today": today}
    df = frame(con, SUMMARY_SQL, params)
    if df.empty:
        return df
    df = mask(df, _masks(con), ("value", "prev_value", "ly_value", "ytd", "partial_value"))
    df["target_year"] = [_target(r.targets, r.target, r.period) for r in df.itertuples()]
    df["threshold"] = df["code"].map(_thresholds(con, ward)).astype(float)
    # the share of a year in progress that has passed: a year's sum is on pace against that much of its target
    df["elapsed"] = [_elapsed(r.period, today) if r.in_progress else None for r in df.itertuples()]
    # a year so far against a whole year is no change: a sum in progress is compared with nothing
    whole = ~(df["in_progress"].astype(bool) & (df["target_aggregate"] == "sum"))
    df["change_pct"] = _pct_change(df["value"], df["prev_value"]).where(whole)
    df["yoy_pct"] = _pct_change(df["value"], df["ly_value"]).where(whole)
    # a rate's change reads in percentage points: 98 % → 99 % is +1 point, not +1,02 %
    df["change_pp"] = (df["value"] - df["prev_value"]).where((df["unit"] == "%") & whole)
    df["yoy_pp"] = (df["value"] - df["ly_value"]).where((df["unit"] == "%") & whole)
    df["status"] = [_status(r) for r in df.itertuples()]
    df["target_status"] = [_status(r, threshold=False) for r in df.itertuples()]  # the year's pace alone
    df["behind"] = [periods_behind(r.period, r.grain, today) for r in df.itertuples()]
    df["progress"] = [
        (r.ytd / r.target_year * 100) if r.target_aggregate == "sum" and r.target_year and pd.notna(r.ytd) else None
        for r in df.itertuples()
    ]
    return df


def _elapsed(period, today: dt.date) -> float:
    """The share of the year starting at `period` that lies before today (0 to 1)."""
    start = pd.Timestamp(period).date()
    end = dt.date(start.year + 1, 1, 1)
    return min(1.0, max(0.0, (today - start).days / (end - start).days))


def _target(targets_json: str, default: float | None, period) -> float | None:
    if period is None or pd.isna(period):
        return default if default is not None and not pd.isna(default) else None
    year = pd.Timestamp(period).year
    targets = json.loads(targets_json or "{}")
    value = targets.get(str(year), default)
    return None if value is None or pd.isna(value) else float(value)


def _pct_change(now: pd.Series, before: pd.Series) -> pd.Series:
    before = before.astype(float)
    out = (now.astype(float) - before) / before.abs() * 100
    return out.where(before.notna() & (before != 0))


def _better(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == "higher" else value <= target


def _status(r, threshold: bool = True) -> str:
    """One word for where an indicator stands, by its direction and kind (the vocabulary in locales' `status`):

    past its alert threshold: over_threshold (lower is better) | under_threshold (higher is better), whatever
    the target says; a target to reach: met | on_track (a year's sum on pace) | behind (a sum off pace) |
    not_met (a value under it); a ceiling: within | at_risk (a sum on course to pass it) | over_limit;
    within its threshold with no target: within; none without a target, a threshold or a value. With
    threshold=False the threshold is left out: where the year stands against its target alone."""
    value, target = _num(r.value), _num(r.target_year)
    level = _num(getattr(r, "threshold", None)) if threshold else None
    if value is None:
        return "none"
    if level is not None and not _better(value, level, r.direction):
        return PAST[r.direction]
    if target is None:
        return "none" if level is None else "within"
    return _against_target(r, target)


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _against_target(r, target: float) -> str:
    if r.target_aggregate == "sum":
        ytd = r.ytd if pd.notna(r.ytd) else 0.0
        per_year = PERIODS_PER_YEAR.get(r.grain, 12)
        elapsed = getattr(r, "elapsed", None)
        share = elapsed if elapsed is not None and pd.notna(elapsed) else (r.ytd_periods or 0) / per_year
        expected = target * min(1.0, share)
        if r.direction == "higher":
            if ytd >= target:
                return "met"
            return "on_track" if ytd >= expected else "behind"
        # a ceiling (accidents, cases): the year's total must stay under it
        if ytd > target:
            return "over_limit"
        return "within" if ytd <= expected else "at_risk"
    compare = r.ytd if r.target_aggregate == "mean" and pd.notna(r.ytd) else r.value
    if r.direction == "higher":
        return "met" if compare >= target else "not_met"
    return "within" if compare <= target else "over_limit"


GOOD = frozenset({"met", "on_track", "within"})  # the statuses that read as good


def ward_status(value, ytd, target, threshold, direction: str, aggregate: str) -> str:
    """Where one ward's value stands, by the tiles' rule (_status): past the ward's alert threshold first, then
    against the city's target where the target is a level: the latest value, or the year-to-date mean for a
    target on the year's mean (what the tile judges). A yearly total is the city's, not a ward's: with a sum
    target a ward is judged on its threshold alone. "none": not judged."""
    v, level = _num(value), _num(threshold)
    if v is None:
        return "none"
    if level is not None and not _better(v, level, direction):
        return PAST[direction]
    goal = _num(target)
    if goal is None or aggregate == "sum":
        return "none" if level is None else "within"
    mean = _num(ytd) if aggregate == "mean" else None
    compare = v if mean is None else mean
    if direction == "higher":
        return "met" if compare >= goal else "not_met"
    return "within" if compare <= goal else "over_limit"


# A ward's year-to-date mean up to the period shown (over indicator_value v of indicator i, $today bound), for
# targets on the year's mean: what the tile judges, so a ward is judged on the same rule.
WARD_YTD = f"""(SELECT avg(y.value) FROM indicator_value y
    WHERE i.target_aggregate = 'mean' AND y.code = v.code AND y.ward_code = v.ward_code
      AND year(y.period) = year(v.period) AND y.period <= v.period
      AND NOT ({PARTIAL.replace("v.period", "y.period")}))"""


def meets(value: float | None, target: float | None, direction: str) -> bool | None:
    """Whether one value satisfies a target (None when either is missing)."""
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return None
    return _better(float(value), float(target), direction)


def ward_latest(con: duckdb.DuckDBPyConnection, code: str, today: dt.date | None = None) -> pd.DataFrame:
    """Each ward's value of an indicator in the latest period that has ward values, the period the tiles show
    (a month in progress is not the latest: see PARTIAL; small counts masked), and its year-to-date mean
    where the target is on the year's mean (see ward_status)."""
    return mask(
        frame(
            con,
            f"""
        WITH w AS (
            SELECT v.ward_code, v.period, v.value, i.target_aggregate
            FROM indicator_value v JOIN indicator i USING (code)
            WHERE v.code = $code AND v.ward_code IS NOT NULL AND NOT {PARTIAL}
        ),
        p AS (SELECT max(period) AS period FROM w),
        -- the year-to-date mean up to the latest period, where the target is on the year's mean (WARD_YTD)
        y AS (
            SELECT w.ward_code, avg(w.value) AS ytd FROM w, p
            WHERE w.target_aggregate = 'mean' AND year(w.period) = year(p.period) AND w.period <= p.period
            GROUP BY w.ward_code
        )
        SELECT d.ward_code, d.name_vi, d.name_en, w.period, w.value, y.ytd
        FROM dim_ward d LEFT JOIN w ON w.ward_code = d.ward_code AND w.period = (SELECT period FROM p)
        LEFT JOIN y ON y.ward_code = d.ward_code AND w.period IS NOT NULL
        ORDER BY d.ward_code
    """,
            {"code": code, "today": today or dt.date.today()},
        ),
        _masks(con),
        ("value", "ytd"),
        code=code,
    )


def with_ward_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicators that have per-ward values (for maps), with names."""
    return frame(
        con,
        """
        SELECT i.code, i.sector, i.name_vi, i.name_en, i.unit, i.direction
        FROM indicator i
        WHERE EXISTS (SELECT 1 FROM indicator_value v WHERE v.code = i.code AND v.ward_code IS NOT NULL)
        ORDER BY i.headline DESC, i.sector, i.code
    """,
    )


def series(
    con: duckdb.DuckDBPyConnection,
    code: str,
    ward: str | None = None,
    since: dt.date | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """An indicator's values over time (city-wide unless a ward is given; small counts masked), up to the
    period the tiles show: a month in progress (see PARTIAL) is left out."""
    return mask(
        frame(
            con,
            f"""
        SELECT v.period, v.value FROM indicator_value v JOIN indicator i USING (code)
        WHERE v.code = $code AND v.ward_code IS NOT DISTINCT FROM $ward
          AND (CAST($since AS DATE) IS NULL OR v.period >= $since) AND NOT {PARTIAL}
        ORDER BY v.period
    """,
            {"code": code, "ward": ward, "since": since, "today": today or dt.date.today()},
        ),
        _masks(con),
        code=code,
    )


def ward_series(con: duckdb.DuckDBPyConnection, code: str, today: dt.date | None = None) -> pd.DataFrame:
    """Every ward's values of an indicator over time (ward_code, period, value), in one query, up to the
    period the tiles show (see PARTIAL; small counts masked): what a change by ward is measured on."""
    return mask(
        frame(
            con,
            f"""
        SELECT v.ward_code, v.period, v.value FROM indicator_value v JOIN indicator i USING (code)
        WHERE v.code = $code AND v.ward_code IS NOT NULL AND NOT {PARTIAL}
        ORDER BY v.ward_code, v.period
    """,
            {"code": code, "today": today or dt.date.today()},
        ),
        _masks(con),
        code=code,
    )


def values(
    con: duckdb.DuckDBPyConnection,
    codes: Sequence[str],
    ward: str | None,
    start: dt.date,
    end: dt.date,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Values of several indicators for one ward (or the city) between two dates, long format (small counts
    masked); `partial` marks a month, week or quarter still in progress (see PARTIAL)."""
    return mask(
        frame(
            con,
            f"""
        SELECT v.code, i.name_vi, i.name_en, i.unit, i.grain, v.period, v.value,
               {PARTIAL} AS partial
        FROM indicator_value v JOIN indicator i USING (code)
        WHERE list_contains(CAST($codes AS VARCHAR[]), v.code) AND v.ward_code IS NOT DISTINCT FROM $ward
          AND v.period >= $start AND v.period <= $end
        ORDER BY v.code, v.period
    """,
            {"codes": list(codes), "ward": ward, "start": start, "end": end, "today": today or dt.date.today()},
        ),
        _masks(con),
    )


def period_range(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> tuple:
    """First day of the first period and last day of the last period of these indicators' values (October's
    monthly value covers the whole of October, so a page's default period runs to 31/10, not 01/10)."""
    return one(
        con,
        f"""
        SELECT min(v.period), max({period_end("v.period", "i.grain")})
        FROM indicator_value v JOIN indicator i USING (code)
        WHERE list_contains(CAST(? AS VARCHAR[]), v.code)
    """,
        [list(codes)],
    )


def shared(con: duckdb.DuckDBPyConnection, table: str, code: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """What the province shares back for one indicator between two dates: other localities' values (kind
    'Thực hiện') and the province's targets ('Chỉ tiêu tỉnh giao'), from `table` (province.shared_table);
    empty when the table is not loaded."""
    from ioc.warehouse import has_table, ident

    if not has_table(con, table):
        return pd.DataFrame(columns=["period", "area", "kind", "value"])
    return frame(
        con,
        f"SELECT period, area, kind, value FROM {ident(table)} "
        "WHERE indicator = $code AND period >= $start AND period <= $end ORDER BY area, period",
        {"code": code, "start": start, "end": end},
    )
