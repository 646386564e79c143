"""Breakdowns a sector's page shows beside its indicators (late dossiers by agency, open reports by
category, incidents by kind): declared in the sector (ioc.views.Breakdown), answered by one query."""

from __future__ import annotations

import duckdb
import pandas as pd

from ioc.queries import Scope, frame
from ioc.views import Breakdown
from ioc.warehouse import ident


def breakdown(con: duckdb.DuckDBPyConnection, spec: Breakdown, dim: str, scope: Scope) -> pd.DataFrame:
    """The measure per value of `dim` (largest first), in the page's scope, its category left out when it is
    on `dim` itself (a breakdown by agency shows every agency). The measure is the config's, its conditions
    filled in (Config.measure)."""
    if dim not in spec.dims:
        raise ValueError(f"{dim!r} is not a breakdown of {spec.key}; expected one of {spec.dims}")
    where, params = scope.without_category(dim).clause(con, spec.table, spec.date)
    return frame(
        con,
        f"""
        SELECT coalesce(CAST({ident(dim)} AS VARCHAR), '–') AS label, {spec.measure} AS value, count(*) AS rows
        FROM {ident(spec.table)}
        WHERE {where}
        GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1
    """,
        params,
    )
