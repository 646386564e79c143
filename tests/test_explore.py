"""The explorer's query builder: spec → SQL cases, refusals, the URL form, and results equal to hand-written SQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ioc import explore
from ioc.explore import ExploreError, Filter, Measure, Spec, build_query
from ioc.warehouse import Warehouse

COLS = {
    "dossier_id": "VARCHAR",
    "ward_code": "VARCHAR",
    "agency": "VARCHAR",
    "received_at": "TIMESTAMP",
    "due_date": "DATE",
    "online": "BOOLEAN",
    "fee": "DOUBLE",
    "pages": "BIGINT",
    "weird name": "VARCHAR",
}
T = "admin_dossiers"

CASES = [
    # (spec, SQL, params)
    (Spec(T), 'SELECT count(*) AS "count"\nFROM "admin_dossiers"', []),
    (
        Spec(T, groups=("ward_code",)),
        'SELECT "ward_code", count(*) AS "count"\nFROM "admin_dossiers"\nGROUP BY 1\nORDER BY 2 DESC NULLS LAST, 1',
        [],
    ),
    (
        Spec(T, groups=("ward_code",), grain="month", grain_column="received_at"),
        'SELECT CAST(date_trunc(\'month\', "received_at") AS DATE) AS "received_at_month", "ward_code", '
        'count(*) AS "count"\nFROM "admin_dossiers"\nGROUP BY 1, 2\nORDER BY 1, 2',
        [],
    ),
    (
        Spec(T, filters=(Filter("online", "eq", ("true",)),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE "online" = ?',
        [True],
    ),
    (Spec(T, filters=(Filter("ward_code", "ne", ("25741",)),)), None, ["25741"]),
    (Spec(T, filters=(Filter("fee", "lt", ("1.5",)),)), None, [1.5]),
    (Spec(T, filters=(Filter("pages", "ge", ("3",)),)), None, [3]),
    (
        Spec(T, filters=(Filter("pages", "between", ("9", "2")),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE "pages" BETWEEN ? AND ?',
        [2, 9],
    ),
    (
        Spec(T, filters=(Filter("received_at", "between", ("2026-01-01", "2026-01-31")),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE CAST("received_at" AS DATE) BETWEEN ? AND ?',
        [dt.date(2026, 1, 1), dt.date(2026, 1, 31)],
    ),
    (
        Spec(T, filters=(Filter("due_date", "le", ("2026-03-31",)),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE "due_date" <= ?',
        [dt.date(2026, 3, 31)],
    ),
    (
        Spec(T, filters=(Filter("agency", "contains", ("Phú Cường",)),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE contains('
        "replace(lower(strip_accents(CAST(\"agency\" AS VARCHAR))), 'đ', 'd'), "
        "replace(lower(strip_accents(CAST(? AS VARCHAR))), 'đ', 'd'))",
        ["Phú Cường"],
    ),
    (
        Spec(T, filters=(Filter("ward_code", "in", ("25741", "25744")),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE "ward_code" IN (?, ?)',
        ["25741", "25744"],
    ),
    (
        Spec(T, filters=(Filter("agency", "empty"),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE ("agency" IS NULL OR trim("agency") = \'\')',
        [],
    ),
    (
        Spec(T, filters=(Filter("fee", "notempty"),)),
        'SELECT count(*) AS "count"\nFROM "admin_dossiers"\nWHERE "fee" IS NOT NULL',
        [],
    ),
    (
        Spec(
            T,
            measures=(
                Measure("sum", "fee"),
                Measure("avg", "pages"),
                Measure("distinct", "ward_code"),
                Measure("max", "received_at"),
            ),
        ),
        'SELECT sum("fee") AS "sum_fee", avg("pages") AS "avg_pages", count(DISTINCT "ward_code") AS '
        '"distinct_ward_code", max("received_at") AS "max_received_at"\nFROM "admin_dossiers"',
        [],
    ),
    # a name that needs quoting is quoted, not refused
    (Spec(T, groups=("weird name",)), None, []),
    # an attempt to inject through a value stays a bound value
    (Spec(T, filters=(Filter("agency", "eq", ("x'; DROP TABLE t; --",)),)), None, ["x'; DROP TABLE t; --"]),
]


@pytest.mark.parametrize("spec, sql, params", CASES)
def test_build_query(spec, sql, params):
    got_sql, got_params = build_query(spec, COLS)
    if sql is not None:
        assert got_sql == sql
    assert got_params == params
    assert "DROP" not in got_sql


REFUSED = [
    (Spec(T, groups=("nope",)), "unknown column 'nope'"),
    (Spec(T, groups=('ward_code" FROM x; --',)), "unknown column"),
    (Spec(T, groups=("ward_code", "agency", "online")), "at most 2"),
    (Spec(T, filters=(Filter("online", "lt", ("true",)),)), "operator 'lt' does not apply to a bool column"),
    (Spec(T, filters=(Filter("agency", "between", ("a", "b")),)), "does not apply to a text column"),
    (Spec(T, filters=(Filter("pages", "eq", ("many",)),)), "'many' is not a number value"),
    (Spec(T, filters=(Filter("due_date", "eq", ("31/02/2026",)),)), "not a date value"),
    (Spec(T, filters=(Filter("pages", "between", ("1",)),)), "needs 2 value(s)"),
    (Spec(T, filters=(Filter("ward_code", "in", ()),)), "needs one or more"),
    (Spec(T, measures=(Measure("sum", "agency"),)), "measure 'sum' does not apply to a text column"),
    (Spec(T, measures=(Measure("median", "fee"),)), "unknown measure 'median'"),
    (Spec(T, measures=()), "at least one measure"),
    (Spec(T, grain="month", grain_column="agency"), "not a date or timestamp column"),
    (Spec(T, grain="decade", grain_column="due_date"), "unknown time grain 'decade'"),
]


@pytest.mark.parametrize("spec, message", REFUSED)
def test_build_query_refuses(spec, message):
    with pytest.raises(ExploreError) as err:
        build_query(spec, COLS)
    assert message in str(err.value)


def test_url_round_trip_is_compact_and_readable():
    spec = Spec(
        T,
        filters=(Filter("online", "eq", ("true",)), Filter("received_at", "between", ("2026-01-01", "2026-03-31"))),
        groups=("ward_code",),
        grain="month",
        grain_column="received_at",
        measures=(Measure("count"), Measure("distinct", "agency")),
    )
    params = explore.to_params(spec)
    assert params == {
        "t": T,
        "g": "ward_code",
        "tg": "month:received_at",
        "m": "count,distinct:agency",
        "f": ["online:eq:true", "received_at:between:2026-01-01|2026-03-31"],
    }
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert explore.from_params(as_lists, COLS, T) == spec
    assert explore.to_params(Spec(T)) == {"t": T}


def test_a_stale_url_keeps_what_still_fits():
    stale = {
        "g": ["gone,ward_code,agency,online"],
        "tg": ["month:gone"],
        "m": ["sum:agency,avg:fee,bogus"],
        "f": ["gone:eq:1", "online:lt:true", "pages:gt:2", "nonsense"],
    }
    spec = explore.from_params(stale, COLS, T)
    assert spec.groups == ("ward_code", "agency")
    assert spec.grain is None
    assert spec.measures == (Measure("avg", "fee"),)
    assert spec.filters == (Filter("pages", "gt", ("2",)),)


@pytest.mark.parametrize(
    "spec, kind",
    [
        (Spec(T), "number"),
        (Spec(T, groups=("agency",)), "bars"),
        (Spec(T, groups=("ward_code",)), "map"),
        (Spec(T, groups=("ward_code", "agency")), "bars"),
        (Spec(T, grain="week", grain_column="due_date"), "line"),
    ],
)
def test_chart_kind(spec, kind):
    assert explore.chart_kind(spec) == kind


def test_compare_frame_puts_two_sides_beside_each_other():
    df = pd.DataFrame({"ward_code": ["a", "b", "a", "b"], "agency": ["x", "x", "y", "y"], "count": [10, 15, 4, 0]})
    out = explore.compare_frame(df, "ward_code", "count", "a", "b", ["agency"])
    assert out.to_dict("list") == {
        "agency": ["x", "y"],
        "a": [10, 4],
        "b": [15, 0],
        "diff": [5, -4],
        "pct": [50.0, -100.0],
    }
    spec = explore.compare_spec(Spec(T, groups=("agency", "online")), "ward_code", "a", "b")
    assert spec.groups == ("ward_code", "agency")
    assert spec.filters[-1] == Filter("ward_code", "in", ("a", "b"))


# --------------------------------------------------------------------------- on the sample data


@pytest.fixture(scope="module")
def con(sample_snapshot):
    _cfg, data = sample_snapshot
    c = Warehouse(data / "warehouse").connect()
    yield c
    c.close()


SAME_AS_HAND_SQL = [
    (
        Spec(
            "admin_dossiers",
            filters=(Filter("online", "eq", ("true",)),),
            groups=("ward_code",),
            grain="month",
            grain_column="received_at",
        ),
        """SELECT CAST(date_trunc('month', received_at) AS DATE) AS m, ward_code, count(*) FROM admin_dossiers
        WHERE online GROUP BY ALL ORDER BY 1, 2""",
    ),
    (
        Spec(
            "admin_dossiers",
            groups=("status", "online"),
            measures=(Measure("count"), Measure("distinct", "agency"), Measure("max", "due_date")),
        ),
        """SELECT status, online, count(*), count(DISTINCT agency), max(due_date) FROM admin_dossiers
        GROUP BY ALL ORDER BY 3 DESC, 1, 2""",
    ),
    (
        Spec(
            "admin_dossiers",
            filters=(
                Filter("received_at", "between", ("2026-03-01", "2026-03-31")),
                Filter("agency", "contains", ("phu cuong",)),
            ),
            groups=("field",),
        ),
        """SELECT field, count(*) FROM admin_dossiers
        WHERE received_at >= DATE '2026-03-01' AND received_at < DATE '2026-04-01'
          AND agency ILIKE '%Phú Cường%'
        GROUP BY ALL ORDER BY 2 DESC, 1""",
    ),
    (
        Spec(
            "env_air_daily",
            filters=(Filter("station_code", "in", ("TDM01", "TDM03")), Filter("pm25", "notempty")),
            grain="quarter",
            grain_column="date",
            measures=(Measure("avg", "pm25"), Measure("max", "pm10")),
        ),
        """SELECT CAST(date_trunc('quarter', date) AS DATE), avg(pm25), max(pm10) FROM env_air_daily
        WHERE station_code IN ('TDM01', 'TDM03') AND pm25 IS NOT NULL GROUP BY ALL ORDER BY 1""",
    ),
    (
        Spec(
            "env_air_daily",
            filters=(Filter("pm25", "between", ("20", "40.5")),),
            groups=("station_code",),
            grain="year",
            grain_column="date",
            measures=(Measure("sum", "no2"), Measure("min", "pm25")),
        ),
        """SELECT CAST(date_trunc('year', date) AS DATE), station_code, sum(no2), min(pm25) FROM env_air_daily
        WHERE pm25 BETWEEN 20 AND 40.5 GROUP BY ALL ORDER BY 1, 2""",
    ),
]


@pytest.mark.parametrize("spec, hand", SAME_AS_HAND_SQL)
def test_explorer_results_equal_hand_written_sql(con, spec, hand):
    cols = explore.columns(con, spec.table)
    got = explore.run(con, spec, cols, limit=100_000)
    want = con.execute(hand).fetchall()
    assert len(want) > 0
    assert [tuple(None if pd.isna(v) else v for v in row) for row in got.itertuples(index=False)] == [
        tuple(pd.Timestamp(v) if isinstance(v, dt.date) else v for v in row) for row in want
    ]


def test_explorer_ward_code_filter_and_distinct_values(con):
    assert explore.distinct_values(con, "admin_dossiers", "online") == [False, True]
    assert explore.distinct_values(con, "admin_dossiers", "dossier_id") == []  # too many to list
    with pytest.raises(ExploreError, match="no table"):
        explore.columns(con, "nope")
