"""Registers a sector's page lists in full (investment projects, industrial parks, science projects):
declared once per table, read by one query, filtered like the rest of the page."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, has_column, has_table, ward_clause
from ioc.warehouse import ident


@dataclass(frozen=True)
class Register:
    key: str  # its title is the locale text register.<key>; its columns' labels register_col.<column>
    table: str
    columns: tuple[str, ...]
    order: str  # column to sort by, largest or latest first
    date: Optional[str] = None  # the column the page's period filters (none: every row, a register of things)


REGISTERS: dict[str, list[Register]] = {
    "zoning": [
        Register("zoning_projects", "zoning_projects",
                 ("name", "investor", "ward_name", "area_ha", "capital_bvnd", "decision_no", "decision_date", "status",
                  "disbursed_pct"), "decision_date"),
        Register("zoning_plans", "zoning_plans",
                 ("name", "land_use", "plan_level", "area_ha", "decision_no", "decision_date", "approved_by", "status"),
                 "decision_date"),
    ],
    "resources": [
        Register("resources_water_permits", "resources_water_permits",
                 ("permit_no", "holder", "kind", "ward_name", "flow_m3_day", "issued_on", "expires_on", "status"),
                 "issued_on"),
    ],
    "industry": [
        Register("industry_parks", "industry_parks",
                 ("name", "kind", "ward_name", "area_ha", "leased_ha", "occupancy_pct", "projects_domestic",
                  "projects_fdi", "workers"), "occupancy_pct"),
    ],
    "science": [
        Register("science_projects", "science_projects",
                 ("title", "field", "host", "approved_year", "budget_mvnd", "accepted_on", "result"), "approved_year"),
    ],
}


def available(con: duckdb.DuckDBPyConnection, sector: str) -> list[Register]:
    return [r for r in REGISTERS.get(sector, []) if has_table(con, r.table)]


def rows(
    con: duckdb.DuckDBPyConnection, key: str, ward: Optional[str], start: Optional[dt.date], end: Optional[dt.date],
    cat: Category = None, limit: int = 2000,
) -> pd.DataFrame:
    """The register's rows in the page's ward and category (and period, when it has a date), newest first."""
    spec = next(r for rs in REGISTERS.values() for r in rs if r.key == key)
    cols = [c for c in spec.columns if has_column(con, spec.table, c)]
    dated = spec.date and start and end
    period_sql, params = (f"CAST({ident(spec.date)} AS DATE) BETWEEN ? AND ?", [start, end]) if dated else ("TRUE", [])
    ward_sql, ward_params = ward_clause(con, spec.table, ward)
    cat_sql, cat_params = category_clause(con, spec.table, cat)
    return frame(con, f"""
        SELECT {", ".join(ident(c) for c in cols)} FROM {ident(spec.table)}
        WHERE {period_sql} {ward_sql} {cat_sql}
        ORDER BY {ident(spec.order)} DESC NULLS LAST LIMIT ?
    """, [*params, *ward_params, *cat_params, limit])
