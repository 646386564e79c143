"""The snapshot's tables as analysts see them, and the catalog's search index of their short text values
(ward names, categories): built once per snapshot while it is built (ioc/ingest.py), read by the catalog
(ioc/queries/catalog.py), where reading every text column of every table filled the server's memory."""

from __future__ import annotations

import duckdb

from ioc.warehouse import ident

# the warehouse's own tables that analysts read (the rest starting with "_" is bookkeeping)
SYSTEM_TABLES = ("dim_ward", "indicator", "indicator_value", "_runs", "_rejects", "_dropped", "_lineage")
SEARCH_VALUES_MAX = 200  # text columns with at most this many distinct values are searchable by value


def table_names(con: duckdb.DuckDBPyConnection, present: list[str] | None = None) -> list[str]:
    """Sector tables, then the system tables, as present in the snapshot (or among `present`, all its tables)."""
    names = sorted(present if present is not None else all_tables(con))
    return [n for n in names if not n.startswith("_") and n not in SYSTEM_TABLES] + [
        n for n in SYSTEM_TABLES if n in names
    ]


def all_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    ]


SEARCH_INDEX = "_search_values"
SEARCH_ROWS = 100_000


def build_search_index(con: duckdb.DuckDBPyConnection, changed: set[str] | None = None) -> None:
    """Store text_values() in the snapshot being built, so the app reads a small table instead.

    With `changed` (the tables loaded by this run), the rows of the other sector tables are kept from the
    snapshot this one was copied from; the system tables, small and changing with every run, are redone."""
    parts, params = [], {}
    present = all_tables(con)
    names = table_names(con, present)
    if changed is not None and SEARCH_INDEX in present:
        redo = set(changed) | set(SYSTEM_TABLES)
        parts.append(
            f"SELECT table_name, column_name, value FROM {SEARCH_INDEX} WHERE list_contains($keep, table_name)"
        )
        params["keep"] = [t for t in names if t not in redo]
        fresh = text_values_sql(con, [t for t in names if t in redo], names)
    else:
        fresh = text_values_sql(con, None, names)
    if fresh is not None:
        parts.append(fresh[0])
        params |= fresh[1]
    if not parts:
        parts.append("SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS column_name, NULL::VARCHAR AS value LIMIT 0")
    # the old index is read whole before it is replaced
    con.execute(f"CREATE OR REPLACE TABLE {SEARCH_INDEX} AS {' UNION ALL '.join(parts)}", params)


def text_values_sql(
    con: duckdb.DuckDBPyConnection, only: list[str] | None = None, names: list[str] | None = None
) -> tuple[str, dict] | None:
    """A SELECT of (table_name, column_name, value) for the searchable text columns of the tables (all by
    default), with its parameters; None when there are none. The first SEARCH_ROWS rows of a table are read
    (by rowid, which skips the rest of the table's storage; a LIMIT subquery costs ten times more)."""
    tables = [t for t in (names if names is not None else table_names(con)) if only is None or t in only]
    cols = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' AND data_type = 'VARCHAR' "
        "AND list_contains($t, table_name) ORDER BY table_name, column_index",
        {"t": tables},
    ).fetchall()
    if not cols:
        return None
    by_table: dict[str, list[str]] = {}
    for t, c in cols:
        by_table.setdefault(t, []).append(c)
    # a HyperLogLog estimate first (a few KB per column), so exact distinct lists are built only for the
    # columns that may qualify, not for titles and ids with a hash table each (hundreds of MB at scale)
    estimates = " UNION ALL ".join(
        f"SELECT {i} AS t, [{', '.join(f'approx_count_distinct({ident(c)})' for c in names)}] AS n, count(*) AS rows "
        f"FROM {ident(t)} WHERE rowid < {SEARCH_ROWS}"
        for i, (t, names) in enumerate(by_table.items())
    )
    approx = {i: (n, rows) for i, n, rows in con.execute(estimates).fetchall()}
    parts: list[str] = []
    params: dict[str, object] = {}
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
            parts.append(
                f"SELECT $t{k} AS table_name, unnest($c{k}) AS column_name, unnest([{lists}]) AS vals "
                f"FROM {ident(table)} WHERE rowid < {SEARCH_ROWS}"
            )
            params |= {f"t{k}": table, f"c{k}": kept}
            continue
        for c in kept:  # a big one: a hash of distinct values per column, not a list of every value
            k = len(parts)
            parts.append(
                f"SELECT $t{k} AS table_name, $c{k} AS column_name, "
                f"list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL) AS vals "
                f"FROM {ident(table)} WHERE rowid < {SEARCH_ROWS}"
            )
            params |= {f"t{k}": table, f"c{k}": c}
    if not parts:
        return None
    sql = (
        f"SELECT CAST(table_name AS VARCHAR) AS table_name, CAST(column_name AS VARCHAR) AS column_name, "
        f"CAST(value AS VARCHAR) AS value FROM (SELECT table_name, column_name, unnest(vals) AS value "
        f"FROM ({' UNION ALL '.join(parts)}) WHERE len(vals) <= {SEARCH_VALUES_MAX})"
    )
    return sql, params
