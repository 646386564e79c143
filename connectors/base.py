"""What every connector shares: the Connector contract, payloads, parse results, the fetch context and HTTP
with retries."""

from __future__ import annotations

import email.utils
import glob
import mmap
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import requests
from pydantic import Field

from ioc.errors import FetchError, ParseError
from ioc.model import ConnectorOptions, Source

ROW = "_row"  # row number in the payload (1-based), carried through to rejects


class Payload:
    """Bytes as fetched, before any parsing. Kept in landing/ before it is parsed.

    A payload read from a local file may name the file instead of holding its bytes (`file`): the core
    copies it into landing/ in the kernel and points `file` at that copy, and the bytes are read from the
    copy only when asked for (`data`, `head`, `buffer`). A file read straight into the warehouse by DuckDB
    never passes through Python's memory whole.
    """

    def __init__(
        self,
        data: bytes | None = None,
        ext: str = "",
        part: str = "",
        meta: dict[str, Any] | None = None,
        file: Path | None = None,
    ):
        if (data is None) == (file is None):
            raise ValueError("a payload holds bytes or names a file, not both")
        self._data = data
        self.file = file
        self.ext = ext  # file extension for the landing zone: csv, xlsx, json, geojson
        self.part = part  # "p0001" for page 1 of a paginated answer; "" for a single payload
        self.meta: dict[str, Any] = meta if meta is not None else {}
        self.landed: Path | None = None  # the copy in landing/, set by the core once the payload is kept
        self._lock = threading.Lock()

    @property
    def data(self) -> bytes:
        with self._lock:
            if self._data is None:
                assert self.file is not None
                self._data = self.file.read_bytes()
            return self._data

    @property
    def size(self) -> int:
        return len(self._data) if self._data is not None else self.file.stat().st_size  # type: ignore[union-attr]

    def head(self, n: int) -> bytes:
        """The first n bytes, without reading the rest of a file."""
        if self._data is not None:
            return self._data[:n]
        with open(self.file, "rb") as fh:  # type: ignore[arg-type]
            return fh.read(n)

    @contextmanager
    def buffer(self) -> Iterator[memoryview | mmap.mmap]:
        """The bytes to slice, without reading a file whole: the file mapped into memory (the landed copy,
        which nothing rewrites), or the bytes held."""
        if self._data is not None or self.size == 0:
            yield memoryview(self._data if self._data is not None else b"")
            return
        with open(self.file, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:  # type: ignore[arg-type]
            yield mapped


@dataclass
class Reject:
    row: int | None
    column: str
    value: str | None
    reason: str


@dataclass
class Parsed:
    """Rows as read: a table (text or JSON-typed columns plus `_row`) and what was set aside."""

    table: pa.Table
    dropped: int = 0  # blank, section, footnote, totals rows: not data, not rejects
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    aside: list[Aside] = field(default_factory=list)  # the dropped rows that can be named: where and why


@dataclass(frozen=True)
class Aside:
    """A row set aside as not data: its number in the payload, why, and its text (the first cell)."""

    row: int | None
    reason: str
    text: str | None = None


@dataclass(frozen=True)
class DirectRead:
    """How DuckDB's own CSV reader can read a landed file straight into the warehouse, skipping the text
    parse: offered by a DirectReader for the files it can describe so (see connectors/csv.py).

    The core types the columns itself (the contract decides which reader types are safe); the rows with
    something to report go through the connector's `parse_lines`, and the whole payload through `parse`
    when the reader cannot number its rows, so results never differ from the general path's (ioc/direct.py).
    """

    path: str  # the landed copy: DuckDB reads it, never the source again
    names: list[str]  # the file's columns, in order, as named by the header and `rename`
    options: dict[str, Any]  # read_csv named options: delim, quote, escape, skip, decimal_separator, ...
    na_values: list[str]  # cell texts meaning missing, compared after trimming ("" among them)
    # physical lines of the body: the rows read must match (blank lines are skipped by the reader); a count
    # over the whole file, which the core runs beside the read
    lines: Callable[[], int]
    header_lines: int  # physical lines before the body (title rows and the header)
    sample: list[list[str]]  # the first body rows as text, to choose a timestamp format
    blank_lines: Callable[[], list[int]]  # the empty body lines (from 0), which the reader skips
    notes: list[str] = field(default_factory=list)


@dataclass
class FetchContext:
    """What a connector may use besides its source: paths, secrets and the clock, given to it."""

    base_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep
    city_lat: float = 0.0
    city_lon: float = 0.0
    timezone: str = "UTC"
    # (committed folder, current copy): files under the first are read from the second, where it has them
    overlay: tuple[Path, Path] | None = None

    def path(self, p: str) -> Path:
        q = Path(p)
        q = q if q.is_absolute() else self.base_dir / q
        if self.overlay:
            committed, current = self.overlay
            there = current / q.relative_to(committed) if q.is_relative_to(committed) else None
            if there is not None and glob.glob(str(there)):  # a file, or a pattern (json_api's pages)
                return there
        return q

    def secret(self, var: str, what: str) -> str:
        value = self.env.get(var)
        if not value:
            raise FetchError(f"{what}: environment variable {var} is not set")
        return value


class HttpOptions(ConnectorOptions):
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for an answer.")
    retries: int = Field(3, ge=0, description="Retries on connection errors, 429 and 5xx (exponential backoff).")
    backoff: float = Field(1.0, ge=0, description="First backoff in seconds; doubles each retry; Retry-After wins.")
    params: dict[str, Any] = Field(default_factory=dict, description="Query parameters.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header → environment variable holding its value (secrets)."
    )
    params_env: dict[str, str] = Field(
        default_factory=dict, description="Query parameter → environment variable holding its value (API keys)."
    )


class Connector(ABC):
    """A kind of source: fetches payloads and parses them into rows. A department's dataset is configuration;
    a connector is written once per kind and listed in connectors/__init__.py. Connectors fetch and parse
    only: they never touch the warehouse, and get everything from their arguments (no files, no environment).
    """

    kind: ClassVar[str]  # the name `connector:` gives in config
    options_model: ClassVar[type[ConnectorOptions]]  # its `options:` block (the module's `Options`)
    needs_location: ClassVar[bool] = True  # a source of this kind must give `path` or `url`

    @abstractmethod
    def fetch(self, src: Source, opts: Any, ctx: FetchContext) -> list[Payload]:
        """The source's payloads as fetched; raises FetchError naming what could not be fetched."""

    @abstractmethod
    def parse(self, src: Source, opts: Any, payloads: list[Payload]) -> Parsed:
        """The payloads' rows (text or JSON-typed columns and `_row`); raises ParseError naming the payload."""

    def address(self, src: Source, opts: Any) -> str | None:
        """Where the source's data is fetched from: a URL, or None for a local path (see `on_internet`)."""
        return src.url

    @property
    def summary(self) -> str:
        """The first line of the connector's docstring, for the config reference."""
        return (type(self).__doc__ or "").strip().splitlines()[0]


def on_internet(url: str | None) -> bool:
    """Whether fetching `url` needs the internet: a web address whose host is not this machine or a private
    network's (127.0.0.1, localhost, 10.x, 192.168.x, a single-label or .local name)."""
    import ipaddress
    from urllib.parse import urlsplit

    if not url or not url.lower().startswith(("http://", "https://")):
        return False
    host = (urlsplit(url).hostname or "").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith((".local", ".localhost", ".internal", ".lan"))
    return not (ip.is_private or ip.is_loopback or ip.is_link_local)


class DocumentConnector(Connector):
    """A connector whose source is one document, at its `path` or `url` (read_location)."""

    extension: ClassVar[str]  # the document's file extension in landing/

    def fetch(self, src: Source, opts: Any, ctx: FetchContext) -> list[Payload]:
        """The file at `path` or the answer at `url`; raises FetchError when it cannot be read."""
        return [read_location(src, opts, ctx, self.extension)]


class DirectReader(ABC):
    """A connector's capability: some payloads can be read by DuckDB's own reader straight into the warehouse
    (ioc/direct.py), and only their rows with something to report parsed by the connector."""

    @abstractmethod
    def direct(self, src: Source, opts: Any, payloads: list[Payload]) -> DirectRead | None:
        """How to read these (landed) payloads directly, or None: read them with `parse`."""

    @abstractmethod
    def parse_lines(self, src: Source, opts: Any, payloads: list[Payload], lines: list[int]) -> Parsed:
        """`parse` of only some body lines (numbered from 0) of a payload offered for a direct read."""


RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 300.0


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds an HTTP `Retry-After` (seconds or an HTTP-date) asks to wait from `now` (default: the clock);
    None when absent or bad. One reading for the connectors' fetches and the outbox's deliveries."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    except (TypeError, ValueError):
        return None


def http_get(
    url: str,
    opts: HttpOptions,
    ctx: FetchContext,
    params: Mapping[str, Any] | None = None,
    method: str = "GET",
    data: Any = None,
) -> requests.Response:
    """GET (or POST) with retries on connection errors, 429 and 5xx; raise FetchError naming the URL."""
    headers = dict(opts.headers)
    for h, var in opts.headers_env.items():
        headers[h] = ctx.secret(var, f"header {h}")
    merged = dict(opts.params)
    for p, var in opts.params_env.items():
        merged[p] = ctx.secret(var, f"parameter {p}")
    if params:
        merged.update(params)
    own = ctx.session is None
    session = ctx.session or requests.Session()
    secrets = [str(v) for k, v in merged.items() if k in opts.params_env] + [headers[h] for h in opts.headers_env]
    try:
        return _request(session, method, url, merged, headers, data, opts, ctx, secrets)
    finally:
        if own:
            session.close()


def _mask(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


def _request(
    session, method, url, merged, headers, data, opts: HttpOptions, ctx: FetchContext, secrets
) -> requests.Response:
    delay = opts.backoff
    last: str = ""
    shown = _mask(url, secrets)
    for attempt in range(opts.retries + 1):
        wait = delay
        try:
            resp = session.request(method, url, params=merged or None, headers=headers, data=data, timeout=opts.timeout)
        except requests.Timeout:
            last = f"no answer within {opts.timeout:g} s"
        except requests.ConnectionError as exc:
            last = f"cannot connect ({exc.__class__.__name__})"
        except requests.RequestException as exc:
            raise FetchError(_mask(f"{shown}: {exc.__class__.__name__}: {exc}", secrets)) from exc
        else:
            if resp.status_code < 400:
                return resp
            last = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
            if resp.status_code not in RETRY_STATUS:
                raise FetchError(_mask(f"{shown}: {last}: {resp.text[:200]}", secrets))
            ra = retry_after(resp.headers.get("Retry-After"))
            if ra is not None:
                wait = min(ra, MAX_RETRY_AFTER)
        if attempt < opts.retries:
            ctx.sleep(wait)
            delay *= 2
    raise FetchError(f"{shown}: {last} after {opts.retries + 1} attempts")


def read_location(src: Source, opts: HttpOptions, ctx: FetchContext, ext: str) -> Payload:
    """The bytes at a source's `path` or `url`."""
    if src.url:
        resp = http_get(src.url, opts, ctx)
        return Payload(resp.content, ext, meta={"url": src.url, "status": resp.status_code})
    if not src.path:
        raise FetchError(f"source {src.name}: give `path` or `url`")
    p = ctx.path(src.path)
    try:
        with open(p, "rb"):  # missing, a folder, not readable: said now, as reading it would
            pass
    except OSError as exc:
        raise FetchError(f"{p}: {exc.strerror or exc}") from exc
    return Payload(ext=ext, meta={"path": str(p)}, file=p)  # copied into landing/, then read from the copy


def dig(obj: Any, dotted: str | None, what: str = "path") -> Any:
    """Follow a dotted path (`data.items`, `results.0`) into parsed JSON; None when absent."""
    if not dotted:
        return obj
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, Mapping):
            if part not in cur:
                return None
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            i = int(part)
            if not -len(cur) <= i < len(cur):
                return None
            cur = cur[i]
        else:
            return None
    return cur


def records_to_table(records: list[dict], start_row: int = 1) -> pa.Table:
    """JSON records → table. Nested values become JSON text; `_row` numbers records from start_row."""
    return pages_to_table([lambda: records], start_row)


def pages_to_table(pages: Sequence[Callable[[], list[dict]]], start_row: int = 1) -> pa.Table:
    """The table records_to_table would give for the records of all pages in order, built a page at a time:
    only one page's records are Python objects at once (ten million records as dicts took 8 GB).

    `pages[i]()` gives the records of page i. A column takes one type over all pages (see _array); a page
    whose own values gave it another is converted by Arrow when that is exact (int to double, all-null), or
    else read again (numbers or booleans that become text, as str() writes them)."""
    built: list[tuple[dict[str, pa.Array], int]] = []
    kinds: dict[str, set] = {}
    row = start_row
    for load in pages:
        cols = _columns(load(), row)
        for k, values in cols.items():
            kinds.setdefault(k, set()).update(type(v) for v in values if v is not None)
        n = len(next(iter(cols.values()))) if cols else 0
        built.append(({k: _array(v) for k, v in cols.items()}, n))
        row += n
    target = {k: _array_type(found) for k, found in kinds.items()}
    tables, row = [], start_row
    for i, (arrays, n) in enumerate(built):
        if any(k in arrays and not _fits(arrays[k], t) for k, t in target.items()):
            again = _columns(pages[i](), row)
            arrays = {k: _array(v, target[k]) for k, v in again.items()}
        cols = {k: _convert(arrays[k], t) if k in arrays else pa.nulls(n, t) for k, t in target.items()}
        cols[ROW] = pa.array(range(row, row + n), pa.int64())
        tables.append(pa.table(cols))
        row += n
    if not tables:
        return pa.table({ROW: pa.array([], pa.int64())})
    return pa.concat_tables(tables)


def _columns(records: list[dict], start_row: int) -> dict[str, list]:
    """Records → values by column, in the order columns first appear; nested values as JSON text."""
    import json

    cols: dict[str, list] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ParseError(f"record {start_row + i} is not an object: {str(rec)[:80]}")
        for k in rec:
            if k not in cols:
                cols[k] = [None] * i
        for k, lst in cols.items():
            v = rec.get(k)
            if isinstance(v, (dict, list)):
                v = json.dumps(v, ensure_ascii=False)
            lst.append(v)
    return cols


def _array_type(kinds: set) -> pa.DataType:
    """The type of a column whose values have these Python types: whole numbers, numbers, booleans, else text."""
    if kinds and kinds <= {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    if kinds == {bool}:
        return pa.bool_()
    return pa.string()


def _fits(array: pa.Array, target: pa.DataType) -> bool:
    """Whether a page's array becomes the column's type exactly by an Arrow cast."""
    return (
        array.type == target or array.null_count == len(array) or (array.type == pa.int64() and target == pa.float64())
    )


def _convert(array: pa.Array, target: pa.DataType) -> pa.Array:
    if array.type == target:
        return array
    if array.null_count == len(array):
        return pa.nulls(len(array), target)
    return array.cast(target, safe=False)  # int64 → float64 rounds as float() does


def _array(values: list, target: pa.DataType | None = None) -> pa.Array:
    """Values of one column as an array of `target`, by default the type their own kinds give."""
    if target is None:
        target = _array_type({type(v) for v in values if v is not None})
    if target == pa.int64() or target == pa.bool_():
        return pa.array(values, target)
    if target == pa.float64():
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else (v if isinstance(v, str) else str(v)) for v in values], pa.string())
