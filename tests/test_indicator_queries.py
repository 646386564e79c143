"""The indicator layer's queries: status against targets and ceilings, and small counts of people masked."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ioc.ingest import ingest
from ioc.queries import indicators as qi
from ioc.warehouse import Warehouse
from tests.test_ingest import AIR, setup

HOUSEHOLDS = {
    "code": "POOR_HH",
    "sector": "env",
    "name": {"vi": "Hộ nghèo"},
    "unit": "hộ",
    "direction": "lower",
    "mask_below": 5,
    # per ward: a count of readings standing in for a count of households; city: their sum
    "sql": "SELECT ward_code, DATE '2025-06-01' AS period, count(*) * CASE ward_code WHEN '25741' THEN 2 ELSE 7 END "
    "AS value FROM env_air GROUP BY ward_code UNION ALL SELECT NULL, DATE '2025-06-01', 9",
}
CSV = "Mã phường,Ngày,PM2.5\n25741,2025-06-01,20\n25744,2025-06-01,30\n"


@pytest.fixture
def con(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": CSV}, indicators=[HOUSEHOLDS])
    ingest(cfg)
    with Warehouse(cfg.data_path / "warehouse").connect() as c:
        yield c


def test_small_counts_are_masked_in_every_query(con):
    wards = qi.ward_latest(con, "POOR_HH").set_index("ward_code")
    assert wards.loc["25741", "masked"] and wards["value"].isna()["25741"]  # 2 households: "<5"
    assert wards.loc["25744", "value"] == 7 and not wards.loc["25744", "masked"]
    values = qi.values(con, ("POOR_HH",), "25741", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert values["masked"].tolist() == [True] and values["value"].isna().all()
    city = qi.summary(con, codes=("POOR_HH",))
    assert city["value"].tolist() == [9.0] and not city["masked"].any()
    ward = qi.summary(con, codes=("POOR_HH",), ward="25741")
    assert ward["masked"].tolist() == [True] and ward["value"].isna().all()


NAN = float("nan")


def test_an_indicator_without_a_target_has_no_status(con):
    """Read from a real snapshot, where a missing target is a float column's NaN: the status is none (no
    badge), never "behind" for want of a number to compare with."""
    city = qi.summary(con, codes=("POOR_HH",))
    assert city["target_year"].isna().all() and city["threshold"].isna().all()
    assert city["status"].tolist() == ["none"]


@pytest.mark.parametrize(
    "direction, aggregate, target, threshold, ytd, periods, value, expected",
    [
        # a target to reach
        ("higher", "sum", 100.0, None, 120.0, 12, 10.0, "met"),
        ("higher", "sum", 100.0, None, 40.0, 6, 10.0, "behind"),  # half the year gone, under half the target
        ("higher", "sum", 100.0, None, 70.0, 6, 10.0, "on_track"),
        ("higher", "last", 98.0, None, None, 6, 99.0, "met"),
        ("higher", "last", 98.0, None, None, 6, 97.0, "not_met"),  # a value under it: not "behind pace"
        # a ceiling
        ("lower", "sum", 100.0, None, 130.0, 12, 10.0, "over_limit"),
        ("lower", "sum", 100.0, None, 70.0, 6, 10.0, "at_risk"),  # on course to pass it
        ("lower", "sum", 100.0, None, 40.0, 6, 10.0, "within"),
        ("lower", "last", 25.0, None, None, 6, 30.0, "over_limit"),
        # no target: no status at all, whether the target is None or NaN (a float column's missing value)
        ("higher", "last", None, None, None, 6, 30.0, "none"),
        ("lower", "sum", NAN, NAN, 10.0, 6, 3.0, "none"),
        ("higher", "last", 98.0, None, None, 6, NAN, "none"),  # no value
        # an alert threshold wins over a target that is met: 22 cases over the epidemic threshold of 20
        ("lower", "sum", 700.0, 20.0, 100.0, 40, 22.0, "over_threshold"),
        ("lower", "sum", 700.0, 20.0, 100.0, 40, 20.0, "within"),  # at the threshold is not past it
        ("lower", "last", None, 50.0, None, 6, 35.0, "within"),  # a threshold alone: within it
        ("higher", "mean", 75.0, 50.0, 80.0, 6, 45.0, "under_threshold"),  # WQI under 50
    ],
)
def test_status_reads_targets_ceilings_and_thresholds(
    direction, aggregate, target, threshold, ytd, periods, value, expected
):
    from types import SimpleNamespace

    row = SimpleNamespace(
        target_year=target,
        threshold=threshold,
        value=value,
        target_aggregate=aggregate,
        ytd=ytd,
        grain="month",
        ytd_periods=periods,
        direction=direction,
    )
    assert qi._status(row) == expected


def test_air_summary_is_the_median_and_highest_station_at_each_hour(tmp_path):
    import datetime as dt

    import duckdb

    from ioc.queries import environment as qe

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "CREATE TABLE env_air_hourly (station_code VARCHAR, ts TIMESTAMP, pm25 DOUBLE, pm10 DOUBLE, no2 DOUBLE,"
        " so2 DOUBLE, co DOUBLE, o3 DOUBLE)"
    )
    con.execute("""INSERT INTO env_air_hourly (station_code, ts, pm25) VALUES
        ('A', '2026-10-01 00:00', 10), ('B', '2026-10-01 00:00', 20), ('C', '2026-10-01 00:00', 60),
        ('A', '2026-10-01 01:00', 5), ('B', '2026-10-01 01:00', NULL), ('C', '2026-10-01 01:00', 7)""")
    got = qe.series(con, "pm25", "hour", dt.date(2026, 10, 1), dt.date(2026, 10, 1), summary=True)
    rows = {(str(r.t)[11:16], r.series): (r.value, r.stations) for r in got.itertuples()}
    assert rows[("00:00", "median")] == (20, 3) and rows[("00:00", "max")] == (60, 3)
    assert rows[("01:00", "median")] == (6, 2) and rows[("01:00", "max")] == (7, 2)


def test_the_years_pace_is_judged_apart_from_the_threshold():
    """Dengue over its weekly threshold is "Vượt ngưỡng" on its tile, while the year's total is within its
    ceiling's pace: the progress chart colours that pace, not the threshold."""
    from types import SimpleNamespace

    row = SimpleNamespace(
        target_year=700.0, threshold=20.0, value=23.0, target_aggregate="sum", ytd=576.0, grain="week",
        ytd_periods=48, direction="lower",
    )  # fmt: skip
    assert qi._status(row) == "over_threshold" and qi._status(row, threshold=False) == "within"


