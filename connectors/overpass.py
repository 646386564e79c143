"""Places from OpenStreetMap (hospitals, schools, markets, ...) through an Overpass API query."""

from __future__ import annotations

import json
import re

import pyarrow as pa
from pydantic import Field, field_validator

from connectors.base import ROW, Connector, FetchContext, HttpOptions, Parsed, Payload, http_get
from connectors.json_api import load_json, notes_of, where
from ioc.errors import FetchError, ParseError
from ioc.model import Source

ENDPOINT = "https://overpass-api.de/api/interpreter"
FIXED = {"osm_type": pa.string(), "osm_id": pa.int64(), "lat": pa.float64(), "lon": pa.float64(), "name": pa.string()}
TAGS = ["amenity", "shop", "tourism", "healthcare", "leisure", "name:en", "addr:street", "addr:housenumber"]


def column_name(tag: str) -> str:
    """An OSM tag key as a snake_case column: `name:en` → `name_en`, `addr:street` → `addr_street`."""
    name = re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")
    return f"tag_{name}" if not name or name[0].isdigit() else name


class Options(HttpOptions):
    query: str = Field(
        min_length=1,
        description="Overpass QL starting with `[out:json]`; end with `out center;` so ways and relations get a point.",
    )
    endpoint: str = Field(ENDPOINT, description="Overpass interpreter URL. The source's `url` wins over it.")
    tags: list[str] = Field(
        default_factory=lambda: list(TAGS),
        description="Tag keys lifted into their own columns (`name:en` becomes `name_en`); all tags stay in `tags`.",
    )

    @field_validator("query")
    @classmethod
    def _json_out(cls, v: str) -> str:
        if "[out:json]" not in re.sub(r"\s+", "", v):
            raise ValueError("the query must ask for JSON: start it with [out:json];")
        return v

    @field_validator("tags")
    @classmethod
    def _distinct_columns(cls, v: list[str]) -> list[str]:
        taken = set(FIXED) | {"tags"}
        for tag in v:
            col = column_name(tag)
            if col in taken:
                raise ValueError(f"tag {tag!r} would become column {col!r}, which is already a column")
            taken.add(col)
        return v


class Overpass(Connector):
    """Places from OpenStreetMap (hospitals, schools, markets, ...) through an Overpass API query."""

    kind = "overpass"
    options_model = Options
    needs_location = False

    def address(self, src: Source, opts: Options) -> str:
        return src.url or opts.endpoint

    def fetch(self, src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
        """The answer to the query (POSTed as form field `data`); FetchError on HTTP failure or a runtime error."""
        url = self.address(src, opts)
        resp = http_get(url, opts, ctx, method="POST", data={"data": opts.query})
        payload = Payload(resp.content, "json", meta={"url": url, "status": resp.status_code})
        doc = load_json(payload)
        remark = doc.get("remark") if isinstance(doc, dict) else None
        if remark and "runtime error" in remark:
            raise FetchError(f"{url}: Overpass: {remark}")
        if remark:
            payload.meta["note"] = f"Overpass: {remark}"
        return [payload]

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        """One row per tagged element: osm_type, osm_id, lat, lon, name, the lifted tags and all `tags` as JSON.

        Nodes give their own point, ways and relations their `center` (NULL without `out center`).
        Untagged elements (a way's bare nodes) are counted as dropped; `_row` is the element's
        position in the answer. Raises ParseError naming the URL when `elements` is missing.
        """
        lifted = {column_name(t): t for t in opts.tags}
        rows: list[dict] = []
        dropped = 0
        seen = 0
        for payload in payloads:
            doc = load_json(payload)
            elements = doc.get("elements") if isinstance(doc, dict) else None
            if not isinstance(elements, list):
                raise ParseError(f"{where(payload)}: no `elements` list in the answer")
            for el in elements:
                seen += 1
                tags = el.get("tags") if isinstance(el, dict) else None
                if not tags:
                    dropped += 1
                    continue
                point = el if el.get("type") == "node" else el.get("center") or {}
                rows.append(
                    {
                        "osm_type": el.get("type"),
                        "osm_id": el.get("id"),
                        "lat": point.get("lat"),
                        "lon": point.get("lon"),
                        "name": tags.get("name"),
                        **{col: tags.get(tag) for col, tag in lifted.items()},
                        "tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
                        ROW: seen,
                    }
                )
        types = {**FIXED, **{col: pa.string() for col in lifted}, "tags": pa.string(), ROW: pa.int64()}
        try:
            table = pa.table({col: pa.array([r[col] for r in rows], t) for col, t in types.items()})
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise ParseError(f"{where(payloads[0])}: an element has an unexpected value ({exc})") from exc
        return Parsed(table, dropped=dropped, notes=notes_of(payloads))
