"""The explorer's query builder: a slice spec (filters, groups, time grain, measures) ↔ URL params ↔ SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pandas as pd

from ioc.errors import IOCError
from ioc.warehouse import ident

GRAINS = ("day", "week", "month", "quarter", "year")
MEASURES = ("count", "sum", "avg", "min", "max", "distinct")
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "between", "contains", "in", "empty", "notempty")
MAX_GROUPS = 2
WARD = "ward_code"

# the operators and measures each kind of column takes
OPS_BY_KIND = {
    "text": ("eq", "ne", "contains", "in", "empty", "notempty"),
    "number": ("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "empty", "notempty"),
    "date": ("eq", "ne", "lt", "le", "gt", "ge", "between", "empty", "notempty"),
    "bool": ("eq", "ne", "empty", "notempty"),
    "withheld": ("eq", "ne", "in", "empty", "notempty"),
    "other": ("empty", "notempty"),
}
MEASURES_BY_KIND = {
    "number": ("sum", "avg", "min", "max", "distinct"),
    "date": ("min", "max", "distinct"),
    "text": ("min", "max", "distinct"),
    "bool": ("distinct",),
    "withheld": ("distinct",),
    "other": (),
}
# the type the explorer gives a count of people declared `sensitive`: text in the analysts' copy ("<5" from 1 to
# 4), whose alphabetical min and max would pass for the largest count; filtered by value, counted, not measured
WITHHELD = "WITHHELD"
SQL_OP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# accent-folded text: strip_accents leaves đ alone, and Vietnamese types it as d without accents
FOLD = "replace(lower(strip_accents(CAST({} AS VARCHAR))), 'đ', 'd')"


class ExploreError(IOCError):
    """A slice that cannot be built: unknown column, operator not for the column's type, bad value."""


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    values: tuple[str, ...] = ()  # as typed in the URL; `between` has two, `in` any number, empty/notempty none


@dataclass(frozen=True)
class Measure:
    fn: str
    column: str | None = None  # None only for count

    @property
    def alias(self) -> str:
        return self.fn if self.column is None else f"{self.fn}_{self.column}"

    @property
    def code(self) -> str:
        return self.fn if self.column is None else f"{self.fn}:{self.column}"


@dataclass(frozen=True)
class Spec:
    table: str
    filters: tuple[Filter, ...] = ()
    groups: tuple[str, ...] = ()
    grain: str | None = None
    grain_column: str | None = None
    measures: tuple[Measure, ...] = (Measure("count"),)

    @property
    def grain_alias(self) -> str | None:
        return f"{self.grain_column}_{self.grain}" if self.grain and self.grain_column else None

    @property
    def keys(self) -> list[str]:
        """The result's key columns, time first."""
        return ([self.grain_alias] if self.grain_alias else []) + list(self.groups)


def kind(duck_type: str) -> str:
    """text | number | date | bool | withheld | other, from a DuckDB type name (timestamps count as dates:
    filtered by day)."""
    t = duck_type.upper()
    if t == WITHHELD:
        return "withheld"
    if t in ("VARCHAR", "TEXT") or t.startswith("VARCHAR"):
        return "text"
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "date"
    if t in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "FLOAT",
        "REAL",
        "DOUBLE",
    ) or t.startswith("DECIMAL"):
        return "number"
    return "other"


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """A table's columns and their DuckDB types, in table order; ExploreError when there is no such table."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not rows:
        raise ExploreError(f"no table {table!r} in this snapshot")
    return dict(rows)


def distinct_values(con: duckdb.DuckDBPyConnection, table: str, column: str, limit: int = 200) -> list[Any]:
    """A column's values, sorted, when it has at most `limit` of them (else [] : type the value instead)."""
    if column not in columns(con, table):
        raise ExploreError(f"unknown column {column!r}")
    rows = con.execute(
        f"SELECT DISTINCT {ident(column)} FROM {ident(table)} WHERE {ident(column)} IS NOT NULL ORDER BY 1 LIMIT ?",
        [limit + 1],
    ).fetchall()
    return [r[0] for r in rows] if len(rows) <= limit else []


# --------------------------------------------------------------------------- spec → SQL


def _value(raw: str, k: str, column: str) -> Any:
    try:
        if k == "number":
            v = float(raw.replace(",", ".")) if any(c in raw for c in ".,eE") else int(raw)
            return v
        if k == "date":
            return dt.date.fromisoformat(raw[:10])
        if k == "bool":
            if raw.lower() in ("true", "1", "yes", "co", "có"):
                return True
            if raw.lower() in ("false", "0", "no", "khong", "không"):
                return False
            raise ValueError(raw)
    except ValueError as exc:
        raise ExploreError(f"{column}: {raw!r} is not a {k} value") from exc
    return raw