MONTHLY = {
    "code": "DOSSIER_DAYS",
    "sector": "env",
    "name": {"vi": "Thời gian giải quyết"},
    "unit": "ngày",
    "direction": "lower",
    "grain": "month",
    "target": 3,
    "target_aggregate": "mean",
    # November whole, December in progress (its first two days): two wards and the city in each
    "sql": "SELECT ward_code, period, value FROM (VALUES ('25741', DATE '2026-10-01', 2.0), "
    "('25741', DATE '2026-11-01', 3.5), "
    "('25744', DATE '2026-11-01', 4.1), (NULL, DATE '2026-11-01', 3.8), ('25741', DATE '2026-12-01', 6.0), "
    "('25744', DATE '2026-12-01', 1.0), (NULL, DATE '2026-12-01', 5.9)) t(ward_code, period, value)",
}
YEARLY = {
    "code": "PLANS",
    "sector": "env",
    "name": {"vi": "Đồ án quy hoạch được duyệt"},
    "unit": "đồ án",
    "direction": "higher",
    "grain": "year",
    "target": 12,
    "target_aggregate": "sum",
    "sql": "SELECT NULL AS ward_code, period, value FROM (VALUES (DATE '2025-01-01', 12.0), "
    "(DATE '2026-01-01', 10.0)) t(period, value)",
}


@pytest.fixture
def periods_con(tmp_path):
    cfg = setup(tmp_path, {"air": AIR}, {"air.csv": CSV}, indicators=[MONTHLY, YEARLY])
    ingest(cfg)
    with Warehouse(cfg.data_path / "warehouse").connect() as c:
        yield c


