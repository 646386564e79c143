"""Registers a sector's page lists in full (investment projects, industrial parks, science projects):
declared in the sector (ioc.views.Register), read by one query, filtered like the rest of the page."""

from __future__ import annotations

import duckdb
import pandas as pd

from ioc.queries import Scope, frame, has_column
from ioc.views import Register
from ioc.warehouse import ident


def rows(con: duckdb.DuckDBPyConnection, spec: Register, scope: Scope, limit: int = 2000) -> pd.DataFrame:
    """The register's rows in the page's ward and category (and period, when it has a date), newest first."""
    cols = [c for c in spec.columns if has_column(con, spec.table, c)]
    where, params = scope.clause(con, spec.table, spec.date)
    return frame(
        con,
        f"""
        SELECT {", ".join(ident(c) for c in cols)} FROM {ident(spec.table)}
        WHERE {where}
        ORDER BY {ident(spec.order)} DESC NULLS LAST LIMIT ?
    """,
        [*params, limit],
    )
