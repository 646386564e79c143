"""Breakdowns a sector's page shows beside its indicators (late dossiers by agency, open reports by
category, incidents by kind), declared once per question and answered by one query."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, has_table, ward_clause
from ioc.warehouse import ident

LATE_DOSSIER = ("(resolved_at IS NULL AND due_date < current_date) OR CAST(resolved_at AS DATE) > due_date")
# a report passed on to the body that holds the matter is closed without an answer of ours: neither open nor late
OPEN_REPORT = "(resolved_at IS NULL AND status IS DISTINCT FROM 'Không thuộc thẩm quyền')"
LATE_REPORT = f"({OPEN_REPORT} AND due_at < now()::TIMESTAMP) OR resolved_at > due_at"


@dataclass(frozen=True)
class Breakdown:
    key: str  # its title is the locale text breakdown.<key>
    table: str
    dims: tuple[str, ...]  # columns to break it down by (the first is the default)
    measure: str  # an aggregate over the table's rows, fixed here (never user input)
    date: Optional[str]  # the column the page's period filters (none: a register, every row counts)
    unit: str = ""  # locale key under breakdown_unit


BREAKDOWNS: dict[str, list[Breakdown]] = {
    "admin": [
        Breakdown("admin_late", "admin_dossiers", ("agency", "procedure", "field"),
                  f"count(*) FILTER (WHERE {LATE_DOSSIER})", "received_at", "dossiers"),
        Breakdown("admin_online", "admin_dossiers", ("agency", "field"),
                  "100.0 * count(*) FILTER (WHERE online) / count(*)", "received_at", "percent"),
    ],
    "citizen": [
        Breakdown("citizen_received", "citizen_reports", ("category", "agency", "channel"), "count(*)",
                  "created_at", "reports"),
        Breakdown("citizen_late", "citizen_reports", ("category", "agency"),
                  f"count(*) FILTER (WHERE {LATE_REPORT})", "created_at", "reports"),
        Breakdown("citizen_hours", "citizen_reports", ("category", "agency"),
                  "median(date_diff('hour', created_at, resolved_at))", "created_at", "hours"),
    ],
    "industry": [
        Breakdown("industry_occupancy", "industry_parks", ("name", "kind"), "avg(occupancy_pct)", None, "percent"),
    ],
    "resources": [
        Breakdown("resources_permits", "resources_water_permits", ("kind", "status"), "count(*)", None, "permits"),
    ],
    "science": [
        Breakdown("science_fields", "science_projects", ("field", "host", "result"), "count(*)", None, "projects"),
    ],
    "security": [
        Breakdown("security_incidents", "security_incidents_monthly", ("category",), "sum(cases)", "period", "cases"),
        Breakdown("security_causes", "security_accidents", ("cause", "vehicles"), "count(*)", "occurred_on", "cases"),
    ],
}


def available(con: duckdb.DuckDBPyConnection, sector: str) -> list[Breakdown]:
    return [b for b in BREAKDOWNS.get(sector, []) if has_table(con, b.table)]


def breakdown(
    con: duckdb.DuckDBPyConnection, key: str, dim: str, ward: Optional[str], start: dt.date, end: dt.date,
    cat: Category = None,
) -> pd.DataFrame:
    """The measure per value of `dim` (largest first), for one ward or the city, in the period, within the
    page's category filter (unless it is on `dim` itself: a breakdown by agency shows every agency)."""
    spec = next(b for bs in BREAKDOWNS.values() for b in bs if b.key == key)
    if dim not in spec.dims:
        raise ValueError(f"{dim!r} is not a breakdown of {key}; expected one of {spec.dims}")
    period_sql, params = (f"CAST({ident(spec.date)} AS DATE) BETWEEN ? AND ?", [start, end]) if spec.date else ("TRUE", [])
    ward_sql, ward_params = ward_clause(con, spec.table, ward)
    cat_sql, cat_params = category_clause(con, spec.table, cat if cat and cat[0] != dim else None)
    return frame(con, f"""
        SELECT coalesce(CAST({ident(dim)} AS VARCHAR), '–') AS label, {spec.measure} AS value, count(*) AS rows
        FROM {ident(spec.table)}
        WHERE {period_sql} {ward_sql} {cat_sql}
        GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1
    """, [*params, *ward_params, *cat_params])
