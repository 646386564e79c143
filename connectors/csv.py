"""CSV and "Unicode text" exports (file or URL), as departments write them: any encoding, title rows, merged headers."""

from __future__ import annotations

import codecs
import csv as pycsv
import io
import mmap
import os
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pyarrow as pa

from connectors import _tabular
from connectors.base import ROW, DirectRead, DirectReader, DocumentConnector, Parsed, Payload
from ioc.errors import ParseError
from ioc.model import Source

HEAD_BYTES = 256 * 1024
DELIMITERS = [",", ";", "\t", "|"]
UTF8 = ("utf-8", "utf-8-sig")


class Options(_tabular.TabularOptions):
    pass


def detect_encoding(data: bytes, explicit: str | None = None) -> str:
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


@dataclass
class _Layout:
    encoding: str
    delimiter: str
    header_end: int  # records before the body (title rows and the header)
    skip_lines: int  # physical lines before the body
    names: list[str]
    notes: list[str]
    sample: list[list[str]]  # the first body rows, as text


def _layout(src: Source, opts: Options, payload: Payload) -> _Layout:
    """Encoding, delimiter, where the header is and what it names, from the head of the payload."""
    head, whole = payload.head(HEAD_BYTES), payload.size <= HEAD_BYTES
    what = _tabular.what_file(head, "CSV text")
    if what:
        raise ParseError(what)
    encoding = detect_encoding(head, opts.encoding)
    try:
        head_text = head.decode(encoding, errors="strict" if whole else "ignore")
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
    if not whole and head_rows:  # the last record of a cut sample may be partial
        head_rows.pop()
        line_after.pop()
    start, names = _tabular.find_header(head_rows, src, opts)
    header_end = start + opts.header_rows
    notes = [f"header at row {start + 1}; encoding {encoding}; delimiter {delimiter!r}"]
    return _Layout(encoding, delimiter, header_end, line_after[header_end - 1], names, notes, head_rows[header_end:])


def _count(data: bytes | memoryview | mmap.mmap, byte: bytes) -> int:
    """bytes.count for one byte, 3x faster and leaving Python's lock (the landing hashes beside it): in
    slices that stay in the CPU's cache."""
    arr, step = np.frombuffer(data, np.uint8), 1 << 18
    return sum(int(np.count_nonzero(arr[i : i + step] == ord(byte))) for i in range(0, len(arr), step))


def _spans(buf: bytes | memoryview | mmap.mmap, lines: list[int]) -> list[tuple[int, int]]:
    """(start, end) byte offsets of some lines (numbered from 0, in order), the end at the line break (or the
    end of the data), as _lines gives them, found without listing every line break of a big file: the
    breaks are counted a slice at a time and located only in the slices holding the ones needed."""
    arr, step = np.frombuffer(buf, np.uint8), 1 << 18
    needed = sorted({k for line in lines for k in (line - 1, line) if k >= 0})  # the breaks before and after
    at: dict[int, int] = {}  # break number -> offset
    seen, j = 0, 0  # breaks before this slice; the next needed break
    for i in range(0, len(arr), step):
        if j == len(needed):
            break
        hits = arr[i : i + step] == ord("\n")
        n = int(np.count_nonzero(hits))
        if needed[j] < seen + n:
            where = np.flatnonzero(hits) + i
            while j < len(needed) and needed[j] < seen + n:
                at[needed[j]] = int(where[needed[j] - seen])
                j += 1
        seen += n
    return [(at[line - 1] + 1 if line else 0, at.get(line, len(arr))) for line in lines]


def _lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of every line, the end at its line break (or the end of the data)."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(data)]))
    if starts[-1] == len(data):  # the data ends with a line break: no line after it
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def _blank_lines_after(data: bytes, skip_lines: int) -> bool:
    pos = 0
    for _ in range(skip_lines):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return False
        pos = nl + 1
    body = data[pos:]
    return body.startswith(b"\n") or body.startswith(b"\r\n") or b"\n\n" in body or b"\n\r\n" in body


def _rows_python(data: bytes, delimiter: str, skip_lines: int) -> list[list[str | None]]:
    lines = io.StringIO(data.decode("utf-8-sig", errors="replace"))
    for _ in range(skip_lines):
        lines.readline()
    return [list[str | None](row) for row in pycsv.reader(lines, delimiter=delimiter)]


