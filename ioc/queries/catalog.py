"""The data catalog: the snapshot's tables, their rows, lineage, rejects, and per-column profiles."""
from __future__ import annotations

from typing import Optional

import duckdb
import pandas as pd

from ioc.queries import frame, has_table
from ioc.warehouse import ident

# the warehouse's own tables that analysts read (the rest starting with "_" is bookkeeping)
SYSTEM_TABLES = ("dim_ward", "indicator", "indicator_value", "_runs", "_rejects", "_lineage")
SAMPLE_ROWS = 2000  # examples come from a repeatable sample, so big tables stay fast
SEARCH_VALUES_MAX = 200  # text columns with at most this many distinct values are searchable by value


def table_names(con: duckdb.DuckDBPyConnection, present: Optional[list[str]] = None) -> list[str]:
    """Sector tables, then the system tables, as present in the snapshot (or among `present`, all its tables)."""
    names = sorted(present if present is not None else all_tables(con))
    return [n for n in names if not n.startswith("_") and n not in SYSTEM_TABLES] + [n for n in SYSTEM_TABLES if n in names]


def all_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]


def tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per table: table_name, rows (exact), columns."""
    names = table_names(con)
    if not names:
        return pd.DataFrame({"table_name": [], "rows": [], "columns": []})
    counts = " UNION ALL ".join(f"SELECT ? AS table_name, count(*) AS rows FROM {ident(n)}" for n in names)
    df = frame(con, f"""
        WITH c AS ({counts})
        SELECT c.table_name, c.rows, (SELECT count(*) FROM information_schema.columns i
                                      WHERE i.table_name = c.table_name AND i.table_schema = 'main') AS columns
        FROM c
    """, names)
    return df.set_index("table_name").loc[names].reset_index()


def all_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """table_name, column_name, data_type of every table (for search and the console's list)."""
    return frame(con, """
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'main' ORDER BY table_name, ordinal_position
    """)


def lineage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Where each table's rows came from: source, connector, location, last good load (UTC), run id, rows."""
    return frame(con, """
        SELECT table_name, source, connector, sector, location, mode, last_good_load, run_id, rows
        FROM _lineage ORDER BY table_name, source
    """)


def reject_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rejects of each source's latest loaded run (the run whose rows the table holds)."""
    return frame(con, """
        SELECT l.table_name, l.source, l.run_id, count(r.source) AS rejects
        FROM _lineage l LEFT JOIN _rejects r ON r.source = l.source AND r.run_id = l.run_id
        GROUP BY ALL ORDER BY l.table_name, l.source
    """)


def rejects(con: duckdb.DuckDBPyConnection, source: str, run_id: int, limit: int = 1000) -> pd.DataFrame:
    """The rejected rows of one run: row number in the department's file, column, value and reason."""
    return frame(con, """
        SELECT row_number, column_name, value, reason FROM _rejects
        WHERE source = ? AND run_id = ? ORDER BY row_number, column_name LIMIT ?
    """, [source, run_id, limit])


def profile(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Per column: name, type, null share (0–1), approximate distinct count, and up to 3 example values."""
    cols = frame(con, """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position
    """, [table])
    if cols.empty:
        return cols.assign(null_share=[], distinct=[], examples=[])
    t = ident(table)
    stats = ", ".join(
        f"count(*) - count({ident(c)}), approx_count_distinct({ident(c)})" for c in cols["column_name"]
    )
    total, *flat = con.execute(f"SELECT count(*), {stats} FROM {t}").fetchone()
    examples = ", ".join(
        f"list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL)" for c in cols["column_name"]
    )
    sample = con.execute(
        f"SELECT {examples} FROM (SELECT * FROM {t} USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"
    ).fetchone()
    cols["null_share"] = [(flat[2 * i] / total) if total else None for i in range(len(cols))]
    cols["distinct"] = [flat[2 * i + 1] for i in range(len(cols))]
    cols["examples"] = [_first(v or [], 3) for v in sample]
    return cols


SEARCH_INDEX = "_search_values"
SEARCH_ROWS = 100_000


def build_search_index(con: duckdb.DuckDBPyConnection, changed: Optional[set[str]] = None) -> None:
    """Store text_values() in the snapshot being built, so the app reads a small table instead.

    With `changed` (the tables loaded by this run), the rows of the other sector tables are kept from the
    snapshot this one was copied from; the system tables, small and changing with every run, are redone."""
    parts, params = [], {}
    present = all_tables(con)
    names = table_names(con, present)
    if changed is not None and SEARCH_INDEX in present:
        redo = set(changed) | set(SYSTEM_TABLES)
        parts.append(f"SELECT table_name, column_name, value FROM {SEARCH_INDEX} "
                     "WHERE list_contains($keep, table_name)")
        params["keep"] = [t for t in names if t not in redo]
        fresh = _text_values_sql(con, [t for t in names if t in redo], names)
    else:
        fresh = _text_values_sql(con, None, names)
    if fresh is not None:
        parts.append(fresh[0])
        params |= fresh[1]
    if not parts:
        parts.append("SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS column_name, NULL::VARCHAR AS value LIMIT 0")
    # the old index is read whole before it is replaced
    con.execute(f"CREATE OR REPLACE TABLE {SEARCH_INDEX} AS {' UNION ALL '.join(parts)}", params)


def text_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """table_name, column_name, value of text columns with few distinct values (ward names, categories),
    so the catalog search finds "Phú Cường" in the tables that hold it: from the snapshot's index when it
    has one (every snapshot built by ingest does), else computed."""
    if has_table(con, SEARCH_INDEX):
        return frame(con, f"SELECT table_name, column_name, value FROM {SEARCH_INDEX}")
    return _text_values(con)


def _text_values(con: duckdb.DuckDBPyConnection, only: Optional[list[str]] = None) -> pd.DataFrame:
    q = _text_values_sql(con, only)
    if q is None:
        return pd.DataFrame({"table_name": [], "column_name": [], "value": []})
    return frame(con, q[0], q[1])


def _text_values_sql(con: duckdb.DuckDBPyConnection, only: Optional[list[str]] = None,
                     names: Optional[list[str]] = None) -> Optional[tuple[str, dict]]:
    """A SELECT of (table_name, column_name, value) for the searchable text columns of the tables (all by
    default), with its parameters; None when there are none. The first SEARCH_ROWS rows of a table are read
    (by rowid, which skips the rest of the table's storage; a LIMIT subquery costs ten times more)."""
    tables = [t for t in (names if names is not None else table_names(con)) if only is None or t in only]
    cols = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' AND data_type = 'VARCHAR' "
        "AND list_contains($t, table_name) ORDER BY table_name, column_index", {"t": tables}).fetchall()
    if not cols:
        return None
    by_table: dict[str, list[str]] = {}
    for t, c in cols:
        by_table.setdefault(t, []).append(c)
    # a HyperLogLog estimate first (a few KB per column), so exact distinct lists are built only for the
    # columns that may qualify, not for titles and ids with a hash table each (hundreds of MB at scale)
    estimates = " UNION ALL ".join(
        f"SELECT {i} AS t, [{', '.join(f'approx_count_distinct({ident(c)})' for c in names)}] AS n, count(*) AS rows "
        f"FROM {ident(t)} WHERE rowid < {SEARCH_ROWS}" for i, (t, names) in enumerate(by_table.items()))
    approx = {i: (n, rows) for i, n, rows in con.execute(estimates).fetchall()}
    parts, params = [], {}
    for i, (table, names) in enumerate(by_table.items()):
        n, rows = approx[i]
        kept = [c for c, m in zip(names, n) if m <= SEARCH_VALUES_MAX * 1.2]  # the estimate errs a little
        if not kept:
            continue
        k = len(parts)
        if rows <= 10_000:
            # a small table (the system tables): one pass for all its columns, as a UNION of one per column
            # cost 3x more; list_distinct (it drops NULLs), as several DISTINCT aggregates in one query cost
            # 15x more (DuckDB 2.0)
            lists = ", ".join(f"list_distinct(list({ident(c)}))" for c in kept)
            parts.append(f"SELECT $t{k} AS table_name, unnest($c{k}) AS column_name, unnest([{lists}]) AS vals "
                         f"FROM {ident(table)} WHERE rowid < {SEARCH_ROWS}")
            params |= {f"t{k}": table, f"c{k}": kept}
            continue
        for c in kept:  # a big one: a hash of distinct values per column, not a list of every value
            k = len(parts)
            parts.append(f"SELECT $t{k} AS table_name, $c{k} AS column_name, "
                         f"list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL) AS vals "
                         f"FROM {ident(table)} WHERE rowid < {SEARCH_ROWS}")
            params |= {f"t{k}": table, f"c{k}": c}
    if not parts:
        return None
    sql = (f"SELECT CAST(table_name AS VARCHAR) AS table_name, CAST(column_name AS VARCHAR) AS column_name, "
           f"CAST(value AS VARCHAR) AS value FROM (SELECT table_name, column_name, unnest(vals) AS value "
           f"FROM ({' UNION ALL '.join(parts)}) WHERE len(vals) <= {SEARCH_VALUES_MAX})")
    return sql, params


def _first(values: list, n: int) -> list:
    try:
        return sorted(values)[:n]
    except TypeError:  # mixed types cannot be ordered; any stable order will do
        return sorted(values, key=str)[:n]
