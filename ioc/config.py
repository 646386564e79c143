"""The typed configuration model: parsed once from config.yaml, refusing unknown keys."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import operator
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from connectors import REGISTRY
from connectors.base import Connector, on_internet
from ioc.errors import ConfigError
from ioc.model import COLUMN_TYPES, IDENT, RESERVED_TABLES, Column, ConnectorOptions, Identifier, Model, Names, Source
from ioc.outbox import Policy, Receiver
from ioc.sandbox import outside_reads
from ioc.views import Breakdown, Places, Register, Series, View, expand

__all__ = [
    "COLUMN_TYPES",
    "IDENT",
    "RESERVED_TABLES",
    "Column",
    "Config",
    "ConnectorOptions",
    "Model",
    "Names",
    "Source",
    "load_config",
    "parse_config",
    "parse_source",
]


def _source_model(kind: str, conn: Connector) -> type[Source]:
    """The model of a source of one connector kind: the common keys and that connector's typed `options`."""
    return create_model(
        f"{type(conn).__name__}Source",
        __base__=Source,
        __doc__=conn.summary,
        connector=(Literal[kind], Field(description=f"`{kind}`")),  # type: ignore[arg-type]
        options=(
            conn.options_model,
            Field(default_factory=dict, validate_default=True, description=f"Options of `{kind}` (see below)."),
        ),
    )


# the source models by connector kind, and the union the config validates a source against by its `connector`
SOURCE_MODELS: dict[str, type[Source]] = {kind: _source_model(kind, conn) for kind, conn in REGISTRY.items()}
if TYPE_CHECKING:  # to a type checker, any of them is a Source
    AnySource = Source
else:
    AnySource = Annotated[functools.reduce(operator.or_, SOURCE_MODELS.values()), Field(discriminator="connector")]
_SOURCE: TypeAdapter[Source] = TypeAdapter(AnySource)


def parse_source(data: dict[str, Any], name: str = "") -> Source:
    """One source from its config mapping (validated against its connector's model), named `name`."""
    src = _SOURCE.validate_python(data)
    src.name = name
    return src


class City(Model):
    name: Names = Field(description="The city's name, shown in every header.")
    timezone: str = Field("Asia/Ho_Chi_Minh", description="City time: schedules and dates are read in it.")
    locale: Literal["vi", "en"] = Field("vi", description="Default UI language.")
    lat: float = Field(description="Latitude of the city centre (weather and air APIs, maps).")
    lon: float = Field(description="Longitude of the city centre.")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="min_lon, min_lat, max_lon, max_lat of the city, for maps and plausibility checks."
    )

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:  # ZoneInfoNotFoundError or ValueError
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return v

    def now(self) -> dt.datetime:
        """Now in city time, naive (as the warehouse stores city time)."""
        return dt.datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def today(self) -> dt.date:
        """Today's date in the city."""
        return self.now().date()


class Ward(Model):
    code: str = Field(description="Official GSO code of the ward.")
    name: Names = Field(description="The ward's name.")
    lat: float = Field(description="Approximate centroid latitude.")
    lon: float = Field(description="Approximate centroid longitude.")
    population: int | None = Field(None, description="Resident population, for per-capita rates.")
    area_km2: float | None = Field(None, description="Area in km².")


class Indicator(Model):
    code: str = Field(description="Stable code, e.g. ENV_PM25_DAILY.")
    sector: str = Field("", description="Sector code; implied for an indicator declared inside its sector.")
    name: Names = Field(description="Name shown on tiles.")
    unit: str = Field("", description="Unit shown after the value (%, µg/m³, hồ sơ).")
    direction: Literal["higher", "lower"] = Field("higher", description="Which way is better.")
    grain: Literal["day", "week", "month", "quarter", "year"] = Field("month", description="Period of a value.")
    target: float | None = Field(None, description="Annual target (or limit) for every year.")
    targets: dict[int, float] = Field(default_factory=dict, description="Annual target per year, overriding `target`.")
    target_aggregate: Literal["last", "sum", "mean"] = Field(
        "last", description="How a year's values compare to its target: the latest, their sum (flows) or mean."
    )
    sql: str | None = Field(
        None, description="SELECT over the sector tables returning ward_code (NULL = city), period (date), value."
    )
    table: str | None = Field(
        None, description="A table delivering values ready-made (columns code, ward_code, period, value)."
    )
    threshold: float | None = Field(
        None,
        description="Alert threshold of one period's city value (an epidemic threshold, a QCVN limit): past it in "
        "the bad direction (above when lower is better) the status is “Vượt ngưỡng” whatever the target says.",
    )
    ward_threshold: float | None = Field(None, description="The same for each ward's value (default: none).")
    counts: bool = Field(
        False,
        description="Its values count events in every ward (accidents, cases, overdue dossiers): a ward without a "
        "row in a period where other wards have one is 0, coloured and ranked as 0, not missing.",
    )
    headline: bool = Field(False, description="Shown on the overview tile of its sector.")
    mask_below: int | None = Field(
        None,
        ge=2,
        description="Counts of people (Nghị định 13/2023): values from 1 to mask_below − 1 are shown "
        "as “<mask_below” on every page and in every download.",
    )
    description: str = Field("", description="How it is computed, in words.")

    @model_validator(mode="after")
    def _one_way(self) -> Indicator:
        if bool(self.sql) == bool(self.table):
            raise ValueError("give exactly one of `sql` or `table`")
        return self

    def target_for(self, year: int) -> float | None:
        return self.targets.get(year, self.target)

    def threshold_for(self, ward: object) -> float | None:
        """The alert threshold of a ward's value (ward given) or of the city's."""
        return self.ward_threshold if ward else self.threshold


class Sector(Model):
    """A sector declared whole: its sources, indicators and what its page shows (usually a file of its own under
    config/sectors/, named in `sectors`). Adding a sector, or a chart to one, is configuration only."""

    code: Identifier = Field(description="Short code, also the prefix of the sector's tables (env, admin, ...).")
    name: Names = Field(description="Name shown in navigation, on tiles and as the page's title.")
    icon: str = Field("", description="Material icon name for the navigation (optional).")
    page: str | None = Field(
        None,
        description="A page module of its own under pages/ (environment); none = the page built from this declaration.",
    )
    sources: dict[str, AnySource] = Field(default_factory=dict, description="The sector's data sources by name.")
    indicators: list[Indicator] = Field(default_factory=list, description="The sector's indicators.")
    breakdowns: list[Breakdown] = Field(default_factory=list, description="Measures broken down by a column.")
    series: list[Series] = Field(default_factory=list, description="Time series of the sector's own tables.")
    places: list[Places] = Field(default_factory=list, description="Maps of the sector's places.")
    registers: list[Register] = Field(default_factory=list, description="Registers listed in full.")

    # set by the loader: the file the sector was read from, if any
    file: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique_keys(self) -> Sector:
        for kind in ("breakdowns", "series", "places", "registers"):
            keys = [v.key for v in getattr(self, kind)]
            dup = sorted({k for k in keys if keys.count(k) > 1})
            if dup:
                raise ValueError(f"{kind}: keys {dup} are declared twice")
        return self

    @property
    def url(self) -> str:
        """The page's URL path: its own module's name, else its code."""
        return self.page or self.code

    def views(self) -> list[View]:
        return [*self.series, *self.breakdowns, *self.places, *self.registers]

    def categories(self) -> dict[str, str]:
        """The columns the page can be filtered by (what its breakdowns break down by, its series run `by` and its
        maps colour by), each with the table of the first view using it."""
        out: dict[str, str] = {}
        for b in self.breakdowns:
            out.update({d: b.table for d in b.dims if d not in out})
        for x in self.series:
            if x.by:
                out.setdefault(x.by, x.table)
        for p in self.places:
            out.setdefault(p.category, p.table)
        return out

    def view_id(self, view: View) -> str:
        """A view's id across the app (widget keys, URL keys): `<sector>_<key>`."""
        return f"{self.code}_{view.key}"


