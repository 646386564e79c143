"""geojson from a committed file and from a real HTTP server."""

from __future__ import annotations

import json

import pytest

from connectors import geojson
from ioc.errors import FetchError, ParseError
from tests.helpers import FIXTURES, Reply, col, context, run, source

GEOJSON = geojson.GeoJson()


def test_features_become_rows_with_centroids():
    parsed = run(GEOJSON, source("geojson", path="wards.geojson"), {}, context(FIXTURES))
    t = parsed.table
    assert t.column_names == [
        "code",
        "name",
        "population",
        "geometry",
        "geometry_type",
        "centroid_lat",
        "centroid_lon",
        "tags",
        "_row",
    ]
    assert col(t, "code") == ["19909", None, "19924"]
    assert col(t, "name") == ["Phú Hội", "Vĩnh Ninh", "Phước Vĩnh"]
    assert col(t, "population") == [12500, None, 15800]
    assert col(t, "geometry_type") == ["Polygon", "Point", "MultiPolygon"]
    # polygon: mean of the ring without its closing vertex; multipolygon: the ring of the larger
    # polygon (a triangle), not of the one with more vertices
    assert col(t, "centroid_lat") == pytest.approx([16.465, 16.462, 16.451])
    assert col(t, "centroid_lon") == pytest.approx([107.595, 107.585, 107.59 + 0.01 / 3])
    assert json.loads(col(t, "geometry")[1]) == {"type": "Point", "coordinates": [107.585, 16.462]}
    assert col(t, "tags") == [None, None, '{"river": true}']
    assert col(t, "_row") == [1, 2, 3]


def test_id_property_is_filled_from_the_feature_id():
    parsed = run(GEOJSON, source("geojson", path="wards.geojson"), {"id_property": "code"}, context(FIXTURES))
    assert col(parsed.table, "code") == ["19909", "19918", "19924"]


def test_reads_from_a_url(http_server, tmp_path):
    http_server.script("/wards.geojson", Reply((FIXTURES / "wards.geojson").read_bytes()))
    parsed = run(GEOJSON, source("geojson", url=http_server.url("/wards.geojson")), {}, context(tmp_path))
    assert col(parsed.table, "name") == ["Phú Hội", "Vĩnh Ninh", "Phước Vĩnh"]


def test_a_single_feature_and_a_bare_geometry_are_one_row_each(tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [[[106.6, 11.0], [106.7, 11.0], [106.7, 11.1], [106.6, 11.1], [106.6, 11.0]]],
    }
    (tmp_path / "one.geojson").write_text(
        json.dumps({"type": "Feature", "id": "25741", "properties": {"name": "Phú Cường"}, "geometry": square}),
        encoding="utf-8",
    )
    (tmp_path / "bare.geojson").write_text(json.dumps(square), encoding="utf-8")
    one = run(GEOJSON, source("geojson", path="one.geojson"), {"id_property": "code"}, context(tmp_path)).table
    assert col(one, "code") == ["25741"] and col(one, "name") == ["Phú Cường"]
    assert col(one, "centroid_lat") == pytest.approx([11.05]) and col(one, "geometry_type") == ["Polygon"]
    bare = run(GEOJSON, source("geojson", path="bare.geojson"), {}, context(tmp_path)).table
    assert col(bare, "geometry_type") == ["Polygon"] and col(bare, "centroid_lon") == pytest.approx([106.65])
    assert json.loads(col(bare, "geometry")[0]) == square


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (
            '{"type": "Topology", "objects": {}}',
            "expected GeoJSON (a FeatureCollection, a Feature or a geometry), got Topology",
        ),
        ("[1, 2]", "got something else"),
        ('{"type": "FeatureCollection", "features": [{"type": "Point"}]}', "feature 1 is not a GeoJSON Feature"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            ' "geometry": {"type": "Polygon", "coordinates": []}}]}',
            "feature 1: malformed Polygon geometry",
        ),
    ],
)
def test_an_unreadable_file_names_it(tmp_path, text, words):
    (tmp_path / "bad.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as exc:
        run(GEOJSON, source("geojson", path="bad.geojson"), {}, context(tmp_path))
    assert str(exc.value).startswith(str(tmp_path / "bad.geojson"))
    assert words in str(exc.value)


def test_a_missing_file_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match=r"nowhere\.geojson"):
        run(GEOJSON, source("geojson", path="nowhere.geojson"), {}, context(tmp_path))


@pytest.mark.parametrize(
    "geometry, lat_lon",
    [
        ({"type": "LineString", "coordinates": [[107.0, 16.0], [108.0, 17.0]]}, (16.5, 107.5)),
        ({"type": "MultiPoint", "coordinates": [[107.0, 16.0], [107.0, 16.2], [107.3, 16.1]]}, (16.1, 107.1)),
        (
            {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Point", "coordinates": [100.0, 10.0]},
                    {"type": "Polygon", "coordinates": [[[107, 16], [108, 16], [108, 17], [107, 17], [107, 16]]]},
                ],
            },
            (16.5, 107.5),
        ),
    ],
)
def test_centroid_of_other_geometries(geometry, lat_lon):
    assert geojson.centroid(geometry) == pytest.approx(lat_lon)
