"""Time series a sector's page draws from its own tables (jobs offered against jobs sought, dengue week by
week, CPI by group, essential goods' prices): declared in the sector (ioc.views.Series), answered by one query.

A series has either several measures (one line each) or one measure broken down `by` a column (one line
per value). The page's period filters `date`; its ward filter applies when the table has `ward_code`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ioc.queries import Scope, frame
from ioc.queries.indicators import period_end
from ioc.views import Series
from ioc.warehouse import ident


def series(con: duckdb.DuckDBPyConnection, spec: Series, scope: Scope, today: dt.date | None = None) -> pd.DataFrame:
    """Long frame (period, series, value): one row per period and measure (or value of `by`), in the page's
    scope, whose period it needs. A period in progress (its last day today or later) is left out, as the
    indicator layer leaves it out: three days of a week are not a week's fall.

    A `yoy` series reads whole years (the start's year and the one before) so this year sits beside the last;
    a `change` series reads from four periods before the start, so the first period shown has its change.
    The ward filter is ignored by a table without wards (the city's own figures)."""
    start, end = scope.start, scope.end
    if start is None or end is None:
        raise ValueError(f"the series {spec.key} needs a period")
    if spec.kind == "yoy":
        start = dt.date(end.year - 1, 1, 1)
    elif spec.kind == "change":
        start = start - dt.timedelta(days=35 if spec.grain == "week" else 140)
    where, where_params = scope.clause(con, spec.table, alias="x.")
    day = f"CAST({ident(spec.date)} AS DATE)"
    parts, params = [], []
    for i, m in enumerate(spec.measures):
        name, agg = m.name, m.sql
        label = f"CAST({ident(spec.by)} AS VARCHAR)" if spec.by else "CAST(? AS VARCHAR)"
        if spec.names and spec.by:  # a park's name for its code; the code itself when the register lacks it
            table, key_col, name_col = (ident(x) for x in (spec.names.table, spec.names.key, spec.names.name))
            label = (
                f"coalesce((SELECT min({name_col}) FROM {table} n WHERE CAST(n.{key_col} AS VARCHAR) = "
                f"CAST(x.{ident(spec.by)} AS VARCHAR)), CAST(x.{ident(spec.by)} AS VARCHAR))"
            )
        # series listed as declared, or the values of `by` by their order column or name
        order = (f"CAST(min({ident(spec.order)}) AS VARCHAR)" if spec.order else label) if spec.by else f"'{i:03d}'"
        trunc = f"date_trunc('{spec.grain}', {day})"
        # whole periods: a week surveyed on Wednesday belongs to a period that ends on the Monday it starts
        parts.append(
            f"SELECT CAST({trunc} AS DATE) AS period, {label} AS series, CAST({agg} AS DOUBLE) AS value, "
            f"{order} AS ord FROM {ident(spec.table)} AS x "
            f"WHERE {trunc} >= date_trunc('{spec.grain}', CAST(? AS DATE)) "
            f"AND {trunc} <= date_trunc('{spec.grain}', CAST(? AS DATE)) "
            f"AND {period_end(trunc, repr(spec.grain))} < CAST(? AS DATE) "
            f"AND {where} GROUP BY ALL"
        )
        params += ([] if spec.by else [name]) + [start, end, today or dt.date.today()] + where_params
    return frame(con, " UNION ALL ".join(parts) + " ORDER BY ord, period", params)


def with_change(df: pd.DataFrame) -> pd.DataFrame:
    """Each series' latest value with the one before and four before, and the changes in percent."""
    rows = []
    for name, g in df.dropna(subset=["value"]).sort_values("period").groupby("series", sort=False):
        vals = g["value"].tolist()
        last, prev = vals[-1], (vals[-2] if len(vals) > 1 else None)
        back = vals[-5] if len(vals) > 4 else None
        rows.append(
            {
                "series": name,
                "period": g["period"].iloc[-1],
                "value": last,
                "prev": prev,
                "change_pct": 100.0 * (last - prev) / prev if prev else None,
                "back4": back,
                "change4_pct": 100.0 * (last - back) / back if back else None,
            }
        )
    out = pd.DataFrame(rows, columns=["series", "period", "value", "prev", "change_pct", "back4", "change4_pct"])
    return out.sort_values("change_pct", ascending=False, na_position="last", key=lambda s: s.abs()).reset_index(
        drop=True
    )