class Snapshots(Model):
    keep: int = Field(10, ge=1, description="How many snapshots to keep (the current one always stays).")


class Landing(Model):
    keep_days: int | None = Field(None, ge=1, description="Delete landed payloads older than this; none = keep all.")


class Scheduler(Model):
    embedded: bool = Field(False, description="Start the scheduler inside the Streamlit server (once per process).")
    batch_seconds: float = Field(
        5.0, ge=0, description="Sources falling due within this window are ingested into one snapshot."
    )
    ingest_on_start: bool = Field(True, description="Ingest every enabled source when no snapshot exists yet.")


class Maps(Model):
    tile_url: str | None = Field(
        None, description="XYZ tile URL template for a basemap; none = ward polygons on a plain background (offline)."
    )
    wards_geojson: str | None = Field("data/geo/wards.geojson", description="Ward polygons (GeoJSON).")
    wards_table: str | None = Field(
        None,
        description="A source's table whose `ward_code` and `geometry` (GeoJSON text, as the geojson connector "
        "writes it) give the ward polygons at each snapshot, before wards_geojson: a ward it lacks keeps the file's.",
    )


class Analyst(Model):
    sql_timeout_seconds: float = Field(
        30.0, gt=0, description="SQL console and exports: a query running longer is interrupted."
    )
    display_rows: int = Field(
        1000, ge=1, description="Rows shown on screen for a console or explorer result; exports carry every row."
    )
    sql_memory_limit: str | None = Field(
        None,
        description="DuckDB's memory_limit for one console, explorer or export query (2GB, 500MB); default a "
        "quarter of the machine's memory, so one query cannot take the server down.",
    )
    sql_max_concurrent: int = Field(
        4, ge=1, description="Console, explorer and export queries running at once; more wait, then are refused."
    )


class KioskFilters(Model):
    ward: str | None = Field(None, description="Show this ward's values instead of the city's (a ward code).")
    indicators: list[str] = Field(
        default_factory=list, description="Only these indicator codes on the tiles; empty = all of the sector's."
    )
    map: str | None = Field(
        None, description="Indicator drawn on the ward map; none = the sector's headline indicator."
    )


class KioskPanel(Model):
    panel: Literal["overview", "sector", "air"] = Field(
        description="overview: every sector's headline tile; sector: one sector's tiles and map; "
        "air: VN_AQI by station."
    )
    sector: str | None = Field(None, description="Sector code of a `sector` panel (see `sectors`).")
    seconds: float = Field(30.0, ge=1, description="How long the panel stays on the wall.")
    filters: KioskFilters = Field(default_factory=KioskFilters, description="What a `sector` panel shows.")

    @model_validator(mode="after")
    def _sector_given(self) -> KioskPanel:
        if (self.panel == "sector") != bool(self.sector):
            raise ValueError("give `sector` for a sector panel, and only there")
        return self

    @property
    def name(self) -> str:
        """The name `&page=` accepts besides a number: the sector code, else the panel kind."""
        return self.sector or self.panel


class KioskWall(Model):
    panels: list[KioskPanel] = Field(min_length=1, description="The playlist, shown in order and repeated.")
    token_env: str | None = Field(
        None,
        description="An environment variable holding a token the wall's URL must carry (`&token=`). Tokens "
        "issued by `python -m ioc kiosk token NAME` (rotatable) take its place; once accounts exist, a wall "
        "without either does not open.",
    )


class KioskAttention(Model):
    aqi_above: float = Field(
        100, ge=0, description="A station whose latest hourly VN_AQI is over this needs attention."
    )
    off_target: list[Literal["over_limit", "at_risk", "behind", "not_met"]] = Field(
        ["over_limit", "at_risk", "behind", "not_met"],
        description="Indicator statuses listed as off target (none = don't list); indicators past their "
        "`threshold` are always listed.",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: object) -> object:
        if isinstance(data, dict) and "thresholds" in data:
            raise ValueError(
                "`thresholds` moved to the indicators: give the indicator `threshold:` (its city value) and "
                "`ward_threshold:` (each ward's)"
            )
        return data

    stale_sources: bool = Field(True, description="List enabled sources that are late or were never loaded.")
    max_items: int = Field(8, ge=1, description="Items shown on the strip; the rest are counted.")


class Kiosk(Model):
    walls: dict[str, KioskWall] = Field(default_factory=dict, description="Walls by name: `/?kiosk=NAME`.")
    attention: KioskAttention = Field(
        default_factory=KioskAttention, description="The strip of what needs attention now."
    )
    tick_seconds: float = Field(
        1.0,
        gt=0,
        le=30,
        description="How often a wall checks the clock and the snapshot (panel changes land this late at most).",
    )


# ---------------------------------------------------------------- roles and sign-in
RoleName = Literal["public", "leader", "ward_official", "analyst", "operator", "admin"]
ACTIONS = ("export", "sql", "acknowledge", "accept", "rollback")


class Role(Model):
    """What a role may open and do. A person bound to wards (a ward official) reads only their wards' rows,
    and city-wide figures only in the tables of `city_wide`."""

    pages: list[str] = Field(
        default_factory=list,
        description="Pages by their address (overview, alerts, ward, phan-anh, catalog, explorer, sql, operations, "
        "audit) or sector code; `sectors`: every sector's page; `all`: every page.",
    )
    actions: list[str] = Field(
        default_factory=list, description=f"What the role may do: {', '.join(ACTIONS)}; `all`: everything."
    )
    city_wide: list[str] = Field(
        default_factory=list,
        description="For a person bound to wards: the tables whose city-wide figures they read (a table with no "
        "ward column whole; a table with one, its rows of no ward); `all`: every table.",
    )
    personal: list[str] = Field(
        default_factory=list,
        description="Tables whose personal columns (`personal: true`) this role reads in clear, as the unit "
        "handling them; everyone else reads them masked. `all`: every table.",
    )


