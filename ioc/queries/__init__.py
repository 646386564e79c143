"""Named, parameterised queries per sector. Each takes a DuckDB cursor on a snapshot and returns a small frame."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import duckdb
import pandas as pd


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Optional[Sequence[Any] | dict] = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
    ).fetchone()[0])
