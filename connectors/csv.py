"""CSV and "Unicode text" exports (file or URL), as departments write them: any encoding, title rows, merged headers."""
from __future__ import annotations

import codecs
import csv as pycsv
import io
import os
import tempfile
import unicodedata
from collections import Counter
from typing import Optional

import duckdb
import pyarrow as pa

from connectors import _tabular
from connectors.base import ROW, FetchContext, Parsed, Payload, read_location
from ioc.config import Source
from ioc.errors import ParseError

NEEDS_LOCATION = True
HEAD_BYTES = 256 * 1024
DELIMITERS = [",", ";", "\t", "|"]
SLACK_COLUMNS = 16  # cells a row may have beyond the header before we fall back to the slow reader
UTF8 = ("utf-8", "utf-8-sig")


class Options(_tabular.TabularOptions):
    pass


def fetch(src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
    return [read_location(src, opts, ctx, "csv")]


def detect_encoding(data: bytes, explicit: Optional[str] = None) -> str:
    if explicit:
        return explicit
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a sample is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    for enc in ("cp1258", "cp1252"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ParseError("cannot tell the text encoding (tried UTF-8, UTF-16, cp1258, cp1252); set options.encoding")


def _decode(data: bytes, encoding: str) -> str:
    """The payload as text. cp1258 writes Vietnamese tones as combining marks; NFC composes them, so a
    ward name read from such a file equals the same name typed in UTF-8 (names are compared and joined)."""
    text = data.decode(encoding, errors="replace")
    return text if encoding in UTF8 else unicodedata.normalize("NFC", text)


def detect_delimiter(text: str) -> str:
    """The candidate that splits most lines into the same, largest number of fields."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        counts = [ln.count(d) for ln in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode, freq = Counter(nonzero).most_common(1)[0]
        score = freq * (1 + mode / 100)
        if score > best_score:
            best, best_score = d, score
    return best


def parse(src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
    payload = payloads[0]
    data = payload.data
    encoding = detect_encoding(data[:HEAD_BYTES], opts.encoding)
    try:
        head_text = data[:HEAD_BYTES].decode(encoding, errors="strict" if len(data) <= HEAD_BYTES else "ignore")
    except (UnicodeDecodeError, LookupError) as exc:
        raise ParseError(f"cannot decode as {encoding}: {exc}") from exc
    delimiter = opts.delimiter or detect_delimiter(head_text)
    reader = pycsv.reader(io.StringIO(head_text), delimiter=delimiter)
    head_rows: list[list[str]] = []
    line_after: list[int] = []  # physical lines consumed after each record
    try:
        for row in reader:
            head_rows.append(row)
            line_after.append(reader.line_num)
            if len(head_rows) >= _tabular.HEADER_SCAN_ROWS + 5:
                break
    except pycsv.Error:
        pass
    if len(data) > HEAD_BYTES and head_rows:  # the last record of a cut sample may be partial
        head_rows.pop()
        line_after.pop()
    start, names = _tabular.find_header(head_rows, src, opts)
    header_end = start + opts.header_rows  # records before the body
    skip_lines = line_after[header_end - 1]
    table = _read_body(data, encoding, delimiter, names, skip_lines, header_end + 1, payload)
    table, dropped, rejects = _tabular.clean(table, opts)
    notes = [f"header at row {start + 1}; encoding {encoding}; delimiter {delimiter!r}"]
    return Parsed(table, dropped=dropped, rejects=rejects, notes=notes)


def _read_body(
    data: bytes, encoding: str, delimiter: str, names: list[str], skip_lines: int, first_row: int, payload: Payload
) -> pa.Table:
    """The rows under the header as text. DuckDB's reader for speed; Python's csv when it balks."""
    width = len(names)
    cols = [f"c{i}" for i in range(width + SLACK_COLUMNS)]
    path = payload.meta.get("landing_path")
    utf8 = data if encoding in UTF8 else _decode(data, encoding).encode("utf-8")
    tmp = None
    if encoding not in UTF8 or not path:
        tmp = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)
        tmp.write(utf8)
        tmp.close()
        path = tmp.name
    try:
        con = duckdb.connect()  # an in-memory parser only: nothing is written anywhere
        try:
            # DuckDB's `skip` counts records (a quoted line break inside one does not count), as the header
            # search does: first_row - 1 records come before the body.
            body = con.sql(
                "SELECT * FROM read_csv(?, delim=?, quote='\"', escape='\"', header=false, skip=?, "
                "auto_detect=false, columns=?, null_padding=true, strict_mode=false, encoding='utf-8')",
                params=[path, delimiter, first_row - 1, {c: "VARCHAR" for c in cols}],
            ).to_arrow_table()
        except duckdb.Error:
            body = None
        finally:
            con.close()
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    # DuckDB drops blank lines and does not say where a quoted line break joined two lines, so its rows
    # can be numbered by position only when every line under the header is one record.
    body_lines = utf8.count(b"\n") + (not utf8.endswith(b"\n")) - skip_lines
    if (
        body is None
        or len(body) != body_lines
        or (len(body) and body.column(cols[-1]).null_count < len(body))
    ):
        return _read_body_python(data, encoding, delimiter, names, skip_lines, first_row)
    used = [c for c in cols[width:] if body.column(c).null_count < len(body)]
    arrays = {name: body.column(f"c{i}") for i, name in enumerate(names)}
    for j, c in enumerate(used):
        arrays[f"{_tabular.EXTRA}{j + 1}"] = body.column(c)
    arrays[ROW] = pa.array(range(first_row, first_row + len(body)), pa.int64())
    return pa.table(arrays)


def _read_body_python(
    data: bytes, encoding: str, delimiter: str, names: list[str], skip_lines: int, first_row: int
) -> pa.Table:
    lines = io.StringIO(_decode(data, encoding))
    for _ in range(skip_lines):
        lines.readline()
    rows = list(pycsv.reader(lines, delimiter=delimiter))
    return _tabular.rows_to_table(rows, names, first_row)
