"""Time series a sector's page draws from its own tables (jobs offered against jobs sought, dengue week by
week, CPI by group, essential goods' prices), declared once per question and answered by one query.

A series has either several measures (one line each) or one measure broken down `by` a column (one line
per value). The page's period filters `date`; its ward filter applies when the table has `ward_code`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import duckdb
import pandas as pd

from ioc.queries import Category, category_clause, frame, has_table, ward_clause
from ioc.queries.breakdowns import LATE_REPORT
from ioc.warehouse import ident

GRAINS = ("day", "week", "month", "quarter", "year")
KINDS = ("line", "yoy", "heat", "change")


@dataclass(frozen=True)
class Series:
    key: str  # its title is the locale text series.<key>; each measure's label series_measure.<name>
    table: str
    date: str  # the column the page's period filters and the grain truncates
    measures: tuple[tuple[str, str], ...]  # (name, SQL aggregate over the table's rows), fixed here
    grain: str = "month"
    by: Optional[str] = None  # one line per value of this column (then exactly one measure)
    unit: str = ""  # locale key under breakdown_unit
    kind: str = "line"  # line | yoy (months of each year side by side) | heat (by × period) | change (latest vs before)
    threshold: Optional[str] = None  # indicator code whose alert threshold (kiosk.attention) is drawn as a rule
    order: Optional[str] = None  # a column the values of `by` are listed by (a CPI group's code), else by name
    names: Optional[tuple[str, str, str]] = None  # (table, key, name): `by` is a code, shown by that table's name
    better: Optional[str] = None  # "higher" | "lower": how a heat map colours its cells (None: neutral)
    mid: Optional[float] = None  # a heat map diverges around this value (an index at 100)

    def __post_init__(self) -> None:
        assert self.grain in GRAINS and self.kind in KINDS, self
        assert self.by is None or len(self.measures) == 1, f"{self.key}: `by` takes one measure"


# QCVN 40:2011/BTNMT, column A (the parks discharge into the Sài Gòn river, a drinking-water source), as the
# indicator INDUSTRY_DISCHARGE_EXCEEDANCES counts them: a day over any limit is a day over the limit
DISCHARGE_OVER = "(cod_mg_l > 75 OR tss_mg_l > 50 OR nh4_mg_l > 5 OR ph < 6 OR ph > 9)"

SERIES: dict[str, list[Series]] = {
    "socio": [
        Series("socio_budget", "socio_monthly", "period",
               (("budget_revenue", "sum(budget_revenue_bvnd)"), ("budget_spending", "sum(budget_spending_bvnd)"),
                ("investment", "sum(investment_bvnd)")), unit="bvnd"),
    ],
    "tourism": [
        Series("tourism_visitors", "tourism_monthly", "period",
               (("visitors_domestic", "sum(visitors_domestic)"), ("visitors_international", "sum(visitors_international)")),
               unit="visitors"),
        Series("tourism_revenue", "tourism_monthly", "period", (("revenue", "sum(revenue_mvnd)"),), unit="mvnd",
               kind="yoy"),
    ],
    "security": [
        Series("security_yoy", "security_accidents", "occurred_on",
               (("accidents", "count(*)"), ("deaths", "sum(deaths)"), ("injuries", "sum(injuries)")), unit="",
               kind="yoy"),
    ],
    "citizen": [
        Series("citizen_flow", "citizen_reports", "created_at",
               (("received", "count(*)"), ("resolved", "count(resolved_at)"),
                ("late", f"count(*) FILTER (WHERE {LATE_REPORT})")), grain="week", unit="reports"),
        Series("citizen_satisfaction", "citizen_reports", "created_at", (("satisfaction", "avg(satisfaction)"),),
               by="category", unit="points", kind="heat", better="higher"),
    ],
    "industry": [
        Series("industry_iip", "industry_production_monthly", "period",
               (("iip_total", "avg(iip_total)"), ("iip_manufacturing", "avg(iip_manufacturing)"),
                ("iip_electricity", "avg(iip_electricity)"), ("iip_water_waste", "avg(iip_water_waste)")),
               unit="index"),
        Series("industry_discharge_over", "industry_discharge_daily", "date",
               (("days_over", f"count(*) FILTER (WHERE {DISCHARGE_OVER})"),), by="park_code", unit="days",
               names=("industry_parks", "park_code", "name"),
               kind="heat", better="lower"),
    ],
    "resources": [
        Series("resources_waste", "resources_waste_monthly", "period",
               (("generated", "sum(generated_t)"), ("collected", "sum(collected_t)")), unit="tonnes"),
        Series("resources_land", "resources_land_monthly", "period",
               (("certificates_first", "sum(certificates_first)"), ("change_registrations", "sum(change_registrations)"),
                ("land_use_conversions", "sum(land_use_conversions)")), unit="dossiers"),
    ],
    "health": [
        Series("health_dengue", "health_disease_weekly", "week_start", (("dengue", "sum(dengue_cases)"),), grain="week",
               unit="cases_people", threshold="HEALTH_DENGUE_CASES"),
        Series("health_dengue_wards", "health_disease_weekly", "week_start", (("dengue", "sum(dengue_cases)"),),
               by="ward_name", grain="week", unit="cases_people", kind="heat", better="lower"),
        Series("health_hfmd", "health_disease_weekly", "week_start", (("hfmd", "sum(hfmd_cases)"),), grain="week",
               unit="cases_people", threshold="HEALTH_HFMD_CASES"),
        Series("health_coverage", "health_coverage_monthly", "period",
               (("insurance", "avg(insurance_coverage_pct)"),), unit="percent"),
    ],
    "education": [
        Series("education_ratios", "education_yearly", "year_start",
               (("pupils_per_teacher", "sum(pupils) / nullif(sum(teachers), 0)"),
                ("pupils_per_class", "sum(pupils) / nullif(sum(classes), 0)")), grain="year", unit="pupils"),
        Series("education_standard", "education_yearly", "year_start",
               (("standard_share", "100.0 * sum(national_standard_schools) / nullif(sum(schools), 0)"),),
               by="level", grain="year", unit="percent"),
    ],
    "labour": [
        Series("labour_jobs", "labour_jobs_monthly", "period",
               (("vacancies", "sum(vacancies)"), ("job_seekers", "sum(job_seekers)"), ("placed", "sum(placed)")),
               unit="people"),
        Series("labour_vocational", "labour_jobs_monthly", "period",
               (("vocational_enrolled", "sum(vocational_enrolled)"),
                ("vocational_graduated", "sum(vocational_graduated)")), unit="people"),
    ],
    "science": [
        Series("science_digital", "science_digital_monthly", "period",
               (("ip_applications", "sum(ip_applications)"), ("startups_supported", "sum(startups_supported)")),
               unit="count"),
    ],
    "prices": [
        Series("prices_cpi_mom", "prices_cpi_monthly", "period", (("index_mom", "avg(index_mom)"),), by="cpi_group",
               order="group_code", unit="index", kind="heat", better="lower", mid=100.0),
        Series("prices_cpi_yoy", "prices_cpi_monthly", "period", (("index_yoy", "avg(index_yoy)"),), by="cpi_group",
               order="group_code", unit="index", kind="heat", better="lower", mid=100.0),
        Series("prices_supply", "prices_supply_monthly", "period",
               (("coverage", "100.0 * sum(supply) / nullif(sum(demand), 0)"),), by="item", unit="percent",
               kind="heat", better="higher", mid=100.0),
        Series("prices_goods", "prices_goods_weekly", "surveyed_on", (("price", "avg(price_vnd)"),), by="item_name",
               grain="week", unit="vnd", kind="change"),
    ],
}


def available(con: duckdb.DuckDBPyConnection, sector: str) -> list[Series]:
    return [s for s in SERIES.get(sector, []) if has_table(con, s.table)]


def spec_of(key: str) -> Series:
    return next(s for ss in SERIES.values() for s in ss if s.key == key)


def series(
    con: duckdb.DuckDBPyConnection, key: str, ward: Optional[str], start: dt.date, end: dt.date,
    cat: Category = None,
) -> pd.DataFrame:
    """Long frame (period, series, value): one row per period and measure (or value of `by`).

    A `yoy` series reads whole years (the start's year and the one before) so this year sits beside the last;
    a `change` series reads from four periods before the start, so the first period shown has its change.
    The ward filter is ignored by a table without wards (the city's own figures)."""
    spec = spec_of(key)
    if spec.kind == "yoy":
        start = dt.date(end.year - 1, 1, 1)
    elif spec.kind == "change":
        start = start - dt.timedelta(days=35 if spec.grain == "week" else 140)
    ward_sql, ward_params = ward_clause(con, spec.table, ward)
    cat_sql, cat_params = category_clause(con, spec.table, cat)
    day = f"CAST({ident(spec.date)} AS DATE)"
    parts, params = [], []
    for i, (name, agg) in enumerate(spec.measures):
        label = f"CAST({ident(spec.by)} AS VARCHAR)" if spec.by else "CAST(? AS VARCHAR)"
        if spec.names:  # a park's name for its code; the code itself when the register lacks it
            table, key_col, name_col = (ident(x) for x in spec.names)
            label = (f"coalesce((SELECT min({name_col}) FROM {table} n WHERE CAST(n.{key_col} AS VARCHAR) = "
                     f"CAST(x.{ident(spec.by)} AS VARCHAR)), CAST(x.{ident(spec.by)} AS VARCHAR))")
        # series listed as declared, or the values of `by` by their order column or name
        order = (f"CAST(min({ident(spec.order)}) AS VARCHAR)" if spec.order else label) if spec.by else f"'{i:03d}'"
        trunc = f"date_trunc('{spec.grain}', {day})"
        # whole periods: a week surveyed on Wednesday belongs to a period that ends on the Monday it starts
        parts.append(f"SELECT CAST({trunc} AS DATE) AS period, {label} AS series, CAST({agg} AS DOUBLE) AS value, "
                     f"{order} AS ord FROM {ident(spec.table)} AS x "
                     f"WHERE {trunc} >= date_trunc('{spec.grain}', CAST(? AS DATE)) "
                     f"AND {trunc} <= date_trunc('{spec.grain}', CAST(? AS DATE)) "
                     f"{ward_sql} {cat_sql} GROUP BY ALL")
        params += ([] if spec.by else [name]) + [start, end] + ward_params + cat_params
    return frame(con, " UNION ALL ".join(parts) + " ORDER BY ord, period", params)


def with_change(df: pd.DataFrame) -> pd.DataFrame:
    """Each series' latest value with the one before and four before, and the changes in percent."""
    rows = []
    for name, g in df.dropna(subset=["value"]).sort_values("period").groupby("series", sort=False):
        vals = g["value"].tolist()
        last, prev = vals[-1], (vals[-2] if len(vals) > 1 else None)
        back = vals[-5] if len(vals) > 4 else None
        rows.append({"series": name, "period": g["period"].iloc[-1], "value": last, "prev": prev,
                     "change_pct": 100.0 * (last - prev) / prev if prev else None,
                     "back4": back, "change4_pct": 100.0 * (last - back) / back if back else None})
    out = pd.DataFrame(rows, columns=["series", "period", "value", "prev", "change_pct", "back4", "change4_pct"])
    return out.sort_values("change_pct", ascending=False, na_position="last", key=lambda s: s.abs()).reset_index(drop=True)
