"""overpass against a real HTTP server serving Overpass API answers."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from connectors import overpass
from ioc.errors import FetchError
from tests.helpers import FIXTURES, Reply, col, context, recorded, run, source

OVERPASS = overpass.Overpass()

QUERY = '[out:json][timeout:25];\nnwr["amenity"~"hospital|marketplace|school"](16.40,107.52,16.52,107.65);\nout center;'


def answer(name):
    return Reply((FIXTURES / name).read_bytes())


def test_nodes_and_ways_with_center_become_rows(http_server, tmp_path):
    http_server.script("/api/interpreter", answer("overpass_pois.json"))
    src = source("overpass", url=http_server.url("/api/interpreter"))
    parsed = run(OVERPASS, src, {"query": QUERY, "tags": ["amenity", "name:en", "opening_hours"]}, context(tmp_path))
    (req,) = http_server.requests
    assert req.method == "POST"
    assert req.form() == {"data": [QUERY]}
    t = parsed.table
    assert t.column_names == [
        "osm_type",
        "osm_id",
        "lat",
        "lon",
        "name",
        "amenity",
        "name_en",
        "opening_hours",
        "tags",
        "_row",
    ]
    assert col(t, "osm_type") == ["node", "way", "relation"]
    assert col(t, "osm_id") == [2457112345, 187654321, 9876543]
    assert col(t, "lat") == [16.4637, 16.4711, None]
    assert col(t, "lon") == [107.5909, 107.5862, None]
    assert col(t, "name") == ["Bệnh viện Trung ương Huế", "Chợ Đông Ba", "Trường THPT Quốc Học"]
    assert col(t, "name_en") == ["Hue Central Hospital", None, None]
    assert col(t, "opening_hours") == [None, "05:00-19:00", None]
    assert json.loads(col(t, "tags")[1]) == {
        "amenity": "marketplace",
        "name": "Chợ Đông Ba",
        "opening_hours": "05:00-19:00",
    }
    assert col(t, "_row") == [1, 3, 4]
    assert parsed.dropped == 1


def test_the_default_endpoint_can_be_replaced(http_server, tmp_path):
    http_server.script("/interpreter", answer("overpass_pois.json"))
    parsed = run(
        OVERPASS, source("overpass"), {"query": QUERY, "endpoint": http_server.url("/interpreter")}, context(tmp_path)
    )
    assert col(parsed.table, "healthcare") == ["hospital", None, None]
    assert col(parsed.table, "addr_street") == ["Lê Lợi", None, None]


@pytest.mark.parametrize(
    "body, line",
    [
        (lambda: (FIXTURES / "overpass_runtime_error.json").read_bytes(), 3),
        (lambda: recorded("overpass/overpy_remark-runtime-error-01.json").read_bytes(), 4),
    ],
    ids=["fixture", "recorded"],
)
def test_a_runtime_error_remark_fails(http_server, tmp_path, body, line):
    http_server.script("/api/interpreter", Reply(body()))
    src = source("overpass", url=http_server.url("/api/interpreter"))
    with pytest.raises(
        FetchError, match=rf'/api/interpreter: Overpass: runtime error: Query timed out in "query" at line {line}'
    ):
        run(OVERPASS, src, {"query": QUERY}, context(tmp_path))


def test_another_remark_is_a_note(http_server, tmp_path):
    body = {"elements": [], "remark": "runtime remark: Timeout while resolving areas."}
    http_server.script("/api/interpreter", Reply(body))
    parsed = run(
        OVERPASS, source("overpass", url=http_server.url("/api/interpreter")), {"query": QUERY}, context(tmp_path)
    )
    assert parsed.notes == ["Overpass: runtime remark: Timeout while resolving areas."]
    assert parsed.table.num_rows == 0
    assert "lat" in parsed.table.column_names


@pytest.mark.parametrize(
    "options, words",
    [
        ({"query": "node(1);out;"}, "start it with [out:json]"),
        ({"query": QUERY, "tags": ["name"]}, "tag 'name' would become column 'name'"),
        ({"query": QUERY, "tags": ["name:en", "name_en"]}, "tag 'name_en' would become column 'name_en'"),
    ],
)
def test_bad_options(options, words):
    with pytest.raises(ValidationError) as exc:
        overpass.Options.model_validate(options)
    assert words in str(exc.value)


@pytest.mark.parametrize(
    "name, ids, lats, dropped",
    [
        ("overpy_way-02.json", [317146077], [None], 6),  # a way without `out center`: no point
        ("overpy_node-01.json", [100793192], [50.7468472], 2),
    ],
)
def test_replays_recorded_answers(http_server, tmp_path, name, ids, lats, dropped):
    http_server.script("/api/interpreter", Reply(recorded(f"overpass/{name}").read_bytes()))
    parsed = run(
        OVERPASS, source("overpass", url=http_server.url("/api/interpreter")), {"query": QUERY}, context(tmp_path)
    )
    assert col(parsed.table, "osm_id") == ids
    assert col(parsed.table, "lat") == lats
    assert parsed.dropped == dropped
