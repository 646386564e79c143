"""Hourly weather or air quality at the city (or a given point) from the Open-Meteo API, no key needed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.base import Connector, FetchContext, HttpOptions, Parsed, Payload, http_get, records_to_table
from connectors.json_api import load_json, where, with_params
from ioc.errors import FetchError, ParseError
from ioc.model import Source

BASE_URLS = {
    "forecast": "https://api.open-meteo.com/v1/forecast",
    "air_quality": "https://air-quality-api.open-meteo.com/v1/air-quality",
}
HOURLY = {
    "forecast": ["temperature_2m", "relative_humidity_2m", "precipitation", "wind_speed_10m"],
    "air_quality": ["pm2_5", "pm10", "nitrogen_dioxide", "sulphur_dioxide", "carbon_monoxide", "ozone", "us_aqi"],
}


class Options(HttpOptions):
    endpoint: Literal["forecast", "air_quality"] = Field(
        "forecast", description="Weather (`forecast`) or `air_quality`."
    )
    base_url: str | None = Field(
        None, description="API address; none = Open-Meteo's own for the endpoint. The source's `url` wins over it."
    )
    hourly: list[str] | None = Field(
        None,
        min_length=1,
        description="Hourly variables; none = " + "; ".join(f"{e}: {', '.join(v)}" for e, v in HOURLY.items()) + ".",
    )
    past_days: int = Field(2, ge=0, description="Days before today to include (fills gaps after an outage).")
    forecast_days: int = Field(1, ge=0, description="Days from today on to include (today counts).")
    latitude: float | None = Field(None, ge=-90, le=90, description="Latitude; none = the city's `lat`.")
    longitude: float | None = Field(None, ge=-180, le=180, description="Longitude; none = the city's `lon`.")
    timezone: str | None = Field(None, description="Time zone of the `time` column; none = the city's.")


def _hours(loc: Any, payload: Payload) -> list[dict]:
    hourly = loc.get("hourly") if isinstance(loc, dict) else None
    times = hourly.get("time") if isinstance(hourly, dict) else None
    if not isinstance(hourly, dict) or not isinstance(times, list):
        raise ParseError(f"{where(payload)}: no `hourly.time` array in the answer")
    variables = [k for k in hourly if k != "time"]
    for var in variables:
        values = hourly[var]
        if not isinstance(values, list) or len(values) != len(times):
            n = len(values) if isinstance(values, list) else "no"
            raise ParseError(f"{where(payload)}: hourly.{var} has {n} values for {len(times)} times")
    point = {"latitude": loc.get("latitude"), "longitude": loc.get("longitude")}
    return [{"time": t, **{v: hourly[v][i] for v in variables}, **point} for i, t in enumerate(times)]


class OpenMeteo(Connector):
    """Hourly weather or air quality at the city (or a given point) from the Open-Meteo API, no key needed."""

    kind = "open_meteo"
    options_model = Options
    needs_location = False

    def address(self, src: Source, opts: Options) -> str:
        return src.url or opts.base_url or BASE_URLS[opts.endpoint]

    def fetch(self, src: Source, opts: Options, ctx: FetchContext) -> list[Payload]:
        """The one JSON answer; raise FetchError on HTTP failure or an `error: true` answer (with its reason)."""
        url = self.address(src, opts)
        params = {
            "latitude": ctx.city_lat if opts.latitude is None else opts.latitude,
            "longitude": ctx.city_lon if opts.longitude is None else opts.longitude,
            "hourly": ",".join(opts.hourly or HOURLY[opts.endpoint]),
            "past_days": opts.past_days,
            "forecast_days": opts.forecast_days,
            "timezone": opts.timezone or ctx.timezone,
        }
        name = with_params(url, params)
        resp = http_get(name, opts, ctx)
        payload = Payload(resp.content, "json", meta={"url": name, "status": resp.status_code})
        doc = load_json(payload)
        if isinstance(doc, dict) and doc.get("error"):
            raise FetchError(f"{name}: Open-Meteo refused the request: {doc.get('reason', 'no reason given')}")
        return [payload]

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        """One row per hour: `time` (ISO text in the requested zone), one column per variable, latitude, longitude.

        Raises ParseError naming the URL when the `hourly` block is missing or its arrays differ in length.
        """
        records: list[dict] = []
        for payload in payloads:
            doc = load_json(payload)
            # several coordinates in one request answer with a list of locations
            for loc in doc if isinstance(doc, list) else [doc]:
                records += _hours(loc, payload)
        return Parsed(records_to_table(records))
