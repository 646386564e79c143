"""Exports of a query result as CSV, XLSX or Parquet, streamed batch by batch, and the page's workbook.

One CSV convention everywhere (the buttons say it): UTF-8 with a BOM, a comma between fields, a dot before
decimals, dates as YYYY-MM-DD (RFC 4180, what programs and Excel's import read alike). An XLSX never loses a
row: a result over a sheet's 1.048.575 rows goes on over further sheets, and its first sheet says what it
holds (the filters, the snapshot, when it was made)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ioc import sandbox
from ioc.config import Config

FORMATS = {  # format → (file extension, MIME type)
    "csv": ("csv", "text/csv"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("parquet", "application/vnd.apache.parquet"),
}
LABEL_MAX = 40
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


def _label(description: str) -> str | None:
    """The short head of a column description when it reads as a name ("Cơ quan giải quyết"), not a unit
    or a note ("triệu đồng", "HH:MM", "MPN/100 ml"): names are capitalised words in this config."""
    head = re.split(r",\s|;\s|\s\(", description.strip(), maxsplit=1)[0].strip()
    first = head.split(" ")[0] if head else ""
    if (
        len(first) >= 2
        and first[0].isupper()
        and first[1:].isalpha()
        and first[1:].islower()
        and len(head) <= LABEL_MAX
    ):
        return head
    return None


def labels(cfg: Config, table: str | None = None, lang: str = "vi") -> dict[str, str]:
    """Column name → its label (`columns.X.label`, else the head of `columns.X.description` when it reads as a
    name), for one table's sources, or, without a table (a console result), for names that mean the same in
    every table describing them."""
    found: dict[str, set[str]] = {}
    for src in cfg.sources.values():
        if table is not None and src.table != table:
            continue
        for name, col in src.columns.items():
            label = col.label.get(lang) if col.label else _label(col.description)
            found.setdefault(name, set()).add(label or name)
    out = {name: next(iter(ls)) for name, ls in found.items() if len(ls) == 1 and next(iter(ls)) != name}
    # two columns with one label would be indistinguishable in a spreadsheet
    seen: dict[str, int] = {}
    for label in out.values():
        seen[label] = seen.get(label, 0) + 1
    return {n: (f"{lb} ({n})" if seen[lb] > 1 else lb) for n, lb in out.items()}


def header(names: Sequence[str], label_of: Mapping[str, str]) -> list[str]:
    return [label_of.get(n, n) for n in names]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel and LibreOffice read as the start of a formula


def safe_text(v: Any) -> Any:
    """A text that a spreadsheet would run as a formula (=HYPERLINK(...), +cmd, @SUM) made plain text by a
    leading apostrophe, as OWASP advises; anything else as it is. Every CSV and XLSX cell goes through it."""
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def _cell(v: Any) -> Any:
    v = safe_text(v)
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:  # a frame's NaN or NaT: an empty cell
        return None
    if hasattr(v, "to_pydatetime"):  # a frame's Timestamp
        v = v.to_pydatetime()
    # Excel has no time zones; dates and times are written as the city's wall clock the data carries
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)
    if isinstance(v, (list, dict)):
        return str(v)
    return v


def write_csv(
    reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str], about: Mapping[str, object] | None = None
) -> int:
    """The one CSV convention (see the module): returns the rows written. A CSV has no room for `about`."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    w = csv.writer(text)
    w.writerow([safe_text(h) for h in header(reader.schema.names, label_of)])
    n = 0
    for batch in reader:
        w.writerows([safe_text(v) for v in row] for row in zip(*(col.to_pylist() for col in batch.columns)))
        n += batch.num_rows
    text.flush()
    text.detach()
    return n