class Oidc(Model):
    """Sign-in through the city's OpenID Connect provider (Streamlit's `st.login`); secrets from the environment."""

    server_metadata_url: str = Field(description="The provider's /.well-known/openid-configuration address.")
    client_id: str = Field(description="The cockpit's client id at the provider.")
    client_secret_env: str = Field("IOC_OIDC_CLIENT_SECRET", description="Environment variable with the secret.")
    redirect_uri: str = Field(description="The cockpit's own address followed by /oauth2callback.")
    role_claim: str = Field("groups", description="The claim naming the person's role (a name or a list).")
    roles: dict[str, RoleName] = Field(
        default_factory=dict, description="A value of the role claim → the cockpit's role; the first match wins."
    )
    ward_claim: str = Field("wards", description="The claim listing the wards a person is bound to.")
    name_claim: str = Field("email", description="The claim the audit log names a person by.")


class SignIn(Model):
    idle_minutes: float = Field(30, gt=0, description="A session ends after this long without a page run.")
    max_hours: float = Field(12, gt=0, description="A session ends this long after sign-in, whatever happens.")
    address_failures: int = Field(
        20,
        ge=1,
        description="Failed sign-ins from one address within `address_minutes` (to any accounts: password "
        "spraying) after which that address is refused until the oldest of them is that old.",
    )
    address_minutes: float = Field(15, gt=0, description="The window `address_failures` counts in.")
    oidc: Oidc | None = Field(None, description="An OpenID Connect provider; none: built-in accounts only.")


# ---------------------------------------------------------------- alerts, procedures, notifications
Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")  # least to most severe
AQI_BANDS = ("good", "moderate", "poor", "bad", "very_bad", "hazardous")  # ioc.aqi.BANDS' keys, in order
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)\s*$")


def seconds(text: str) -> float:
    """A duration written as 90s, 30m, 2h or 1d, in seconds."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"expected a duration like 30m, 2h or 1d, got {text!r}")
    return float(m.group(1)) * {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[m.group(2)]


Duration = Annotated[str, AfterValidator(lambda v: (seconds(v), v)[1])]


class Condition(Model):
    """When a rule holds: exactly one kind among an indicator's value (`indicator` with `above`, `below`,
    `off_target` or `change_above`), a station's VN_AQI band (`aqi_band`), a late source (`late_periods`)
    or a SQL query returning the offending rows (`sql`)."""

    indicator: str | None = Field(None, description="An indicator's code: its latest whole period is judged.")
    above: float | None = Field(None, description="Holds when the value is over this.")
    below: float | None = Field(None, description="Holds when the value is under this.")
    threshold: bool = Field(
        False, description="Holds when the value is past the indicator's own `threshold` (`ward_threshold` by ward)."
    )
    off_target: bool = Field(False, description="Holds when the indicator is off its own target (its tile's status).")
    change_above: float | None = Field(
        None, description="Holds when the value rose more than this many percent over `periods` periods."
    )
    change_below: float | None = Field(
        None, description="Holds when the value fell more than this many percent (give it positive) over `periods`."
    )
    periods: int = Field(1, ge=1, le=52, description="The periods a change is measured over (1: on the one before).")
    aqi_band: Literal["moderate", "poor", "bad", "very_bad", "hazardous"] | None = Field(
        None, description="Holds at each station whose latest hourly VN_AQI is in this band or worse (poor = kém)."
    )
    late_periods: int | None = Field(
        None, ge=1, description="Holds for each enabled source this many schedule periods late or more."
    )
    source: str | None = Field(None, description="With `late_periods`: only this source (default: every one).")
    sql: str | None = Field(
        None,
        description="A SELECT over the snapshot whose rows are what is wrong, one alert each with `ward_code` when "
        "scoped by ward; columns `value`, `threshold`, `period`, `label` are used when present.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [k for k, on in (("indicator", self.indicator), ("aqi_band", self.aqi_band),
                                 ("late_periods", self.late_periods), ("sql", self.sql)) if on]  # fmt: skip
        if len(kinds) != 1:
            raise ValueError("give exactly one of indicator, aqi_band, late_periods, sql" + (
                f" (got {', '.join(kinds)})" if kinds else ""))  # fmt: skip
        tests = [k for k in ("above", "below", "change_above", "change_below") if getattr(self, k) is not None]
        tests += [k for k in ("threshold", "off_target") if getattr(self, k)]
        if self.indicator and len(tests) != 1:
            raise ValueError("an indicator condition takes exactly one of above, below, threshold, off_target, "
                             "change_above, change_below")  # fmt: skip
        if not self.indicator and tests:
            raise ValueError(f"{tests[0]} goes with `indicator`")
        if self.source and not self.late_periods:
            raise ValueError("`source` goes with `late_periods`")
        return self

    @property
    def kind(self) -> str:
        return "indicator" if self.indicator else "aqi" if self.aqi_band else "late" if self.late_periods else "sql"


class Rule(Model):
    """An alert rule: when its condition holds (for `for` evaluations or that long), an alert opens, once."""

    code: Identifier = Field(description="The rule's code (snake_case), unique; alerts and silences name it.")
    name: Names = Field(description="What the alert is, in the alerts list.")
    sector: str = Field(description="The sector it belongs to: its page shows it.")
    severity: Severity = Field("warning", description="info | warning | critical.")
    condition: Condition = Field(description="When it holds.")
    scope: Literal["city", "wards"] = Field(
        "city", description="city: one alert; wards: one per ward that meets it (indicator values by ward)."
    )
    for_: int | Duration = Field(
        1,
        alias="for",
        description="How many successive evaluations (a number) or how long (30m, 2h) it must hold before it "
        "opens, to ride out one bad reading.",
    )
    message: Names = Field(
        description="The message, with {ward}, {value}, {threshold}, {period}, {name}, {unit} filled in."
    )
    unit: str = Field("", description="The unit responsible (Phòng Tài nguyên và Môi trường).")
    procedure: str | None = Field(None, description="The code of the procedure (`procedures:`) to follow.")
    notify: list[str] = Field(
        default_factory=list, description="Receivers (`receivers:`) told when it opens and resolves, beside "
        "those of its severity (`notifications.by_severity`).",
    )  # fmt: skip
    enabled: bool = Field(True, description="false: not evaluated.")


class Step(Model):
    """One step of a procedure."""

    text: Names = Field(description="What to do.")
    unit: str = Field("", description="Who does it.")
    within: Duration | None = Field(None, description="Expected time from the alert's opening (30m, 2h, 1d).")


class Procedure(Model):
    """A standard operating procedure: the checklist an alert carries."""

    name: Names = Field(description="The procedure's name.")
    steps: list[Step] = Field(min_length=1, description="The steps, in order.")


class Notifications(Model):
    """Who is told of alerts by severity, and how a message links back to the cockpit."""

    by_severity: dict[Severity, list[str]] = Field(
        default_factory=dict, description="Receivers told of every alert of a severity (critical: [duty_mail])."
    )
    link: str = Field(
        "http://localhost:8501",
        description="The cockpit's address as the receivers reach it; a message links to /alerts?id=N under it.",
    )
    policy: Policy = Field(default_factory=Policy, description="How long and how often the outbox tries a message.")
    every_seconds: float = Field(30.0, gt=0, description="How often the embedded scheduler runs the outbox.")


class ApiClient(Model):
    """A system that reads the JSON API (the province's IOC, a ward's own tool): its token from the environment."""

    token_env: str = Field(description="Environment variable holding the client's bearer token.")
    name: str = Field("", description="Who the client is, for the log.")
    wards: list[str] = Field(
        default_factory=list, description="Ward codes the client reads (a ward's own tool); none: the whole city."
    )


class Api(Model):
    """The read API `/api/v1/...` for the province and other systems."""

    clients: dict[str, ApiClient] = Field(
        default_factory=dict, description="Clients by name; none: the API answers no one (401)."
    )
    page_size: int = Field(1000, ge=1, le=100000, description="Rows per page unless a request asks fewer (`limit`).")


class Province(Model):
    """The push of the city's indicator values to the provincial IOC, through the outbox."""

    receiver: str | None = Field(None, description="The receiver (`receivers:`) that is the province's endpoint.")
    format: Literal["json", "ngsi-ld"] = Field(
        "json", description="json: docs/province-api.md; ngsi-ld: NGSI-LD entities for a context broker's upsert."
    )
    city_code: str = Field("718", description="The city's code in the province's systems (GSO code of Thủ Dầu Một).")
    since: dt.date | None = Field(None, description="The first push sends values from this date (default: all).")
    tables: list[str] = Field(
        default_factory=list,
        description="Snapshot tables pushed too, each as its own JSON document of the rows changed since the "
        "last acknowledged push (identified by the `key` of the source writing it; JSON format only).",
    )
    shared_table: str | None = Field(
        None,
        description="The table of what the province shares back (indicator, area, period, kind, value): other "
        "localities' figures and the province's targets, drawn beside the city's on the indicator's trend.",
    )


