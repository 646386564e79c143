"""The data catalog: the snapshot's tables, their rows, lineage, rejects, and per-column profiles."""

from __future__ import annotations

import duckdb
import pandas as pd

from ioc.queries import frame, has_table
from ioc.search import SEARCH_INDEX, SYSTEM_TABLES, all_tables, table_names, text_values_sql
from ioc.warehouse import ident, one

__all__ = ["SYSTEM_TABLES", "all_tables", "table_names"]
SAMPLE_ROWS = 2000  # examples come from a repeatable sample, so big tables stay fast


def tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per table: table_name, rows (exact), columns."""
    names = table_names(con)
    if not names:
        return pd.DataFrame({"table_name": [], "rows": [], "columns": []})
    counts = " UNION ALL ".join(f"SELECT ? AS table_name, count(*) AS rows FROM {ident(n)}" for n in names)
    df = frame(
        con,
        f"""
        WITH c AS ({counts})
        SELECT c.table_name, c.rows, (SELECT count(*) FROM information_schema.columns i
                                      WHERE i.table_name = c.table_name AND i.table_schema = 'main') AS columns
        FROM c
    """,
        names,
    )
    return df.set_index("table_name").loc[names].reset_index()


def all_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """table_name, column_name, data_type of every table (for search and the console's list)."""
    return frame(
        con,
        """
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'main' ORDER BY table_name, ordinal_position
    """,
    )


def reject_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rejects of each source's latest loaded run (the run whose rows the table holds)."""
    return frame(
        con,
        """
        SELECT l.table_name, l.source, l.run_id, count(r.source) AS rejects
        FROM _lineage l LEFT JOIN _rejects r ON r.source = l.source AND r.run_id = l.run_id
        GROUP BY ALL ORDER BY l.table_name, l.source
    """,
    )


def rejects(con: duckdb.DuckDBPyConnection, source: str, run_id: int, limit: int = 1000) -> pd.DataFrame:
    """The rejected rows of one run: row number in the department's file, column, value and reason."""
    return frame(
        con,
        """
        SELECT row_number, column_name, value, reason FROM _rejects
        WHERE source = ? AND run_id = ? ORDER BY row_number, column_name LIMIT ?
    """,
        [source, run_id, limit],
    )


def dropped(con: duckdb.DuckDBPyConnection, source: str, limit: int = 1000) -> pd.DataFrame:
    """The rows a source's last load set aside as not data: row number in the file, why, and its text."""
    return frame(
        con,
        "SELECT row_number, reason, text FROM _dropped WHERE source = ? ORDER BY row_number LIMIT ?",
        [source, limit],
    )


def profile(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Per column: name, type, null share (0–1), approximate distinct count, and up to 3 example values."""
    cols = frame(
        con,
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position
    """,
        [table],
    )
    if cols.empty:
        return cols.assign(null_share=[], distinct=[], examples=[])
    t = ident(table)
    stats = ", ".join(f"count(*) - count({ident(c)}), approx_count_distinct({ident(c)})" for c in cols["column_name"])
    total, *flat = one(con, f"SELECT count(*), {stats} FROM {t}")
    examples = ", ".join(
        f"list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL)" for c in cols["column_name"]
    )
    sample = one(
        con, f"SELECT {examples} FROM (SELECT * FROM {t} USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"
    )
    cols["null_share"] = [(flat[2 * i] / total) if total else None for i in range(len(cols))]
    cols["distinct"] = [flat[2 * i + 1] for i in range(len(cols))]
    cols["examples"] = [_first(v or [], 3) for v in sample]
    return cols


def text_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """table_name, column_name, value of text columns with few distinct values (ward names, categories),
    so the catalog search finds "Phú Cường" in the tables that hold it: from the snapshot's index when it
    has one (every snapshot built by ingest does), else computed."""
    if has_table(con, SEARCH_INDEX):
        return frame(con, f"SELECT table_name, column_name, value FROM {SEARCH_INDEX}")
    return _text_values(con)


def _text_values(con: duckdb.DuckDBPyConnection, only: list[str] | None = None) -> pd.DataFrame:
    q = text_values_sql(con, only)
    if q is None:
        return pd.DataFrame({"table_name": [], "column_name": [], "value": []})
    return frame(con, q[0], q[1])


def _first(values: list, n: int) -> list:
    try:
        return sorted(values)[:n]
    except TypeError:  # mixed types cannot be ordered; any stable order will do
        return sorted(values, key=str)[:n]
