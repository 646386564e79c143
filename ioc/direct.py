"""The direct read: a landed CSV file read by DuckDB's own reader straight into the snapshot being built,
typed and checked against the source's contract in one pass, with only its rows that have something to
report read again by the connector's general path. One entry point, `load`; the same results as the
general path, which reads the whole payload whenever this one declines (the reason goes into the run's notes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from connectors.base import Aside, DirectRead, Parsed
from ioc.contract import _SQL_TYPES, ContractResult, Loaded, _Params, _rules, _typed, check, drop_temp, missing_columns
from ioc.model import Source, TextFormat
from ioc.warehouse import Build, ident, one

STAGE = "_direct_stage"  # where a direct read lands before it becomes (or joins) the source's table

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
ISO_TIMESTAMPS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d",
]
DIRECT_FLAG = "_direct_flag"
NOT_INTEGER = "(-9223372036854775807)::BIGINT"
_REJECTS = ("_direct_rejects", "_direct_scans")
PROBLEMS_MIN = 1000  # rows the general path may read again on their own; past a tenth of a file, it reads it all


@dataclass(frozen=True)
class Offer:
    """A payload a connector offered for a direct read, with the ways back to its general path."""

    read: DirectRead
    lines: Callable[[], int]  # the body's physical lines (a count the core runs beside the read)
    parse: Callable[[], Parsed]  # the whole payload by the general path
    parse_lines: Callable[[list[int]], Parsed]  # some body lines (from 0) by the general path


@dataclass(frozen=True)
class Declined:
    """The payload needs the general path, and why; nothing was changed."""

    why: str


@dataclass
class _Read:
    result: ContractResult  # the rows kept
    problems: list[int]  # body lines (from 0) to leave out, for the general path to read and report
    positions: list[int]  # the stored rows to remove (their order of reading, from 0): _settle()
    flagged: bool  # the table has the flag column, which _settle() drops
    blank: list[int]  # empty lines (body lines from 0), skipped by the reader: set aside, as the general path does


def load(b: Build, src: Source, offer: Offer, timezone: str) -> Loaded | Declined:
    """Load an offered payload into the source's table in the build (replacing it, or merged by the source's
    mode), in a transaction left open for the caller to commit, or roll back followed by clear(). The rows with
    something to report are read by the general path (`offer.parse_lines`) and checked like any. Declined,
    with nothing changed and no transaction open, when the whole payload needs the general path."""
    con, d = b.con, offer.read
    try:  # a transaction is open wherever this may raise
        con.execute("BEGIN")  # the read alone, committed into a stage: see _settle()
        read = _read(con, src, d, offer.lines, src.options.text_format(), timezone)
        if isinstance(read, Declined):
            con.execute("ROLLBACK")
            return read
        con.execute("COMMIT")
        con.execute("BEGIN")  # the load's transaction: the caller commits it, or rolls it back and clears
        _settle(con, read)
        result = read.result
        parsed = Parsed(pa.table({}), notes=list(d.notes))
        if read.problems:
            parsed = offer.parse_lines(read.problems)
            n = len(read.problems)
            parsed.notes = [*d.notes, f"{n} row{'s' if n != 1 else ''} read again by the general path"]
            con.register("raw", parsed.table)
            try:
                some = check(con, src, "raw", src.options.text_format(), timezone)
                con.execute(f"INSERT INTO {STAGE} BY NAME {some.good}", some.params)
                drop_temp(con)
            finally:
                con.unregister("raw")
            result = ContractResult(
                result.good,
                {},
                result.rows_in + some.rows_in,
                result.rows_good + some.rows_good,
                some.rejects,
                result.columns,
            )
        parsed.dropped += len(read.blank)
        first = d.options["skip"] + 1  # rows are numbered from the first body row, as the general path numbers them
        parsed.aside += [Aside(first + line, "blank row") for line in read.blank]
        parsed.aside.sort(key=lambda a: a.row or 0)
        if _keys_repeat(con, src, STAGE):  # the general path keeps the first and names the others
            con.execute("ROLLBACK")
            clear(con)
            return Declined("a key repeats")
        b.adopt(src, STAGE)
    except Exception as exc:
        con.execute("ROLLBACK")
        clear(con)
        return Declined(f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:500] if str(exc) else ''}")
    return Loaded(result, parsed, direct=True)


def clear(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the stage, once the load's transaction has ended either way (a direct read commits it first)."""
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")


def _reader(d: DirectRead, columns: dict[str, str], extra: dict) -> tuple[str, dict]:
    """read_csv over the landed file with these reader types, as SQL binding its parameters."""
    named = {**d.options, **extra}
    args = ", ".join(f"{k}=$o_{k}" for k in named)
    sql = (
        f"read_csv($o_path, header=false, auto_detect=false, columns=$o_columns, "
        f"strict_mode=true, nullstr=$o_na, encoding='utf-8', {args})"
    )
    return sql, {"o_path": d.path, "o_columns": columns, "o_na": d.na_values} | {f"o_{k}": v for k, v in named.items()}


def _timestamp_format(con: duckdb.DuckDBPyConnection, d: DirectRead, col: str, fmt: str | None) -> str | None:
    """A format every sampled cell of a timestamp column matches, or None (the column is read as text)."""
    candidates = [fmt] if fmt else ISO_TIMESTAMPS
    if any(z in c for c in candidates for z in ("%z", "%Z")):
        return None
    i = d.names.index(col)
    cells = [r[i].strip() for r in d.sample if i < len(r)]
    cells = [c for c in cells if c not in d.na_values]
    for c in candidates:
        if (
            cells
            and one(
                con, "SELECT bool_and(try_strptime(v, $f) IS NOT NULL) FROM unnest($v) AS u(v)", {"f": c, "v": cells}
            )[0]
        ):
            return c
    return None


