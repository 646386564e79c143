"""Queries of the video wall: indicator values over a threshold (the attention strip)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ioc.queries import frame
from ioc.queries import indicators as qi


def past_threshold(
    con: duckdb.DuckDBPyConnection,
    code: str,
    threshold: float,
    scope: str = "city",
    direction: str = "lower",
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The latest city value (scope 'city') or each ward's value in the latest period with ward values
    (scope 'wards') of an indicator, where it is past `threshold` in the bad direction (above it when lower
    is better, under it when higher is); worst first. Columns ward_code, name_vi, name_en, period, value.
    The latest period is the one the tiles show: a month in progress is not (qi.PARTIAL)."""
    sign = 1 if direction == "lower" else -1
    return frame(
        con,
        f"""
        WITH v AS (SELECT v.ward_code, v.period, v.value FROM indicator_value v JOIN indicator i USING (code)
                   WHERE v.code = $code AND (v.ward_code IS NULL) = ($scope = 'city')
                     AND NOT {qi.PARTIAL})
        SELECT v.ward_code, d.name_vi, d.name_en, v.period, v.value
        FROM v LEFT JOIN dim_ward d USING (ward_code)
        WHERE v.period = (SELECT max(period) FROM v) AND $sign * (v.value - $threshold) > 0
        ORDER BY $sign * v.value DESC, v.ward_code
    """,
        {"code": code, "scope": scope, "threshold": threshold, "sign": sign, "today": today or dt.date.today()},
    )
