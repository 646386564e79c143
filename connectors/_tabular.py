"""What CSV and Excel reports share: header finding, multi-row headers, and setting aside non-data rows."""

from __future__ import annotations

import re
from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from connectors.base import ROW, Aside, HttpOptions, Reject
from ioc.errors import ParseError
from ioc.model import Frozen, Source, TextFormat
from ioc.text import clean as norm  # header text as compared

HEADER_SCAN_ROWS = 100


class Unpivot(Frozen):
    """Wide to long: the columns matching a regex become rows of (name, value)."""

    columns: str = Field(description="Regex naming the wide columns (years, months), e.g. `^(19|20)\\d\\d$`.")
    name: str = Field(description="The new column holding each wide column's name (e.g. year).")
    value: str = Field(description="The new column holding its value.")

    @field_validator("columns")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return v


class TabularOptions(HttpOptions):
    encoding: str | None = Field(
        None, description="Text encoding; default detected: UTF-8, UTF-8/UTF-16 with BOM, then cp1258, cp1252."
    )
    delimiter: str | None = Field(None, description="Field separator; default detected among , ; tab |.")
    decimal: str = Field(".", description="Decimal mark of numbers stored as text: `.` or `,`.")
    thousands: str | None = Field(None, description="Thousands separator of numbers stored as text (`.`, `,`, space).")
    skip_rows: int | None = Field(
        None, ge=0, description="Rows before the header; default: the first row naming most declared columns."
    )
    header_rows: int = Field(1, ge=1, le=5, description="Rows joined into one header (merged two-level headers).")
    na_values: list[str] = Field(
        default_factory=list, description="Cell texts meaning missing (`..`, `-`), besides empty."
    )
    drop_rows_matching: str | None = Field(
        None, description="Regex on a row's first non-empty cell: rows to set aside (totals, footnotes, signatures)."
    )
    date_format: str | None = Field(None, description="strptime format of dates stored as text, e.g. `%d/%m/%Y`.")
    unpivot: Unpivot | None = Field(
        None, description="Turn wide columns (years, months) into rows before the transform and the contract."
    )
    section_column: str | None = Field(
        None,
        description="Keep each title row (a row with only its first cell: a region, a group, as PX-Web tables and "
        "reports write them) as this column on the rows under it, until the next title; else such rows are set "
        "aside.",
    )

    def text_format(self) -> TextFormat:
        return TextFormat(self.decimal, self.thousands, self.date_format)

    @field_validator("decimal")
    @classmethod
    def _decimal(cls, v: str) -> str:
        if v not in (".", ","):
            raise ValueError("expected `.` or `,`")
        return v

    @field_validator("drop_rows_matching")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return v


# The first bytes of files that are not text, and the connector that reads each (None: none does).
NOT_TEXT = [
    (b"PAR1", "a Parquet file", "parquet"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)", "excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Word document", None),
    (b"%PDF", "a PDF document", None),
    (b"\x1f\x8b", "a gzip-compressed file", None),
    (b"SQLite format 3\x00", "an SQLite database", None),
]


def what_file(head: bytes, expected: str, also: bytes = b"\x00") -> str | None:
    """What a payload is when it is not what a connector reads (`expected`), said so that the operator knows
    what to do; None when it may be. `also`: a magic the connector reads (excel: the ZIP of an .xlsx)."""
    for magic, what, connector in NOT_TEXT:
        if head.startswith(magic) and not magic.startswith(also):
            use = f": use connector {connector}" if connector else ": export it as CSV (or .xlsx)"
            if magic.startswith(b"PK"):
                use = ": use connector excel for a workbook, or unpack the archive"
            if magic.startswith(b"\xd0\xcf"):
                use = ": save it as .xlsx (connector excel) or CSV"
            return f"this is {what}, not {expected}{use}"
    return None


def join_header(rows: Sequence[Sequence[str]]) -> list[str]:
    """N header rows → one name per column; blanks in upper rows take the value on their left."""
    width = max((len(r) for r in rows), default=0)
    filled = []
    for depth, row in enumerate(rows):
        cells = [norm(c) for c in row] + [""] * (width - len(row))
        if depth < len(rows) - 1:  # merged cells of upper rows spread to the right
            last = ""
            for i, c in enumerate(cells):
                if c:
                    last = c
                elif last and _spans(rows, depth, i):
                    cells[i] = last
        filled.append(cells)
    names = []
    for i in range(width):
        parts: list[str] = []
        for cells in filled:
            if cells[i] and (not parts or parts[-1] != cells[i]):
                parts.append(cells[i])
        names.append(" ".join(parts))
    return names