class Csv(DocumentConnector, DirectReader):
    """CSV and "Unicode text" exports (file or URL), as departments write them: any encoding, title rows, headers."""

    kind = "csv"
    options_model = Options
    extension = "csv"

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        payload = payloads[0]
        data = payload.data
        lay = _layout(src, opts, payload)
        encoding, delimiter, names, header_end = lay.encoding, lay.delimiter, lay.names, lay.header_end
        con = duckdb.connect()  # an in-memory parsing engine: nothing is written anywhere
        tmp = None
        try:
            path = str(payload.landed) if payload.landed else None
            body = data
            if encoding not in UTF8 or not path:
                body = _decode(data, encoding).encode("utf-8") if encoding not in UTF8 else data
                tmp = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)  # noqa: SIM115 - removed below
                tmp.write(body)
                tmp.close()
                path = tmp.name
            table = None
            if not _blank_lines_after(body, lay.skip_lines):  # DuckDB skips blank lines, which would shift row numbers
                columns = {f"c{i}": "VARCHAR" for i in range(len(names))} | {"e0": "VARCHAR"}
                source = (
                    "read_csv($path, delim=$delim, quote='\"', escape='\"', header=false, skip=$skip, "
                    "auto_detect=false, "
                    "columns=$columns, null_padding=true, strict_mode=false, encoding='utf-8')"
                )
                try:
                    # DuckDB's `skip` counts records, as the header search does (a quoted line break in a title
                    # row is not a new record), not the physical lines that Python's reader skips below.
                    table, aside, rejects = _tabular.clean(
                        con,
                        source,
                        {"path": path, "delim": delimiter, "skip": header_end, "columns": columns},
                        names,
                        opts,
                        first_row=header_end + 1,
                    )
                except duckdb.Error:
                    table = None  # a file DuckDB's reader balks at is read by Python's below
            if table is None:
                rows = _rows_python(body, delimiter, lay.skip_lines)
                con.register("_rows", _tabular.rows_to_table(rows, len(names), header_end + 1))
                table, aside, rejects = _tabular.clean(con, "_rows", {}, names, opts)
        finally:
            con.close()
            if tmp is not None:
                os.unlink(tmp.name)
        return Parsed(table, dropped=len(aside), rejects=rejects, notes=lay.notes, aside=aside)

    def direct(self, src: Source, opts: Options, payloads: list[Payload]) -> DirectRead | None:
        """DuckDB's reader straight on the landed file, for a UTF-8 file whose rows need not be matched against
        `drop_rows_matching` (which looks at the raw text of a row). None: read it with `parse`. The rows the
        core finds something to report in are read by `parse_lines`."""
        payload = payloads[0]
        if len(payloads) != 1 or opts.drop_rows_matching or opts.section_column or opts.unpivot or opts.ward_from:
            return None  # rows whose meaning depends on other rows, or a shape to change: the general path
        lay = _layout(src, opts, payload)
        if lay.encoding not in UTF8:
            return None

        def lines() -> int:
            # DuckDB's reader skips blank lines, which the general path counts as set aside: the core compares
            # the rows read with the body's lines (a cell with a line break inside also differs, and goes the
            # general way)
            with payload.buffer() as buf:  # the landed copy mapped, not read into memory
                n, last = _count(buf, b"\n"), bytes(buf[-1:])
            return n + (0 if last in (b"", b"\n") else 1) - lay.skip_lines

        options = {
            "delim": lay.delimiter,
            "quote": '"',
            "escape": '"',
            "skip": lay.header_end,
            "decimal_separator": opts.decimal,
        }
        na = sorted({v.strip() for v in opts.na_values} | {""})

        def blank_lines() -> list[int]:  # asked for only when the rows read fall short of the lines
            data = payload.data
            starts, ends = _lines(data)
            blank = (ends - starts == 0) | (
                (ends - starts == 1)
                & (np.frombuffer(data, np.uint8)[np.minimum(starts, max(len(data) - 1, 0))] == ord("\r"))
            )
            return [int(i) - lay.skip_lines for i in np.flatnonzero(blank) if i >= lay.skip_lines]

        path = payload.landed or payload.file
        if path is None:  # not landed: nothing for DuckDB to read
            return None
        return DirectRead(
            str(path),
            lay.names,
            options,
            na,
            lines,
            lay.skip_lines,
            lay.sample,
            blank_lines,
            notes=[*lay.notes, "read by DuckDB's reader"],
        )

    def parse_lines(self, src: Source, opts: Options, payloads: list[Payload], lines: list[int]) -> Parsed:
        """`parse` of only some body lines (numbered from 0) of a payload offered for a direct read: the rows the
        reader set aside or that break a rule, read and reported by the general path, numbered as in the file."""
        lay = _layout(src, opts, payloads[0])
        body = lay.skip_lines
        with payloads[0].buffer() as buf:  # the lines alone are copied out, not the whole file
            spans = _spans(buf, [body] + [body + i for i in lines])
            part = b"".join([bytes(buf[: spans[0][0]])] + [bytes(buf[a : b + 1]) for a, b in spans[1:]])
        # read as the whole file was: its delimiter, encoding and header row, whatever the problem rows look like
        same = opts.model_copy(
            update={
                "skip_rows": lay.header_end - opts.header_rows,
                "delimiter": lay.delimiter,
                "encoding": lay.encoding,
            }
        )
        parsed = self.parse(src, same, [Payload(part, payloads[0].ext)])
        first = lay.header_end + 1  # rows are numbered from the first body row
        renumber = {first + k: first + line for k, line in enumerate(lines)}
        parsed.table = parsed.table.set_column(
            parsed.table.column_names.index(ROW),
            ROW,
            pa.array([renumber[r] for r in parsed.table[ROW].to_pylist()], pa.int64()),
        )
        for rej in parsed.rejects:
            if rej.row is not None:
                rej.row = renumber.get(rej.row, rej.row)
        parsed.aside = [replace(a, row=renumber.get(a.row, a.row)) if a.row else a for a in parsed.aside]
        return parsed