def test_a_month_in_progress_is_not_the_latest_value(periods_con):
    """On 03/12/2026 the latest whole month is November: two days of December are said apart, never
    compared with the whole November as a jump, and the ward map, the ward profile, the trend and the
    kiosk's line all stop at November with the tile."""
    from ioc.queries import ward as qw

    today = dt.date(2026, 12, 3)
    row = qi.summary(periods_con, codes=("DOSSIER_DAYS",), today=today).iloc[0]
    assert row["period"].date() == dt.date(2026, 11, 1) and row["value"] == 3.8
    assert row["partial_period"].date() == dt.date(2026, 12, 1) and row["partial_value"] == 5.9
    assert not row["in_progress"] and row["status"] == "over_limit"  # 3,8 days against a ceiling of 3
    wards = qi.ward_latest(periods_con, "DOSSIER_DAYS", today).set_index("ward_code")
    assert wards.loc["25741", "value"] == 3.5 and wards.loc["25741", "period"].date() == dt.date(2026, 11, 1)
    profile = qw.indicators(periods_con, "25741", today).set_index("code").loc["DOSSIER_DAYS"]
    assert profile["value"] == 3.5 and profile["city_value"] == 3.8
    assert qi.series(periods_con, "DOSSIER_DAYS", today=today)["value"].tolist() == [3.8]
    long = qi.values(periods_con, ("DOSSIER_DAYS",), None, dt.date(2026, 1, 1), dt.date(2026, 12, 31), today)
    assert long["partial"].tolist() == [False, True]  # kept in the table, marked
    # once December is over it is the latest
    row = qi.summary(periods_con, codes=("DOSSIER_DAYS",), today=dt.date(2027, 1, 1)).iloc[0]
    assert row["value"] == 5.9 and pd.isna(row["partial_period"])


def test_a_ward_is_judged_on_its_year_to_date_mean_as_the_tile_is(periods_con):
    """A target on the year's mean: the tile judges the year's mean, so do the ward map and the ward profile
    (the month in progress left out of it); 3,5 days in November, 2,75 over the year: within 3 days."""
    from ioc.queries import ward as qw

    today = dt.date(2026, 12, 3)
    wards = qi.ward_latest(periods_con, "DOSSIER_DAYS", today).set_index("ward_code")
    assert wards.loc["25741", "ytd"] == 2.75 and wards.loc["25744", "ytd"] == 4.1
    profile = qw.indicators(periods_con, "25741", today).set_index("code").loc["DOSSIER_DAYS"]
    assert profile["ytd"] == 2.75
    verdict = qi.ward_status(3.5, 2.75, 3.0, None, "lower", "mean")
    assert verdict == "within" and qi.ward_status(3.5, None, 3.0, None, "lower", "last") == "over_limit"
    assert qi.ward_status(30.0, 2.0, 3.0, 20.0, "lower", "mean") == "over_threshold"  # the threshold first
    assert qi.ward_status(9.0, None, 700.0, None, "lower", "sum") == "none"  # a yearly total is the city's


def test_a_year_in_progress_is_the_year_to_date_on_pace(periods_con):
    """A year so far stays the latest (marked in_progress); its sum is judged on the pace of the days gone,
    and is not compared with the whole of last year as a fall."""
    early = qi.summary(periods_con, codes=("PLANS",), today=dt.date(2026, 3, 1)).iloc[0]
    assert early["in_progress"] and early["value"] == 10.0
    assert early["status"] == "on_track"  # 10 of 12 by March is ahead of the pace
    late = qi.summary(periods_con, codes=("PLANS",), today=dt.date(2026, 12, 31)).iloc[0]
    assert late["status"] == "behind"  # 10 of 12 with a day to go
    assert pd.isna(late["change_pct"]) and pd.isna(late["yoy_pct"])  # not "−16,7 %" against a whole year
    done = qi.summary(periods_con, codes=("PLANS",), today=dt.date(2027, 1, 5)).iloc[0]
    assert not done["in_progress"] and done["change_pct"] == pytest.approx(-100 / 6)
