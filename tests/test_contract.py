"""The column contract: each rule as a table of cases, keys, and payloads that miss columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from ioc.contract import check
from ioc.errors import SourceError
from tests.helpers import contract_rows, source


def text_rows(**columns: list) -> pa.Table:
    """Parsed rows as a reader gives them: text columns and `_row` from 2 (row 1 is the header)."""
    n = len(next(iter(columns.values())))
    return pa.table({**{k: pa.array(v, pa.string()) for k, v in columns.items()}, "_row": list(range(2, n + 2))})


D, T = dt.date, dt.datetime
TYPES = [
    # type, options, cell, value (or the reject reason)
    ("text", {}, "  Phú Lợi ", "Phú Lợi"),
    ("integer", {}, "42", 42),
    ("integer", {}, " 7 ", 7),
    ("integer", {}, "12.0", 12),
    ("integer", {}, "12.5", "type: expected integer"),
    ("integer", {}, "mười", "type: expected integer"),
    ("integer", {}, "99999999999999999999", "type: expected integer"),
    ("integer", {"thousands": "."}, "1.234", 1234),
    ("integer", {"thousands": ".", "decimal": ","}, "1.234.567", 1234567),
    ("integer", {"thousands": " "}, "12 345", 12345),
    ("double", {}, "3.25", 3.25),
    ("double", {}, "-0.5", -0.5),
    ("double", {"decimal": ","}, "3,25", 3.25),
    ("double", {"decimal": ",", "thousands": "."}, "4.250,5", 4250.5),
    ("double", {"thousands": ","}, "4,250.5", 4250.5),
    ("double", {}, "n/a", "type: expected double"),
    ("date", {}, "2025-06-05", D(2025, 6, 5)),
    ("date", {}, "2025-06-05 08:30:00", D(2025, 6, 5)),
    ("date", {"date_format": "%d/%m/%Y"}, "05/06/2025", D(2025, 6, 5)),
    ("date", {"date_format": "%d/%m/%Y"}, "2025-06-05", D(2025, 6, 5)),
    ("date", {}, "05/06/2025", "type: expected date"),
    ("date", {}, "2025-02-30", "type: expected date"),
    ("date", {"date_format": "%d/%m/%Y"}, "31/02/2025", "type: expected date"),
    ("timestamp", {}, "2025-06-05 08:30:00", T(2025, 6, 5, 8, 30)),
    ("timestamp", {}, "2025-06-05", T(2025, 6, 5)),
    ("timestamp", {"date_format": "%d/%m/%Y %H:%M"}, "05/06/2025 08:30", T(2025, 6, 5, 8, 30)),
    # an offset is honoured and the time given in city time (UTC+7 here)
    ("timestamp", {}, "2025-06-05T08:30:00+07:00", T(2025, 6, 5, 8, 30)),
    ("timestamp", {}, "2025-06-05T01:30:00Z", T(2025, 6, 5, 8, 30)),
    ("timestamp", {}, "2025-06-05T03:30:00+02:00", T(2025, 6, 5, 8, 30)),
    ("timestamp", {}, "ngày mai", "type: expected timestamp"),
    ("boolean", {}, "có", True),
    ("boolean", {}, "Có", True),
    ("boolean", {}, "ĐÚNG", True),
    ("boolean", {}, "x", True),
    ("boolean", {}, "yes", True),
    ("boolean", {}, "1", True),
    ("boolean", {}, "không", False),
    ("boolean", {}, "KHÔNG", False),
    ("boolean", {}, "sai", False),
    ("boolean", {}, "0", False),
    ("boolean", {}, "có lẽ", "type: expected boolean"),
]


@pytest.mark.parametrize("kind, options, cell, expected", TYPES, ids=[f"{t[0]}:{t[2]}" for t in TYPES])
def test_types(kind, options, cell, expected):
    src = source("csv", columns={"v": {"type": kind}})
    good, rejects = contract_rows(src, text_rows(v=[cell]), options, timezone="Asia/Ho_Chi_Minh")
    if isinstance(expected, str) and expected.startswith("type:"):
        assert (good, rejects) == ([], [(2, "v", cell.strip(), expected)])
    else:
        assert (good, rejects) == ([{"v": expected}], [])
        assert type(good[0]["v"]) is type(expected)


RULES: list[tuple[dict[str, Any], str | None, str | None]] = [
    # column spec, cell, reason (None: the row is good)
    ({"type": "double", "min": 0}, "0", None),
    ({"type": "double", "min": 0}, "-0.1", "min: below 0"),
    ({"type": "double", "max": 500}, "500", None),
    ({"type": "double", "max": 500}, "500.5", "max: above 500"),
    ({"type": "integer", "min": 1, "max": 12}, "13", "max: above 12"),
    ({"type": "double", "min": 0, "max": 10}, None, None),
    ({"required": True}, None, "required: missing"),
    ({"required": True}, "", "required: missing"),
    ({"required": True}, "   ", "required: missing"),
    ({"type": "integer", "required": True}, None, "required: missing"),
    ({"type": "integer", "required": True, "min": 0}, "-", "type: expected integer"),
    ({"values": ["25741", "25744"]}, "25744", None),
    ({"values": ["25741", "25744"]}, "25747", "values: not one of 25741, 25744"),
    ({"type": "integer", "values": [1, 2, 3]}, "2", None),
    ({"type": "integer", "values": [1, 2, 3]}, "4", "values: not one of 1, 2, 3"),
    ({"type": "double", "values": [1, 2, 3]}, "2.0", None),
    ({"type": "boolean", "values": [True]}, "có", None),
    ({"type": "boolean", "values": [True]}, "không", "values: not one of True"),
    ({"type": "date", "values": [dt.date(2025, 1, 1)]}, "2025-01-01", None),
    ({"type": "date", "values": [dt.date(2025, 1, 1)]}, "2025-01-02", "values: not one of 2025-01-01"),
]


@pytest.mark.parametrize("spec, cell, reason", RULES, ids=[f"{sorted(r[0].items())}:{r[1]}" for r in RULES])
def test_rules(spec, cell, reason):
    src = source("csv", columns={"ward_code": {}, "v": spec})
    good, rejects = contract_rows(src, text_rows(ward_code=["25741"], v=[cell]))
    if reason is None:
        assert [g["ward_code"] for g in good] == ["25741"]
        assert rejects == []
    else:
        value = cell.strip() or None if cell is not None else None
        assert (good, rejects) == ([], [(2, "v", value, reason)])


def test_every_broken_rule_of_a_row_is_a_reject_and_good_rows_go_on():
    src = source("csv", columns={"ward_code": {"required": True}, "pm25": {"type": "double", "min": 0}})
    good, rejects = contract_rows(src, text_rows(ward_code=["25741", None, "25747"], pm25=["21.5", "-3", "18"]))
    assert good == [{"ward_code": "25741", "pm25": 21.5}, {"ward_code": "25747", "pm25": 18.0}]
    assert rejects == [(3, "pm25", "-3", "min: below 0"), (3, "ward_code", None, "required: missing")]


KEYS = [
    # key, rows (ward_code, day, value), rows kept (their values), rejects
    (
        ["ward_code"],
        [("25741", "d1", "1"), ("25744", "d1", "2"), ("25741", "d2", "3"), ("25741", "d3", "4")],
        ["1", "2"],
        [
            (4, "ward_code", "25741", "key: repeats ward_code of row 2"),
            (5, "ward_code", "25741", "key: repeats ward_code of row 2"),
        ],
    ),
    (
        ["ward_code", "day"],
        [("25741", "d1", "1"), ("25741", "d2", "2"), ("25741", "d1", "3")],
        ["1", "2"],
        [(4, "ward_code+day", "25741 / d1", "key: repeats ward_code+day of row 2")],
    ),
    (
        ["ward_code"],
        [(None, "d1", "1"), ("25741", "d1", "2"), (None, "d2", "3")],
        ["2"],
        [(2, "ward_code", None, "key: empty"), (4, "ward_code", None, "key: empty")],
    ),
    (
        ["ward_code", "day"],
        [("25741", None, "1"), ("25741", "d1", "2")],
        ["2"],
        [(2, "ward_code+day", None, "key: empty")],
    ),
]


@pytest.mark.parametrize("key, rows, kept, rejects", KEYS, ids=["repeat", "composite", "empty", "half-empty"])
def test_keys_keep_the_first_row(key, rows, kept, rejects):
    src = source("csv", columns={"ward_code": {}, "day": {}, "value": {}}, key=key)
    ward, day, value = (list(c) for c in zip(*rows))
    good, got = contract_rows(src, text_rows(ward_code=ward, day=day, value=value))
    assert [g["value"] for g in good] == kept
    assert got == rejects


def test_a_row_broken_otherwise_does_not_claim_its_key():
    src = source("csv", columns={"ward_code": {}, "n": {"type": "integer"}}, key=["ward_code"])
    good, rejects = contract_rows(src, text_rows(ward_code=["25741", "25741"], n=["many", "3"]))
    assert good == [{"ward_code": "25741", "n": 3}]
    assert rejects == [(2, "n", "many", "type: expected integer")]


def test_a_payload_without_a_required_column_fails_as_a_whole():
    src = source("csv", columns={"ward_code": {"required": True}, "day": {"required": True}, "pm25": {}})
    with duckdb.connect() as con:
        con.register("raw", text_rows(pm25=["21"], station=["S1"]))
        with pytest.raises(SourceError) as err:
            check(con, src, "raw", {})
    assert err.value.source == "x"
    assert err.value.message == (
        "the payload lacks column(s) ward_code, day (declare `optional: true` for a column that may be absent); "
        "it has: pm25, station"
    )


def test_a_payload_without_any_declared_column_fails_unless_it_is_optional():
    """Schema drift: a header renamed at the department ("PM2.5" became "PM 2.5") must not load as empty."""
    src = source("csv", columns={"ward_code": {}, "pm25": {"type": "double"}})
    with duckdb.connect() as con:
        con.register("raw", text_rows(ward_code=["25741"], pm_2_5=["21"]))
        with pytest.raises(SourceError, match=r"lacks column\(s\) pm25 .*it has: ward_code, pm_2_5"):
            check(con, src, "raw", {})
        optional = source("csv", columns={"ward_code": {}, "pm25": {"type": "double", "optional": True}})
        assert check(con, optional, "raw", {}).rows_good == 1


def test_an_absent_optional_column_is_added_as_null_of_its_type_and_undeclared_ones_pass():
    src = source(
        "csv",
        columns={
            "ward_code": {},
            "pm25": {"type": "double", "optional": True},
            "day": {"type": "date", "optional": True},
        },
    )
    with duckdb.connect() as con:
        con.register("raw", text_rows(ward_code=["25741"], station=["S1"]))
        res = check(con, src, "raw", {})
        con.execute(f"CREATE TEMP TABLE good AS {res.good}", res.params)
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE good)").fetchall())
        rows = con.execute("SELECT * FROM good").fetchall()
    assert types == {"ward_code": "VARCHAR", "pm25": "DOUBLE", "day": "DATE", "station": "VARCHAR"}
    assert rows == [("25741", None, None, "S1")]
    assert res.columns == ["ward_code", "pm25", "day", "station"]
    assert (res.rows_in, res.rows_good) == (1, 1)


def test_typed_input_from_json_is_cast_not_reparsed():
    src = source("json_api", columns={"n": {"type": "double", "max": 10}, "ok": {"type": "boolean"}})
    table = pa.table({"n": pa.array([4, 12], pa.int64()), "ok": [True, False], "_row": [1, 2]})
    good, rejects = contract_rows(src, table)
    assert good == [{"n": 4.0, "ok": True}]
    assert rejects == [(2, "n", "12", "max: above 10")]


def test_rows_without_row_numbers_are_numbered_in_order():
    src = source("csv", columns={"n": {"type": "integer"}})
    good, rejects = contract_rows(src, pa.table({"n": ["1", "two", "3"]}))
    assert [g["n"] for g in good] == [1, 3]
    assert rejects == [(2, "n", "two", "type: expected integer")]
