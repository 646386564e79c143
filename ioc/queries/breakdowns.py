"""Breakdowns a sector's page shows beside its indicators (late dossiers by agency, open reports by
category, incidents by kind): declared in the sector (ioc.views.Breakdown), answered by one query."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, ward_clause
from ioc.views import Breakdown
from ioc.warehouse import ident


def breakdown(
    con: duckdb.DuckDBPyConnection,
    spec: Breakdown,
    dim: str,
    ward: str | None,
    start: dt.date,
    end: dt.date,
    cat: Category = None,
) -> pd.DataFrame:
    """The measure per value of `dim` (largest first), for one ward or the city, in the period, within the
    page's category filter (unless it is on `dim` itself: a breakdown by agency shows every agency).
    The spec's measure is the config's, its conditions filled in (Config.measure)."""
    if dim not in spec.dims:
        raise ValueError(f"{dim!r} is not a breakdown of {spec.key}; expected one of {spec.dims}")
    period_sql, params = (
        (f"CAST({ident(spec.date)} AS DATE) BETWEEN ? AND ?", [start, end]) if spec.date else ("TRUE", [])
    )
    ward_sql, ward_params = ward_clause(con, spec.table, ward)
    cat_sql, cat_params = category_clause(con, spec.table, cat if cat and cat[0] != dim else None)
    return frame(
        con,
        f"""
        SELECT coalesce(CAST({ident(dim)} AS VARCHAR), '–') AS label, {spec.measure} AS value, count(*) AS rows
        FROM {ident(spec.table)}
        WHERE {period_sql} {ward_sql} {cat_sql}
        GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1
    """,
        [*params, *ward_params, *cat_params],
    )
