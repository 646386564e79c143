"""One ward across the sectors: its indicators against the city's and ranked among the wards, its citizen
reports, traffic accidents, schools and air. A function whose table is missing returns an empty frame."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from ioc.queries import environment as qe
from ioc.queries import frame, has_table
from ioc.queries import indicators as qi
from ioc.queries.public import TABLE as REPORTS
from ioc.queries.public import Rules
from ioc.warehouse import one

ACCIDENTS, SCHOOLS = "security_accidents", "education_schools"

INDICATORS_SQL = f"""
WITH ind AS (
    SELECT i.* FROM indicator i
    WHERE EXISTS (SELECT 1 FROM indicator_value v WHERE v.code = i.code AND v.ward_code IS NOT NULL)
),
p AS (  -- the latest period with ward values that the tiles and maps show too (no month in progress)
    SELECT code, max(v.period) AS period FROM indicator_value v JOIN indicator i USING (code)
    WHERE v.ward_code IS NOT NULL AND NOT {qi.PARTIAL} GROUP BY code
),
w AS (
    SELECT v.code, v.ward_code, v.value, i.direction, {qi.WARD_YTD} AS ytd,
           -- small counts of people rank as one tie, so a rank never tells 2 from 3
           CASE WHEN i.mask_below IS NOT NULL AND v.value >= 1 AND v.value < i.mask_below THEN 1
                ELSE v.value END AS rank_value
    FROM indicator_value v JOIN p USING (code, period) JOIN ind AS i USING (code)
    WHERE v.ward_code IS NOT NULL AND v.value IS NOT NULL
),
r AS (
    SELECT code, ward_code, value, ytd,
           rank() OVER (PARTITION BY code ORDER BY CASE WHEN direction = 'higher' THEN -rank_value
                                                        ELSE rank_value END) AS rank,
           count(*) OVER (PARTITION BY code) AS ranked
    FROM w
)
SELECT ind.code, ind.sector, ind.name_vi, ind.name_en, ind.unit, ind.direction, ind.grain, ind.target,
       ind.targets, ind.target_aggregate, ind.headline, p.period, r.value, r.ytd, c.value AS city_value,
       -- a rank among one ward (a ward official's copy holds their ward alone) says nothing: none
       CASE WHEN r.ranked > 1 THEN r.rank END AS rank,
       coalesce(r.ranked, (SELECT count(*) FROM w WHERE w.code = ind.code)) AS ranked
FROM ind
JOIN p USING (code)
LEFT JOIN r ON r.code = ind.code AND r.ward_code = $ward
LEFT JOIN indicator_value c ON c.code = ind.code AND c.ward_code IS NULL AND c.period = p.period
ORDER BY ind.sector, ind.headline DESC, ind.code
"""


def indicators(con: duckdb.DuckDBPyConnection, ward: str, today: dt.date | None = None) -> pd.DataFrame:
    """Every indicator with ward values: the ward's value in the latest period with ward values, the city's
    value in that period, the ward's rank (1 = best, by the indicator's direction; ties share a rank) among
    the `ranked` wards with a value (none when it is the only one), the year's target and the ward's alert
    threshold. Small counts of people are masked in both values (flagged in `masked` and `city_masked`)."""
    df = frame(con, INDICATORS_SQL, {"ward": ward, "today": today or dt.date.today()})
    if df.empty:
        return df.assign(target_year=[], threshold=[], masked=[], mask_below=[], city_masked=[])
    masks = qi._masks(con)
    limit = df["code"].map(masks)
    df["city_masked"] = (df["city_value"].between(1, limit - 1) & limit.notna()).fillna(False).astype(bool)
    df = qi.mask(df, masks, ("value", "city_value", "ytd"))
    df["target_year"] = [qi._target(r.targets, r.target, r.period) for r in df.itertuples()]
    df["threshold"] = df["code"].map(qi._thresholds(con, ward)).astype(float)  # a ward's alert threshold
    df["rank"] = df["rank"].astype("Int64")
    df["ranked"] = df["ranked"].astype("Int64")
    return df


def _as_of(con: duckdb.DuckDBPyConnection, table: str, column: str, now: dt.datetime) -> dt.datetime | None:
    """The table's latest time, no later than now (a feed that stopped still shows its last month)."""
    last = one(con, f"SELECT max({column}) FROM {table} WHERE {column} <= ?", [now])[0]
    if last is None:
        return None
    return last if isinstance(last, dt.datetime) else dt.datetime.combine(last, dt.time())


def reports(con: duckdb.DuckDBPyConnection, rules: Rules, ward: str, now: dt.datetime, days: int = 30) -> pd.DataFrame:
    """Citizen reports received in the `days` days up to the latest report (no later than now), for the ward
    and the city: received, open and overdue (the report table's conditions), and the window.
    Empty when there is no report table."""
    if not has_table(con, REPORTS):
        return pd.DataFrame()
    end = _as_of(con, REPORTS, "created_at", now)
    if end is None:
        end = now
    start = end.date() - dt.timedelta(days=days - 1)
    df = frame(
        con,
        f"""
        SELECT count(*) FILTER (WHERE ward_code = $ward) AS received,
               count(*) FILTER (WHERE ward_code = $ward AND ({rules.open})) AS open,
               count(*) FILTER (WHERE ward_code = $ward AND ({rules.late})) AS overdue,
               count(*) AS city_received,
               count(*) FILTER (WHERE {rules.open}) AS city_open,
               count(*) FILTER (WHERE {rules.late}) AS city_overdue
        FROM {REPORTS}
        WHERE created_at >= $start AND created_at <= $end
    """,
        {"ward": ward, "start": start, "end": end},
    )
    return df.assign(start=start, end=end.date())


