"""The column contract, checked in DuckDB: types, required, min/max, allowed values and key repeats.

Good rows go on; each failing (row, column) becomes a reject with a reason. A payload without a
declared column (unless the column is `optional`) fails as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from connectors.base import Parsed
from ioc.errors import SourceError
from ioc.model import Column, Source, TextFormat
from ioc.warehouse import ident, one

ROW = "_row"
TRUE_WORDS = ["true", "t", "1", "yes", "y", "x", "có", "co", "đúng", "dung"]
FALSE_WORDS = ["false", "f", "0", "no", "n", "không", "khong", "sai"]
OFFSET = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"  # a time of day followed by a UTC offset


@dataclass
class ContractResult:
    good: str  # a SELECT of the good rows (no _row), over temp tables that drop_temp() removes
    params: dict  # the parameters `good` binds
    rows_in: int
    rows_good: int
    rejects: list[tuple[int | None, str, str | None, str]]  # row, column, value, reason
    columns: list[str]


@dataclass
class Loaded:
    """A payload's rows written into the build's table, in a transaction still open: what the contract kept
    and rejected, and what the connector's parser read (its own rejects, rows set aside, notes)."""

    result: ContractResult
    parsed: Parsed
    direct: bool = False  # by DuckDB's reader (ioc/direct.py), the parser reading only the problem rows


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def _typed(x: str, spec: Column, in_type: str, fmt: TextFormat, p: _Params, tz: str) -> str:
    """SQL typing the expression `x` (of DuckDB type in_type) as the column's contract type; NULL if it cannot."""
    text = in_type.startswith("VARCHAR")
    if spec.type == "text":  # blank is missing, as the CSV and Excel readers make it: "" must not pass `required`
        # one form for a text however it was typed: NFC (a cp1258 or macOS export decomposes the tones), and
        # the look-alike Ð (U+00D0) as Đ (ioc.text.clean)
        return f"nullif(trim(translate(nfc_normalize(CAST({x} AS VARCHAR)), 'Ðð', 'Đđ')), '')"
    if spec.type in ("integer", "double"):
        sql_t = "BIGINT" if spec.type == "integer" else "DOUBLE"
        if not text:
            return f"TRY_CAST({x} AS {sql_t})"
        num = f"trim({x})"
        if fmt.thousands:
            num = f"replace({num}, {p.bind(fmt.thousands)}, '')"
        if fmt.decimal == ",":
            num = f"replace({num}, ',', '.')"
        if spec.type == "integer":  # "12.0" is 12, "12.5" is not an integer
            d = f"TRY_CAST({num} AS DOUBLE)"
            return f"CASE WHEN {d} = round({d}) AND abs({d}) < 9e18 THEN CAST({d} AS BIGINT) END"
        return f"TRY_CAST({num} AS DOUBLE)"
    if spec.type in ("date", "timestamp"):
        sql_t = "DATE" if spec.type == "date" else "TIMESTAMP"
        if in_type.startswith("TIMESTAMP WITH TIME ZONE"):  # an instant, from any path: in city time, as text is
            return f"CAST(timezone({p.bind(tz)}, {x}) AS {sql_t})"

        def city(plain: str) -> str:  # a plain time written in the column's declared zone, in city time
            if spec.type != "timestamp" or not spec.timezone or spec.timezone == tz:
                return plain
            return f"timezone({p.bind(tz)}, timezone({p.bind(spec.timezone)}, {plain}))"

        if not text:
            return city(f"TRY_CAST({x} AS {sql_t})")
        parts = []
        if fmt.date_format:
            parts.append(f"CAST(try_strptime(trim({x}), {p.bind(fmt.date_format)}) AS {sql_t})")
        parts.append(f"TRY_CAST(trim({x}) AS {sql_t})")
        if spec.type == "date":
            parts.append(f"CAST(TRY_CAST(trim({x}) AS TIMESTAMP) AS DATE)")
        else:
            # A plain cast drops an offset ("08:30+07:00" and "08:30Z" both become 08:30): a time with one is
            # converted to city time, the time that plain timestamps are written in.
            offset = (
                f"CASE WHEN regexp_matches(trim({x}), {p.bind(OFFSET)}) "
                f"THEN timezone({p.bind(tz)}, TRY_CAST(trim({x}) AS TIMESTAMPTZ)) END"
            )
            return f"coalesce({offset}, {city(f'coalesce({chr(44).join(parts)})')})"
        return f"coalesce({', '.join(parts)})"
    if spec.type == "boolean":
        if in_type == "BOOLEAN":
            return x
        low = f"lower(trim(CAST({x} AS VARCHAR)))"
        return (
            f"CASE WHEN {low} IN (SELECT unnest({p.bind(TRUE_WORDS)})) THEN true "
            f"WHEN {low} IN (SELECT unnest({p.bind(FALSE_WORDS)})) THEN false END"
        )
    raise AssertionError(spec.type)