class Config(Model):
    city: City = Field(description="The city: name, time zone, language, centre.")
    wards: list[Ward] = Field(min_length=1, description="The city's wards.")
    sectors: list[Sector] = Field(
        default_factory=list,
        description="The sectors, in the navigation's order: each a file (config/sectors/"
        "admin.yaml) or a mapping, declaring the sector whole.",
    )
    formats: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named connector options shared by the departments' files (how the city's "
        "office reports are laid out); a source names one with `format`.",
    )
    internet: bool = Field(
        False,
        description="Fetch the sources whose address is on the internet (Open-Meteo, Overpass, a public CKAN). "
        "Off, they are off (skipped by `ingest --all`, shown as off) so the cockpit runs clean on a closed "
        "network; `internet: true` turns them on.",
    )
    data_dir: str = Field(
        "data", description="Where landing/, warehouse/ and ops.sqlite live (IOC_DATA_DIR overrides)."
    )
    sample_path: str = Field(
        "data/sample",
        description="The committed sample files (sources marked `sample`) and their generator. A current copy, "
        "made as of today by `python -m ioc sample` into the data folder's sample/, is read in their place.",
    )
    generate_sample: bool = Field(
        True,
        description="The cockpit (and the embedded scheduler, daily) makes the sample current before ingesting "
        "it, so a fresh clone's sources are not all late; false: the committed files as they are.",
    )
    snapshots: Snapshots = Field(default_factory=Snapshots, description="Snapshot retention.")
    landing: Landing = Field(default_factory=Landing, description="Landing-zone retention.")
    scheduler: Scheduler = Field(default_factory=Scheduler, description="The scheduler.")
    maps: Maps = Field(default_factory=Maps, description="Maps: ward polygons and an optional basemap.")
    analyst: Analyst = Field(default_factory=Analyst, description="The analyst workbench: SQL console and exports.")
    sources: dict[str, AnySource] = Field(
        default_factory=dict,
        description="Data sources by name: those declared here (with `sector`) and, once loaded, every sector's own.",
    )
    indicators: list[Indicator] = Field(
        default_factory=list,
        description="The indicator layer: those declared here (with `sector`) and, once loaded, every sector's own.",
    )
    alerts: list[Rule] = Field(default_factory=list, description="Alert rules, evaluated after every snapshot.")
    procedures: dict[str, Procedure] = Field(default_factory=dict, description="Standard operating procedures.")
    receivers: dict[str, Receiver] = Field(
        default_factory=dict, description="Where notifications go: webhooks and e-mail (secrets from the environment)."
    )
    notifications: Notifications = Field(default_factory=Notifications, description="Alert notifications.")
    province: Province = Field(default_factory=Province, description="The link to the provincial IOC.")
    api: Api = Field(default_factory=Api, description="The read API for the province and other systems.")
    kiosk: Kiosk = Field(default_factory=Kiosk, description="Video-wall playlists and the attention strip.")
    roles: dict[RoleName, Role] = Field(
        default_factory=dict,
        description="What each role may open and do (docs/access.md); a role left out opens only the public pages.",
    )
    sign_in: SignIn = Field(default_factory=SignIn, description="Sign-in and sessions.")

    # set by load_config
    path: Path | None = Field(None, exclude=True)
    _problems: list[str] = PrivateAttr(default_factory=list)  # found while gathering the sectors' parts

    # A field validator, not a model one: the error then names its key (`wards: duplicate codes ...`), and it
    # is reported even when another block of the file is wrong too.
    @field_validator("wards", "indicators", "sectors")
    @classmethod
    def _unique_codes(cls, v: list) -> list:
        codes = [item.code for item in v]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"duplicate codes {sorted(dup)}")
        return v

    @model_validator(mode="after")
    def _gather(self) -> Config:
        """Every sector's sources and indicators joined to the top-level ones (so `sources` and `indicators`
        hold them all); a column's `values_from: wards` given the ward codes."""
        wards = [w.code for w in self.wards]
        for s in self.sectors:
            for name, src in s.sources.items():
                where = f"sectors.{s.code}.sources.{name}"
                if src.sector and src.sector != s.code:
                    self._problems.append(f"{where}.sector: {src.sector!r} inside sector {s.code!r}; leave it out")
                if name in self.sources:
                    self._problems.append(f"{where}: a source named {name!r} is declared twice")
                src.sector = s.code
                self.sources[name] = src
            for i, ind in enumerate(s.indicators):
                if ind.sector and ind.sector != s.code:
                    self._problems.append(
                        f"sectors.{s.code}.indicators.{i}.sector: {ind.sector!r} inside sector {s.code!r}; leave it out"
                    )
                ind.sector = s.code
            self.indicators += s.indicators
        for name, src in self.sources.items():
            if not src.sector:
                self._problems.append(f"sources.{name}.sector: required key is missing")
            for col in src.columns.values():
                if col.values_from == "wards":
                    col.values = list(wards)
        codes = [i.code for i in self.indicators]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            self._problems.append(f"indicators: code {dup!r} is declared twice")
        for i, ind in enumerate(self.indicators):
            if not ind.sector:
                self._problems.append(f"indicators.{i}.sector: required key is missing")
        return self

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, p: str | os.PathLike) -> Path:
        """A path from the config, relative to the config file."""
        p = Path(p)
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def data_path(self) -> Path:
        env = os.environ.get("IOC_DATA_DIR")
        return Path(env).resolve() if env else self.resolve(self.data_dir).resolve()

    def sector(self, code: str) -> Sector | None:
        return next((s for s in self.sectors if s.code == code), None)

    def sector_name(self, code: str, lang: str = "vi") -> str:
        s = self.sector(code)
        return s.name.get(lang) if s else code

    def conditions(self, table: str) -> dict[str, str]:
        """The named conditions on a table's rows (name → SQL), from the sources loading it."""
        out: dict[str, str] = {}
        for src in self.sources.values():
            if src.table == table:
                out.update({n: c.sql for n, c in src.conditions.items()})
        return out

    def condition(self, table: str, name: str) -> str:
        """One condition of a table as SQL (the conditions it names expanded); KeyError when not declared."""
        conditions = self.conditions(table)
        if name not in conditions:
            raise KeyError(f"the table {table} declares no condition {name!r} (sources.NAME.conditions)")
        return expand("{" + name + "}", conditions, table)

    def measure(self, table: str, sql: str) -> str:
        """A declared measure's SQL with the table's conditions filled in."""
        return expand(sql, self.conditions(table), table)

    def column_labels(self, table: str) -> dict[str, Names]:
        """Column → its label, from the sources loading the table (`columns.NAME.label`)."""
        out: dict[str, Names] = {}
        for src in self.sources.values():
            if src.table == table:
                out.update({n: c.label for n, c in src.columns.items() if c.label and n not in out})
        return out

    def value_names(self, table: str, column: str) -> dict[str, str]:
        """A column's values' English names (`columns.NAME.value_names` of the sources loading the table)."""
        out: dict[str, str] = {}
        for src in self.sources.values():
            if src.table == table and column in src.columns:
                out.update(src.columns[column].value_names)
        return out

    def value_name(self, table: str, column: str, value: Any, lang: str) -> Any:
        """A value as `lang` names it: its English name in English where the config gives one, else itself."""
        if lang != "en" or not isinstance(value, str):
            return value
        return self.value_names(table, column).get(value, value)

    def sensitive_tables(self) -> list[str]:
        """Tables of one row per person (`sources.NAME.sensitive`): never shown row by row."""
        return sorted({src.table for src in self.sources.values() if src.sensitive})

    def sensitive_columns(self) -> dict[str, list[str]]:
        """Table → its columns of small counts of people (`columns.NAME.sensitive`)."""
        out: dict[str, list[str]] = {}
        for src in self.sources.values():
            for n, c in src.columns.items():
                if c.sensitive and n not in out.get(src.table, []):
                    out.setdefault(src.table, []).append(n)
        return out

    def personal_columns(self) -> dict[str, list[str]]:
        """Table → its personal columns (`columns.NAME.personal`), from the sources loading it."""
        out: dict[str, list[str]] = {}
        for src in self.sources.values():
            cols = [n for n, c in src.columns.items() if c.personal]
            if cols:
                out.setdefault(src.table, []).extend(c for c in cols if c not in out.get(src.table, []))
        return out

    def ward(self, code: str) -> Ward | None:
        return next((w for w in self.wards if w.code == code), None)

    def sector_names(self, lang: str) -> dict[str, str]:
        """Sector code → its name in `lang`, in the navigation's order."""
        return {s.code: s.name.get(lang) for s in self.sectors}

    def ward_names(self, lang: str) -> dict[str, str]:
        """Ward code → its name in `lang`, in config order."""
        return {w.code: w.name.get(lang) for w in self.wards}


