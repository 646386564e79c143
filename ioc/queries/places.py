"""Places a sector has on the map (accidents, reports, schools, facilities, hotels, sights, plans):
declared in the sector (ioc.views.Places), read by one query."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from ioc.queries import Scope, frame
from ioc.views import Places
from ioc.warehouse import ident


def _scope(con: duckdb.DuckDBPyConnection, spec: Places, scope: Scope) -> tuple[dict, str, list]:
    """The declared table's expressions and the FROM … WHERE that every query on its places shares: the
    page's ward and category, and its period on the places' date (a place without one always shows)."""

    def col(name: str) -> str:  # the place table's own column (dim_ward has lat, lon and geometry too)
        return f"x.{ident(name)}"

    lat, lon = (col("centroid_lat"), col("centroid_lon")) if spec.polygon else (col("lat"), col("lon"))
    e = {
        "name": f"CAST({col(spec.name)} AS VARCHAR)",
        "category": f"CAST({col(spec.category)} AS VARCHAR)",
        "day": f"CAST({col(spec.date)} AS DATE)" if spec.date else "CAST(NULL AS DATE)",
        "weight": f"CAST({spec.weight or '1'} AS DOUBLE)",
        "detail": f"CAST({col(spec.detail)} AS VARCHAR)" if spec.detail else "CAST(NULL AS VARCHAR)",
        "lat": lat,
        "lon": lon,
        "geometry": col("geometry") if spec.polygon else "CAST(NULL AS VARCHAR)",
    }
    where, params = replace(scope, start=None, end=None).clause(con, spec.table, alias="x.")
    day, start, end = e["day"], scope.start, scope.end
    sql = f"""
        FROM {ident(spec.table)} AS x LEFT JOIN dim_ward w ON w.ward_code = x.ward_code
        WHERE {lat} IS NOT NULL AND {lon} IS NOT NULL AND {where}
          AND (CAST(? AS DATE) IS NULL OR {day} IS NULL OR {day} >= ?)
          AND (CAST(? AS DATE) IS NULL OR {day} IS NULL OR {day} <= ?)"""
    return e, sql, [*params, start, start, end, end]


def points(con: duckdb.DuckDBPyConnection, spec: Places, scope: Scope, limit: int = 5000) -> pd.DataFrame:
    """The newest `limit` places of one declared table (lat, lon, name, category, ward, date, weight, geometry);
    how many there are in all is `counts`, and where they are when too many to draw one by one, `grid`."""
    e, where, params = _scope(con, spec, scope)
    return frame(
        con,
        f"""
        SELECT {e["name"]} AS name, {e["category"]} AS category, x.ward_code, w.name_vi AS ward_vi,
               w.name_en AS ward_en, {e["day"]} AS day, {e["weight"]} AS weight, {e["detail"]} AS detail,
               {e["lat"]} AS lat, {e["lon"]} AS lon, {e["geometry"]} AS geometry
        {where}
        ORDER BY day DESC NULLS LAST
        LIMIT ?
    """,
        [*params, limit],
    )


def counts(con: duckdb.DuckDBPyConnection, spec: Places, scope: Scope) -> pd.DataFrame:
    """How many places of each category (all of them, however many the map draws), most first."""
    e, where, params = _scope(con, spec, scope)
    return frame(
        con, f"SELECT {e['category']} AS category, count(*) AS n {where} GROUP BY 1 ORDER BY 2 DESC, 1", params
    )


def grid(con: duckdb.DuckDBPyConnection, spec: Places, scope: Scope, cell: float = 0.0025) -> pd.DataFrame:
    """The places counted per square cell of `cell` degrees (0.0025° ≈ 275 m here), with the cell's centre,
    its most frequent category and its weight: a density map when there are too many to draw one by one."""
    e, where, params = _scope(con, spec, scope)
    return frame(
        con,
        f"""
        SELECT (floor({e["lat"]} / ?) + 0.5) * ? AS lat, (floor({e["lon"]} / ?) + 0.5) * ? AS lon,
               count(*) AS n, sum({e["weight"]}) AS weight, mode({e["category"]}) AS top_category
        {where}
        GROUP BY 1, 2 ORDER BY n DESC
    """,
        [cell, cell, cell, cell, *params],
    )
