"""Connector registry: one class per kind of source, listed here explicitly (no folder scanning).

A connector (connectors/base.py: Connector) declares its `Options` model and implements `fetch` and `parse`;
one that can let DuckDB's reader load its files also implements DirectReader (`direct`, `parse_lines`), as
connectors/csv.py does. Connectors fetch and parse only: they never touch the warehouse.
"""

from __future__ import annotations

from connectors.base import Connector
from connectors.ckan import Ckan
from connectors.csv import Csv
from connectors.excel import Excel
from connectors.geojson import GeoJson
from connectors.json_api import JsonApi
from connectors.open_meteo import OpenMeteo
from connectors.overpass import Overpass
from connectors.parquet import Parquet

REGISTRY: dict[str, Connector] = {
    c.kind: c
    for c in (
        Csv(),
        Excel(),
        JsonApi(),
        Ckan(),
        OpenMeteo(),
        Overpass(),
        GeoJson(),
        Parquet(),
    )
}
