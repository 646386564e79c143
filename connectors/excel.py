"""Excel reports (.xlsx; file or URL): title rows, merged headers, totals and signatures, numbers as text."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import duckdb
from openpyxl import load_workbook
from pydantic import Field

from connectors import _tabular
from connectors.base import DocumentConnector, Parsed, Payload
from ioc.errors import ParseError
from ioc.model import Source


class Options(_tabular.TabularOptions):
    sheet: int | str = Field(0, description="Sheet name, or its 0-based index.")


def _text(v: object, opts: Options) -> str | None:
    """A cell as text, written the way the department writes it, so one contract reads both."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _tabular.format_number(v, opts.decimal)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.strftime(opts.date_format) if opts.date_format else v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.strftime(opts.date_format) if opts.date_format else v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    return str(v)


def read_sheet(data: bytes, opts: Options) -> list[list[str | None]]:
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ParseError(f"not a readable .xlsx workbook ({exc})") from exc
    try:
        ws = wb[opts.sheet] if isinstance(opts.sheet, str) else wb.worksheets[opts.sheet]
    except (KeyError, IndexError) as exc:
        raise ParseError(f"sheet {opts.sheet!r} not found; the workbook has {wb.sheetnames}") from exc
    rows = [[_text(v, opts) for v in row] for row in ws.iter_rows(values_only=True)]
    # A merged range spanning rows reads as its top value down its rows (an agency merged over its
    # procedures); spanning columns it stays in the left cell, and join_header spreads header cells.
    for rng in ws.merged_cells.ranges:
        if rng.max_row == rng.min_row or rng.min_row - 1 >= len(rows):
            continue
        col = rng.min_col - 1
        top = rows[rng.min_row - 1][col] if col < len(rows[rng.min_row - 1]) else None
        for r in range(rng.min_row, min(rng.max_row, len(rows))):
            row = rows[r]
            if len(row) <= col:
                row.extend([None] * (col + 1 - len(row)))
            row[col] = top
    wb.close()
    return rows


class Excel(DocumentConnector):
    """Excel reports (.xlsx; file or URL): title rows, merged headers, totals and signatures, numbers as text."""

    kind = "excel"
    options_model = Options
    extension = "xlsx"

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        head = payloads[0].head(512)
        what = _tabular.what_file(head, "an .xlsx workbook", also=b"PK")
        if what:
            raise ParseError(what)
        if not head.startswith(b"PK"):
            raise ParseError("not a readable .xlsx workbook: it does not start as one (text? use connector csv)")
        rows = read_sheet(payloads[0].data, opts)
        # trailing empty cells make every row as wide as the sheet; trim them so widths mean something
        rows = [r[: max((i + 1 for i, v in enumerate(r) if v not in (None, "")), default=0)] for r in rows]
        start, names = _tabular.find_header([[c or "" for c in r] for r in rows], src, opts)
        header_end = start + opts.header_rows
        con = duckdb.connect()  # an in-memory parsing engine: nothing is written anywhere
        try:
            con.register("_rows", _tabular.rows_to_table(rows[header_end:], len(names), header_end + 1))
            table, aside, rejects = _tabular.clean(con, "_rows", {}, names, opts)
        finally:
            con.close()
        return Parsed(
            table,
            dropped=len(aside),
            rejects=rejects,
            notes=[f"sheet {opts.sheet!r}: header at row {start + 1}"],
            aside=aside,
        )
