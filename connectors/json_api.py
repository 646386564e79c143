"""JSON records from a REST API, paged by page number, offset or next link, or from sample JSON files."""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pydantic import Field, model_validator

from connectors.base import (
    Connector,
    FetchContext,
    HttpOptions,
    Parsed,
    Payload,
    dig,
    http_get,
    pages_to_table,
    read_location,
)
from ioc.errors import FetchError, ParseError
from ioc.model import Model, Source

GLOB_CHARS = frozenset("*?[")


class PagePagination(Model):
    param: str = Field("page", min_length=1, description="Query parameter carrying the page number.")
    start: int = Field(1, description="Number of the first page.")
    size_param: str | None = Field(None, description="Query parameter carrying the page size, if the API takes one.")
    size: int | None = Field(None, ge=1, description="Page size sent in `size_param`.")

    @model_validator(mode="after")
    def _size_pair(self) -> PagePagination:
        if (self.size_param is None) != (self.size is None):
            raise ValueError("give `size_param` and `size` together")
        return self


class OffsetPagination(Model):
    param: str = Field(
        "offset", min_length=1, description="Query parameter carrying the offset of a page's first record."
    )
    limit_param: str = Field("limit", min_length=1, description="Query parameter carrying the page size.")
    limit: int = Field(100, ge=1, description="Records per page; a shorter page is the last one.")


class Pagination(Model):
    page: PagePagination | None = Field(None, description="Pages numbered by a query parameter.")
    offset: OffsetPagination | None = Field(None, description="Pages addressed by offset and limit.")
    next_link: str | None = Field(
        None, min_length=1, description="Dotted path to the next page's URL in each answer (absolute or relative)."
    )

    @model_validator(mode="after")
    def _one_style(self) -> Pagination:
        given = [k for k in ("page", "offset", "next_link") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of page, offset, next_link (got {', '.join(given) or 'none'})")
        return self


class Options(HttpOptions):
    record_path: str | None = Field(
        None,
        description="Dotted path to the list of records (`data.items`); none = the answer is the list. "
        "An object found there is one record.",
    )
    error_path: str | None = Field(
        None, description="Dotted path that, present and not empty, marks an answer as an error even with HTTP 200."
    )
    pagination: Pagination | None = Field(
        None, description="How to page: `page`, `offset` or `next_link`; none = one request."
    )
    max_pages: int = Field(
        1000, ge=1, description="Stop after this many pages; the run then carries a note that pages were left."
    )


# --------------------------------------------------------------------------- shared by the JSON connectors


def where(payload: Payload) -> str:
    """The URL or file a payload came from, for messages."""
    return str(payload.meta.get("url") or payload.meta.get("path") or "payload")


def load_json(payload: Payload) -> Any:
    """The payload's parsed JSON; raise ParseError naming its URL or file."""
    try:
        return json.loads(payload.data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise ParseError(f"{where(payload)}: not valid JSON ({exc})") from exc


def notes_of(payloads: list[Payload]) -> list[str]:
    """Notes the fetch left on payloads (`meta["note"]`), for Parsed.notes."""
    return [p.meta["note"] for p in payloads if p.meta.get("note")]


def with_params(url: str, params: dict[str, Any]) -> str:
    """The URL with parameters added to its query: what is requested, and its name in messages.

    The options' own params and secrets are left out: http_get adds them.
    """
    if not params:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="&".join(q for q in (parts.query, urlencode(params)) if q)))


def _identity(url: str) -> str:
    # the same page however its query is ordered, so a next link written differently still counts as seen
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(query=urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))), fragment="")
    )


@dataclass
class Page:
    url: str  # as requested, before the options' own params
    params: dict[str, Any]  # the paging parameters of this request
    final_url: str  # where the answer came from after redirects: relative next links resolve against it
    doc: Any
    records: list


Reader = Callable[[Payload], tuple[Any, list]]  # payload -> (document, records); raises on an error answer
Step = Callable[[Page], tuple[str, dict[str, Any]] | None]  # page -> next (url, params), None at the end


def fetch_pages(
    url: str,
    params: dict[str, Any],
    opts: HttpOptions,
    ctx: FetchContext,
    read: Reader,
    step: Step,
    max_pages: int | None = None,
) -> list[Payload]:
    """One Payload per page (p0001, ...) until an empty page or `step` says stop.

    Raises FetchError on HTTP failure and on a pagination loop: a page URL requested twice
    or a page whose body repeats the previous one. At `max_pages` it stops and leaves a note.
    """
    payloads: list[Payload] = []
    seen: set[str] = set()
    previous = ""
    while True:
        name = with_params(url, params)
        if _identity(name) in seen:
            raise FetchError(f"pagination loop at {name}: page {len(payloads) + 1} was already fetched")
        seen.add(_identity(name))
        resp = http_get(name, _without_query_keys(opts, name), ctx)
        digest = hashlib.sha256(resp.content).hexdigest()
        if digest == previous:
            raise FetchError(f"pagination loop at {name}: page {len(payloads) + 1} repeats the page before it")
        previous = digest
        payload = Payload(resp.content, "json", f"p{len(payloads) + 1:04d}", {"url": name, "status": resp.status_code})
        payloads.append(payload)
        doc, records = read(payload)
        nxt = step(Page(url, params, resp.url, doc, records)) if records else None
        if nxt is None:
            return payloads
        if max_pages is not None and len(payloads) >= max_pages:
            payload.meta["note"] = f"stopped after max_pages={max_pages} pages; pages after {name} were not fetched"
            return payloads
        url, params = nxt


