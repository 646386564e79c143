"""Declared breakdowns and places answer what the same question written by hand in SQL answers."""
from __future__ import annotations

import datetime as dt

import pytest

from ioc.config import load_config
from ioc.queries import breakdowns, places
from ioc.warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("sample_data")
START, END = dt.date(2025, 11, 1), dt.date(2026, 10, 31)


@pytest.fixture
def con():
    cfg = load_config()
    with Warehouse(cfg.data_path / "warehouse").connect() as c:
        yield c


def test_late_dossiers_by_agency_equal_hand_sql(con):
    got = breakdowns.breakdown(con, "admin_late", "agency", "25747", START, END)
    want = con.execute(f"""
        SELECT agency, count(*) FILTER (WHERE {breakdowns.LATE_DOSSIER}) FROM admin_dossiers
        WHERE CAST(received_at AS DATE) BETWEEN ? AND ? AND ward_code = '25747' GROUP BY 1""", [START, END]).fetchall()
    assert dict(zip(got["label"], got["value"])) == {a: v for a, v in want}
    assert got["value"].is_monotonic_decreasing


def test_every_declared_breakdown_and_place_runs_on_the_sample(con):
    for specs in breakdowns.BREAKDOWNS.values():
        for spec in specs:
            for dim in spec.dims:
                assert not breakdowns.breakdown(con, spec.key, dim, None, START, END).empty, (spec.key, dim)
    for specs in places.PLACES.values():
        for spec in specs:
            pts = places.points(con, spec.table, None, None, None)
            assert len(pts) > 0 and pts["lat"].between(10.9, 11.2).all(), spec.table


def test_an_undeclared_dimension_is_refused(con):
    with pytest.raises(ValueError, match="not a breakdown"):
        breakdowns.breakdown(con, "admin_late", "ward_code; DROP TABLE x", None, START, END)
