"""Named, parameterised queries per sector. Each takes a DuckDB cursor on a snapshot and returns a small frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from ioc.warehouse import has_table, ident, one

__all__ = ["Category", "category_clause", "frame", "has_column", "has_table", "present", "ward_clause"]


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def present(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> frozenset[str]:
    """Which of these tables the snapshot has."""
    return frozenset(
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND list_contains(?, table_name)",
            [list(names)],
        ).fetchall()
    )


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        one(
            con,
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ? AND schema_name = 'main'",
            [table, column],
        )[0]
    )


Category = tuple[str, str] | None  # a page's category filter: (column, value), e.g. ("agency", "Công an")


def category_clause(con: duckdb.DuckDBPyConnection, table: str, cat: Category, alias: str = "") -> tuple[str, list]:
    """`AND column = ?` for a category filter, or nothing when the table has no such column (a page's
    filter on the agency leaves a table without agencies as it is)."""
    if not cat or not has_column(con, table, cat[0]):
        return "", []
    return f"AND CAST({alias}{ident(cat[0])} AS VARCHAR) = ?", [cat[1]]


def ward_clause(con: duckdb.DuckDBPyConnection, table: str, ward: str | None) -> tuple[str, list]:
    """`AND ward_code = ?` for a page's ward, or nothing for the whole city or a table without wards
    (the city's own figures stay as they are when a ward is chosen)."""
    if not ward or not has_column(con, table, "ward_code"):
        return "", []
    return "AND ward_code = ?", [ward]
