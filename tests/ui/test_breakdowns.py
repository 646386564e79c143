"""Declared breakdowns and places answer what the same question written by hand in SQL answers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ioc.config import load_config
from ioc.queries import Scope, breakdowns, places
from ioc.warehouse import Warehouse
from tests.ui.conftest import ROOT

pytestmark = pytest.mark.usefixtures("sample_data")
START, END = dt.date(2025, 11, 1), dt.date(2026, 10, 31)
CFG = load_config(ROOT / "config.yaml")


def view(sector: str, kind: str, key: str):
    """A view declared in the default config: the sector's breakdown, series, places or register `key`."""
    return next(v for v in getattr(CFG.sector(sector), kind) if v.key == key)


def every(kind: str) -> list:
    return [v for s in CFG.sectors for v in getattr(s, kind)]


@pytest.fixture
def con():
    cfg = load_config()
    with Warehouse(cfg.data_path / "warehouse").connect() as c:
        yield c


def test_late_dossiers_by_agency_equal_hand_sql(con):
    got = breakdowns.breakdown(con, view("admin", "breakdowns", "late"), "agency", Scope("25747", START, END))
    want = con.execute(
        f"""
        SELECT agency, count(*) FILTER (WHERE {CFG.condition("admin_dossiers", "late")}) FROM admin_dossiers
        WHERE CAST(received_at AS DATE) BETWEEN ? AND ? AND ward_code = '25747' GROUP BY 1""",
        [START, END],
    ).fetchall()
    assert dict(zip(got["label"], got["value"])) == {a: v for a, v in want}
    assert got["value"].is_monotonic_decreasing


def test_every_declared_breakdown_and_place_runs_on_the_sample(con):
    for spec in every("breakdowns"):
        for dim in spec.dims:
            assert not breakdowns.breakdown(con, spec, dim, Scope(None, START, END)).empty, (spec.key, dim)
    for spec in every("places"):
        pts = places.points(con, spec, Scope())
        assert len(pts) > 0 and pts["lat"].between(10.9, 11.2).all(), spec.table


def test_an_undeclared_dimension_is_refused(con):
    with pytest.raises(ValueError, match="not a breakdown"):
        breakdowns.breakdown(
            con, view("admin", "breakdowns", "late"), "ward_code; DROP TABLE x", Scope(None, START, END)
        )


def test_every_declared_series_and_register_runs_with_its_texts(con):
    from ioc import i18n
    from ioc.queries import registers, series

    units = {k.removeprefix("unit.") for k in i18n.keys("en") if k.startswith("unit.")}

    def labelled(table: str, column: str) -> bool:  # a Vietnamese and an English name
        label = CFG.column_labels(table).get(column)
        return bool(label and label.vi and label.en)

    for spec in every("series"):
        df = series.series(con, spec, Scope("25747", START, END))
        assert not df.empty and df["value"].notna().any(), spec.key
        assert spec.title.vi and spec.title.en and (not spec.unit or spec.unit in units), spec.key
        assert labelled(spec.table, spec.by) if spec.by else all(m.label.vi and m.label.en for m in spec.measures), (
            spec.key
        )
    for spec in every("registers"):
        df = registers.rows(con, spec, Scope(None, START, END))
        assert spec.title.en and all(labelled(spec.table, c) for c in df.columns), spec.key
    for spec in every("breakdowns"):
        assert spec.title.en and all(labelled(spec.table, d) for d in spec.dims), spec.key
        assert not spec.unit or spec.unit in units, spec.key
    for spec in every("places"):  # the map's title, and the chip's name for a filter on its category
        assert spec.title.en and labelled(spec.table, spec.category), spec.table


def test_jobs_offered_against_sought_equal_hand_sql(con):
    from ioc.queries import series

    got = series.series(con, view("labour", "series", "jobs"), Scope(None, START, END))
    want = con.execute(
        """SELECT date_trunc('month', period), sum(vacancies), sum(job_seekers) FROM labour_jobs_monthly
                          WHERE period BETWEEN ? AND ? GROUP BY 1""",
        [START, END],
    ).fetchall()
    wide = got.pivot(index="period", columns="series", values="value")
    assert len(wide) == len(want) > 0
    for month, vacancies, seekers in want:
        row = wide.loc[pd.Timestamp(month)]
        assert (row["vacancies"], row["job_seekers"]) == (vacancies, seekers)


