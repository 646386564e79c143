"""Read-only queries on the current snapshot in a sandbox: no files, no network, no settings, a time limit."""
from __future__ import annotations

import threading
from typing import Any, Optional

import duckdb

from ioc.config import Config
from ioc.errors import QueryError
from ioc.warehouse import Warehouse

DEFAULT_TIMEOUT = 30.0
SANDBOX = {"enable_external_access": False, "autoload_known_extensions": False, "autoinstall_known_extensions": False}


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A fresh read-only connection that cannot read or write other files, reach the network or change settings.

    The snapshot is attached to an in-memory database rather than opened directly: in a process that
    already holds a plain read-only connection to the file (the Streamlit server), opening it again
    with other settings fails ("different configuration").
    """
    con = duckdb.connect(":memory:", config={k: v for k, v in SANDBOX.items() if k != "enable_external_access"})
    con.execute("ATTACH ? AS snapshot (READ_ONLY)", [path])
    con.execute("USE snapshot")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_readonly(
    cfg: Config, query: str, timeout: float = DEFAULT_TIMEOUT, limit: Optional[int] = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of a query on the current snapshot; QueryError with DuckDB's message."""
    wh = Warehouse(cfg.data_path / "warehouse", cfg.snapshots.keep)
    con = connect(str(wh.current_path()))
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        cur = con.execute(query)
        if cur.description is None:
            return [], []
        names = [d[0] for d in cur.description]
        rows = cur.fetchmany(limit) if limit else cur.fetchall()
        return names, rows
    except duckdb.InterruptException as exc:
        raise QueryError(f"the query ran longer than {timeout:g} s and was stopped") from exc
    except duckdb.Error as exc:
        raise QueryError(str(exc).strip()) from exc
    finally:
        timer.cancel()
        con.close()
