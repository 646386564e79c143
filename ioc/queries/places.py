"""Places a sector has on the map (accidents, reports, schools, facilities, hotels, sights, plans),
declared once per table and read by one query."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, has_table
from ioc.warehouse import ident


@dataclass(frozen=True)
class Places:
    table: str
    name: str  # column naming the place
    category: str  # column the map colours by
    date: Optional[str] = None  # column filtered by the page's period (none: a register of places)
    weight: Optional[str] = None  # SQL expression over the table's columns sizing a point (deaths + injuries)
    polygon: bool = False  # `geometry` holds GeoJSON polygons (zoning plans)
    detail: Optional[str] = None  # a column shown on hover after the category (a plan's decision number)
    by_period: bool = True  # the page's period filters `date`; False: every place shows (plans in force)


# sector → the tables of places its page draws (the first is the default)
PLACES: dict[str, list[Places]] = {
    "security": [Places("security_accidents", "location", "cause", "occurred_on", "deaths * 3 + injuries")],
    "citizen": [Places("citizen_reports", "title", "category", "created_at", detail="status")],
    "tourism": [Places("tourism_accommodation", "name", "kind"), Places("tourism_sights", "name", "kind")],
    "health": [Places("health_facilities", "name", "kind")],
    "education": [Places("education_schools", "name", "level")],
    "zoning": [Places("zoning_plans", "name", "land_use", "decision_date", polygon=True, detail="decision_no",
                       by_period=False)],
}


def available(con: duckdb.DuckDBPyConnection, sector: str) -> list[Places]:
    return [p for p in PLACES.get(sector, []) if has_table(con, p.table)]


def _scope(con: duckdb.DuckDBPyConnection, table: str, ward: Optional[str], start: Optional[dt.date],
           end: Optional[dt.date], cat: Category) -> tuple[Places, dict, str, list]:
    """The declared table's expressions and the FROM … WHERE that every query on its places shares."""
    spec = next(p for ps in PLACES.values() for p in ps if p.table == table)

    def col(name: str) -> str:  # the place table's own column (dim_ward has lat, lon and geometry too)
        return f"x.{ident(name)}"

    lat, lon = (col("centroid_lat"), col("centroid_lon")) if spec.polygon else (col("lat"), col("lon"))
    e = {
        "name": f"CAST({col(spec.name)} AS VARCHAR)", "category": f"CAST({col(spec.category)} AS VARCHAR)",
        "day": f"CAST({col(spec.date)} AS DATE)" if spec.date else "CAST(NULL AS DATE)",
        "weight": f"CAST({spec.weight or '1'} AS DOUBLE)",
        "detail": f"CAST({col(spec.detail)} AS VARCHAR)" if spec.detail else "CAST(NULL AS VARCHAR)",
        "lat": lat, "lon": lon, "geometry": col("geometry") if spec.polygon else "CAST(NULL AS VARCHAR)",
    }
    cat_sql, cat_params = category_clause(con, spec.table, cat, alias="x.")
    day = e["day"]
    sql = f"""
        FROM {ident(spec.table)} AS x LEFT JOIN dim_ward w ON w.ward_code = x.ward_code
        WHERE {lat} IS NOT NULL AND {lon} IS NOT NULL
          AND (CAST(? AS VARCHAR) IS NULL OR x.ward_code = ?)
          AND (CAST(? AS DATE) IS NULL OR {day} IS NULL OR {day} >= ?)
          AND (CAST(? AS DATE) IS NULL OR {day} IS NULL OR {day} <= ?) {cat_sql}"""
    return spec, e, sql, [ward, ward, start, start, end, end, *cat_params]


def points(
    con: duckdb.DuckDBPyConnection, table: str, ward: Optional[str], start: Optional[dt.date],
    end: Optional[dt.date], limit: int = 5000, cat: Category = None,
) -> pd.DataFrame:
    """The newest `limit` places of one declared table (lat, lon, name, category, ward, date, weight, geometry);
    how many there are in all is `counts`, and where they are when too many to draw one by one, `grid`."""
    _, e, where, params = _scope(con, table, ward, start, end, cat)
    return frame(con, f"""
        SELECT {e["name"]} AS name, {e["category"]} AS category, x.ward_code, w.name_vi AS ward_vi,
               w.name_en AS ward_en, {e["day"]} AS day, {e["weight"]} AS weight, {e["detail"]} AS detail,
               {e["lat"]} AS lat, {e["lon"]} AS lon, {e["geometry"]} AS geometry
        {where}
        ORDER BY day DESC NULLS LAST
        LIMIT ?
    """, [*params, limit])


def counts(
    con: duckdb.DuckDBPyConnection, table: str, ward: Optional[str], start: Optional[dt.date],
    end: Optional[dt.date], cat: Category = None,
) -> pd.DataFrame:
    """How many places of each category (all of them, however many the map draws), most first."""
    _, e, where, params = _scope(con, table, ward, start, end, cat)
    return frame(con, f"SELECT {e['category']} AS category, count(*) AS n {where} GROUP BY 1 ORDER BY 2 DESC, 1",
                 params)


def grid(
    con: duckdb.DuckDBPyConnection, table: str, ward: Optional[str], start: Optional[dt.date],
    end: Optional[dt.date], cat: Category = None, cell: float = 0.0025,
) -> pd.DataFrame:
    """The places counted per square cell of `cell` degrees (0.0025° ≈ 275 m here), with the cell's centre,
    its most frequent category and its weight: a density map when there are too many to draw one by one."""
    _, e, where, params = _scope(con, table, ward, start, end, cat)
    return frame(con, f"""
        SELECT (floor({e["lat"]} / ?) + 0.5) * ? AS lat, (floor({e["lon"]} / ?) + 0.5) * ? AS lon,
               count(*) AS n, sum({e["weight"]}) AS weight, mode({e["category"]}) AS top_category
        {where}
        GROUP BY 1, 2 ORDER BY n DESC
    """, [cell, cell, cell, cell, *params])
