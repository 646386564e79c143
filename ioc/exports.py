"""Exports of a query result as CSV (Excel-friendly UTF-8), XLSX or Parquet, streamed batch by batch."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

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


def _cell(v: Any) -> Any:
    # Excel has no time zones; dates and times are written as the city's wall clock the data carries
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)
    if isinstance(v, (list, dict)):
        return str(v)
    return v


def write_csv(reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str]) -> int:
    """UTF-8 with a BOM, so Excel opens Vietnamese text correctly; returns the rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    w = csv.writer(text)
    w.writerow(header(reader.schema.names, label_of))
    n = 0
    for batch in reader:
        w.writerows(zip(*(col.to_pylist() for col in batch.columns)))
        n += batch.num_rows
    text.flush()
    text.detach()
    return n


def write_xlsx(reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str]) -> int:
    """One sheet written in streaming mode (openpyxl write_only) with a bold header row; returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    bold = Font(bold=True)
    head = []
    for text in header(reader.schema.names, label_of):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    n = 0
    for batch in reader:
        for row in zip(*(col.to_pylist() for col in batch.columns)):
            if n >= XLSX_MAX_ROWS:
                break
            ws.append([_cell(v) for v in row])
            n += 1
    wb.save(out)
    return n


def write_parquet(reader: pa.RecordBatchReader, out: BinaryIO, label_of: Mapping[str, str]) -> int:
    """Machine column names (Parquet is read by programs); returns the rows written."""
    n = 0
    with pq.ParquetWriter(out, reader.schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch)
            n += batch.num_rows
    return n


WRITERS: dict[str, Callable[[pa.RecordBatchReader, BinaryIO, Mapping[str, str]], int]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}


def export(reader: pa.RecordBatchReader, fmt: str, label_of: Mapping[str, str] | None = None) -> bytes:
    """A result in one of FORMATS, as bytes."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    WRITERS[fmt](reader, buf, label_of or {})
    return buf.getvalue()


def export_query(
    cfg: Config, query: str, params: Sequence[Any] | None, fmt: str, label_of: Mapping[str, str] | None = None
) -> bytes:
    """Every row of a query, run in the sandbox with the analyst time limit, exported in `fmt`.

    Raises QueryError with DuckDB's message when the query fails or runs past the limit."""
    with sandbox.stream(cfg, query, params, timeout=cfg.analyst.sql_timeout_seconds) as reader:
        return export(reader, fmt, label_of)
