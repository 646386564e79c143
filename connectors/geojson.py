"""Features of a GeoJSON document (ward polygons, facility points) from a file or URL: a FeatureCollection, a
single Feature or a bare geometry."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from connectors.base import (
    DocumentConnector,
    HttpOptions,
    Parsed,
    Payload,
    records_to_table,
)
from connectors.json_api import load_json, where
from ioc.errors import ParseError
from ioc.model import Source


class Options(HttpOptions):
    id_property: str | None = Field(
        None,
        description="Property naming each feature; a feature's top-level `id` fills it when the property is absent.",
    )


def _row(feature: Any, i: int, payload: Payload, opts: Options) -> dict:
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(feature, dict) or feature.get("type") != "Feature" or not isinstance(props or {}, dict):
        raise ParseError(f"{where(payload)}: feature {i} is not a GeoJSON Feature with properties")
    row = dict(props or {})
    if opts.id_property and row.get(opts.id_property) is None and feature.get("id") is not None:
        row[opts.id_property] = feature["id"]
    geom = feature.get("geometry")
    try:
        lat, lon = centroid(geom) if geom else (None, None)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        kind = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
        raise ParseError(f"{where(payload)}: feature {i}: malformed {kind} geometry ({exc})") from exc
    row.update(
        geometry=json.dumps(geom, ensure_ascii=False, separators=(",", ":")) if geom else None,
        geometry_type=geom["type"] if geom else None,
        centroid_lat=lat,
        centroid_lon=lon,
    )
    return row


def centroid(geom: dict) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON geometry: the mean of its vertices, of the largest polygon's outer ring for areas."""
    kind, coords = geom["type"], geom.get("coordinates")
    if kind == "GeometryCollection":  # its first areal member, else its first member
        return centroid(max(geom["geometries"], key=lambda g: g["type"].endswith("Polygon")))
    if not isinstance(coords, list):
        raise ValueError("no coordinates")
    points: list
    if kind == "Point":
        points = [coords]
    elif kind in ("MultiPoint", "LineString"):
        points = coords
    elif kind == "MultiLineString":
        points = [p for line in coords for p in line]
    elif kind == "Polygon":
        points = _open_ring(coords[0])
    elif kind == "MultiPolygon":
        points = _open_ring(max((poly[0] for poly in coords), key=_area))
    else:
        raise ValueError(f"unknown geometry type {kind!r}")
    if not points:
        raise ValueError("no coordinates")
    return (
        sum(float(p[1]) for p in points) / len(points),
        sum(float(p[0]) for p in points) / len(points),
    )


def _open_ring(ring: list) -> list:
    # a GeoJSON ring repeats its first vertex at the end; counting it twice would pull the mean
    return ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring


def _area(ring: list) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1]))) / 2


class GeoJson(DocumentConnector):
    """Features of a GeoJSON document (ward polygons, facility points) from a file or URL: a FeatureCollection,
    a single Feature or a bare geometry."""

    kind = "geojson"
    options_model = Options
    extension = "geojson"

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        """One row per feature: its properties, `geometry` (GeoJSON text), `geometry_type`, `centroid_lat` and
        `centroid_lon`.

        The centroid is the mean of the vertices (of the outer ring for polygons, of the largest
        polygon for multipolygons): good enough to place a label or a marker. These four columns
        replace properties of the same name. Raises ParseError
        naming the file when it is not GeoJSON or a feature is malformed.
        """
        records: list[dict] = []
        for payload in payloads:
            doc = load_json(payload)
            records += [_row(f, i, payload, opts) for i, f in enumerate(features(doc, payload), 1)]
        return Parsed(records_to_table(records))


GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}


def features(doc: Any, payload: Payload) -> list:
    """The features of any GeoJSON document (RFC 7946 §3): a FeatureCollection's, a Feature as one, a bare
    geometry as one feature without properties. ParseError naming the file for anything else."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    if kind == "Feature":
        return [doc]
    if kind in GEOMETRIES:
        return [{"type": "Feature", "properties": {}, "geometry": doc}]
    raise ParseError(
        f"{where(payload)}: expected GeoJSON (a FeatureCollection, a Feature or a geometry), "
        f"got {kind or 'something else'}"
    )