def _where(f: Filter, cols: Mapping[str, str], params: list[Any]) -> str:
    if f.column not in cols:
        raise ExploreError(f"unknown column {f.column!r}")
    k = kind(cols[f.column])
    if f.op not in OPS_BY_KIND[k]:
        raise ExploreError(f"{f.column}: operator {f.op!r} does not apply to a {k} column")
    col = ident(f.column)
    if k == "date" and cols[f.column].upper().startswith("TIMESTAMP"):
        col = f"CAST({col} AS DATE)"  # timestamps are filtered by day, as people say "from 1/10 to 31/10"
    if f.op == "empty":
        return f"{col} IS NULL" if k != "text" else f"({col} IS NULL OR trim({col}) = '')"
    if f.op == "notempty":
        return f"{col} IS NOT NULL" if k != "text" else f"({col} IS NOT NULL AND trim({col}) <> '')"
    values = [_value(v, k, f.column) for v in f.values]
    need = {"between": 2, "in": None}.get(f.op, 1)
    if (need is None and not values) or (need is not None and len(values) != need):
        raise ExploreError(f"{f.column}: operator {f.op!r} needs {need or 'one or more'} value(s)")
    if f.op == "contains":
        params.append(values[0])
        return f"contains({FOLD.format(col)}, {FOLD.format('?')})"
    if f.op == "between":
        params.extend(sorted(values))
        return f"{col} BETWEEN ? AND ?"
    if f.op == "in":
        params.extend(values)
        return f"{col} IN ({', '.join('?' for _ in values)})"
    params.append(values[0])
    return f"{col} {SQL_OP[f.op]} ?"


def _measure(m: Measure, cols: Mapping[str, str]) -> str:
    if m.fn not in MEASURES:
        raise ExploreError(f"unknown measure {m.fn!r}; expected one of {', '.join(MEASURES)}")
    if m.fn == "count":
        if m.column is not None:
            raise ExploreError("count counts rows: it takes no column")
        return f"count(*) AS {ident(m.alias)}"
    if m.column is None or m.column not in cols:
        raise ExploreError(f"unknown column {m.column!r}")
    k = kind(cols[m.column])
    if m.fn not in MEASURES_BY_KIND[k]:
        raise ExploreError(f"{m.column}: measure {m.fn!r} does not apply to a {k} column")
    expr = f"count(DISTINCT {ident(m.column)})" if m.fn == "distinct" else f"{m.fn}({ident(m.column)})"
    return f"{expr} AS {ident(m.alias)}"


def build_query(spec: Spec, cols: Mapping[str, str]) -> tuple[str, list[Any]]:
    """The one place a spec becomes SQL: names checked against the table's columns and quoted, values bound.

    Raises ExploreError naming the column, operator or value that does not fit.
    """
    if len(spec.groups) > MAX_GROUPS:
        raise ExploreError(f"group by at most {MAX_GROUPS} columns")
    if len(set(spec.groups)) != len(spec.groups):
        raise ExploreError("a column is grouped twice")
    if not spec.measures:
        raise ExploreError("choose at least one measure")
    select: list[str] = []
    if spec.grain or spec.grain_column:
        if spec.grain not in GRAINS:
            raise ExploreError(f"unknown time grain {spec.grain!r}; expected one of {', '.join(GRAINS)}")
        column, alias = spec.grain_column, spec.grain_alias
        if column is None or alias is None or column not in cols or kind(cols[column]) != "date":
            raise ExploreError(f"{column!r} is not a date or timestamp column")
        select.append(f"CAST(date_trunc('{spec.grain}', {ident(column)}) AS DATE) AS {ident(alias)}")
    for g in spec.groups:
        if g not in cols:
            raise ExploreError(f"unknown column {g!r}")
        select.append(ident(g))
    keys = len(select)
    aliases = [m.alias for m in spec.measures]
    if len(set(aliases)) != len(aliases) or set(aliases) & set(spec.keys):
        raise ExploreError("a measure is chosen twice")
    select += [_measure(m, cols) for m in spec.measures]
    params: list[Any] = []
    where = [_where(f, cols, params) for f in spec.filters]
    sql = f"SELECT {', '.join(select)}\nFROM {ident(spec.table)}"
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    if keys:
        positions = ", ".join(str(i + 1) for i in range(keys))
        sql += f"\nGROUP BY {positions}"
        if spec.grain:
            sql += f"\nORDER BY {positions}"
        else:  # categories: the largest first
            sql += f"\nORDER BY {keys + 1} DESC NULLS LAST, {positions}"
    return sql, params