# --------------------------------------------------------------------------- loading


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """--config PATH, else IOC_CONFIG, else ./config.yaml."""
    return _resolved(str(explicit or os.environ.get("IOC_CONFIG") or "config.yaml"), os.getcwd())


@functools.lru_cache(maxsize=64)
def _resolved(path: str, cwd: str) -> Path:
    """A path made absolute, symbolic links followed: once per path and working directory, as a page asks for
    the config's path many times a run (resolving it was a third of a sector page's time)."""
    return Path(cwd, path).resolve()


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "union_tag_not_found": "required key is missing",
}


def _data_path(loc: tuple) -> tuple:
    """A pydantic error location as the path into the document, without the union's tag (`sources.x.csv.options`
    is `sources.x.options`)."""
    return tuple(
        p
        for i, p in enumerate(loc)
        if p not in ("function-after", "function-before") and not (p in SOURCE_MODELS and i >= 2)
    )


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in _data_path(loc)) or "(top)"


def _vocabulary() -> set[str]:
    """Every key a config may use, for suggesting the one meant."""
    words: set[str] = set()

    def walk(model: type[BaseModel], seen: set) -> None:
        for name, f in model.model_fields.items():
            words.add(name)
            for sub in _submodels(f.annotation):
                if sub not in seen:
                    walk(sub, seen | {sub})

    walk(Config, set())
    for conn in REGISTRY.values():
        walk(conn.options_model, set())
    return words


def _did_you_mean(key: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), sorted(_vocabulary()), n=1, cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else ""


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return _MESSAGES[kind] + _did_you_mean(err["loc"][-1])
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"expected one of {expected.replace(' or ', ', ')}, got {err.get('input')!r}"
    if kind == "union_tag_invalid":
        return f"expected one of {', '.join(sorted(REGISTRY))}, got {err.get('ctx', {}).get('tag')!r}"
    msg = err.get("msg", "invalid")
    msg = msg.removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        msg += f", got {err.get('input')!r}"
        if isinstance(err.get("input"), str) and kind in ("int_parsing", "float_parsing", "bool_parsing"):
            msg += " (hint: remove the quotes)"
    return msg


def problems_from(exc: ValidationError, prefix: tuple = ()) -> list[str]:
    out = []
    for e in exc.errors():
        loc = prefix + tuple(e["loc"])
        if e.get("type", "").startswith("union_tag_"):  # the tag is the source's `connector`
            loc += ("connector",)
        out.append(f"{_loc(loc)}: {_describe(e)}")
    return out