def _without_query_keys(opts: HttpOptions, url: str) -> HttpOptions:
    """Options whose params leave out keys the URL already carries: paging wins, next links keep their query."""
    keys = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    if not keys & (set(opts.params) | set(opts.params_env)):
        return opts
    return opts.model_copy(
        update={
            "params": {k: v for k, v in opts.params.items() if k not in keys},
            "params_env": {k: v for k, v in opts.params_env.items() if k not in keys},
        }
    )


# --------------------------------------------------------------------------- json_api itself


def _paging(p: Pagination) -> tuple[dict[str, Any], Step]:
    """The first page's parameters and the step to the next page, for each pagination style."""
    if p.page:
        pp = p.page

        def next_page(page: Page) -> tuple[str, dict] | None:
            return page.url, {**page.params, pp.param: page.params[pp.param] + 1}

        return {pp.param: pp.start, **({pp.size_param: pp.size} if pp.size_param else {})}, next_page
    if p.offset:
        po = p.offset

        def next_offset(page: Page) -> tuple[str, dict] | None:
            if len(page.records) < po.limit:
                return None
            return page.url, {**page.params, po.param: page.params[po.param] + po.limit}

        return {po.param: 0, po.limit_param: po.limit}, next_offset

    def next_link(page: Page) -> tuple[str, dict] | None:
        link = dig(page.doc, p.next_link)
        if not link:
            return None
        if not isinstance(link, str):
            raise ParseError(f"{with_params(page.url, page.params)}: next_link {p.next_link} is not a URL: {link!r}")
        return urljoin(page.final_url, link), {}

    return {}, next_link


def _read_files(src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
    if not src.path:
        raise FetchError(f"source {src.name}: give `path` or `url`")
    if not GLOB_CHARS & set(src.path):
        paths, parts = [src.path], [""]
    else:
        paths = sorted(glob.glob(str(ctx.path(src.path))), key=_natural)
        if not paths:
            raise FetchError(f"{ctx.path(src.path)}: no file matches")
        parts = [f"p{i:04d}" for i in range(1, len(paths) + 1)]
    payloads = []
    for path, part in zip(paths, parts):
        payload = read_location(src.model_copy(update={"path": path}), opts, ctx, "json")
        payload.part = part
        _check_error(load_json(payload), payload, opts)
        payloads.append(payload)
    return payloads


def _natural(path: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def _check_error(doc: Any, payload: Payload, opts: Options) -> None:
    if not opts.error_path:
        return
    err = dig(doc, opts.error_path)
    if err:
        text = err if isinstance(err, str) else json.dumps(err, ensure_ascii=False)
        raise FetchError(f"{where(payload)}: the answer is an error ({opts.error_path}: {text[:300]})")


def _records(doc: Any, payload: Payload, opts: Options) -> list[dict]:
    found = dig(doc, opts.record_path)
    if opts.record_path and isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        if opts.record_path:
            what = "nothing" if found is None else _kind(found)
            raise ParseError(
                f"{where(payload)}: record_path {opts.record_path} holds {what}, expected a list of records"
            )
        keys = f" (keys: {', '.join(list(doc)[:10])})" if isinstance(doc, dict) else ""
        raise ParseError(
            f"{where(payload)}: the answer is {_kind(doc)}{keys}, expected a list of records: set record_path"
        )
    for i, rec in enumerate(found, 1):
        if not isinstance(rec, dict):
            raise ParseError(f"{where(payload)}: record {i} is not an object: {json.dumps(rec)[:80]}")
    return found


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


class JsonApi(Connector):
    """JSON records from a REST API, paged by page number, offset or next link, or from sample JSON files."""

    kind = "json_api"
    options_model = Options

    def fetch(self, src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
        """The answer's pages, or the files `path` names (a glob: in name order, page_2 before page_10).

        Raises FetchError on HTTP failure, a pagination loop or an error answer (`error_path`).
        """
        if not src.url:
            return _read_files(src, opts, ctx)
        p = opts.pagination

        def read(payload: Payload) -> tuple[Any, list]:
            doc = load_json(payload)
            _check_error(doc, payload, opts)
            return doc, _records(doc, payload, opts)

        if p is None:
            payloads = fetch_pages(src.url, {}, opts, ctx, read, lambda page: None)
            payloads[0].part = ""
            return payloads
        first, step = _paging(p)
        return fetch_pages(src.url, first, opts, ctx, read, step, opts.max_pages)

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        """The records of all pages in order as a table (`_row` counts across pages); raise ParseError naming the page.
        Pages are turned into rows one at a time (pages_to_table), so a backfill of millions of records fits."""
        pages = [lambda p=payload: _records(load_json(p), p, opts) for payload in payloads]
        return Parsed(pages_to_table(pages), notes=notes_of(payloads))
