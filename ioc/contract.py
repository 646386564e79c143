"""The column contract, checked in DuckDB: types, required, min/max, allowed values and key repeats.

Good rows go on; each failing (row, column) becomes a reject with a reason. A payload without a
required column fails as a whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import duckdb

from ioc.model import Column, Source, TextFormat
from ioc.errors import SourceError
from ioc.warehouse import ident

if TYPE_CHECKING:
    from connectors.base import DirectRead

ROW = "_row"
TRUE_WORDS = ["true", "t", "1", "yes", "y", "x", "có", "co", "đúng", "dung"]
FALSE_WORDS = ["false", "f", "0", "no", "n", "không", "khong", "sai"]
OFFSET = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"  # a time of day followed by a UTC offset
NUMERIC_INPUT = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UBIGINT", "UINTEGER")


@dataclass
class ContractResult:
    good: str  # a SELECT of the good rows (no _row), over temp tables that drop_temp() removes
    params: dict  # the parameters `good` binds
    rows_in: int
    rows_good: int
    rejects: list[tuple[Optional[int], str, Optional[str], str]]  # row, column, value, reason
    columns: list[str]


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
        return f"nullif(trim(CAST({x} AS VARCHAR)), '')"
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
        if not text:
            return f"TRY_CAST({x} AS {sql_t})"
        parts = []
        if fmt.date_format:
            parts.append(f"CAST(try_strptime(trim({x}), {p.bind(fmt.date_format)}) AS {sql_t})")
        parts.append(f"TRY_CAST(trim({x}) AS {sql_t})")
        if spec.type == "date":
            parts.append(f"CAST(TRY_CAST(trim({x}) AS TIMESTAMP) AS DATE)")
        else:
            # A plain cast drops an offset ("08:30+07:00" and "08:30Z" both become 08:30): a time with one is
            # converted to city time, the time that plain timestamps are written in.
            parts.insert(0, f"CASE WHEN regexp_matches(trim({x}), {p.bind(OFFSET)}) "
                            f"THEN timezone({p.bind(tz)}, TRY_CAST(trim({x}) AS TIMESTAMPTZ)) END")
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
        rules.append((
            f"{t} IS NOT NULL AND NOT list_contains(TRY_CAST({p.bind(allowed)} AS {_SQL_TYPES[spec.type]}[]), {t})",
            p.bind("values: not one of " + shown),
        ))
    return rules


def _reason(col: str, spec: Column, p: _Params) -> Optional[str]:
    """A CASE giving the first broken rule of one cell, or NULL."""
    raw = ident(f"_raw_{col}")
    t = ident(col)
    whens = [f"WHEN {raw} IS NOT NULL AND {t} IS NULL THEN {p.bind('type: expected ' + spec.type)}"]
    whens += [f"WHEN {cond} THEN {reason}" for cond, reason in _rules(t, spec, p)]
    return "CASE " + " ".join(whens) + " END"


def check(
    con: duckdb.DuckDBPyConnection, src: Source, relation: str, fmt: TextFormat, timezone: str = "UTC"
) -> ContractResult:
    """Check `relation` (a table or view with the parsed, transformed rows) against the source's contract.

    `timezone` is the city's: timestamps given with an offset are converted to it."""
    described = con.execute(f"DESCRIBE {ident(relation)}").fetchall()
    in_types = {r[0]: str(r[1]) for r in described}
    has_row = ROW in in_types
    missing_required = [c for c, spec in src.columns.items() if spec.required and c not in in_types]
    if missing_required:
        found = ", ".join(c for c in in_types if c != ROW)
        raise SourceError(
            src.name, f"the payload lacks required column(s) {', '.join(missing_required)}; it has: {found}"
        )
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
    typed_sql = (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner + [ident(c) for c in undeclared])} "
                 f"FROM {ident(relation)})")
    clean_cond = " AND ".join(f"{ident('_err_' + c)} IS NULL" for c in checked) or "true"
    out_cols = declared + undeclared
    select_out = ", ".join(ident(c) for c in out_cols)
    if not src.key:
        # The usual large machine export breaks no rule: one pass finds that out without storing
        # anything, and the good rows are then cast once more straight into the target table.
        rows_in, bad = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE NOT ({clean_cond})) FROM ({typed_sql})", p.values
        ).fetchone()
        if bad == 0:
            return ContractResult(f"SELECT {select_out} FROM ({typed_sql})", p.values, rows_in, rows_in, [], out_cols)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {typed_sql}", p.values)
    rows_in = con.execute("SELECT count(*) FROM _typed").fetchone()[0]

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
        good = (f"SELECT {select_out} FROM _keyed WHERE {ident(ROW)} = _first AND NOT ({null_keys}) "
                f"ORDER BY {ident(ROW)}")
    else:
        good = f"SELECT {select_out} FROM _typed WHERE {clean_cond}"
    rows_good = con.execute(f"SELECT count(*) FROM ({good})").fetchone()[0]
    return ContractResult(good, {}, rows_in, rows_good, rejects, out_cols)


def drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Remove what check() left behind, once the good rows are written."""
    con.execute("DROP TABLE IF EXISTS _keyed")
    con.execute("DROP TABLE IF EXISTS _typed")


_SQL_TYPES = {"text": "VARCHAR", "integer": "BIGINT", "double": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


# ---------------------------------------------------------------------------------------------------- direct
# A CSV file can skip the text parse: DuckDB's CSV reader types the columns as it reads and the rows go
# straight into the table, then one scan of the stored table finds the rows that broke a rule. Only reader
# types that give exactly the values of the path above are used:
# - double: the reader parses as TRY_CAST does (without a thousands separator, which it does not know);
# - integer: read as DOUBLE, because the reader rounds "12.5" to 13 where the contract refuses it; a cell
#   that is no integer is stored as NOT_INTEGER, a value no integer cell can have (the contract refuses
#   any beyond 9e18), which the rule scan finds: a flag column cost 4 % of the read;
# - date: plain, or with the source's date_format, as _typed tries them;
# - timestamp: only with a format every sampled cell matches (the source's, else a strict ISO one), because
#   with none the reader drops a UTC offset that the contract converts to city time;
# - text: as read, the reader making "" and the source's na_values missing; a cell with spaces around it
#   is left to the general path (below), which trims it: trimming every cell here costs 10 % of the read;
# - anything else is read as text and typed here by _typed(), flagging a cell that did not survive.
# The rows with something to report (the reader could not read them, a cell is flagged, a rule broke, the
# row is not data, its key repeats) are left out and read again by the general path, which names row,
# column, value and reason; a payload whose rows the reader cannot number (a line break inside a cell) or
# with too many such rows goes the general path whole. Either way the results are the general path's.
ISO_TIMESTAMPS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d"]
DIRECT_FLAG = "_direct_flag"
NOT_INTEGER = "(-9223372036854775807)::BIGINT"
_REJECTS = ("_direct_rejects", "_direct_scans")
PROBLEMS_MIN = 1000  # rows the general path may read again on their own; past a tenth of a file, it reads it all


@dataclass
class DirectLoad:
    result: ContractResult  # the rows kept
    problems: list[int]  # body lines (from 0) to leave out, for the general path to read and report
    positions: list[int]  # the stored rows to remove (their order of reading, from 0): settle_direct()
    flagged: bool  # the table has the flag column, which settle_direct() drops
    blank: int  # empty lines, skipped by the reader: rows set aside, as the general path counts them


class DirectDeclined(Exception):
    """The payload needs the general path; the message says why (it goes into the run's notes)."""


def _reader(d: "DirectRead", columns: dict[str, str], extra: dict) -> tuple[str, dict]:
    """read_csv over the landed file with these reader types, as SQL binding its parameters."""
    named = {**d.options, **extra}
    args = ", ".join(f"{k}=$o_{k}" for k in named)
    sql = (f"read_csv($o_path, header=false, auto_detect=false, columns=$o_columns, "
           f"strict_mode=true, nullstr=$o_na, encoding='utf-8', {args})")
    return sql, {"o_path": d.path, "o_columns": columns, "o_na": d.na_values} | {f"o_{k}": v for k, v in named.items()}


def _timestamp_format(con: duckdb.DuckDBPyConnection, d: "DirectRead", col: str, fmt: Optional[str]) -> Optional[str]:
    """A format every sampled cell of a timestamp column matches, or None (the column is read as text)."""
    candidates = [fmt] if fmt else ISO_TIMESTAMPS
    if any(z in c for c in candidates for z in ("%z", "%Z")):
        return None
    i = d.names.index(col)
    cells = [r[i].strip() for r in d.sample if i < len(r)]
    cells = [c for c in cells if c not in d.na_values]
    for c in candidates:
        if cells and con.execute("SELECT bool_and(try_strptime(v, $f) IS NOT NULL) FROM unnest($v) AS u(v)",
                                 {"f": c, "v": cells}).fetchone()[0]:
            return c
    return None


def load_direct(
    con: duckdb.DuckDBPyConnection, src: Source, d: "DirectRead", into: str, tf: TextFormat, timezone: str = "UTC",
) -> DirectLoad:
    """Read, type and check a DirectRead in one pass into a new table `into` and find the rows that break a
    rule or that the reader could not read: their lines are returned, for the general path to read and
    report, and settle_direct() removes them once the table is committed. Raises DirectDeclined, or
    duckdb.Error from the reader, when the whole payload needs the general path; then the caller rolls
    back. Repeated keys are the caller's to check (keys_repeat), once the problem rows are back."""
    names = d.names
    if any(spec.required and c not in names for c, spec in src.columns.items()):
        raise DirectDeclined("a required column is missing")  # the general path names it
    fmt = tf.date_format
    thousands = tf.thousands  # the reader knows no thousands separator: such numbers are typed here
    p = _Params()
    reader_types = {n: "VARCHAR" for n in names}
    extra: dict[str, Any] = {}
    na = d.na_values != [""]
    text = {n: (f"CASE WHEN list_contains($o_na, trim({ident(n)})) THEN NULL ELSE trim({ident(n)}) END" if na
                else f"nullif(trim({ident(n)}), '')") for n in names}
    typed: dict[str, str] = {}  # output column -> SQL over the reader's columns
    flags: list[str] = []
    as_read = [n for n in names if n not in src.columns or src.columns[n].type == "text"]
    not_integer: list[str] = []  # conditions on the stored table
    for c, spec in src.columns.items():
        x = ident(c)
        if c not in names:
            typed[c] = f"CAST(NULL AS {_SQL_TYPES[spec.type]})"
        elif spec.type == "text":
            typed[c] = x
        elif spec.type == "double" and not thousands:
            reader_types[c] = "DOUBLE"
            typed[c] = x
        elif spec.type == "integer" and not thousands:
            reader_types[c] = "DOUBLE"
            typed[c] = f"CASE WHEN {x} <> round({x}) OR abs({x}) >= 9e18 THEN {NOT_INTEGER} ELSE TRY_CAST({x} AS BIGINT) END"
            not_integer.append(f"{x} = {NOT_INTEGER}")
        elif spec.type == "date" and not (fmt and ("%z" in fmt or "%Z" in fmt)):
            reader_types[c] = "DATE"
            typed[c] = x
            if fmt:
                extra["dateformat"] = fmt
        elif spec.type == "timestamp" and (ts_fmt := _timestamp_format(con, d, c, fmt)) \
                and extra.setdefault("timestampformat", ts_fmt) == ts_fmt:  # the reader takes one format for all
            reader_types[c] = "TIMESTAMP"
            typed[c] = x
        else:  # read as text, typed as the general path types it
            t = _typed(text[c], spec, "VARCHAR", tf, p, timezone)
            typed[c] = t
            flags.append(f"({text[c]} IS NOT NULL AND {t} IS NULL)")
    undeclared = [n for n in names if n not in src.columns]
    for n in undeclared:
        typed[n] = ident(n)
    out_cols = list(src.columns) + undeclared
    select = ", ".join(f"{typed[c]} AS {ident(c)}" for c in out_cols)
    if flags:
        select += f", {' OR '.join(flags)} AS {DIRECT_FLAG}"
    # the reader sets aside a row it cannot read (a cell of the wrong type, too many or too few cells) and
    # notes its line; the general path reads those lines again
    for t in _REJECTS:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    reader, rparams = _reader(d, reader_types, extra | {
        "store_rejects": True, "rejects_table": _REJECTS[0], "rejects_scan": _REJECTS[1]})
    con.execute(f"CREATE OR REPLACE TABLE {ident(into)} AS SELECT {select} FROM {reader}", p.values | rparams)
    first = d.header_lines + 1  # the reader numbers physical lines from 1, the header's included
    rejected = [r[0] - first for r in con.execute(f"SELECT DISTINCT line FROM {_REJECTS[0]} ORDER BY 1").fetchall()]
    for t in _REJECTS:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    q = _Params()
    broken = [cond for c, spec in src.columns.items() if c in names for cond, _ in _rules(ident(c), spec, q)]
    if flags:
        broken.append(ident(DIRECT_FLAG))
    if len(names) > 1:  # a row with nothing after its first cell is a title or a note, set aside by the general path
        broken.append("(" + " AND ".join(f"{ident(n)} IS NULL" for n in names[1:]) + ")")
    else:
        broken.append(f"{ident(names[0])} IS NULL")
    broken += [f"{ident(k)} IS NULL" for k in src.key]  # "key: empty", reported by the general path
    broken += [f"{ident(n)} <> trim({ident(n)})" for n in as_read]  # the general path trims it, then checks it
    broken += not_integer
    rows = con.execute(f"SELECT count(*) FROM {ident(into)}").fetchone()[0]
    blank: list[int] = []
    lines = d.lines()
    if rows + len(rejected) != lines:  # the reader skips empty lines; the general path counts them set aside
        blank = d.blank_lines()
        if rows + len(rejected) + len(blank) != lines:
            raise DirectDeclined(f"{rows + len(rejected)} rows read from {lines} lines: line breaks in cells")
    if src.key:  # every row of a repeated key: the general path keeps the first and names the others
        keys = ", ".join(ident(k) for k in src.key)
        broken.append(f"count(*) OVER (PARTITION BY {keys}) > 1")
    # rowids count the rows in the order read, from an offset (rows not yet committed have rowids from 2^55)
    sql = (f"SELECT rowid, rowid - (SELECT min(rowid) FROM {ident(into)}) FROM {ident(into)} "
           f"{'QUALIFY' if src.key else 'WHERE'} {' OR '.join(broken)} ORDER BY rowid")
    used = set(re.findall(r"\$(p\d+)\b", sql))  # the rules' reasons are bound too, but not used here
    found = con.execute(sql, {k: v for k, v in q.values.items() if k in used}).fetchall()
    problem_ids, positions = [r[0] for r in found], [r[1] for r in found]
    problems = len(rejected) + len(problem_ids)
    if problems > max(PROBLEMS_MIN, lines // 10):
        raise DirectDeclined(f"{problems} rows to report: the general path reads the whole file")
    if problems and d.header_lines != d.options["skip"]:
        raise DirectDeclined("a line break inside the header: lines and rows are numbered differently")
    kept = rows - len(problem_ids)
    skipped = sorted(rejected + blank)
    lines = sorted(rejected + _body_lines(positions, skipped))
    return DirectLoad(ContractResult(f"SELECT * FROM {ident(into)}", {}, kept, kept, [], out_cols), lines,
                      positions, bool(flags), len(blank))


def settle_direct(con: duckdb.DuckDBPyConnection, table: str, loaded: DirectLoad) -> None:
    """Remove the problem rows and the flag column from a table load_direct wrote, once it is committed:
    deleting rows in the transaction that created them makes DuckDB rewrite the table (0.3 s a million)."""
    if loaded.positions:
        con.execute(f"DELETE FROM {ident(table)} WHERE rowid - (SELECT min(rowid) FROM {ident(table)}) "
                    "IN (SELECT unnest($p))", {"p": loaded.positions})
    if loaded.flagged:
        con.execute(f"ALTER TABLE {ident(table)} DROP COLUMN {DIRECT_FLAG}")


def _body_lines(positions: list[int], skipped: list[int]) -> list[int]:
    """The body line (from 0) of each stored row: the row at position i is the i-th body line the reader did
    not skip or set aside (`skipped`). Both lists sorted."""
    out, n, k = [], 0, 0
    for i in positions:
        while k < len(skipped) and skipped[k] <= i + n:
            n += 1
            k += 1
        out.append(i + n)
    return out


def keys_repeat(con: duckdb.DuckDBPyConnection, src: Source, table: str) -> bool:
    """Whether a key of the source repeats among the rows of `table`."""
    if not src.key:
        return False
    keys = ", ".join(ident(k) for k in src.key)
    return bool(con.execute(  # fetchall: a result left open blocks con.register() (DuckDB 2)
        f"SELECT count(*) FROM (SELECT 1 FROM {ident(table)} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1)"
    ).fetchall()[0][0])