def _set_aside(data: dict, errors: Sequence[Any]) -> tuple[dict, list[tuple], dict[tuple, list[int]]]:
    """The document without what the model refused, so the checks across entries can run in the same pass: an
    unknown key removed, any other problem's entry (a source, an indicator, a sector's view) set aside. Returns
    the document, the paths set aside, and per list changed the old number of each entry left."""
    doc = copy.deepcopy(data)
    paths: set[tuple] = set()
    for e in errors:
        path = _data_path(tuple(e["loc"]))
        if e.get("type") != "extra_forbidden":
            path = path[:4] if path[:1] == ("sectors",) and len(path) >= 4 else path[:2]
        if path:
            paths.add(path)
    gone: dict[tuple, set[int]] = {}
    for path in paths:
        parent = _at(doc, path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, list) and isinstance(path[-1], int):
            gone.setdefault(path[:-1], set()).add(path[-1])
    kept: dict[tuple, list[int]] = {}
    for parent_path, numbers in gone.items():  # removed together, so the rest keep their old numbers
        parent = _at(doc, parent_path)
        kept[parent_path] = [i for i in range(len(parent)) if i not in numbers]
        parent[:] = [parent[i] for i in kept[parent_path]]
    return doc, sorted(paths, key=str), kept


def _at(node: Any, path: tuple) -> Any:
    """The node of a document at path, None when there is none."""
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _renumber(problem: str, kept: dict[tuple, list[int]]) -> str:
    """A problem found in the document with entries set aside, with the entries' numbers of the original."""
    for parent, old in kept.items():
        prefix = re.escape(".".join(str(p) for p in parent) + ".")
        m = re.match(rf"{prefix}(\d+)(?=[.:\s]|$)", problem)
        if m and int(m.group(1)) < len(old):
            return f"{problem[: m.start(1)]}{old[int(m.group(1))]}{problem[m.end(1) :]}"
    return problem


def cross_problems(cfg: Config) -> list[str]:
    """What the model alone cannot see: names one part of the config gives that another must declare."""
    problems = []
    sectors = {s.code for s in cfg.sectors}
    codes = {i.code for i in cfg.indicators}
    wards = {w.code for w in cfg.wards}
    writers: dict[str, str] = {}
    tables = {src.table for src in cfg.sources.values()}
    if cfg.maps.wards_table and cfg.maps.wards_table not in tables:
        problems.append(f"maps.wards_table: no source writes table {cfg.maps.wards_table!r}")
    for name, src in cfg.sources.items():
        if src.table in writers:
            problems.append(
                f"sources.{name}.table: {src.table!r} is written by source {writers[src.table]} too; "
                "one table has one source (give each its own table)"
            )
        writers.setdefault(src.table, name)
        if REGISTRY[src.connector].needs_location and not src.location:
            problems.append(f"sources.{name}: give `path` or `url`")
        if sectors and src.sector and src.sector not in sectors:
            problems.append(f"sources.{name}.sector: unknown sector {src.sector!r} (see `sectors`)")
        for col, spec in src.columns.items():
            if spec.type == "timestamp" and re.search(r"(^|_)utc($|_)", col) and not spec.timezone:
                problems.append(
                    f"sources.{name}.columns.{col}: named for UTC, so its plain times must not be taken as city "
                    "time: declare `timezone: UTC` (they are then stored in city time)"
                )
        if src.transform:
            refused = outside_reads(src.transform)
            if refused:
                problems.append(
                    f"sources.{name}.transform: reads only `raw` and the snapshot's tables; this reads "
                    + ", ".join(refused)
                )
        for k in src.key:
            if src.columns and k not in src.columns:
                problems.append(f"sources.{name}.key: {k!r} is not a declared column")
    for i, ind in enumerate(cfg.indicators):
        if sectors and ind.sector and ind.sector not in sectors:
            problems.append(f"indicators.{i}.sector: unknown sector {ind.sector!r} (see `sectors`)")
    problems += _alert_problems(cfg, sectors, codes)
    problems += _role_problems(cfg, sectors)
    problems += _sensitive_problems(cfg)
    for name, wall in cfg.kiosk.walls.items():
        for i, p in enumerate(wall.panels):
            where = f"kiosk.walls.{name}.panels.{i}"
            if p.sector and p.sector not in sectors:
                problems.append(f"{where}.sector: unknown sector {p.sector!r}")
            for code in [*p.filters.indicators, *([p.filters.map] if p.filters.map else [])]:
                if code not in codes:
                    problems.append(f"{where}.filters: unknown indicator {code!r}")
            if p.filters.ward and p.filters.ward not in wards:
                problems.append(f"{where}.filters.ward: unknown ward {p.filters.ward!r}")
    return problems


def _sensitive_problems(cfg: Config) -> list[str]:
    """A register of people (`sensitive`) is read only by indicators that mask its small counts."""
    problems = []
    for table in cfg.sensitive_tables():
        for s in cfg.sectors:
            for kind in ("breakdowns", "series", "places", "registers"):
                for i, part in enumerate(getattr(s, kind)):
                    if part.table == table:
                        problems.append(
                            f"sectors.{s.code}.{kind}.{i}.table: {table!r} is a register of people (`sensitive`): "
                            "a page shows it only through indicators with `mask_below`"
                        )
        for i, ind in enumerate(cfg.indicators):
            reads = ind.table == table or bool(ind.sql and re.search(rf"\b{re.escape(table)}\b", ind.sql))
            if reads and not ind.mask_below:
                problems.append(
                    f"indicators.{i}: {ind.code} reads {table!r}, a register of people (`sensitive`): "
                    "declare `mask_below: 5`"
                )
    return problems


def _role_problems(cfg: Config, sectors: set[str]) -> list[str]:
    """Pages, actions and tables the roles name that do not exist."""
    from ioc.access import APP_PAGES

    problems = []
    tables = {src.table for src in cfg.sources.values()} | set(RESERVED_TABLES)
    for name, role in cfg.roles.items():
        for i, page in enumerate(role.pages):
            if page not in {*APP_PAGES, *sectors, "sectors", "all"}:
                problems.append(f"roles.{name}.pages.{i}: unknown page {page!r} ({', '.join(APP_PAGES)}, a sector)")
        for i, action in enumerate(role.actions):
            if action not in {*ACTIONS, "all"}:
                problems.append(f"roles.{name}.actions.{i}: unknown action {action!r} ({', '.join(ACTIONS)})")
        for key in ("city_wide", "personal"):
            for i, table in enumerate(getattr(role, key)):
                if table != "all" and table not in tables:
                    problems.append(f"roles.{name}.{key}.{i}: no source writes table {table!r}")
    if "public" in cfg.roles and {"sql", "export"} & set(cfg.roles["public"].actions):
        problems.append("roles.public.actions: the public (no sign-in) may not run SQL or export")
    return problems


