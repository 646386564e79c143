"""What CSV and Excel reports share: header finding, multi-row headers, and setting aside non-data rows."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional, Sequence, Union

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from connectors.base import ROW, HttpOptions, Reject
from ioc.config import Source
from ioc.errors import ParseError

HEADER_SCAN_ROWS = 100
EXTRA = "__extra_"  # cells beyond the header's width


class TabularOptions(HttpOptions):
    encoding: Optional[str] = Field(
        None, description="Text encoding; default detected: UTF-8, UTF-8/UTF-16 with BOM, then cp1258, cp1252."
    )
    delimiter: Optional[str] = Field(None, description="Field separator; default detected among , ; tab |.")
    decimal: str = Field(".", description="Decimal mark of numbers stored as text: `.` or `,`.")
    thousands: Optional[str] = Field(None, description="Thousands separator of numbers stored as text (`.`, `,`, space).")
    skip_rows: Optional[int] = Field(
        None, ge=0, description="Rows before the header; default: the first row naming most declared columns."
    )
    header_rows: int = Field(1, ge=1, le=5, description="Rows joined into one header (merged two-level headers).")
    na_values: list[str] = Field(default_factory=list, description="Cell texts meaning missing (`..`, `-`), besides empty.")
    drop_rows_matching: Optional[str] = Field(
        None, description="Regex on a row's first non-empty cell: rows to set aside (totals, footnotes, signatures)."
    )
    date_format: Optional[str] = Field(None, description="strptime format of dates stored as text, e.g. `%d/%m/%Y`.")

    @field_validator("decimal")
    @classmethod
    def _decimal(cls, v: str) -> str:
        if v not in (".", ","):
            raise ValueError("expected `.` or `,`")
        return v

    @field_validator("drop_rows_matching")
    @classmethod
    def _regex(cls, v: Optional[str]) -> Optional[str]:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return v


_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u00a0": " "})


def norm(text: object) -> str:
    """Header text as compared: NFC, look-alike Đ fixed, whitespace collapsed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text)).translate(_LOOKALIKES)
    return " ".join(s.split())


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
        names = column_names(join_header(rows[r : r + n]), src)
        score = len(expected.intersection(names))
        if expected and score * 2 > len(expected):
            return r, names
        if score > best_score:
            best, best_score = r, score
    if best is not None:
        return best, column_names(join_header(rows[best : best + n]), src)
    # Nothing named: a transform shapes the columns. Take the first row as wide as the table.
    widths = [sum(1 for c in row if norm(c)) for row in rows[:limit]]
    if not widths or max(widths) == 0:
        raise ParseError("no rows: the payload is empty")
    wide = max(widths)
    r = next(i for i, w in enumerate(widths) if w >= max(1, (wide + 1) // 2) and w > 1 or w == wide)
    return r, column_names(join_header(rows[r : r + n]), src)


def rows_to_table(rows: list[list[Optional[str]]], names: list[str], first_row_number: int) -> pa.Table:
    """Body rows (lists of text) → text table with `_row`; cells beyond the header go to __extra_N."""
    width = len(names)
    extra = max((len(r) for r in rows), default=0) - width
    cols: list[list] = [[] for _ in range(width + max(extra, 0))]
    for row in rows:
        for i, col in enumerate(cols):
            col.append(row[i] if i < len(row) else None)
    arrays = {name: pa.array(cols[i], pa.string()) for i, name in enumerate(names)}
    for j in range(max(extra, 0)):
        arrays[f"{EXTRA}{j + 1}"] = pa.array(cols[width + j], pa.string())
    arrays[ROW] = pa.array(range(first_row_number, first_row_number + len(rows)), pa.int64())
    return pa.table(arrays)


def clean(table: pa.Table, opts: TabularOptions) -> tuple[pa.Table, int, list[Reject]]:
    """Set aside non-data rows; rows with more cells than the header are rejects.

    Returns (table, rows dropped, rejects). Cells are stripped; na_values and blanks become null.
    """
    data_cols = [c for c in table.column_names if c != ROW and not c.startswith(EXTRA)]
    extra_cols = [c for c in table.column_names if c.startswith(EXTRA)]
    na = pa.array(list({v.strip() for v in opts.na_values} | {""}), pa.string())
    cleaned = {}
    for c in data_cols + extra_cols:
        col = pc.utf8_trim_whitespace(table[c].cast(pa.string()))
        cleaned[c] = pc.if_else(pc.is_in(col, value_set=na), pa.scalar(None, pa.string()), col)
    present = [pc.is_valid(cleaned[c]) for c in data_cols]
    if not present:
        raise ParseError("the header names no columns")
    count = present[0].cast(pa.int32())
    for p in present[1:]:
        count = pc.add(count, p.cast(pa.int32()))
    first = cleaned[data_cols[0]]
    has_extra = pa.array([False] * len(table))
    for c in extra_cols:
        has_extra = pc.or_(has_extra, pc.is_valid(cleaned[c]))
    # Empty rows, and rows whose only non-empty cell is the first (section titles, notes).
    drop = pc.and_not(pc.or_(pc.equal(count, 0), pc.and_(pc.equal(count, 1), pc.is_valid(first))), has_extra)
    if opts.drop_rows_matching:
        lead = pc.coalesce(*[cleaned[c] for c in data_cols])
        hit = pc.fill_null(pc.match_substring_regex(lead, opts.drop_rows_matching), False)
        drop = pc.or_(drop, hit)
    rejects: list[Reject] = []
    if extra_cols:
        bad = pc.and_(has_extra, pc.invert(drop))
        idx = pc.indices_nonzero(bad).to_pylist()
        rows = table[ROW].to_pylist()
        for i in idx:
            cells = [cleaned[c][i].as_py() for c in extra_cols]
            n_extra = len(cells) - cells[::-1].index(next(v for v in reversed(cells) if v is not None))
            rejects.append(
                Reject(rows[i], "", "; ".join(v or "" for v in cells[:n_extra]),
                       f"row has {len(data_cols) + n_extra} cells, the header {len(data_cols)}")
            )
        drop_or_bad = pc.or_(drop, bad)
    else:
        drop_or_bad = drop
    keep = pc.invert(drop_or_bad)
    dropped = int(pc.sum(drop.cast(pa.int32())).as_py() or 0)
    out = pa.table({**{c: cleaned[c] for c in data_cols}, ROW: table[ROW]}).filter(keep)
    return out, dropped, rejects


def format_number(v: Union[int, float], decimal: str) -> str:
    """A number cell as the department writes numbers, so the contract reads it back the same way."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        s = str(int(v))
    else:
        s = repr(v) if isinstance(v, float) else str(v)
    return s.replace(".", ",") if decimal == "," else s
