"""ckan against a real HTTP server answering datastore_search in CKAN's shapes."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from connectors import ckan
from ioc.errors import FetchError
from tests.helpers import FIXTURES, Reply, col, context, run, source

CKAN = ckan.Ckan()

RESOURCE = "7f3c1c2e-0000-4000-8000-00000000beef"
ACTION = "/api/3/action/datastore_search"
FIELDS = [{"id": "_id", "type": "int"}, {"id": "ma_phuong", "type": "text"}, {"id": "so_ho_so", "type": "numeric"}]
RECORDS = [
    {"_id": i, "ma_phuong": code, "so_ho_so": n, "_full_text": f"'{code}':1"}
    for i, (code, n) in enumerate([("19909", 120), ("19918", 87), ("19924", 45), ("19927", 301), ("19930", 12)], 1)
]


def datastore(req):
    """datastore_search as CKAN 2.10 answers it."""
    offset, limit = int(req.arg("offset")), int(req.arg("limit"))
    return Reply(
        {
            "help": "https://opendata.example.gov.vn/api/3/action/help_show?name=datastore_search",
            "success": True,
            "result": {
                "include_total": True,
                "resource_id": req.arg("resource_id"),
                "fields": FIELDS,
                "records_format": "objects",
                "records": RECORDS[offset : offset + limit],
                "_links": {"start": f"{ACTION}?limit={limit}", "next": f"{ACTION}?offset={offset + limit}"},
                "total": len(RECORDS),
                "total_was_estimated": False,
            },
        }
    )


def test_pages_until_total(http_server, tmp_path):
    http_server.script(ACTION, datastore)
    src = source("ckan", url=http_server.url("/"))
    opts = ckan.Options.model_validate({"resource_id": RESOURCE, "page_size": 2})
    payloads = CKAN.fetch(src, opts, context(tmp_path))
    parsed = CKAN.parse(src, opts, payloads)
    assert [p.part for p in payloads] == ["p0001", "p0002", "p0003"]
    assert [(r.arg("resource_id"), r.arg("limit"), r.arg("offset")) for r in http_server.requests] == [
        (RESOURCE, "2", "0"),
        (RESOURCE, "2", "2"),
        (RESOURCE, "2", "4"),
    ]
    assert parsed.table.column_names == ["_id", "ma_phuong", "so_ho_so", "_row"]
    assert col(parsed.table, "_id") == [1, 2, 3, 4, 5]
    assert col(parsed.table, "ma_phuong") == ["19909", "19918", "19924", "19927", "19930"]
    assert col(parsed.table, "so_ho_so") == [120, 87, 45, 301, 12]
    assert col(parsed.table, "_row") == [1, 2, 3, 4, 5]


def test_an_empty_resource_is_one_empty_page(http_server, tmp_path):
    http_server.script(ACTION, Reply({"success": True, "result": {"records": [], "total": 0, "fields": FIELDS}}))
    parsed = run(CKAN, source("ckan", url=http_server.url()), {"resource_id": RESOURCE}, context(tmp_path))
    assert parsed.table.num_rows == 0
    assert len(http_server.requests) == 1


def test_a_portal_capping_the_page_size_still_reads_everything(http_server, tmp_path):
    def capped(req):
        req.query["limit"] = ["2"]  # the portal's rows_max is 2, whatever was asked
        return datastore(req)

    http_server.script(ACTION, capped)
    parsed = run(
        CKAN, source("ckan", url=http_server.url()), {"resource_id": RESOURCE, "page_size": 100}, context(tmp_path)
    )
    assert [r.arg("offset") for r in http_server.requests] == ["0", "2", "4"]
    assert parsed.table.num_rows == 5


@pytest.mark.parametrize(
    "status, words",
    [
        (200, 'CKAN refused the request: Not found: Resource "7f3c1c2e-0000-4000-8000-00000000beef" was not found.'),
        # real portals answer success: false with the error's HTTP status; the body is quoted in the message
        (404, 'HTTP 404 Not Found: {"help"'),
    ],
)
def test_success_false_fails_with_ckans_message(http_server, tmp_path, status, words):
    body = json.loads((FIXTURES / "ckan_not_found.json").read_text(encoding="utf-8"))
    http_server.script(ACTION, Reply(body, status))
    with pytest.raises(FetchError) as exc:
        run(CKAN, source("ckan", url=http_server.url()), {"resource_id": RESOURCE}, context(tmp_path))
    assert str(exc.value).startswith(http_server.url(ACTION))
    assert words in str(exc.value)
    assert "Not found: Resource" in str(exc.value)
    assert len(http_server.requests) == 1


def test_a_validation_error_shows_its_fields(http_server, tmp_path):
    body = {"success": False, "error": {"__type": "Validation Error", "offset": ["Must be a natural number"]}}
    http_server.script(ACTION, Reply(body))
    with pytest.raises(FetchError, match=r'Validation Error: \{"offset": \["Must be a natural number"\]\}'):
        run(CKAN, source("ckan", url=http_server.url()), {"resource_id": RESOURCE}, context(tmp_path))


def test_resource_id_is_required():
    with pytest.raises(ValidationError, match="resource_id"):
        ckan.Options.model_validate({"page_size": 10})