def _spans(rows: Sequence[Sequence[str]], depth: int, col: int) -> bool:
    """A blank upper cell belongs to the merged cell on its left only above a non-blank lower cell."""
    return any(col < len(r) and norm(r[col]) for r in rows[depth + 1 :])


def column_names(header: list[str], src: Source) -> list[str]:
    """Header texts → column names: renamed, blanks as column_N, duplicates suffixed."""
    rename = {norm(k).casefold(): v for k, v in src.rename.items()}
    out: list[str] = []
    for i, h in enumerate(header):
        name = rename.get(h.casefold(), h) or f"column_{i + 1}"
        base, n = name, 2
        while name in out:
            name = f"{base}_{n}"
            n += 1
        out.append(name)
    return out


def find_header(rows: list[list[str]], src: Source, opts: TabularOptions) -> tuple[int, list[str]]:
    """(index of the first header row, column names). Rows are the top of the sheet as text."""
    n = opts.header_rows
    if opts.skip_rows is not None:
        if opts.skip_rows + n > len(rows):
            raise ParseError(f"skip_rows={opts.skip_rows}: the payload has only {len(rows)} rows")
        return opts.skip_rows, column_names(join_header(rows[opts.skip_rows : opts.skip_rows + n]), src)
    expected = set(src.columns) | set(src.rename.values())
    best, best_score = None, 0
    limit = min(len(rows), HEADER_SCAN_ROWS)
    for r in range(max(0, limit - n + 1)):
        if not any(norm(c) for c in rows[r]):  # a header never starts with a blank row
            continue
        names = column_names(join_header(rows[r : r + n]), src)
        score = len(expected.intersection(names))
        # The best window wins, not the first that names most columns: with header_rows 2, the blank row
        # above a header plus its first row already name the vertically merged columns.
        if score > best_score:
            best, best_score = r, score
            if score == len(expected):
                break
    if best is not None:
        return best, column_names(join_header(rows[best : best + n]), src)
    # Nothing named: a transform shapes the columns. Take the first row as wide as the table.
    widths = [sum(1 for c in row if norm(c)) for row in rows[:limit]]
    if not widths or max(widths) == 0:
        raise ParseError("no rows: the payload is empty")
    wide = max(widths)
    r = next(i for i, w in enumerate(widths) if (w >= max(1, (wide + 1) // 2) and w > 1) or w == wide)
    return r, column_names(join_header(rows[r : r + n]), src)


def rows_to_table(rows: list[list[str | None]], width: int, first_row_number: int) -> pa.Table:
    """Body rows (lists of text) → c0..cN-1, e0 (the cells beyond the header, joined) and `_row`.

    Cells are stripped of every kind of white space (NBSP included) here, where Python does it cheaply.
    """
    cols: list[list] = [[] for _ in range(width)]
    extra: list[str | None] = []
    for row in rows:
        row = [c.strip() if isinstance(c, str) else c for c in row]
        for i, col in enumerate(cols):
            col.append(row[i] if i < len(row) else None)
        rest = [c for c in row[width:] if c not in (None, "")]
        extra.append("; ".join(str(c) for c in rest) if rest else None)
    arrays = {f"c{i}": pa.array(cols[i], pa.string()) for i in range(width)}
    arrays["e0"] = pa.array(extra, pa.string())
    arrays[ROW] = pa.array(range(first_row_number, first_row_number + len(rows)), pa.int64())
    return pa.table(arrays)


WHITESPACE = " \t\r\n\u00a0"


def clean(
    con: duckdb.DuckDBPyConnection,
    source: str,
    params: dict | None,
    names: list[str],
    opts: TabularOptions,
    first_row: int = 1,
) -> tuple[pa.Table, list[Aside], list[Reject]]:
    """Read `source` (SQL yielding text columns c0..cN-1 and e0, the cells beyond the header; with `_row`
    or numbered here from first_row) into named, trimmed columns; set aside non-data rows.

    Returns (table with `_row`, the rows set aside and why, rejects for rows with more cells than the
    header). A title row (its first cell alone) is set aside, or with `section_column` carried down as that
    column. Runs in an in-memory DuckDB used as a parsing engine only.
    """
    if not names:
        raise ParseError("the header names no columns")
    cells = [f"c{i}" for i in range(len(names))]
    has_row = ROW in [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {source}", params or {}).fetchall()]
    # Subqueries, not CTEs: DuckDB may materialise a CTE, and this runs over millions of rows.
    # trim() strips spaces; the Python readers strip every other kind of white space themselves.
    trimmed = ", ".join(f"trim(CAST({c} AS VARCHAR)) AS {c}" for c in [*cells, "e0"])
    nulled = ", ".join(f"CASE WHEN list_contains($na, {c}) THEN NULL ELSE {c} END AS {c}" for c in [*cells, "e0"])
    count = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in cells)
    # _kind: 0 data, 1 blank, 2 more cells than the header, 3 a title row (first cell alone), 4 matching
    matching = "false"
    if opts.drop_rows_matching:
        matching = f"coalesce(regexp_matches(coalesce({', '.join(cells)}), $re), false)"
    named = ", ".join(f"{c} AS {_quote(n)}" for c, n in zip(cells, names))
    keep_row = f"{ROW}, " if has_row else ""
    sql = f"""
        SELECT {keep_row}{named}, e0 AS _extra, coalesce({", ".join(cells)}) AS _first,
               CAST(CASE WHEN {matching} THEN 4 WHEN _n = 0 AND e0 IS NULL THEN 1
                         WHEN _n = 1 AND c0 IS NOT NULL AND e0 IS NULL THEN 3
                         WHEN e0 IS NOT NULL THEN 2 ELSE 0 END AS TINYINT) AS _kind
        FROM (SELECT *, {count} AS _n
              FROM (SELECT {keep_row}{nulled} FROM (SELECT {keep_row}{trimmed} FROM {source})))
    """
    na = sorted({v.strip() for v in opts.na_values} | {""})
    bind = {"na": na, **(params or {})}
    if opts.drop_rows_matching:
        bind["re"] = opts.drop_rows_matching
    table = con.sql(sql, params=bind).to_arrow_table()
    if not has_row:  # a plain projection keeps the reader's order, so rows are numbered here
        table = table.append_column(ROW, pa.array(range(first_row, first_row + len(table)), pa.int64()))
    kind = table["_kind"]
    section = opts.section_column
    if section and section in names:
        raise ParseError(f"options.section_column {section!r} is a column of the header already: name it apart")
    if (pc.max(kind).as_py() or 0) == 0:  # the usual case for machine exports: nothing to set aside
        keep = table.drop_columns(["_extra", "_kind", "_first"])
        return (keep.append_column(section, pa.nulls(len(keep), pa.string())) if section else keep), [], []
    if section:  # each row under a title carries it, until the next title
        table = table.take(pc.sort_indices(table[ROW]))
        kind = table["_kind"]
        titles = pc.if_else(pc.equal(kind, 3), table["_first"], pa.scalar(None, pa.string()))
        table = table.append_column(section, pc.fill_null_forward(titles))
    why = {1: "blank row", 3: "title row (its first cell alone)", 4: "matches drop_rows_matching"}
    if section:
        why[3] = f"title row, kept as {section} on the rows under it"
    set_aside = table.filter(pc.is_in(kind, pa.array([1, 3, 4], pa.int8())))
    aside = [
        Aside(r, why[k], None if k == 1 else first)
        for r, k, first in zip(
            set_aside[ROW].to_pylist(), set_aside["_kind"].to_pylist(), set_aside["_first"].to_pylist()
        )
    ]
    bad = table.filter(pc.equal(kind, 2))
    rejects = [
        Reject(r, "", extra, f"row has more cells than the header ({len(names)}): {extra[:80]}")
        for r, extra in zip(bad[ROW].to_pylist(), bad["_extra"].to_pylist())
    ]
    keep = table.filter(pc.equal(kind, 0)).drop_columns(["_extra", "_kind", "_first"])
    return keep, aside, rejects


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def format_number(v: int | float, decimal: str) -> str:
    """A number cell as the department writes numbers, so the contract reads it back the same way."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        s = str(int(v))
    else:
        s = repr(v) if isinstance(v, float) else str(v)
    return s.replace(".", ",") if decimal == "," else s