def test_a_category_filter_narrows_every_query_on_tables_with_that_column(con):
    from ioc.queries import registers, series

    received = view("citizen", "breakdowns", "received")
    agencies = breakdowns.breakdown(con, received, "agency", Scope(None, START, END))
    cat = ("agency", agencies["label"].iloc[0])
    by_cat = breakdowns.breakdown(con, received, "category", Scope(None, START, END, cat))
    assert by_cat["value"].sum() == agencies["value"].iloc[0]  # the agency's reports, split by category
    # the breakdown on the filtered column itself still lists every agency
    assert len(breakdowns.breakdown(con, received, "agency", Scope(None, START, END, cat))) == len(agencies)
    monday, sunday = dt.date(2025, 11, 3), dt.date(2026, 10, 25)  # whole weeks, as the weekly series counts
    weeks = breakdowns.breakdown(con, received, "agency", Scope(None, monday, sunday))
    flow = series.series(con, view("citizen", "series", "flow"), Scope(None, monday, sunday, cat))
    assert flow.loc[flow["series"] == "received", "value"].sum() == weeks.set_index("label").loc[cat[1], "value"]
    pts = places.points(
        con, view("citizen", "places", "reports"), Scope(None, START, END, ("category", by_cat["label"].iloc[0]))
    )
    assert set(pts["category"]) == {by_cat["label"].iloc[0]}
    # a table without the column is left as it is
    parks = view("industry", "registers", "parks")
    assert len(registers.rows(con, parks, Scope(category=cat))) == len(registers.rows(con, parks, Scope()))


def test_goods_prices_change_is_against_the_week_before(con):
    from ioc.queries import series

    ch = series.with_change(
        series.series(con, view("prices", "series", "goods"), Scope(None, END - dt.timedelta(days=60), END))
    )
    item = ch.iloc[0]
    weeks = con.execute(
        """SELECT date_trunc('week', surveyed_on) w, avg(price_vnd) FROM prices_goods_weekly
                           WHERE item_name = ? AND surveyed_on <= ? GROUP BY 1 ORDER BY 1 DESC LIMIT 2""",
        [item["series"], END],
    ).fetchall()
    assert item["value"] == weeks[0][1] and item["prev"] == weeks[1][1]
    assert item["change_pct"] == pytest.approx(100 * (weeks[0][1] - weeks[1][1]) / weeks[1][1])


def test_place_counts_and_grid_count_every_place_not_only_those_drawn(con):
    start = dt.date(2021, 1, 1)
    total = con.execute(
        "SELECT count(*) FROM citizen_reports WHERE lat IS NOT NULL AND CAST(created_at AS DATE) BETWEEN ? AND ?",
        [start, END],
    ).fetchone()[0]
    assert total > 5000  # more than the map draws one by one
    reports = view("citizen", "places", "reports")
    counts = places.counts(con, reports, Scope(None, start, END))
    cells = places.grid(con, reports, Scope(None, start, END))
    assert counts["n"].sum() == cells["n"].sum() == total
    assert counts["n"].is_monotonic_decreasing
    assert len(places.points(con, reports, Scope(None, start, END), limit=5000)) == 5000


def test_a_week_in_progress_is_not_drawn_as_a_fall(con):
    """Citizen reports by week: the week of today (three days of it) is left out, as the indicator layer
    leaves a month in progress out; the week before, whole, is the last point."""
    from ioc.queries import series

    spec = view("citizen", "series", "flow")
    last = con.execute("SELECT max(CAST(created_at AS DATE)) FROM citizen_reports").fetchone()[0]
    today = last + dt.timedelta(days=1)  # the sample runs to yesterday
    monday = today - dt.timedelta(days=today.weekday())
    scope = Scope(None, today - dt.timedelta(days=90), today)
    shown = series.series(con, spec, scope, today)
    assert shown["period"].max() < pd.Timestamp(monday), "the week in progress is drawn"
    assert (pd.Timestamp(monday) - shown["period"].max()).days == 7  # the whole week before is there
    later = series.series(con, spec, scope, today + dt.timedelta(days=7))  # a week on, that week is whole
    assert later["period"].max() == pd.Timestamp(monday)