def _rules(t: str, spec: Column, p: _Params) -> list[tuple[str, str]]:
    """(condition, reason) for each rule of a typed cell `t` besides its type, in the order they are reported."""
    rules = []
    if spec.required:
        rules.append((f"{t} IS NULL", "'required: missing'"))
    if spec.min is not None:
        rules.append((f"{t} < {p.bind(spec.min)}", p.bind(f"min: below {spec.min:g}")))
    if spec.max is not None:
        rules.append((f"{t} > {p.bind(spec.max)}", p.bind(f"max: above {spec.max:g}")))
    if spec.values is not None:
        allowed = [str(v) for v in spec.values]
        shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
        # compared as the column's type, not as text: 2 allows "2.0" in a double column, true allows "có"
        rules.append(
            (
                f"{t} IS NOT NULL AND NOT list_contains(TRY_CAST({p.bind(allowed)} AS {_SQL_TYPES[spec.type]}[]), {t})",
                p.bind("values: not one of " + shown),
            )
        )
    return rules


def _reason(col: str, spec: Column, p: _Params) -> str | None:
    """A CASE giving the first broken rule of one cell, or NULL."""
    raw = ident(f"_raw_{col}")
    t = ident(col)
    whens = [f"WHEN {raw} IS NOT NULL AND {t} IS NULL THEN {p.bind('type: expected ' + spec.type)}"]
    whens += [f"WHEN {cond} THEN {reason}" for cond, reason in _rules(t, spec, p)]
    return "CASE " + " ".join(whens) + " END"


def missing_columns(src: Source, names: list[str]) -> list[str]:
    """The declared columns a payload with these columns lacks, that are not declared `optional`."""
    return [c for c, spec in src.columns.items() if not spec.optional and c not in names]


def require_columns(src: Source, names: list[str]) -> None:
    """Fail the source, naming them, when a payload lacks declared columns (schema drift: a renamed header)."""
    missing = missing_columns(src, names)
    if missing:
        found = ", ".join(c for c in names if c != ROW) or "none"
        raise SourceError(
            src.name,
            f"the payload lacks column(s) {', '.join(missing)} (declare `optional: true` for a column that may be "
            f"absent); it has: {found}",
        )


