"""The catalog: accent folding, search, and facts that match the snapshot."""

from __future__ import annotations

import pandas as pd
import pytest

from ioc import catalog
from ioc.queries import catalog as qc
from ioc.status import source_status
from ioc.warehouse import Warehouse


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Phú Cường", "phu cuong"),
        ("ĐỊNH HÒA", "dinh hoa"),
        ("Hồ sơ", "ho so"),
        ("đất đai", "dat dai"),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert catalog.fold(text) == folded


def test_last_load_is_city_time():
    assert catalog.last_load_text(pd.Timestamp("2026-11-25 19:30:00"), "Asia/Ho_Chi_Minh") == "26/11/2026 02:30"
    assert catalog.last_load_text(None, "Asia/Ho_Chi_Minh") == "–"


@pytest.fixture(scope="module")
def facts(sample_snapshot):
    cfg, data = sample_snapshot
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IOC_DATA_DIR", str(data))
        status = source_status(cfg)
    with Warehouse(data / "warehouse").connect() as con:
        entries = catalog.entries(cfg, qc.tables(con), qc.reject_counts(con), status, {})
        yield cfg, con, entries, qc.all_columns(con), qc.text_values(con), status


def test_entries_match_the_snapshot(facts):
    _cfg, con, entries, _, _, status = facts
    e = entries.set_index("table_name")
    assert list(entries["table_name"])[:2] == ["admin_dossiers", "env_air_daily"]
    assert {"dim_ward", "indicator", "indicator_value", "_runs", "_rejects", "_lineage"} <= set(e.index)
    assert e.loc["admin_dossiers", "rows"] == con.execute("SELECT count(*) FROM admin_dossiers").fetchone()[0]
    run = con.execute("SELECT run_id FROM _lineage WHERE table_name = 'admin_dossiers'").fetchone()[0]
    assert (
        e.loc["admin_dossiers", "rejects"]
        == con.execute(
            "SELECT count(*) FROM _rejects WHERE source = 'admin_dossiers' AND run_id = ?", [run]
        ).fetchone()[0]
        > 0
    )
    assert e.loc["admin_dossiers", "sector_vi"] == "Hành chính công"
    # the catalog's freshness is the status's (the sample's dossiers are as current as its generation date)
    state = next(s["state"] for s in status["sources"] if s["source"] == "admin_dossiers")
    assert e.loc["admin_dossiers", "connectors"] == "json_api" and e.loc["admin_dossiers", "freshness"] == state
    prof = qc.profile(con, "admin_dossiers").set_index("column_name")
    assert prof.loc["online", "distinct"] == 2 and prof.loc["online", "examples"] == [False, True]
    assert prof.loc["resolved_at", "null_share"] == pytest.approx(
        con.execute("SELECT avg(CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END) FROM admin_dossiers").fetchone()[0]
    )


@pytest.mark.parametrize(
    "query, table, why",
    [
        ("ho so", "admin_dossiers", "description"),
        ("HỒ SƠ", "admin_dossiers", "description"),
        ("phu cuong", "dim_ward", "value:name_vi=Phú Cường"),
        ("dossier", "admin_dossiers", "table"),
        ("received", "admin_dossiers", "column:received_at"),
        ("hanh chinh cong", "admin_dossiers", "sector"),
        ("admin_dossiers", "admin_dossiers", "table"),
        ("env_air_daily", "env_air_daily", "source"),
    ],
)
def test_search_finds_with_or_without_accents(facts, query, table, why):
    cfg, _, entries, columns, values, _ = facts
    hits = catalog.search(cfg, entries, columns, values, query)
    assert why in hits[table]


def test_search_matches_short_words_whole(facts):
    cfg, _, entries, columns, values, _ = facts
    hits = catalog.search(cfg, entries, columns, values, "dat")
    assert "env_air_daily" not in hits  # "dat" is not the column "date"
    assert catalog.search(cfg, entries, columns, values, "") == {t: [] for t in entries["table_name"]}


def test_the_search_index_is_built_with_the_snapshot_and_equals_the_values_computed(facts):
    _, con, _, _, values, _ = facts
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [qc.SEARCH_INDEX]).fetchone()[0]
    computed = qc._text_values(con)
    key = ["table_name", "column_name", "value"]
    stored = values[key].astype(str).sort_values(key).reset_index(drop=True)
    assert stored.equals(computed[key].astype(str).sort_values(key).reset_index(drop=True))
    assert "Phú Cường" in set(values.loc[values["table_name"] == "dim_ward", "value"])


def test_text_values_are_each_columns_few_distinct_values_in_big_and_small_tables():
    """Against a plain computation: a big table (read a column at a time) and a small one (read in one pass)
    give each text column's distinct non-empty values, for columns with at most SEARCH_VALUES_MAX of them."""
    import duckdb

    n = 20_000
    from ioc.search import SEARCH_VALUES_MAX as limit

    big = pd.DataFrame(
        {
            "ward": [None if i % 7 == 0 else f"P{i % 14}" for i in range(n)],
            "exactly_max": [f"v{i % limit}" for i in range(n)],
            "one_over": [f"w{i % (limit + 1)}" for i in range(n)],
            "ids": [f"id{i}" for i in range(n)],
            "count": list(range(n)),
        }
    )
    small = pd.DataFrame({"kind": ["a", "b", None, "a"], "note": [None, None, None, None]})
    with duckdb.connect() as con:
        con.execute("CREATE TABLE big AS SELECT * FROM big")
        con.execute("CREATE TABLE small AS SELECT * FROM small")
        got = qc._text_values(con)
    want = {
        (t, c, v)
        for t, frame in (("big", big), ("small", small))
        for c in frame.columns
        if c != "count" and frame[c].nunique() <= limit
        for v in frame[c].dropna().unique()
    }
    assert set(map(tuple, got[["table_name", "column_name", "value"]].values)) == want
    assert {c for _, c, _ in want} == {"ward", "exactly_max", "kind"}