def latest_reports(
    con: duckdb.DuckDBPyConnection, rules: Rules, ward: str, now: dt.datetime, limit: int = 8
) -> pd.DataFrame:
    """The ward's latest reports (up to now): when, what, category, status, due and whether overdue."""
    if not has_table(con, REPORTS):
        return pd.DataFrame()
    return frame(
        con,
        f"""
        SELECT created_at, title, category, status, due_at, resolved_at, coalesce(({rules.late}), false) AS overdue
        FROM {REPORTS}
        WHERE ward_code = ? AND created_at <= ?
        ORDER BY created_at DESC
        LIMIT ?
    """,
        [ward, now, limit],
    )


def accidents(con: duckdb.DuckDBPyConnection, ward: str, today: dt.date) -> pd.DataFrame:
    """Traffic accidents in the ward from 1 January to the latest recorded day (no later than today) and
    in the same days of the year before: one row per year with start, end, cases, deaths and injuries
    (the city's in city_*). Empty when there is no accident table."""
    if not has_table(con, ACCIDENTS):
        return pd.DataFrame()
    last = _as_of(con, ACCIDENTS, "occurred_on", dt.datetime.combine(today, dt.time()))
    end = last.date() if last else today
    try:
        prev_end = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        prev_end = end.replace(year=end.year - 1, day=28)
    rows = []
    for start, stop in ((dt.date(end.year, 1, 1), end), (dt.date(end.year - 1, 1, 1), prev_end)):
        r = frame(
            con,
            f"""
            SELECT count(*) FILTER (WHERE ward_code = $ward) AS cases,
                   coalesce(sum(deaths) FILTER (WHERE ward_code = $ward), 0) AS deaths,
                   coalesce(sum(injuries) FILTER (WHERE ward_code = $ward), 0) AS injuries,
                   count(*) AS city_cases, coalesce(sum(deaths), 0) AS city_deaths,
                   coalesce(sum(injuries), 0) AS city_injuries
            FROM {ACCIDENTS}
            WHERE CAST(occurred_on AS DATE) >= $start AND CAST(occurred_on AS DATE) <= $stop
        """,
            {"ward": ward, "start": start, "stop": stop},
        )
        rows.append(r.assign(year=start.year, start=start, end=stop))
    return pd.concat(rows, ignore_index=True)


def accident_points(con: duckdb.DuckDBPyConnection, ward: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The ward's accidents between two days with a position: where, when, cause, deaths and injuries."""
    if not has_table(con, ACCIDENTS):
        return pd.DataFrame()
    return frame(
        con,
        f"""
        SELECT CAST(occurred_on AS DATE) AS day, location, cause, deaths, injuries, lat, lon
        FROM {ACCIDENTS}
        WHERE ward_code = ? AND CAST(occurred_on AS DATE) >= ? AND CAST(occurred_on AS DATE) <= ?
          AND lat IS NOT NULL AND lon IS NOT NULL
        ORDER BY day DESC
    """,
        [ward, start, end],
    )


def schools(con: duckdb.DuckDBPyConnection, ward: str) -> pd.DataFrame:
    """Schools of the latest school year by level for the ward (level NULL: all levels), with pupils,
    teachers and pupils per teacher, and the city's pupils per teacher for the same level. Empty when
    there is no school table."""
    if not has_table(con, SCHOOLS):
        return pd.DataFrame()
    return frame(
        con,
        f"""
        WITH s AS (SELECT * FROM {SCHOOLS} WHERE school_year = (SELECT max(school_year) FROM {SCHOOLS}))
        SELECT level, any_value(school_year) AS school_year,
               count(*) FILTER (WHERE ward_code = $ward) AS schools,
               coalesce(sum(pupils) FILTER (WHERE ward_code = $ward), 0) AS pupils,
               coalesce(sum(teachers) FILTER (WHERE ward_code = $ward), 0) AS teachers,
               sum(pupils) FILTER (WHERE ward_code = $ward) / nullif(sum(teachers) FILTER (WHERE ward_code = $ward), 0)
                   AS pupils_per_teacher,
               count(*) AS city_schools,
               sum(pupils) / nullif(sum(teachers), 0) AS city_pupils_per_teacher
        FROM s
        GROUP BY GROUPING SETS ((level), ())
        ORDER BY level NULLS FIRST
    """,
        {"ward": ward},
    )


def _km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def air(con: duckdb.DuckDBPyConnection, ward: str) -> pd.DataFrame:
    """The ward's air stations, and the nearest other one (in_ward False) when none of them has a latest
    value, with the distance from the ward's centre and the latest hourly VN_AQI (environment.latest_aqi).
    Empty without a station table."""
    if not has_table(con, qe.STATIONS):
        return pd.DataFrame()
    centre = con.execute("SELECT lat, lon FROM dim_ward WHERE ward_code = ?", [ward]).fetchone()
    if has_table(con, qe.HOURLY):
        st = qe.latest_aqi(con)
    else:
        st = qe.stations(con).assign(ts=pd.NaT, aqi=np.nan, band="none", colour="#BDBDBD", dominant=None)
    st = st.dropna(subset=["lat", "lon"]).copy()
    if st.empty:
        return st
    st["in_ward"] = st["ward_code"] == ward
    st["distance_km"] = (
        _km(centre[0], centre[1], st["lat"].to_numpy(float), st["lon"].to_numpy(float)) if centre else np.nan
    )
    out = st[st["in_ward"]]
    if out["aqi"].isna().all():  # no station here, or none with a latest value: the nearest that has one
        others = st[~st["in_ward"]].sort_values("distance_km")
        with_value = others.dropna(subset=["aqi"])
        out = pd.concat([out, (with_value if not with_value.empty else others).head(1)])
    return out.sort_values(["in_ward", "distance_km"], ascending=[False, True]).reset_index(drop=True)
