"""Records of a CKAN DataStore resource, read page by page through the portal's Action API.

Rows keep CKAN's `_id` (the DataStore's own row number: stable while the resource is not
replaced, so it can serve as `key`; rename it in `rename` if a plain name is wanted).
`_full_text`, a search index some CKAN versions return, is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from connectors.base import Connector, FetchContext, HttpOptions, Parsed, Payload, dig, records_to_table
from connectors.json_api import Page, fetch_pages, load_json, where
from ioc.errors import FetchError, ParseError
from ioc.model import Source

ACTION = "/api/3/action/datastore_search"
DROP = ("_full_text",)


class Options(HttpOptions):
    resource_id: str = Field(min_length=1, description="Id of the DataStore resource (a UUID on the resource's page).")
    page_size: int = Field(
        1000, ge=1, description="Records per request (`limit`); CKAN caps it at its rows_max, 32000 by default."
    )


def _records(doc: Any, payload: Payload) -> list[dict]:
    records = dig(doc, "result.records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ParseError(f"{where(payload)}: no list of records at result.records")
    return records


def _error(doc: Any) -> str:
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return "answer without `success: true`"
    if err.get("message"):
        return str(err["message"])
    # validation errors carry per-field lists instead of a message
    fields = json.dumps({k: v for k, v in err.items() if k != "__type"}, ensure_ascii=False)
    return f"{err.get('__type', 'error')}: {fields[:300]}"


class Ckan(Connector):
    """Records of a CKAN DataStore resource, read page by page through the portal's Action API."""

    kind = "ckan"
    options_model = Options

    def fetch(self, src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
        """datastore_search pages (p0001, ...) until `total` is reached or a page is empty.

        `url` is the portal's base address. Raises FetchError on HTTP failure or `success: false`.
        """
        if not src.url:
            raise FetchError(f"source {src.name}: give `url`, the CKAN portal's base address")
        first = {"resource_id": opts.resource_id, "limit": opts.page_size, "offset": 0}

        def read(payload: Payload) -> tuple[Any, list]:
            doc = load_json(payload)
            if not isinstance(doc, dict) or doc.get("success") is not True:
                raise FetchError(f"{where(payload)}: CKAN refused the request: {_error(doc)}")
            return doc, _records(doc, payload)

        def step(page: Page) -> tuple[str, dict] | None:
            # by records received, not page_size: a portal caps `limit` at its rows_max
            offset = page.params["offset"] + len(page.records)
            total = dig(page.doc, "result.total")
            if isinstance(total, int) and offset >= total:
                return None
            return page.url, {**page.params, "offset": offset}

        return fetch_pages(src.url.rstrip("/") + ACTION, first, opts, ctx, read, step)

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        """All pages' records as one table (`_row` counts across pages); raise ParseError naming the page."""
        records: list[dict] = []
        for payload in payloads:
            records += [{k: v for k, v in r.items() if k not in DROP} for r in _records(load_json(payload), payload)]
        return Parsed(records_to_table(records))
