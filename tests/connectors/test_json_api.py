"""json_api against a real HTTP server: the three pagination styles, loops, retries, error bodies, secrets, files."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors import json_api
from ioc.config import problems_from
from ioc.errors import FetchError, ParseError
from tests.helpers import FIXTURES, Reply, col, context, run, source

JSON_API = json_api.JsonApi()

FAST = {"backoff": 0.01, "retries": 3}


def api(http_server, path="/items"):
    return source("json_api", url=http_server.url(path))


def test_page_pagination_reads_until_an_empty_page(http_server, tmp_path):
    pages = {1: [{"id": 1}, {"id": 2}], 2: [{"id": 3}], 3: []}
    http_server.script("/items", lambda req: Reply(pages[int(req.arg("p"))]))
    opts = json_api.Options.model_validate(
        {"pagination": {"page": {"param": "p", "size_param": "per_page", "size": 2}}}
    )
    src = api(http_server)
    payloads = JSON_API.fetch(src, opts, context(tmp_path))
    parsed = JSON_API.parse(src, opts, payloads)
    assert [p.part for p in payloads] == ["p0001", "p0002", "p0003"]
    assert [(r.arg("p"), r.arg("per_page")) for r in http_server.requests] == [("1", "2"), ("2", "2"), ("3", "2")]
    assert col(parsed.table, "id") == [1, 2, 3]
    assert col(parsed.table, "_row") == [1, 2, 3]
    assert parsed.notes == []


def test_offset_pagination_stops_at_a_short_page(http_server, tmp_path):
    rows = [{"id": i, "pm25": 10.0 + i} for i in range(5)]

    def answer(req):
        start, limit = int(req.arg("skip")), int(req.arg("take"))
        return Reply({"data": {"items": rows[start : start + limit]}})

    http_server.script("/items", answer)
    options = {
        "record_path": "data.items",
        "pagination": {"offset": {"param": "skip", "limit_param": "take", "limit": 2}},
    }
    parsed = run(JSON_API, api(http_server), options, context(tmp_path))
    assert [r.arg("skip") for r in http_server.requests] == ["0", "2", "4"]
    assert col(parsed.table, "id") == [0, 1, 2, 3, 4]
    assert col(parsed.table, "pm25") == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert col(parsed.table, "_row") == [1, 2, 3, 4, 5]


def test_next_link_follows_relative_and_absolute_links(http_server, tmp_path):
    absolute = http_server.url("/v2/items?cursor=c&size=2")
    pages = {
        None: {"items": [{"id": "a"}], "links": {"next": "items?cursor=b&size=2"}},
        "b": {"items": [{"id": "b"}], "links": {"next": absolute}},
        "c": {"items": [{"id": "c"}], "links": {"next": None}},
    }
    http_server.script("/v2/items", lambda req: Reply(pages[req.arg("cursor")]))
    options = {"record_path": "items", "pagination": {"next_link": "links.next"}, "params": {"size": 2}}
    parsed = run(JSON_API, api(http_server, "/v2/items"), options, context(tmp_path))
    assert col(parsed.table, "id") == ["a", "b", "c"]
    assert [r.arg("cursor") for r in http_server.requests] == [None, "b", "c"]
    # `size` from params is not sent again when the next link carries it already
    assert [r.query["size"] for r in http_server.requests] == [["2"], ["2"], ["2"]]


def test_a_next_link_pointing_back_is_a_loop(http_server, tmp_path):
    pages = {
        None: {"items": [{"id": 1}], "next": "/items?cursor=2"},
        "2": {"items": [{"id": 2}], "next": "/items"},
    }
    http_server.script("/items", lambda req: Reply(pages[req.arg("cursor")]))
    options = {"record_path": "items", "pagination": {"next_link": "next"}}
    with pytest.raises(
        FetchError, match=r"pagination loop at http://127\.0\.0\.1:\d+/items: page 3 was already fetched"
    ):
        run(JSON_API, api(http_server), options, context(tmp_path))
    assert len(http_server.requests) == 2


def test_a_server_ignoring_the_page_parameter_is_a_loop(http_server, tmp_path):
    http_server.script("/items", Reply([{"id": 1}, {"id": 2}]))
    with pytest.raises(FetchError, match=r"pagination loop at .*page=2.*: page 2 repeats the page before it"):
        run(JSON_API, api(http_server), {"pagination": {"page": {}}}, context(tmp_path))
    assert len(http_server.requests) == 2


def test_max_pages_stops_with_a_note(http_server, tmp_path):
    http_server.script("/items", lambda req: Reply([{"page": int(req.arg("page"))}]))
    opts = json_api.Options.model_validate({"pagination": {"page": {"start": 0}}, "max_pages": 3})
    src = api(http_server)
    payloads = JSON_API.fetch(src, opts, context(tmp_path))
    parsed = JSON_API.parse(src, opts, payloads)
    assert len(http_server.requests) == 3
    assert col(parsed.table, "page") == [0, 1, 2]
    assert "note" not in payloads[0].meta
    assert len(parsed.notes) == 1
    assert "max_pages=3" in parsed.notes[0] and "page=2" in parsed.notes[0]


def test_a_500_is_retried_after_a_backoff(http_server, sleeps, tmp_path):
    http_server.script("/items", Reply("boom", 500), Reply("still down", 503), Reply([{"id": 7}]))
    parsed = run(JSON_API, api(http_server), FAST, context(tmp_path, sleeps))
    assert col(parsed.table, "id") == [7]
    assert sleeps == [0.01, 0.02]
    assert len(http_server.requests) == 3


def test_429_waits_as_long_as_retry_after_says(http_server, sleeps, tmp_path):
    http_server.script("/items", Reply({"detail": "slow down"}, 429, {"Retry-After": "2"}), Reply([{"id": 1}]))
    parsed = run(JSON_API, api(http_server), FAST, context(tmp_path, sleeps))
    assert sleeps == [2.0]
    assert parsed.table.num_rows == 1


def test_a_timeout_is_retried_then_fails(http_server, sleeps, tmp_path):
    http_server.script("/items", Reply([{"id": 1}], delay=0.5))
    options = {"timeout": 0.2, "retries": 1, "backoff": 0.01}
    with pytest.raises(FetchError, match=r"127\.0\.0\.1.*/items: no answer within 0\.2 s after 2 attempts"):
        run(JSON_API, api(http_server), options, context(tmp_path, sleeps))
    assert sleeps == [0.01]
    assert len(http_server.requests) == 2


def test_an_error_body_with_status_200_fails_naming_it(http_server, tmp_path):
    body = {"data": None, "error": {"code": "E401", "message": "token hết hạn"}}
    http_server.script("/items", Reply(body))
    options = {"record_path": "data", "error_path": "error"}
    with pytest.raises(FetchError) as exc:
        run(JSON_API, api(http_server), options, context(tmp_path))
    assert http_server.url("/items") in str(exc.value)
    assert "the answer is an error (error: " in str(exc.value)
    assert "token hết hạn" in str(exc.value)


def test_an_empty_error_field_is_not_an_error(http_server, tmp_path):
    http_server.script("/items", Reply({"error": "", "data": [{"id": 1}, {"id": 2}]}))
    parsed = run(JSON_API, api(http_server), {"record_path": "data", "error_path": "error"}, context(tmp_path))
    assert col(parsed.table, "id") == [1, 2]


def test_404_fails_at_once_without_retries(http_server, sleeps, tmp_path):
    http_server.script("/items", Reply({"detail": "no such dataset"}, 404))
    with pytest.raises(FetchError, match=r"/items: HTTP 404 Not Found: .*no such dataset"):
        run(JSON_API, api(http_server), FAST, context(tmp_path, sleeps))
    assert sleeps == []
    assert len(http_server.requests) == 1


def test_secrets_come_from_the_environment_named_in_config(http_server, tmp_path):
    http_server.script("/items", Reply([{"id": 1}]))
    options = {"headers_env": {"X-API-Key": "AIR_API_KEY"}, "params_env": {"token": "AIR_TOKEN"}}
    opts = json_api.Options.model_validate(options)
    ctx = context(tmp_path, env={"AIR_API_KEY": "k-123", "AIR_TOKEN": "t-456"})
    payloads = JSON_API.fetch(api(http_server), opts, ctx)
    (req,) = http_server.requests
    assert req.headers["X-API-Key"] == "k-123"
    assert req.arg("token") == "t-456"
    assert "t-456" not in payloads[0].meta["url"]


def test_a_missing_secret_is_a_clear_error(http_server, tmp_path):
    http_server.script("/items", Reply([{"id": 1}]))
    with pytest.raises(FetchError, match="header X-API-Key: environment variable AIR_API_KEY is not set"):
        run(JSON_API, api(http_server), {"headers_env": {"X-API-Key": "AIR_API_KEY"}}, context(tmp_path))
    assert http_server.requests == []


def test_a_glob_path_reads_each_file_as_a_page(tmp_path):
    src = source("json_api", path="json_api/page_*.json")
    opts = json_api.Options.model_validate({"record_path": "data.items", "error_path": "error"})
    payloads = JSON_API.fetch(src, opts, context(FIXTURES))
    parsed = JSON_API.parse(src, opts, payloads)
    assert [p.part for p in payloads] == ["p0001", "p0002"]
    assert payloads[1].meta["path"].endswith("page_2.json")
    assert col(parsed.table, "station_id") == ["HUE-01", "HUE-02", "HUE-03"]
    assert col(parsed.table, "pm25") == [31.5, 18.0, None]
    assert col(parsed.table, "ward")[0] == '{"code": "19909", "name": "Phú Hội"}'
    assert col(parsed.table, "_row") == [1, 2, 3]


def test_glob_files_are_read_in_natural_order(tmp_path):
    for n in (10, 2, 1):
        (tmp_path / f"page_{n}.json").write_text(f'[{{"n": {n}}}]', encoding="utf-8")
    parsed = run(JSON_API, source("json_api", path="page_*.json"), {}, context(tmp_path))
    assert col(parsed.table, "n") == [1, 2, 10]


def test_a_single_file_path_is_one_payload(tmp_path):
    parsed = run(
        JSON_API, source("json_api", path="json_api/page_2.json"), {"record_path": "data.items"}, context(FIXTURES)
    )
    assert col(parsed.table, "ward") == ['{"code": "19924", "name": "Phước Vĩnh"}']


def test_a_glob_matching_nothing_fails(tmp_path):
    with pytest.raises(FetchError, match=r"json_api/nothing_\*\.json: no file matches"):
        run(JSON_API, source("json_api", path="json_api/nothing_*.json"), {}, context(FIXTURES))


@pytest.mark.parametrize(
    "body, options, words",
    [
        (b"<html>login</html>", {}, "not valid JSON"),
        ({"data": [1]}, {}, "the answer is an object (keys: data), expected a list of records: set record_path"),
        ({"data": [1]}, {"record_path": "rows"}, "record_path rows holds nothing"),
        ({"data": "none"}, {"record_path": "data"}, "record_path data holds a string"),
        ({"data": [1]}, {"record_path": "data"}, "record 1 is not an object: 1"),
    ],
)
def test_unreadable_answers_name_the_url(http_server, tmp_path, body, options, words):
    http_server.script("/items", Reply(body))
    with pytest.raises(ParseError) as exc:
        run(JSON_API, api(http_server), options, context(tmp_path))
    assert str(exc.value).startswith(http_server.url("/items"))
    assert words in str(exc.value)


def test_an_object_at_record_path_is_one_record(http_server, tmp_path):
    http_server.script("/feed", Reply({"status": "ok", "data": {"aqi": 71, "city": {"name": "Huế"}}}))
    parsed = run(JSON_API, api(http_server, "/feed"), {"record_path": "data"}, context(tmp_path))
    assert col(parsed.table, "aqi") == [71]
    assert col(parsed.table, "city") == ['{"name": "Huế"}']


@pytest.mark.parametrize(
    "options, words",
    [
        ({"pagination": {"page": {"parma": "p"}}}, "pagination.page.parma: unknown key"),
        ({"pagination": {"page": {}, "next_link": "next"}}, "give exactly one of page, offset, next_link"),
        (
            {"pagination": {"offset": {"limit": 0}}},
            "pagination.offset.limit: Input should be greater than or equal to 1",
        ),
        ({"pagination": {"page": {"size": 50}}}, "give `size_param` and `size` together"),
        ({"max_pages": "many"}, "max_pages: Input should be a valid integer"),
    ],
)
def test_bad_options_name_the_dotted_key(options, words):
    with pytest.raises(ValidationError) as exc:
        json_api.Options.model_validate(options)
    assert any(words in p for p in problems_from(exc.value)), problems_from(exc.value)


PAGED = {
    "whole numbers, then decimals": [[{"v": 1}, {"v": 2}], [{"v": 2.5}]],
    "numbers, then text": [[{"v": 1}, {"v": 2.0}], [{"v": "n/a"}]],
    "booleans, then text": [[{"v": True}], [{"v": "có"}]],
    "a column first seen on a later page": [[{"a": 1}], [{"a": 2, "b": "x"}]],
    "a column empty on the first page": [[{"v": None}, {"w": 1}], [{"v": 3}]],
    "nested values after numbers": [[{"v": 1}], [{"v": {"k": [1, 2]}}]],
    "an empty page between": [[{"v": 1}], [], [{"v": 2}]],
    "a big whole number, then decimals": [[{"v": 2**53 + 1}], [{"v": 0.5}]],
    "no records at all": [[], []],
}


@pytest.mark.parametrize("case", list(PAGED))
def test_pages_become_the_table_all_their_records_make(case):
    """Pages are turned into rows one at a time (a backfill's ten million records do not fit as dicts), with
    the same columns, types, values and row numbers as all the records at once."""
    from connectors.base import pages_to_table, records_to_table

    pages = PAGED[case]
    read = []

    def page(i):
        def load():
            read.append(i)
            return pages[i]

        return load

    got = pages_to_table([page(i) for i in range(len(pages))])
    want = records_to_table([r for p in pages for r in p])
    assert got.schema == want.schema
    assert got.to_pylist() == want.to_pylist()
    assert len(read) <= 2 * len(pages)  # a page is read again only to write its numbers as text
