"""Read-only queries on the current snapshot in a sandbox: no files, no network, no settings, a time limit."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from ioc.errors import QueryBusy, QueryError, QueryTimeout
from ioc.warehouse import Warehouse

if TYPE_CHECKING:  # the config validates transforms with outside_reads(): no import at run time, no cycle
    from ioc.config import Config

DEFAULT_TIMEOUT = 30.0
SANDBOX = {"enable_external_access": False, "autoload_known_extensions": False, "autoinstall_known_extensions": False}


SCALAR_FILE_FUNCTIONS = {"read_text", "read_blob", "getenv", "current_setting"}
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def outside_reads(sql: str) -> list[str]:
    """What a transform's SQL would read besides `raw`, its own CTEs and the snapshot's tables: table
    functions (read_csv, glob, …), files named in FROM, other databases, file and environment functions;
    or why it is not one SELECT. Empty when it reads nothing else. Checked on DuckDB's own parse tree."""
    con = duckdb.connect(":memory:")
    try:
        tree = json.loads(one_value(con, "SELECT json_serialize_sql(?)", [sql]))
    finally:
        con.close()
    if tree.get("error"):
        return [f"not one SELECT ({tree.get('error_message', '')})"]
    if len(tree.get("statements", [])) != 1:
        return ["not one SELECT (several statements)"]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "TABLE_FUNCTION":
                fn = node.get("function", {}).get("function_name", "?")
                found.append(f"table function {fn}()")
            elif kind == "BASE_TABLE":
                name = node.get("table_name", "")
                catalog, schema = node.get("catalog_name"), node.get("schema_name")
                if not TABLE_NAME.match(name) or catalog or schema not in ("", None, "main"):
                    found.append(".".join(filter(None, (catalog, schema, name))))
            elif kind == "FUNCTION" and node.get("function_name") in SCALAR_FILE_FUNCTIONS:
                found.append(f"function {node['function_name']}()")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree["statements"])
    return list(dict.fromkeys(found))


def one_value(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Any:
    rows = con.execute(sql, params).fetchall()
    return rows[0][0]


def default_memory_limit() -> str:
    """A quarter of the machine's memory, in MB (DuckDB's own default is 80 %: one query could take it all)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2GB"
    return f"{max(256, total // 4 // 2**20)}MB"


def connect(path: str, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh read-only connection that cannot read or write other files, reach the network or change settings,
    nor use more than `memory_limit` (default_memory_limit()), not even by spilling to disk.

    The snapshot is attached to an in-memory database rather than opened directly: in a process that
    already holds a plain read-only connection to the file (the Streamlit server), opening it again
    with other settings fails ("different configuration").
    """
    con = duckdb.connect(":memory:", config={k: v for k, v in SANDBOX.items() if k != "enable_external_access"})
    con.execute("ATTACH ? AS snapshot (READ_ONLY)", [path])
    con.execute("USE snapshot")
    con.execute("SET memory_limit = ?", [memory_limit or default_memory_limit()])
    con.execute("SET max_temp_directory_size = '0B'")  # no spilling to the server's disk either
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(n: int) -> threading.BoundedSemaphore:
    """The process's cap on sandboxed queries running at once (one semaphore per configured size)."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(n, threading.BoundedSemaphore(n))


@contextmanager
def session(
    cfg: Config, timeout: float = DEFAULT_TIMEOUT, path: str | os.PathLike | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sandboxed connection to a snapshot file (`path`: a person's ward-scoped copy, ioc.access; by default
    the current snapshot), interrupted after `timeout` seconds and closed on exit.

    DuckDB errors inside the block become QueryError with DuckDB's own message.
    """
    slots = _slots(cfg.analyst.sql_max_concurrent)
    if not slots.acquire(timeout=timeout):  # a query waits its own time limit for a free slot, then gives up
        raise QueryBusy(cfg.analyst.sql_max_concurrent)
    try:
        if path is None:
            path = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep).current_path()
        con = connect(str(path), cfg.analyst.sql_memory_limit)
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            yield con
        except duckdb.InterruptException as exc:
            raise QueryTimeout(timeout) from exc
        except duckdb.Error as exc:
            raise QueryError(str(exc).strip()) from exc
        finally:
            timer.cancel()
            con.close()
    finally:
        slots.release()


@dataclass
class Result:
    """The first rows of a result: names, DuckDB types, rows, and whether more rows were left out."""

    names: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=self.names)


