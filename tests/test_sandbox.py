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
        ("SELECT 1; DROP TABLE admin_dossiers", "write"),
        ("-- a comment\nDELETE FROM admin_dossiers", "write"),
        ("CREATE TABLE x AS SELECT 1", "write"),
        ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "write"),
        ("SELECT * FROM read_csv('/etc/passwd')", "file"),
        ("SELECT * FROM read_text('/etc/hostname')", "file"),
        ("SELECT * FROM '/etc/passwd'", "file"),
        ("SELECT * FROM glob('/etc/*')", "file"),
        ("SELECT count(*) FROM admin_dossiers", None),
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