def _read(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    d: DirectRead,
    count_lines: Callable[[], int],
    tf: TextFormat,
    timezone: str,
) -> _Read | Declined:
    """Read, type and check a DirectRead in one pass into the stage and find the rows that break a rule or
    that the reader could not read: their lines are returned, for the general path to read and report, and
    _settle() removes them once the stage is committed. Declined (or duckdb.Error from the reader) when the
    whole payload needs the general path; then the caller rolls back. Repeated keys are the caller's to
    check (_keys_repeat), once the problem rows are back."""
    into = STAGE
    names = d.names
    if missing_columns(src, names):
        return Declined("a declared column is missing")  # the general path names it
    if any(spec.timezone for spec in src.columns.values()):
        return Declined("a column declares the time zone its times are written in")
    fmt = tf.date_format
    thousands = tf.thousands  # the reader knows no thousands separator: such numbers are typed here
    p = _Params()
    reader_types = {n: "VARCHAR" for n in names}
    extra: dict[str, Any] = {}
    na = d.na_values != [""]
    text = {
        n: (
            f"CASE WHEN list_contains($o_na, trim({ident(n)})) THEN NULL ELSE trim({ident(n)}) END"
            if na
            else f"nullif(trim({ident(n)}), '')"
        )
        for n in names
    }
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
            typed[c] = (
                f"CASE WHEN {x} <> round({x}) OR abs({x}) >= 9e18 THEN {NOT_INTEGER} ELSE TRY_CAST({x} AS BIGINT) END"
            )
            not_integer.append(f"{x} = {NOT_INTEGER}")
        elif spec.type == "date" and not (fmt and ("%z" in fmt or "%Z" in fmt)):
            reader_types[c] = "DATE"
            typed[c] = x
            if fmt:
                extra["dateformat"] = fmt
        elif (
            spec.type == "timestamp"
            and (ts_fmt := _timestamp_format(con, d, c, fmt))
            and extra.setdefault("timestampformat", ts_fmt) == ts_fmt
        ):  # the reader takes one format for all
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
    reader, rparams = _reader(
        d, reader_types, extra | {"store_rejects": True, "rejects_table": _REJECTS[0], "rejects_scan": _REJECTS[1]}
    )
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
    rows = one(con, f"SELECT count(*) FROM {ident(into)}")[0]
    blank: list[int] = []
    lines = count_lines()
    if rows + len(rejected) != lines:  # the reader skips empty lines; the general path counts them set aside
        blank = d.blank_lines()
        if rows + len(rejected) + len(blank) != lines:
            return Declined(f"{rows + len(rejected)} rows read from {lines} lines: line breaks in cells")
    if src.key:  # every row of a repeated key: the general path keeps the first and names the others
        keys = ", ".join(ident(k) for k in src.key)
        broken.append(f"count(*) OVER (PARTITION BY {keys}) > 1")
    # rowids count the rows in the order read, from an offset (rows not yet committed have rowids from 2^55)
    sql = (
        f"SELECT rowid, rowid - (SELECT min(rowid) FROM {ident(into)}) FROM {ident(into)} "
        f"{'QUALIFY' if src.key else 'WHERE'} {' OR '.join(broken)} ORDER BY rowid"
    )
    used = set(re.findall(r"\$(p\d+)\b", sql))  # the rules' reasons are bound too, but not used here
    found = con.execute(sql, {k: v for k, v in q.values.items() if k in used}).fetchall()
    problem_ids, positions = [r[0] for r in found], [r[1] for r in found]
    problems = len(rejected) + len(problem_ids)
    if problems > max(PROBLEMS_MIN, lines // 10):
        return Declined(f"{problems} rows to report: the general path reads the whole file")
    if problems and d.header_lines != d.options["skip"]:
        return Declined("a line break inside the header: lines and rows are numbered differently")
    kept = rows - len(problem_ids)
    skipped = sorted(rejected + blank)
    problem_lines = sorted(rejected + _body_lines(positions, skipped))
    return _Read(
        ContractResult(f"SELECT * FROM {ident(into)}", {}, kept, kept, [], out_cols),
        problem_lines,
        positions,
        bool(flags),
        blank,
    )


def _settle(con: duckdb.DuckDBPyConnection, read: _Read) -> None:
    """Remove the problem rows and the flag column from the stage _read wrote, once it is committed:
    deleting rows in the transaction that created them makes DuckDB rewrite the table (0.3 s a million)."""
    if read.positions:
        con.execute(
            f"DELETE FROM {STAGE} WHERE rowid - (SELECT min(rowid) FROM {STAGE}) IN (SELECT unnest($p))",
            {"p": read.positions},
        )
    if read.flagged:
        con.execute(f"ALTER TABLE {STAGE} DROP COLUMN {DIRECT_FLAG}")


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


def _keys_repeat(con: duckdb.DuckDBPyConnection, src: Source, table: str) -> bool:
    """Whether a key of the source repeats among the rows of `table`."""
    if not src.key:
        return False
    keys = ", ".join(ident(k) for k in src.key)
    return bool(
        con.execute(  # fetchall: a result left open blocks con.register() (DuckDB 2)
            f"SELECT count(*) FROM (SELECT 1 FROM {ident(table)} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1)"
        ).fetchall()[0][0]
    )
