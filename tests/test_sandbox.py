"""The console's pre-check names refused statements; the sandbox itself stays the guard (tests/test_cli.py)."""

from __future__ import annotations

import pytest

from ioc import sandbox
from ioc.errors import QueryError


@pytest.mark.parametrize(
    "query, kind",
    [
        ("COPY (SELECT 1) TO '/tmp/x.csv'", "copy"),
        ("  copy admin_dossiers FROM 'x.csv'", "copy"),
        ("EXPORT DATABASE '/tmp/db'", "export"),
        ("ATTACH '/tmp/other.duckdb' AS o", "attach"),
        ("INSTALL spatial", "install"),
        ("LOAD spatial", "load"),
        ("SET enable_external_access = true", "set"),
        ("PRAGMA threads = 1", "pragma"),
        ("PRAGMA enable_profiling", "pragma"),
        ("SELECT 1; DROP TABLE admin_dossiers", "several"),
        ("SELECT 1; SELECT 2", "several"),  # DuckDB would silently show only the last
        ("-- only a comment", "empty"),
        ("/* nothing */  ;", "empty"),
        ("PREPARE q AS SELECT ?", "prepare"),
        ("EXECUTE q(1)", "prepare"),
        ("PRAGMA database_list", "pragma"),  # the server's file paths
        ("PRAGMA storage_info('admin_dossiers')", "pragma"),
        ("SELECT * FROM duckdb_settings()", "server"),
        ("SELECT path FROM duckdb_databases", "server"),  # without () too
        ("SELECT * FROM pragma_database_list", "server"),
        ("SELECT current_setting('memory_limit')", "server"),
        ("SELECT * FROM duckdb_secrets()", "server"),
        ("-- a comment\nDELETE FROM admin_dossiers", "write"),
        ("CREATE TABLE x AS SELECT 1", "write"),
        ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "write"),
        ("SELECT * FROM read_csv('/etc/passwd')", "file"),
        ("SELECT * FROM read_text('/etc/hostname')", "file"),
        ("SELECT * FROM '/etc/passwd'", "file"),
        ("SELECT * FROM glob('/etc/*')", "file"),
        ("SELECT count(*) FROM admin_dossiers", None),
        ("SELECT 1;", None),  # one statement and its semicolon
        ("SELECT 'a;b' AS x", None),
        ("SELECT 1 AS pragma_note", None),
        ("SELECT 'COPY; DROP TABLE x' AS note", None),
        ("-- DROP TABLE x\nSELECT 1", None),
        ("PRAGMA table_info('admin_dossiers')", None),
        ("DESCRIBE admin_dossiers", None),
        ("WITH a AS (SELECT 1 AS x) SELECT x FROM a", None),
    ],
)
def test_refusal_names_the_kind(query, kind):
    assert sandbox.refusal(query) == kind


def test_run_reports_truncation_and_types(sample_snapshot, monkeypatch):
    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    res = sandbox.run(cfg, "SELECT * FROM range(5) t(x)", limit=3)
    assert (res.names, res.types, res.rows, res.truncated) == (["x"], ["BIGINT"], [(0,), (1,), (2,)], True)
    assert sandbox.run(cfg, "SELECT * FROM range(3) t(x)", limit=3).truncated is False
    assert list(sandbox.run(cfg, "SELECT 1 AS a").frame()["a"]) == [1]
    with (
        pytest.raises(QueryError, match=r"ran longer than 0\.2 s"),
        sandbox.stream(cfg, "SELECT count(*) FROM range(100000000000)", timeout=0.2) as reader,
    ):
        reader.read_all()


def test_one_query_cannot_take_the_servers_memory(sample_snapshot, monkeypatch):
    """The sandbox's memory_limit (analyst.sql_memory_limit) stops a query that would need more, with DuckDB's
    out-of-memory error, and nothing spills to the server's disk instead; the server goes on."""
    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    small = cfg.model_copy(update={"analyst": cfg.analyst.model_copy(update={"sql_memory_limit": "64MB"})})
    with pytest.raises(QueryError, match=r"(?i)out of memory"):
        sandbox.run(small, "SELECT string_agg(repeat('x', 1000), ',') FROM range(1000000)")
    assert sandbox.run(small, "SELECT count(*) FROM admin_dossiers").rows[0][0] > 0
    with sandbox.session(small) as con:  # the limit is locked: the query cannot raise it
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("61")
        with pytest.raises(Exception, match=r"(?i)lock"):
            con.execute("SET memory_limit = '10GB'")
    assert sandbox.default_memory_limit().endswith("MB")


def test_queries_running_at_once_are_capped(sample_snapshot, monkeypatch):
    """With analyst.sql_max_concurrent = 1, a second query waits for the first, and one that cannot start within
    its own time limit is refused with a message (QueryBusy), not queued forever."""
    import threading

    from ioc.errors import QueryBusy

    cfg, data = sample_snapshot
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    one = cfg.model_copy(update={"analyst": cfg.analyst.model_copy(update={"sql_max_concurrent": 1})})
    started, done = threading.Event(), threading.Event()

    def hold() -> None:
        with sandbox.session(one, timeout=5):
            started.set()
            done.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    started.wait(5)
    try:
        with pytest.raises(QueryBusy, match="1 queries are already running"):
            sandbox.run(one, "SELECT 1", timeout=0.3)
    finally:
        done.set()
        t.join()
    assert sandbox.run(one, "SELECT 1", timeout=2).rows == [(1,)]  # the slot is free again