def _alert_problems(cfg: Config, sectors: set[str], codes: set[str]) -> list[str]:
    """Names the alert rules, notifications and the province link give that the config must declare."""
    problems = []
    seen: set[str] = set()
    for i, rule in enumerate(cfg.alerts):
        where = f"alerts.{i}"
        if rule.code in seen:
            problems.append(f"{where}.code: {rule.code!r} is declared twice")
        seen.add(rule.code)
        if sectors and rule.sector not in sectors:
            problems.append(f"{where}.sector: unknown sector {rule.sector!r} (see `sectors`)")
        c = rule.condition
        if c.indicator and c.indicator not in codes:
            problems.append(f"{where}.condition.indicator: unknown indicator {c.indicator!r}")
        ind = next((x for x in cfg.indicators if x.code == c.indicator), None)
        if ind and c.threshold and (ind.ward_threshold if rule.scope == "wards" else ind.threshold) is None:
            key = "ward_threshold" if rule.scope == "wards" else "threshold"
            problems.append(f"{where}.condition.threshold: indicator {ind.code} has no `{key}`")
        if c.source and c.source not in cfg.sources:
            problems.append(f"{where}.condition.source: unknown source {c.source!r}")
        if rule.scope == "wards" and c.kind in ("aqi", "late"):
            problems.append(f"{where}.scope: a {c.kind} condition is one alert per station or source; use city")
        if rule.procedure and rule.procedure not in cfg.procedures:
            problems.append(f"{where}.procedure: unknown procedure {rule.procedure!r} (see `procedures`)")
        for j, name in enumerate(rule.notify):
            if name not in cfg.receivers:
                problems.append(f"{where}.notify.{j}: unknown receiver {name!r} (see `receivers`)")
    for sev, names in cfg.notifications.by_severity.items():
        for j, name in enumerate(names):
            if name not in cfg.receivers:
                problems.append(f"notifications.by_severity.{sev}.{j}: unknown receiver {name!r} (see `receivers`)")
    for i, table in enumerate(cfg.province.tables):
        writer = next(((n, src) for n, src in cfg.sources.items() if src.table == table), None)
        if writer is None:
            problems.append(f"province.tables.{i}: no source writes table {table!r}")
        elif not writer[1].key:
            problems.append(f"province.tables.{i}: its source {writer[0]!r} has no `key` to tell its rows apart")
    if cfg.province.tables and cfg.province.format != "json":
        problems.append("province.tables: tables are pushed as JSON documents; use format: json")
    shared = cfg.province.shared_table
    if shared and shared not in {src.table for src in cfg.sources.values()}:
        problems.append(f"province.shared_table: no source writes table {shared!r}")
    if cfg.province.receiver and cfg.province.receiver not in cfg.receivers:
        problems.append(f"province.receiver: unknown receiver {cfg.province.receiver!r} (see `receivers`)")
    return problems


