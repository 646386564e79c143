"""open_meteo against a real HTTP server serving Open-Meteo's answer shapes."""

from __future__ import annotations

import json

import pytest

from connectors import open_meteo
from ioc.errors import FetchError, ParseError
from tests.helpers import FIXTURES, Reply, col, context, recorded, run, source

OPEN_METEO = open_meteo.OpenMeteo()

HUE = {"city_lat": 16.4637, "city_lon": 107.5909, "timezone": "Asia/Ho_Chi_Minh"}


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_hourly_arrays_become_one_row_per_hour(http_server, tmp_path):
    http_server.script("/v1/forecast", Reply(fixture("open_meteo_forecast.json")))
    src = source("open_meteo", url=http_server.url("/v1/forecast"))
    parsed = run(OPEN_METEO, src, {}, context(tmp_path, **HUE))
    (req,) = http_server.requests
    assert (req.arg("latitude"), req.arg("longitude"), req.arg("timezone")) == (
        "16.4637",
        "107.5909",
        "Asia/Ho_Chi_Minh",
    )
    assert req.arg("hourly") == "temperature_2m,relative_humidity_2m,precipitation,wind_speed_10m"
    assert (req.arg("past_days"), req.arg("forecast_days")) == ("2", "1")
    t = parsed.table
    assert t.num_rows == 6
    assert t.column_names == [
        "time",
        "temperature_2m",
        "relative_humidity_2m",
        "precipitation",
        "wind_speed_10m",
        "latitude",
        "longitude",
        "_row",
    ]
    assert col(t, "time")[:2] == ["2026-11-20T00:00", "2026-11-20T01:00"]
    assert col(t, "precipitation") == [0.0, 0.3, 1.2, 4.8, 2.1, 0.0]
    assert col(t, "relative_humidity_2m")[3] == 95
    assert set(col(t, "latitude")) == {16.5} and set(col(t, "longitude")) == {107.625}
    assert col(t, "_row") == [1, 2, 3, 4, 5, 6]


def test_air_quality_uses_its_own_variables_and_options(http_server, tmp_path):
    http_server.script("/aq", Reply(fixture("open_meteo_air_quality.json")))
    options = {"endpoint": "air_quality", "base_url": http_server.url("/aq"), "latitude": 16.5, "past_days": 0}
    parsed = run(OPEN_METEO, source("open_meteo"), options, context(tmp_path, **HUE))
    (req,) = http_server.requests
    assert req.arg("hourly") == "pm2_5,pm10,nitrogen_dioxide,sulphur_dioxide,carbon_monoxide,ozone,us_aqi"
    assert (req.arg("latitude"), req.arg("longitude"), req.arg("past_days")) == ("16.5", "107.5909", "0")
    assert col(parsed.table, "pm2_5") == [24.1, 26.3, None, 29.8]
    assert col(parsed.table, "us_aqi") == [76, 81, None, 88]


@pytest.mark.parametrize("status", [200, 400])
def test_an_error_answer_fails_with_its_reason(http_server, tmp_path, status):
    reason = "Parameter 'hourly' is invalid. Cannot initialize WeatherVariable from invalid String value pm25."
    http_server.script("/v1/forecast", Reply({"error": True, "reason": reason}, status))
    src = source("open_meteo", url=http_server.url("/v1/forecast"))
    with pytest.raises(FetchError) as exc:
        run(OPEN_METEO, src, {"hourly": ["pm25"]}, context(tmp_path, **HUE))
    assert str(exc.value).startswith(http_server.url("/v1/forecast?"))
    assert reason in str(exc.value)


@pytest.mark.parametrize(
    "hourly, words",
    [
        (None, "no `hourly.time` array"),
        ({"time": ["2026-11-20T00:00", "2026-11-20T01:00"], "pm10": [3.0]}, "hourly.pm10 has 1 values for 2 times"),
    ],
)
def test_a_broken_hourly_block_is_a_parse_error(http_server, tmp_path, hourly, words):
    http_server.script("/v1/forecast", Reply({"latitude": 16.5, "hourly": hourly}))
    with pytest.raises(ParseError, match=words):
        run(OPEN_METEO, source("open_meteo", url=http_server.url("/v1/forecast")), {}, context(tmp_path, **HUE))


def test_replays_a_recorded_air_quality_answer(http_server, tmp_path):
    doc = json.loads(recorded("open_meteo/frenck_open_meteo_air_quality.json").read_text(encoding="utf-8"))
    http_server.script("/aq", Reply(doc))
    parsed = run(
        OPEN_METEO, source("open_meteo", url=http_server.url("/aq")), {"endpoint": "air_quality"}, context(tmp_path)
    )
    assert parsed.table.num_rows == len(doc["hourly"]["time"])
    assert col(parsed.table, "pm2_5") == doc["hourly"]["pm2_5"]
    assert set(parsed.table.column_names) == set(doc["hourly"]) | {"latitude", "longitude", "_row"}
