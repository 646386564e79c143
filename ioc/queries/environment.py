"""Air quality: stations, hourly and daily concentrations, VN_AQI and days over the QCVN limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from ioc import aqi
from ioc.queries import frame
from ioc.warehouse import ident, one

HOURLY, DAILY, STATIONS = "env_air_hourly", "env_air_daily", "env_stations"


def _pollutant(p: str) -> str:
    if p not in aqi.POLLUTANTS:
        raise ValueError(f"unknown pollutant {p!r}; expected one of {aqi.POLLUTANTS}")
    return ident(p)


def stations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        f"""
        SELECT s.station_code, s.name, s.ward_code, w.name_vi AS ward_vi, w.name_en AS ward_en, s.lat, s.lon, s.kind
        FROM {STATIONS} s LEFT JOIN dim_ward w USING (ward_code) ORDER BY s.station_code
    """,
    )


def data_range(con: duckdb.DuckDBPyConnection) -> dict:
    """First and last day with daily data, and the last hour with hourly data."""
    d = one(con, f"SELECT min(date), max(date) FROM {DAILY}")
    h = one(con, f"SELECT min(ts), max(ts) FROM {HOURLY}")
    return {"daily_first": d[0], "daily_last": d[1], "hourly_first": h[0], "hourly_last": h[1]}


def latest_aqi(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per station: the hourly VN_AQI at the latest hour of the network (NowCast for PM), and the values behind it."""
    raw = frame(
        con,
        f"""
        WITH last AS (SELECT max(ts) AS ts FROM {HOURLY})
        SELECT h.station_code, h.ts, h.pm25, h.pm10, h.no2, h.so2, h.co, h.o3
        FROM {HOURLY} h, last
        WHERE h.ts > last.ts - INTERVAL 12 HOUR AND h.ts <= last.ts
        ORDER BY h.station_code, h.ts DESC
    """,
    )
    st = stations(con)
    if raw.empty:
        return st.assign(ts=pd.NaT, aqi=np.nan, band="none", colour=aqi.band(None)[1], pm25=np.nan, dominant=None)
    last_ts = raw["ts"].max()
    # every station × the 12 hourly slots, newest first, NaN where the station was silent: one reindex
    slots = pd.date_range(end=last_ts, periods=12, freq="h")[::-1]
    codes = sorted(raw["station_code"].unique())
    grid = (
        raw.drop_duplicates(["station_code", "ts"])
        .set_index(["station_code", "ts"])
        .reindex(pd.MultiIndex.from_product([codes, slots], names=["station_code", "ts"]))
    )
    newest = {p: grid[p].to_numpy(dtype=float).reshape(len(codes), 12) for p in aqi.POLLUTANTS}
    values = {
        p: np.array([np.nan if (n := aqi.nowcast(row)) is None else n for row in newest[p]])
        if p in ("pm25", "pm10")
        else newest[p][:, 0]
        for p in aqi.POLLUTANTS
    }
    subs = {p: aqi.sub_index(p, v) for p, v in values.items()}
    index = aqi.aqi(values)
    rows = []
    for k, code in enumerate(codes):
        dominant = max((p for p in subs if not np.isnan(subs[p][k])), key=lambda p: subs[p][k], default=None)
        key, colour = aqi.band(index[k])
        rows.append(
            {
                "station_code": code,
                "ts": last_ts,
                "aqi": index[k],
                "band": key,
                "colour": colour,
                "pm25_now": newest["pm25"][k, 0],
                "pm25_nowcast": values["pm25"][k],
                "dominant": dominant,
            }
        )
    out = st.merge(pd.DataFrame(rows), on="station_code", how="left")
    out["band"] = out["band"].fillna("none")
    out["colour"] = out["colour"].fillna(aqi.band(None)[1])
    return out


GRAINS = {"week", "month"}


def _series_sql(
    pollutant: str, grain: str, start: dt.date, end: dt.date, station_codes: Sequence[str] | None
) -> tuple[str, list]:
    col = _pollutant(pollutant)
    codes = list(station_codes) if station_codes else None
    stations = "(CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), station_code))"
    if grain in GRAINS:
        return (
            f"""SELECT station_code, CAST(date_trunc(?, date) AS TIMESTAMP) AS t, avg({col}) AS value
                    FROM {DAILY} WHERE date >= ? AND date <= ? AND {stations} GROUP BY ALL""",
            [grain, start, end, codes, codes],
        )
    if grain == "hour":
        return (
            f"""SELECT station_code, ts AS t, {col} AS value FROM {HOURLY}
                    WHERE ts >= ? AND ts < ? + INTERVAL 1 DAY AND {stations}""",
            [start, end, codes, codes],
        )
    return (
        f"""SELECT station_code, CAST(date AS TIMESTAMP) AS t, {col} AS value FROM {DAILY}
                WHERE date >= ? AND date <= ? AND {stations}""",
        [start, end, codes, codes],
    )


def series(
    con: duckdb.DuckDBPyConnection,
    pollutant: str,
    grain: str,
    start: dt.date,
    end: dt.date,
    station_codes: Sequence[str] | None = None,
    summary: bool = False,
) -> pd.DataFrame:
    """Concentration of one pollutant per station and hour ('hour'), day ('day'), or the mean of the
    daily means per week or month ('week', 'month'), µg/m³. With `summary`, for when there are too many
    stations to draw a line each: the stations' median and highest value at each time (series 'median' |
    'max'), with how many stations had a value then (`stations`)."""
    sql, params = _series_sql(pollutant, grain, start, end, station_codes)
    if not summary:
        return frame(con, f"{sql} ORDER BY station_code, t", params)
    return frame(
        con,
        f"""
        WITH s AS ({sql})
        SELECT t, 'median' AS series, median(value) AS value, count(value) AS stations FROM s GROUP BY t
        UNION ALL
        SELECT t, 'max' AS series, max(value) AS value, count(value) AS stations FROM s GROUP BY t
        ORDER BY series DESC, t
    """,
        params,
    )


def daily_aqi(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, station_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Daily VN_AQI per station from 24-hour means, with its band and the dominant pollutant."""
    codes = list(station_codes) if station_codes else None
    df = frame(
        con,
        f"""
        SELECT station_code, date, pm25, pm10, no2, so2, co, o3 FROM {DAILY}
        WHERE date >= ? AND date <= ?
          AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), station_code))
        ORDER BY date, station_code
    """,
        [start, end, codes, codes],
    )
    if df.empty:
        return df.assign(aqi=[], band=[], colour=[])
    df["aqi"] = aqi.aqi({p: df[p].to_numpy(dtype=float) for p in aqi.POLLUTANTS})
    bands = [aqi.band(v) for v in df["aqi"]]
    df["band"] = [b[0] for b in bands]
    df["colour"] = [b[1] for b in bands]
    return df


def exceedances(
    con: duckdb.DuckDBPyConnection,
    pollutant: str,
    limit: float,
    start: dt.date,
    end: dt.date,
    station_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per station: days with data, days whose 24-hour mean is over the limit, and the period mean."""
    col = _pollutant(pollutant)
    codes = list(station_codes) if station_codes else None
    return frame(
        con,
        f"""
        SELECT station_code, count({col}) AS days, count(*) FILTER (WHERE {col} > ?) AS days_over,
               avg({col}) AS mean, max({col}) AS max
        FROM {DAILY}
        WHERE date >= ? AND date <= ?
          AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), station_code))
        GROUP BY station_code ORDER BY station_code
    """,
        [limit, start, end, codes, codes],
    )