def run_readonly(
    cfg: Config, query: str, timeout: float = DEFAULT_TIMEOUT, limit: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of a query on the current snapshot; QueryError with DuckDB's message."""
    res = run(cfg, query, timeout=timeout, limit=limit)
    return res.names, res.rows


def run(
    cfg: Config,
    query: str,
    params: Sequence[Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    limit: int | None = None,
    path: str | os.PathLike | None = None,
) -> Result:
    """The first `limit` rows (all without one) of a query on the current snapshot (or `path`); QueryError on
    failure."""
    with session(cfg, timeout, path) as con:
        cur = con.execute(query, params or [])
        if cur.description is None:
            return Result([], [], [], False)
        names, types = [d[0] for d in cur.description], [str(d[1]) for d in cur.description]
        if not limit:
            return Result(names, types, cur.fetchall(), False)
        rows = cur.fetchmany(limit + 1)
        return Result(names, types, rows[:limit], len(rows) > limit)


@contextmanager
def stream(
    cfg: Config,
    query: str,
    params: Sequence[Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    rows: int = 50_000,
    path: str | os.PathLike | None = None,
) -> Iterator[pa.RecordBatchReader]:
    """Every row of a query as an Arrow reader fetching `rows` at a time from the sandbox (exports: no limit)."""
    with session(cfg, timeout, path) as con:
        rel = con.sql(query, params=list(params) if params else None)  # a relation streams; execute() would copy
        if rel is None:  # a statement without a result
            yield pa.RecordBatchReader.from_batches(pa.schema([]), [])
        else:
            yield rel.to_arrow_reader(rows)


# --------------------------------------------------------------------------- a fast pre-check for the console

REFUSED_KEYWORDS = {
    "COPY": "copy",
    "EXPORT": "export",
    "IMPORT": "export",
    "ATTACH": "attach",
    "DETACH": "attach",
    "INSTALL": "install",
    "LOAD": "load",
    "FORCE": "install",
    "SET": "set",
    "RESET": "set",
    "USE": "set",
    "INSERT": "write",
    "UPDATE": "write",
    "DELETE": "write",
    "CREATE": "write",
    "DROP": "write",
    "ALTER": "write",
    "TRUNCATE": "write",
    "MERGE": "write",
    "UPSERT": "write",
    "REPLACE": "write",
    "CHECKPOINT": "write",
    "VACUUM": "write",
    "ANALYZE": "write",
    "COMMENT": "write",
    "BEGIN": "write",
    "COMMIT": "write",
    "ROLLBACK": "write",
    "ABORT": "write",
    "START": "write",
    "CALL": "call",
}
# PRAGMAs that only read (the rest change settings)
READ_PRAGMAS = {  # not database_list, database_size or storage_info: they show the server's file paths
    "table_info",
    "show_tables",
    "show_tables_expanded",
    "show",
    "version",
    "platform",
    "functions",
    "collations",
    "metadata_info",
}
FILE_FUNCTIONS = re.compile(
    r"\b(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+|query_table)\s*\(", re.IGNORECASE
)
STRING_TABLE = re.compile(r"\b(FROM|JOIN)\s*'", re.IGNORECASE)  # FROM 'file.csv': a file read by its name
# catalog functions that reveal the server (settings, file paths, extensions, secrets)
SERVER_FUNCTIONS = re.compile(
    r"\b(duckdb_settings|duckdb_databases|duckdb_extensions|duckdb_secrets|duckdb_temporary_files|"
    r"duckdb_memory|which_secret|pragma_(?:database_list|database_size|storage_info|metadata_info|user_agent)|"
    r"current_setting|getenv)\b",  # with or without (): DuckDB reads `FROM duckdb_databases` too
    re.IGNORECASE,
)


def _code_only(query: str) -> str:
    """The query without comments and with string literals emptied (a keyword inside a string is data)."""
    q = re.sub(r"--[^\n]*|/\*.*?\*/", " ", query, flags=re.DOTALL)
    return re.sub(r"'(?:[^']|'')*'", "''", q)


def refusal(query: str) -> str | None:
    """Why the console refuses a query before running it, as a kind (copy, export, attach, install, load, set,
    pragma, write, call, file), or None. A courtesy only: the sandbox connection's settings are the real guard."""
    code = _code_only(query)
    statements = [stmt for stmt in code.split(";") if re.search(r"[A-Za-z_0-9]", stmt)]
    if not statements:
        return "empty"  # only comments (or nothing): nothing to run
    if len(statements) > 1:
        return "several"  # DuckDB would run them all and show the last: one statement a run
    for stmt in statements:
        words = re.findall(r"[A-Za-z_]+", stmt)
        if not words:
            continue
        first = words[0].upper()
        if first in ("PREPARE", "EXECUTE", "DEALLOCATE"):
            return "prepare"
        if first == "PRAGMA":
            if "=" in stmt or (len(words) > 1 and words[1].lower() not in READ_PRAGMAS):
                return "pragma"
            continue
        if first in REFUSED_KEYWORDS:
            return REFUSED_KEYWORDS[first]
        if first == "WITH" and re.search(r"\b(INSERT|UPDATE|DELETE)\b", stmt, re.IGNORECASE):
            return "write"
    if STRING_TABLE.search(re.sub(r"--[^\n]*|/\*.*?\*/", " ", query, flags=re.DOTALL)) or FILE_FUNCTIONS.search(code):
        return "file"
    if SERVER_FUNCTIONS.search(code):
        return "server"
    return None
