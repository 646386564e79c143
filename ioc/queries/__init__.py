"""Named, parameterised queries per sector. Each takes a DuckDB cursor on a snapshot and returns a small frame."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pandas as pd

from ioc.warehouse import has_table, ident, one

__all__ = ["Category", "Scope", "frame", "has_column", "has_table", "present"]


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


@dataclass(frozen=True)
class Scope:
    """What a page's filters narrow its views to: one ward (None: the city), a period (None: every row) and a
    category (column, value). Frozen, so a page caches a query by it."""

    ward: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    category: Category = None

    def without_category(self, column: str) -> Scope:
        """This scope without its category when it is on `column` (a breakdown by agency lists every agency)."""
        return replace(self, category=None) if self.category and self.category[0] == column else self

    def clause(
        self, con: duckdb.DuckDBPyConnection, table: str, date: str | None = None, alias: str = ""
    ) -> tuple[str, list]:
        """A condition narrowing a table's rows (`alias` its SQL prefix) to the scope, and its parameters: the
        period on `date` when given, the ward and the category where the table has those columns (a table
        without wards keeps the city's own figures when a ward is chosen)."""
        parts: list[str] = []
        params: list[Any] = []
        if date and self.start and self.end:
            parts.append(f"CAST({alias}{ident(date)} AS DATE) BETWEEN ? AND ?")
            params += [self.start, self.end]
        if self.ward and has_column(con, table, "ward_code"):
            parts.append(f"{alias}ward_code = ?")
            params.append(self.ward)
        if self.category and has_column(con, table, self.category[0]):
            parts.append(f"CAST({alias}{ident(self.category[0])} AS VARCHAR) = ?")
            params.append(self.category[1])
        return " AND ".join(parts) or "TRUE", params  # fmt: skip