def run(con: duckdb.DuckDBPyConnection, spec: Spec, cols: Mapping[str, str], limit: int) -> pd.DataFrame:
    """The first `limit` rows of a slice on a connection (the page runs the same SQL in the sandbox)."""
    sql, params = build_query(spec, cols)
    return con.execute(f"SELECT * FROM ({sql}) LIMIT ?", [*params, limit]).df()


def chart_kind(spec: Spec) -> str:
    """line over time, a ward map, bars for categories, a big number when nothing is grouped."""
    if spec.grain_alias:
        return "line"
    if spec.groups == (WARD,):
        return "map"
    if spec.groups:
        return "bars"
    return "number"


# --------------------------------------------------------------------------- spec ↔ URL


def to_params(spec: Spec) -> dict[str, Any]:
    """Compact, readable URL params: t=admin_dossiers&g=ward_code&tg=month:received_at&m=count&f=online:eq:true."""
    out: dict[str, Any] = {"t": spec.table}
    if spec.groups:
        out["g"] = ",".join(spec.groups)
    if spec.grain:
        out["tg"] = f"{spec.grain}:{spec.grain_column}"
    if spec.measures != (Measure("count"),):
        out["m"] = ",".join(m.code for m in spec.measures)
    if spec.filters:
        out["f"] = [
            ":".join([f.column, f.op, "|".join(f.values)]) if f.values else f"{f.column}:{f.op}" for f in spec.filters
        ]
    return out


def filter_from(text: str) -> Filter:
    column, op, *rest = text.split(":", 2)
    values = tuple(v for v in rest[0].split("|")) if rest and rest[0] != "" else ()
    return Filter(column, op, values)


def measure_from(text: str) -> Measure:
    fn, _, column = text.partition(":")
    return Measure(fn, column or None)


def from_params(params: Mapping[str, Sequence[str]], cols: Mapping[str, str], table: str) -> Spec:
    """A spec from URL params (each a list of values), keeping only the parts that still fit the table,
    so a stale bookmark opens with what still makes sense."""

    def first(key: str) -> str:
        v = params.get(key) or []
        return v[-1] if v else ""

    spec = Spec(table)
    groups = tuple(dict.fromkeys(g for g in first("g").split(",") if g in cols))[:MAX_GROUPS]
    spec = replace(spec, groups=groups)
    grain, _, gcol = first("tg").partition(":")
    if grain in GRAINS and gcol in cols and kind(cols[gcol]) == "date":
        spec = replace(spec, grain=grain, grain_column=gcol)
    measures = tuple(dict.fromkeys(measure_from(m) for m in first("m").split(",") if m))
    measures = tuple(m for m in measures if _fits(lambda m=m: _measure(m, cols)))
    spec = replace(spec, measures=measures or (Measure("count"),))
    filters = tuple(
        f
        for f in (filter_from(x) for x in params.get("f") or [] if x.count(":") >= 1)
        if _fits(lambda f=f: _where(f, cols, []))
    )
    return replace(spec, filters=filters)


def _fits(check) -> bool:
    try:
        check()
        return True
    except ExploreError:
        return False


# --------------------------------------------------------------------------- compare


def compare_spec(spec: Spec, dimension: str, a: str, b: str) -> Spec:
    """The slice that holds both sides of a comparison on a column (two wards): grouped by it, filtered to a and b."""
    others = tuple(g for g in spec.groups if g != dimension)[: MAX_GROUPS - 1]
    return replace(spec, groups=(dimension, *others), filters=(*spec.filters, Filter(dimension, "in", (a, b))))


def compare_frame(df: pd.DataFrame, key: str, measure: str, a: Any, b: Any, by: Sequence[str] = ()) -> pd.DataFrame:
    """Side by side: the measure for a and for b (per remaining key), the difference b − a and its % change."""
    by = [c for c in by if c != key]
    left = df[df[key] == a][[*by, measure]].rename(columns={measure: "a"})
    right = df[df[key] == b][[*by, measure]].rename(columns={measure: "b"})
    out = (
        left.merge(right, how="outer", on=by)
        if by
        else pd.concat([left.reset_index(drop=True), right.reset_index(drop=True)], axis=1)
    )
    if out.empty:
        out = pd.DataFrame({"a": [None], "b": [None]})
    out["a"] = pd.to_numeric(out["a"], errors="coerce")
    out["b"] = pd.to_numeric(out["b"], errors="coerce")
    out["diff"] = out["b"] - out["a"]
    out["pct"] = (out["diff"] / out["a"].abs() * 100).where(out["a"].notna() & (out["a"] != 0))
    return out
