"""Connector registry: one module per kind of source, listed here explicitly (no folder scanning).

A connector module has a docstring, an `Options` model (a ConnectorOptions subclass),
`fetch(source, options, ctx) -> list[Payload]` and `parse(source, options, payloads) -> Parsed`;
optionally `direct(source, options, payloads) -> DirectRead | None` and
`parse_lines(source, options, payloads, lines) -> Parsed`, so the core can load a landed file with
DuckDB's own reader and parse only the rows with something to report (connectors/csv.py).
Connectors fetch and parse only: they never touch the warehouse.
"""
from __future__ import annotations

from types import ModuleType

from connectors import ckan, csv, excel, geojson, json_api, open_meteo, overpass

REGISTRY: dict[str, ModuleType] = {
    "csv": csv,
    "excel": excel,
    "json_api": json_api,
    "ckan": ckan,
    "open_meteo": open_meteo,
    "overpass": overpass,
    "geojson": geojson,
}