def check(
    con: duckdb.DuckDBPyConnection, src: Source, relation: str, fmt: TextFormat, timezone: str = "UTC"
) -> ContractResult:
    """Check `relation` (a table or view with the parsed, transformed rows) against the source's contract.

    `timezone` is the city's: timestamps given with an offset are converted to it."""
    described = con.execute(f"DESCRIBE {ident(relation)}").fetchall()
    in_types = {r[0]: str(r[1]) for r in described}
    has_row = ROW in in_types
    require_columns(src, list(in_types))
    p = _Params()
    declared = list(src.columns)
    undeclared = [c for c in in_types if c not in src.columns and c != ROW]
    inner = [ident(ROW) if has_row else f"CAST(row_number() OVER () AS BIGINT) AS {ident(ROW)}"]
    outer = [ident(ROW)]
    checked = []
    for c in declared:
        spec = src.columns[c]
        if c not in in_types:  # optional column absent from this payload: keep the schema stable
            inner.append(f"CAST(NULL AS {_SQL_TYPES[spec.type]}) AS {ident(c)}")
            outer.append(ident(c))
            continue
        raw = ident("_raw_" + c)
        inner.append(f"{_typed(ident(c), spec, in_types[c], fmt, p, timezone)} AS {ident(c)}")
        inner.append(f"nullif(trim(CAST({ident(c)} AS VARCHAR)), '') AS {raw}")
        err = ident("_err_" + c)
        reason = _reason(c, spec, p)
        # the raw text is kept only where a rule broke: good rows carry NULLs, which cost next to nothing
        outer += [ident(c), f"{reason} AS {err}", f"CASE WHEN {reason} IS NOT NULL THEN {raw} END AS {raw}"]
        checked.append(c)
    outer += [ident(c) for c in undeclared]
    typed_sql = (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner + [ident(c) for c in undeclared])} "
        f"FROM {ident(relation)})"
    )
    clean_cond = " AND ".join(f"{ident('_err_' + c)} IS NULL" for c in checked) or "true"
    out_cols = declared + undeclared
    select_out = ", ".join(ident(c) for c in out_cols)
    if not src.key:
        # The usual large machine export breaks no rule: one pass finds that out without storing
        # anything, and the good rows are then cast once more straight into the target table.
        rows_in, bad = one(
            con, f"SELECT count(*), count(*) FILTER (WHERE NOT ({clean_cond})) FROM ({typed_sql})", p.values
        )
        if bad == 0:
            return ContractResult(f"SELECT {select_out} FROM ({typed_sql})", p.values, rows_in, rows_in, [], out_cols)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {typed_sql}", p.values)
    rows_in = one(con, "SELECT count(*) FROM _typed")[0]

    rejects: list[tuple] = []
    if checked:
        union = " UNION ALL ".join(
            f"SELECT {ident(ROW)}, {c!r} AS col, {ident('_raw_' + c)} AS val, {ident('_err_' + c)} AS reason "
            f"FROM _typed WHERE {ident('_err_' + c)} IS NOT NULL"
            for c in checked
        )
        rejects += con.execute(f"SELECT * FROM ({union}) ORDER BY 1, 2").fetchall()
    if src.key:
        keys = ", ".join(ident(k) for k in src.key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _keyed AS SELECT *, "
            f"min({ident(ROW)}) OVER (PARTITION BY {keys}) AS _first FROM _typed WHERE {clean_cond}"
        )
        key_label = "+".join(src.key)
        null_keys = " OR ".join(f"{ident(k)} IS NULL" for k in src.key)
        dup_expr = " || ' / ' || ".join(f"coalesce(CAST({ident(k)} AS VARCHAR), '∅')" for k in src.key)
        rejects += con.execute(
            f"SELECT {ident(ROW)}, ?, {dup_expr}, 'key: repeats ' || ? || ' of row ' || _first "
            f"FROM _keyed WHERE {ident(ROW)} <> _first AND NOT ({null_keys}) ORDER BY 1",
            [key_label, key_label],
        ).fetchall()
        rejects += con.execute(  # every row without a key, not only the first: it repeats nothing
            f"SELECT {ident(ROW)}, ?, NULL, 'key: empty' FROM _keyed WHERE ({null_keys}) ORDER BY 1",
            [key_label],
        ).fetchall()
        good = (
            f"SELECT {select_out} FROM _keyed WHERE {ident(ROW)} = _first AND NOT ({null_keys}) ORDER BY {ident(ROW)}"
        )
    else:
        good = f"SELECT {select_out} FROM _typed WHERE {clean_cond}"
    rows_good = one(con, f"SELECT count(*) FROM ({good})")[0]
    return ContractResult(good, {}, rows_in, rows_good, rejects, out_cols)


def drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Remove what check() left behind, once the good rows are written."""
    con.execute("DROP TABLE IF EXISTS _keyed")
    con.execute("DROP TABLE IF EXISTS _typed")


_SQL_TYPES = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
