"""Declared breakdowns and places answer what the same question written by hand in SQL answers."""
from __future__ import annotations

import datetime as dt

import pandas as pd
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


def test_every_declared_series_and_register_runs_with_its_texts(con):
    from ioc import i18n
    from ioc.queries import registers, series

    keys = i18n.keys("vi")
    for specs in series.SERIES.values():
        for spec in specs:
            df = series.series(con, spec.key, "25747", START, END)
            assert not df.empty and df["value"].notna().any(), spec.key
            assert f"series.{spec.key}" in keys and (not spec.unit or f"breakdown_unit.{spec.unit}" in keys)
            assert (f"breakdown_dim.{spec.by}" in keys) if spec.by else \
                all(f"series_measure.{name}" in keys for name, _ in spec.measures), spec.key
    for specs in registers.REGISTERS.values():
        for spec in specs:
            df = registers.rows(con, spec.key, None, START, END)
            assert f"register.{spec.key}" in keys and all(f"register_col.{c}" in keys for c in df.columns), spec.key
    for specs in breakdowns.BREAKDOWNS.values():
        for spec in specs:
            assert f"breakdown.{spec.key}" in keys and all(f"breakdown_dim.{d}" in keys for d in spec.dims), spec.key
    for specs in places.PLACES.values():
        for spec in specs:  # the map's title, and the chip's name for a filter on its category
            assert f"places.{spec.table}" in keys and f"breakdown_dim.{spec.category}" in keys, spec.table


def test_jobs_offered_against_sought_equal_hand_sql(con):
    from ioc.queries import series

    got = series.series(con, "labour_jobs", None, START, END)
    want = con.execute("""SELECT date_trunc('month', period), sum(vacancies), sum(job_seekers) FROM labour_jobs_monthly
                          WHERE period BETWEEN ? AND ? GROUP BY 1""", [START, END]).fetchall()
    wide = got.pivot(index="period", columns="series", values="value")
    assert len(wide) == len(want) > 0
    for month, vacancies, seekers in want:
        row = wide.loc[pd.Timestamp(month)]
        assert (row["vacancies"], row["job_seekers"]) == (vacancies, seekers)


def test_a_category_filter_narrows_every_query_on_tables_with_that_column(con):
    from ioc.queries import registers, series

    agencies = breakdowns.breakdown(con, "citizen_received", "agency", None, START, END)
    cat = ("agency", agencies["label"].iloc[0])
    by_cat = breakdowns.breakdown(con, "citizen_received", "category", None, START, END, cat=cat)
    assert by_cat["value"].sum() == agencies["value"].iloc[0]  # the agency's reports, split by category
    # the breakdown on the filtered column itself still lists every agency
    assert len(breakdowns.breakdown(con, "citizen_received", "agency", None, START, END, cat=cat)) == len(agencies)
    monday, sunday = dt.date(2025, 11, 3), dt.date(2026, 10, 25)  # whole weeks, as the weekly series counts
    weeks = breakdowns.breakdown(con, "citizen_received", "agency", None, monday, sunday)
    flow = series.series(con, "citizen_flow", None, monday, sunday, cat=cat)
    assert flow.loc[flow["series"] == "received", "value"].sum() == weeks.set_index("label").loc[cat[1], "value"]
    pts = places.points(con, "citizen_reports", None, START, END, cat=("category", by_cat["label"].iloc[0]))
    assert set(pts["category"]) == {by_cat["label"].iloc[0]}
    # a table without the column is left as it is
    assert len(registers.rows(con, "industry_parks", None, None, None, cat=cat)) == len(
        registers.rows(con, "industry_parks", None, None, None))


def test_goods_prices_change_is_against_the_week_before(con):
    from ioc.queries import series

    ch = series.with_change(series.series(con, "prices_goods", None, END - dt.timedelta(days=60), END))
    item = ch.iloc[0]
    weeks = con.execute("""SELECT date_trunc('week', surveyed_on) w, avg(price_vnd) FROM prices_goods_weekly
                           WHERE item_name = ? AND surveyed_on <= ? GROUP BY 1 ORDER BY 1 DESC LIMIT 2""",
                        [item["series"], END]).fetchall()
    assert item["value"] == weeks[0][1] and item["prev"] == weeks[1][1]
    assert item["change_pct"] == pytest.approx(100 * (weeks[0][1] - weeks[1][1]) / weeks[1][1])


def test_place_counts_and_grid_count_every_place_not_only_those_drawn(con):
    start = dt.date(2021, 1, 1)
    total = con.execute("SELECT count(*) FROM citizen_reports WHERE lat IS NOT NULL AND CAST(created_at AS DATE) "
                        "BETWEEN ? AND ?", [start, END]).fetchone()[0]
    assert total > 5000  # more than the map draws one by one
    counts = places.counts(con, "citizen_reports", None, start, END)
    cells = places.grid(con, "citizen_reports", None, start, END)
    assert counts["n"].sum() == cells["n"].sum() == total
    assert counts["n"].is_monotonic_decreasing
    assert len(places.points(con, "citizen_reports", None, start, END, limit=5000)) == 5000