class Workbook:
    """A write-only workbook (openpyxl streams it): an optional first sheet of what the file holds, then
    tables, each over as many sheets as its rows need ("Dữ liệu", "Dữ liệu (2)", ...)."""

    def __init__(self, about: Mapping[str, object] | None = None):
        from openpyxl import Workbook as OpenpyxlWorkbook
        from openpyxl.styles import Font

        self.wb, self.bold = OpenpyxlWorkbook(write_only=True), Font(bold=True)
        self.limit, self.used = XLSX_MAX_ROWS, set[str]()  # read when made: a test may lower the limit
        if about:
            ws = self._sheet(ABOUT_SHEET)
            for key, value in about.items():
                ws.append([self._bold(ws, key), _cell(value)])

    def _bold(self, ws, text: str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=safe_text(text))
        cell.font = self.bold
        return cell

    def _sheet(self, title: str):
        name = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"  # Excel's rules for a name
        while name in self.used:
            name = name[:26] + f" ({len(self.used)})"
        self.used.add(name)
        return self.wb.create_sheet(name)

    def table(self, title: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Rows under a bold header, continued on a new sheet (header repeated) at each sheet's limit."""
        n, ws, part = 0, None, 0
        for row in rows:
            if ws is None or n % self.limit == 0:
                part += 1
                ws = self._sheet(title if part == 1 else f"{title[:25]} ({part})")
                ws.append([self._bold(ws, str(h)) for h in names])
            ws.append([_cell(v) for v in row])
            n += 1
        if ws is None:  # no rows: the header alone
            self._sheet(title).append([safe_text(str(h)) for h in names])
        return n

    def save(self, out: BinaryIO) -> None:
        self.wb.save(out)


ABOUT_SHEET = "Thông tin"
DATA_SHEET = "Dữ liệu"


def write_xlsx(
    reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str], about: Mapping[str, object] | None = None
) -> int:
    """The result over as many sheets as it needs, after a first sheet of what it holds; returns the rows."""
    wb = Workbook(about)
    rows = (row for batch in reader for row in zip(*(col.to_pylist() for col in batch.columns)))
    n = wb.table(DATA_SHEET, header(reader.schema.names, label_of), rows)
    wb.save(out)
    return n


def write_parquet(
    reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str], about: Mapping[str, object] | None = None
) -> int:
    """Machine column names (Parquet is read by programs), `about` in the file's key-value metadata (key
    ioc.about, JSON); returns the rows written."""
    import json

    schema = reader.schema
    if about:
        meta = dict(schema.metadata or {})
        meta[b"ioc.about"] = json.dumps({k: str(v) for k, v in about.items()}, ensure_ascii=False).encode()
        schema = schema.with_metadata(meta)
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch)
            n += batch.num_rows
    return n


Writer = Callable[[pa.RecordBatchReader, BinaryIO, Mapping[str, str], Mapping[str, object] | None], int]
WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}


class Exported(bytes):
    """An exported file's bytes, and how many rows it holds (for the audit log)."""

    rows: int = 0


def export(
    reader: pa.RecordBatchReader,
    fmt: str,
    label_of: Mapping[str, str] | None = None,
    about: Mapping[str, object] | None = None,
) -> Exported:
    """A result in one of FORMATS, as bytes; `about` (what it holds: filters, snapshot, when) goes where the
    format has room for it."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    rows = WRITERS[fmt](reader, buf, label_of or {}, about)
    out = Exported(buf.getvalue())
    out.rows = rows
    return out


def export_query(
    cfg: Config,
    query: str,
    params: Sequence[Any] | None,
    fmt: str,
    label_of: Mapping[str, str] | None = None,
    about: Mapping[str, object] | None = None,
    path: str | os.PathLike | None = None,
) -> Exported:
    """Every row of a query, run in the sandbox with the analyst time limit on the current snapshot (or `path`,
    a person's scoped copy), exported in `fmt`.

    Raises QueryError with DuckDB's message when the query fails or runs past the limit."""
    with sandbox.stream(cfg, query, params, timeout=cfg.analyst.sql_timeout_seconds, path=path) as reader:
        return export(reader, fmt, label_of, about)
