"""Registers a sector's page lists in full (investment projects, industrial parks, science projects):
declared in the sector (ioc.views.Register), read by one query, filtered like the rest of the page."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, has_column, ward_clause
from ioc.views import Register
from ioc.warehouse import ident


def rows(
    con: duckdb.DuckDBPyConnection,
    spec: Register,
    ward: str | None,
    start: dt.date | None,
    end: dt.date | None,
    cat: Category = None,
    limit: int = 2000,
) -> pd.DataFrame:
    """The register's rows in the page's ward and category (and period, when it has a date), newest first."""
    cols = [c for c in spec.columns if has_column(con, spec.table, c)]
    if spec.date and start and end:
        period_sql, params = f"CAST({ident(spec.date)} AS DATE) BETWEEN ? AND ?", [start, end]
    else:
        period_sql, params = "TRUE", []
    ward_sql, ward_params = ward_clause(con, spec.table, ward)
    cat_sql, cat_params = category_clause(con, spec.table, cat)
    return frame(
        con,
        f"""
        SELECT {", ".join(ident(c) for c in cols)} FROM {ident(spec.table)}
        WHERE {period_sql} {ward_sql} {cat_sql}
        ORDER BY {ident(spec.order)} DESC NULLS LAST LIMIT ?
    """,
        [*params, *ward_params, *cat_params, limit],
    )