def _read_yaml(path: Path, missing: str = "pass --config PATH or set IOC_CONFIG") -> Any:
    """A YAML file's document; ConfigError naming the file and line when it cannot be read."""
    if not path.exists():
        raise ConfigError(str(path), [f"(file): not found; {missing}"])
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(str(path), [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc


def _include_sectors(data: dict, base: Path) -> tuple[list[str], list[str | None]]:
    """Replace each `sectors` entry that is a file name by the file's mapping (in place). Returns the problems
    and, per entry, the file it came from."""
    problems: list[str] = []
    files: list[str | None] = []
    entries = data.get("sectors")
    if not isinstance(entries, list):
        return problems, files
    for i, entry in enumerate(entries):
        files.append(entry if isinstance(entry, str) else None)
        if not isinstance(entry, str):
            continue
        path = Path(entry) if Path(entry).is_absolute() else base / entry
        try:
            doc = _read_yaml(path, f"paths in `sectors` are relative to the config file ({base})")
        except ConfigError as exc:
            problems += [f"sectors.{i} ({entry}): {p}" for p in exc.problems]
            doc = None
        if not isinstance(doc, dict):
            if doc is not None:
                problems.append(f"sectors.{i} ({entry}): expected a mapping of keys")
            doc = {"code": f"_unreadable_{i}", "name": {"vi": entry}}
        entries[i] = doc
    return problems, files


def _apply_formats(data: dict) -> list[str]:
    """Start each source's `options` from the entry of `formats` it names (in place); its own options win."""
    formats: dict = data["formats"] if isinstance(data.get("formats"), dict) else {}
    problems: list[str] = []
    places = [("sources", data.get("sources"))]
    places += [
        (f"sectors.{i}.sources", s.get("sources"))
        for i, s in enumerate(data.get("sectors") or [])
        if isinstance(s, dict)
    ]
    for where, sources in places:
        for name, raw in (sources or {}).items() if isinstance(sources, dict) else ():
            if not isinstance(raw, dict) or raw.get("format") is None:
                continue
            fmt = formats.get(raw["format"])
            if not isinstance(fmt, dict):
                known = ", ".join(sorted(formats)) or "none"
                problems.append(f"{where}.{name}.format: unknown format {raw['format']!r} (see `formats`: {known})")
                continue
            raw["options"] = {**fmt, **(raw.get("options") or {})}
    return problems


def _name_sectors(problems: list[str], data: dict, files: list[str | None]) -> list[str]:
    """Problems inside a sector named by its code rather than its place in the list (`sectors.admin.` for
    `sectors.1.`), with the file it was read from."""
    entries: list = data["sectors"] if isinstance(data.get("sectors"), list) else []
    codes = [e.get("code") if isinstance(e, dict) and isinstance(e.get("code"), str) else None for e in entries]
    out = []
    for p in problems:
        m = re.match(r"sectors\.(\w+)\b(.*)", p)
        i = None
        if m and m.group(1).isdigit() and int(m.group(1)) < len(entries):
            i = int(m.group(1))
        elif m and m.group(1) in codes:
            i = codes.index(m.group(1))
        if m and i is not None:
            code = codes[i]
            label = code if code and not code.startswith("_unreadable_") else str(i)
            p = f"sectors.{label}{m.group(2)}"
            if i < len(files) and files[i] and f"({files[i]})" not in p:
                p += f" (in {files[i]})"
        out.append(p)
    return out


def _all_problems(data: dict, exc: ValidationError) -> list[str]:
    """The model's problems and, in the same pass, those across entries among the rest of the document (what
    refers to an entry set aside is left out: its own problem is already listed)."""
    problems = problems_from(exc)
    doc, aside, kept = _set_aside(data, exc.errors())
    try:
        rest = Config.model_validate(doc)
    except ValidationError:  # what is left still does not stand alone: the model's problems are the news
        return problems
    names = {str(p[-1]) for p in aside if len(p) in (2, 4)}
    for p in aside:
        node = _at(data, p)
        if isinstance(node, dict):
            names |= {str(node[k]) for k in ("table", "code") if isinstance(node.get(k), str)}
    prefixes = tuple(".".join(str(x) for x in p) for p in aside)
    for problem in rest._problems + cross_problems(rest) + view_problems(rest):
        problem = _renumber(problem, kept)
        if problem.startswith(prefixes) or any(repr(n) in problem for n in names):
            continue
        problems.append(problem)
    return problems


def view_problems(cfg: Config) -> list[str]:
    """A sector's views against the tables and columns its sources declare."""
    problems = []
    tables = {src.table: src for src in cfg.sources.values()}
    declared = {t: {c for s in cfg.sources.values() if s.table == t for c in s.columns} for t in tables}
    for sector in cfg.sectors:
        for kind in ("series", "breakdowns", "places", "registers"):
            for i, view in enumerate(getattr(sector, kind)):
                where = f"sectors.{sector.code}.{kind}.{i}"
                if view.table not in tables:
                    problems.append(f"{where}.table: no source loads {view.table!r}")
                    continue
                cols = declared[view.table]
                named = {"dims": getattr(view, "dims", []), "columns": getattr(view, "columns", [])}
                for key in ("date", "by", "category", "name", "order", "detail"):
                    if isinstance(getattr(view, key, None), str):
                        named[key] = [getattr(view, key)]
                for key, names in named.items():
                    for c in names:
                        if cols and c not in cols and c not in ("ward_code", "geometry"):
                            problems.append(f"{where}.{key}: {c!r} is not a declared column of {view.table}")
                sqls = [("measure", getattr(view, "measure", None))]
                sqls += [(f"measures.{j}.sql", m.sql) for j, m in enumerate(getattr(view, "measures", []))]
                for key, sql in sqls:
                    if sql:
                        try:
                            cfg.measure(view.table, sql)
                        except ValueError as exc:
                            problems.append(f"{where}.{key}: {str(exc).split(': ', 1)[1]}")
                threshold = getattr(view, "threshold", None)
                by_code = {ind.code: ind for ind in cfg.indicators}
                if threshold and threshold not in by_code:
                    problems.append(f"{where}.threshold: unknown indicator {threshold!r}")
                elif threshold and by_code[threshold].threshold is None and by_code[threshold].ward_threshold is None:
                    problems.append(f"{where}.threshold: indicator {threshold} declares no `threshold` to draw")
    return problems


def parse_config(data: Any, path: Path | None = None) -> Config:
    """Validate a loaded YAML document (its sector files read from beside it); raise ConfigError listing every
    problem by dotted key."""
    where = str(path) if path else "config"
    if not isinstance(data, dict):
        raise ConfigError(where, ["(top): expected a mapping of keys"])
    data = copy.deepcopy(data)
    problems, files = _include_sectors(data, path.parent if path else Path.cwd())
    problems += _apply_formats(data)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(where, _name_sectors(problems + _all_problems(data, exc), data, files)) from None
    if not problems:  # a sector file that could not be read would make every name it declares unknown
        problems += cfg._problems + cross_problems(cfg) + view_problems(cfg)
    if problems:
        raise ConfigError(where, _name_sectors(problems, data, files))
    cfg.path = path
    for sector, file in zip(cfg.sectors, files):
        sector.file = file
        sector.breakdowns = [
            b.model_copy(update={"measure": cfg.measure(b.table, b.measure)}) for b in sector.breakdowns
        ]
        sector.series = [
            x.model_copy(
                update={"measures": [m.model_copy(update={"sql": cfg.measure(x.table, m.sql)}) for m in x.measures]}
            )
            for x in sector.series
        ]
    for name, src in cfg.sources.items():
        src.name = name
        if src.enabled and not cfg.internet and on_internet(REGISTRY[src.connector].address(src, src.options)):
            src.enabled = False
            src.off_reason = "its address is on the internet and `internet: false`; `internet: true` turns it on"
    return cfg


def config_document(explicit: str | os.PathLike | None = None) -> dict:
    """The config file's document with its sector files read in (each `sectors` entry a mapping): a whole
    document a tool can change and write elsewhere (paths in it stay relative to the original file)."""
    path = config_path(explicit)
    data = _read_yaml(path)
    problems, _ = _include_sectors(data, path.parent)
    if problems:
        raise ConfigError(str(path), problems)
    return data


def document_sources(doc: dict) -> dict[str, dict]:
    """Every source mapping of a config document by name, top-level and inside its sectors (the mappings
    themselves: changing one changes the document)."""
    out = dict(doc.get("sources") or {})
    for sector in doc.get("sectors") or []:
        if isinstance(sector, dict):
            out.update(sector.get("sources") or {})
    return out


def load_config(explicit: str | os.PathLike | None = None) -> Config:
    path = config_path(explicit)
    return parse_config(_read_yaml(path), path)


def config_reference() -> str:
    """Markdown reference of every config key, generated from the models' help texts."""
    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str, seen: set) -> None:
        for fname, f in model.model_fields.items():
            if f.exclude:
                continue
            ann = f.annotation
            key = f"{prefix}{fname}"
            default = "" if f.is_required() else _fmt_default(f)
            out.append(f"| `{key}` | {_fmt_type(ann)} | {default} | {f.description or ''} |")
            for sub in _submodels(ann):
                if sub not in seen:
                    suffix = ".NAME." if _is_mapping(ann) else ("[]." if _is_list(ann) else ".")
                    walk(sub, key + suffix, seen | {sub})

    out.append("| key | type | default | meaning |\n| --- | --- | --- | --- |")
    walk(Config, "", set())
    for kind in sorted(REGISTRY):
        opts = REGISTRY[kind].options_model
        out.append(f"\n### Connector `{kind}`\n\n{REGISTRY[kind].summary}\n")
        if opts.model_fields:
            out.append("| option | type | default | meaning |\n| --- | --- | --- | --- |")
            walk(opts, "options.", set())
        else:
            out.append("No options.")
    return "\n".join(out)


def _is_mapping(ann: Any) -> bool:
    return getattr(ann, "__origin__", None) is dict


def _is_list(ann: Any) -> bool:
    return getattr(ann, "__origin__", None) is list


def _submodels(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, Source):
        return [Source]  # the keys every kind shares; each connector's options follow in a section of its own
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out = []
    for a in getattr(ann, "__args__", ()) or ():
        out += _submodels(a)
    return list(dict.fromkeys(out))


def _fmt_type(ann: Any) -> str:
    s = getattr(ann, "__name__", None) if isinstance(ann, type) else None
    s = s or str(ann).replace("typing.", "")
    s = re.sub(r"Annotated\[Union\[[^\]]*\], [^\]]*\)\]", "Source", s)  # a source of any connector
    s = re.sub(r"\b(?:ioc\.\w+|connectors\.\w+)\.", "", s)
    return s.replace("|", "\\|")


def _fmt_default(f: Any) -> str:
    if f.default_factory is not None:
        try:
            v = f.default_factory()
        except TypeError:
            return ""
        return "" if isinstance(v, BaseModel) else f"`{v!r}`"
    return f"`{f.default!r}`" if f.default is not None else ""
