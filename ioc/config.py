"""The typed configuration model: parsed once from config.yaml, refusing unknown keys."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ioc.errors import ConfigError

COLUMN_TYPES = ("text", "integer", "double", "date", "timestamp", "boolean")
IDENT = r"^[a-z_][a-z0-9_]*$"
RESERVED_TABLES = {"dim_ward", "indicator", "indicator_value"}  # and every name starting with "_"


class Model(BaseModel):
    """Base for every config block: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ConnectorOptions(Model):
    """Base for each connector's `options` block (declared in the connector module)."""


class Names(Model):
    vi: str = Field(description="Vietnamese name.")
    en: str = Field("", description="English name (falls back to Vietnamese).")


class City(Model):
    name: Names = Field(description="The city's name, shown in every header.")
    timezone: str = Field("Asia/Ho_Chi_Minh", description="City time: schedules and dates are read in it.")
    locale: Literal["vi", "en"] = Field("vi", description="Default UI language.")
    lat: float = Field(description="Latitude of the city centre (weather and air APIs, maps).")
    lon: float = Field(description="Longitude of the city centre.")
    bbox: Optional[tuple[float, float, float, float]] = Field(
        None, description="min_lon, min_lat, max_lon, max_lat of the city, for maps and plausibility checks."
    )

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception as exc:  # ZoneInfoNotFoundError or ValueError
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return v


class Ward(Model):
    code: str = Field(description="Official GSO code of the ward.")
    name_vi: str = Field(description="Vietnamese name.")
    name_en: str = Field("", description="English name (without diacritics if none is given).")
    lat: float = Field(description="Approximate centroid latitude.")
    lon: float = Field(description="Approximate centroid longitude.")
    population: Optional[int] = Field(None, description="Resident population, for per-capita rates.")
    area_km2: Optional[float] = Field(None, description="Area in km².")


class Column(Model):
    type: Literal["text", "integer", "double", "date", "timestamp", "boolean"] = Field(
        "text", description="Type the value must cast to; a value that does not is a reject."
    )
    required: bool = Field(False, description="An empty value is a reject; a payload without the column fails.")
    min: Optional[float] = Field(None, description="Smallest allowed value (numbers).")
    max: Optional[float] = Field(None, description="Largest allowed value (numbers).")
    values: Optional[list[Any]] = Field(None, description="The only allowed values.")
    description: str = Field("", description="What the column holds (shown in the catalog).")


class Source(Model):
    connector: str = Field(description="Connector kind: csv, excel, json_api, ckan, open_meteo, overpass, geojson.")
    sector: str = Field(description="Sector code the data belongs to (see `sectors`).")
    table: str = Field(description="Warehouse table the rows load into (`<sector>_<thing>`).")
    description: str = Field("", description="What the source is, for the catalog.")
    path: Optional[str] = Field(None, description="File path (relative to the config file).")
    url: Optional[str] = Field(None, description="URL to fetch.")
    mode: Literal["replace", "append", "upsert"] = Field(
        "replace", description="replace the table, append rows, or upsert on `key`."
    )
    key: list[str] = Field(default_factory=list, description="Columns that identify a row; repeats in one payload are rejects.")
    schedule: Optional[str] = Field(None, description="Cron expression in city time (`0 * * * *`); none = on demand only.")
    enabled: bool = Field(True, description="A disabled source is never run by the scheduler or --all.")
    rename: dict[str, str] = Field(default_factory=dict, description="Header text → column name.")
    columns: dict[str, Column] = Field(default_factory=dict, description="The column contract.")
    options: dict[str, Any] = Field(default_factory=dict, description="Connector options (see each connector).")
    transform: Optional[str] = Field(
        None, description="A DuckDB SELECT over `raw` (the parsed rows) shaping them before the contract."
    )
    sample: bool = Field(False, description="The data is embedded sample data (marked as such in the UI).")

    # set by load_config: the source's key in `sources` and the config file's folder
    name: str = Field("", exclude=True, description="(set from the key)")

    @field_validator("table")
    @classmethod
    def _table_ident(cls, v: str) -> str:
        if not re.match(IDENT, v):
            raise ValueError("expected a snake_case identifier like env_air_hourly")
        if v in RESERVED_TABLES or v.startswith("_"):
            raise ValueError(f"{v!r} is reserved for the warehouse's own tables; name it <sector>_<thing>")
        return v

    @field_validator("columns")
    @classmethod
    def _column_idents(cls, v: dict[str, Column]) -> dict[str, Column]:
        for name in v:
            if not re.match(IDENT, name):
                raise ValueError(f"column name {name!r}: expected a snake_case identifier")
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return v
        from ioc.freshness import cron_trigger

        try:
            cron_trigger(v, "UTC")
        except ValueError as exc:
            raise ValueError(f"not a cron expression ({exc}); e.g. '0 6 * * *'") from exc
        return v

    @model_validator(mode="after")
    def _location_and_key(self) -> "Source":
        if self.mode == "upsert" and not self.key:
            raise ValueError("mode upsert needs `key`")
        return self

    @property
    def location(self) -> str:
        return self.url or self.path or ""


class Indicator(Model):
    code: str = Field(description="Stable code, e.g. ENV_PM25_DAILY.")
    sector: str = Field(description="Sector code.")
    name: Names = Field(description="Name shown on tiles.")
    unit: str = Field("", description="Unit shown after the value (%, µg/m³, hồ sơ).")
    direction: Literal["higher", "lower"] = Field("higher", description="Which way is better.")
    grain: Literal["day", "week", "month", "quarter", "year"] = Field("month", description="Period of a value.")
    target: Optional[float] = Field(None, description="Annual target (or limit) for every year.")
    targets: dict[int, float] = Field(default_factory=dict, description="Annual target per year, overriding `target`.")
    target_aggregate: Literal["last", "sum", "mean"] = Field(
        "last", description="How a year's values compare to its target: the latest, their sum (flows) or mean."
    )
    sql: Optional[str] = Field(
        None, description="SELECT over the sector tables returning ward_code (NULL = city), period (date), value."
    )
    table: Optional[str] = Field(
        None, description="A table delivering values ready-made (columns code, ward_code, period, value)."
    )
    headline: bool = Field(False, description="Shown on the overview tile of its sector.")
    mask_below: Optional[int] = Field(
        None, ge=2, description="Counts of people (Nghị định 13/2023): values from 1 to mask_below − 1 are shown "
        "as “<mask_below” on every page and in every download.",
    )
    description: str = Field("", description="How it is computed, in words.")

    @model_validator(mode="after")
    def _one_way(self) -> "Indicator":
        if bool(self.sql) == bool(self.table):
            raise ValueError("give exactly one of `sql` or `table`")
        return self

    def target_for(self, year: int) -> Optional[float]:
        return self.targets.get(year, self.target)


class Sector(Model):
    code: str = Field(description="Short code, also the prefix of the sector's tables (env, admin, ...).")
    name: Names = Field(description="Name shown in navigation and on tiles.")
    icon: str = Field("", description="Material icon name for the navigation (optional).")


class Snapshots(Model):
    keep: int = Field(10, ge=1, description="How many snapshots to keep (the current one always stays).")


class Landing(Model):
    keep_days: Optional[int] = Field(None, ge=1, description="Delete landed payloads older than this; none = keep all.")


class Scheduler(Model):
    embedded: bool = Field(False, description="Start the scheduler inside the Streamlit server (once per process).")
    batch_seconds: float = Field(
        5.0, ge=0, description="Sources falling due within this window are ingested into one snapshot."
    )
    ingest_on_start: bool = Field(True, description="Ingest every enabled source when no snapshot exists yet.")


class Maps(Model):
    tile_url: Optional[str] = Field(
        None, description="XYZ tile URL template for a basemap; none = ward polygons on a plain background (offline)."
    )
    wards_geojson: Optional[str] = Field("data/geo/wards.geojson", description="Ward polygons (GeoJSON).")


class Analyst(Model):
    sql_timeout_seconds: float = Field(
        30.0, gt=0, description="SQL console and exports: a query running longer is interrupted."
    )
    display_rows: int = Field(
        1000, ge=1, description="Rows shown on screen for a console or explorer result; exports carry every row."
    )


class KioskFilters(Model):
    ward: Optional[str] = Field(None, description="Show this ward's values instead of the city's (a ward code).")
    indicators: list[str] = Field(
        default_factory=list, description="Only these indicator codes on the tiles; empty = all of the sector's."
    )
    map: Optional[str] = Field(
        None, description="Indicator drawn on the ward map; none = the sector's headline indicator."
    )


class KioskPanel(Model):
    panel: Literal["overview", "sector", "air"] = Field(
        description="overview: every sector's headline tile; sector: one sector's tiles and map; air: VN_AQI by station."
    )
    sector: Optional[str] = Field(None, description="Sector code of a `sector` panel (see `sectors`).")
    seconds: float = Field(30.0, ge=1, description="How long the panel stays on the wall.")
    filters: KioskFilters = Field(default_factory=KioskFilters, description="What a `sector` panel shows.")

    @model_validator(mode="after")
    def _sector_given(self) -> "KioskPanel":
        if (self.panel == "sector") != bool(self.sector):
            raise ValueError("give `sector` for a sector panel, and only there")
        return self

    @property
    def name(self) -> str:
        """The name `&page=` accepts besides a number: the sector code, else the panel kind."""
        return self.sector or self.panel


class KioskWall(Model):
    panels: list[KioskPanel] = Field(min_length=1, description="The playlist, shown in order and repeated.")
    token: Optional[str] = Field(
        None, description="When set, the wall's URL must carry `&token=` with this value (until sign-in exists)."
    )


class KioskThreshold(Model):
    indicator: str = Field(description="Indicator code, e.g. HEALTH_DENGUE_CASES.")
    above: float = Field(description="Its latest value over this needs attention (an epidemic threshold, a limit).")
    scope: Literal["city", "wards"] = Field(
        "city", description="city: the city-wide value; wards: each ward's value against the same threshold."
    )


class KioskAttention(Model):
    aqi_above: float = Field(100, ge=0, description="A station whose latest hourly VN_AQI is over this needs attention.")
    thresholds: list[KioskThreshold] = Field(
        default_factory=list, description="Indicators whose latest value over a threshold needs attention."
    )
    off_target: list[Literal["behind", "at_risk", "missed"]] = Field(
        ["missed", "at_risk", "behind"], description="Indicator statuses listed as off target (none = don't list)."
    )
    stale_sources: bool = Field(True, description="List enabled sources that are late or were never loaded.")
    max_items: int = Field(8, ge=1, description="Items shown on the strip; the rest are counted.")


class Kiosk(Model):
    walls: dict[str, KioskWall] = Field(default_factory=dict, description="Walls by name: `/?kiosk=NAME`.")
    attention: KioskAttention = Field(default_factory=KioskAttention, description="The strip of what needs attention now.")
    tick_seconds: float = Field(
        1.0, gt=0, le=30, description="How often a wall checks the clock and the snapshot (panel changes land this late at most)."
    )


class Config(Model):
    city: City = Field(description="The city: name, time zone, language, centre.")
    wards: list[Ward] = Field(min_length=1, description="The city's wards.")
    sectors: list[Sector] = Field(default_factory=list, description="Sectors with their names.")
    data_dir: str = Field("data", description="Where landing/, warehouse/ and ops.sqlite live (IOC_DATA_DIR overrides).")
    snapshots: Snapshots = Field(default_factory=Snapshots, description="Snapshot retention.")
    landing: Landing = Field(default_factory=Landing, description="Landing-zone retention.")
    scheduler: Scheduler = Field(default_factory=Scheduler, description="The scheduler.")
    maps: Maps = Field(default_factory=Maps, description="Maps: ward polygons and an optional basemap.")
    analyst: Analyst = Field(default_factory=Analyst, description="The analyst workbench: SQL console and exports.")
    sources: dict[str, Source] = Field(default_factory=dict, description="Data sources by name.")
    indicators: list[Indicator] = Field(default_factory=list, description="The indicator layer.")
    # Reserved for later issues; shapes are defined there.
    alerts: list[dict[str, Any]] = Field(default_factory=list, description="Alert rules (reserved).")
    kiosk: Kiosk = Field(default_factory=Kiosk, description="Video-wall playlists and the attention strip.")
    roles: dict[str, Any] = Field(default_factory=dict, description="Roles and sign-in (reserved).")

    # set by load_config
    path: Optional[Path] = Field(None, exclude=True)

    # A field validator, not a model one: the error then names its key (`wards: duplicate codes ...`), and it
    # is reported even when another block of the file is wrong too.
    @field_validator("wards", "indicators")
    @classmethod
    def _unique_codes(cls, v: list) -> list:
        codes = [item.code for item in v]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"duplicate codes {sorted(dup)}")
        return v

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

    def sector_name(self, code: str, lang: str = "vi") -> str:
        for s in self.sectors:
            if s.code == code:
                return getattr(s.name, lang) or s.name.vi
        return code

    def ward(self, code: str) -> Optional[Ward]:
        return next((w for w in self.wards if w.code == code), None)


# --------------------------------------------------------------------------- loading


def config_path(explicit: Optional[str | os.PathLike] = None) -> Path:
    """--config PATH, else IOC_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get("IOC_CONFIG") or "config.yaml").resolve()


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after", "function-before")) or "(top)"


def _describe(err: dict) -> str:
    kind = err.get("type", "")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"expected one of {expected.replace(' or ', ', ')}, got {err.get('input')!r}"
    msg = err.get("msg", "invalid")
    msg = msg.removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        msg += f", got {err.get('input')!r}"
        if isinstance(err.get("input"), str) and kind in ("int_parsing", "float_parsing", "bool_parsing"):
            msg += " (hint: remove the quotes)"
    return msg


def problems_from(exc: ValidationError, prefix: tuple = ()) -> list[str]:
    return [f"{_loc(prefix + tuple(e['loc']))}: {_describe(e)}" for e in exc.errors()]


def parse_config(data: Any, path: Optional[Path] = None) -> Config:
    """Validate a loaded YAML document; raise ConfigError listing every problem by dotted key."""
    from connectors import REGISTRY

    where = str(path) if path else "config"
    if not isinstance(data, dict):
        raise ConfigError(where, ["(top): expected a mapping of keys"])
    problems: list[str] = []
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc)
        cfg = None
    # Connector names and their options are checked against the connector's own model.
    for name, raw in (data.get("sources") or {}).items():
        if not isinstance(raw, dict):
            continue
        kind = raw.get("connector")
        if kind is None:
            continue
        if kind not in REGISTRY:
            problems.append(f"sources.{name}.connector: expected one of {', '.join(sorted(REGISTRY))}, got {kind!r}")
            continue
        try:
            REGISTRY[kind].Options.model_validate(raw.get("options") or {})
        except ValidationError as exc:
            problems += problems_from(exc, ("sources", name, "options"))
        conn = REGISTRY[kind]
        if getattr(conn, "NEEDS_LOCATION", True) and not (raw.get("path") or raw.get("url")):
            problems.append(f"sources.{name}: give `path` or `url`")
    if cfg is not None:
        sectors = {s.code for s in cfg.sectors}
        for name, src in cfg.sources.items():
            if sectors and src.sector not in sectors:
                problems.append(f"sources.{name}.sector: unknown sector {src.sector!r} (see `sectors`)")
            for k in src.key:
                if src.columns and k not in src.columns:
                    problems.append(f"sources.{name}.key: {k!r} is not a declared column")
        for i, ind in enumerate(cfg.indicators):
            if sectors and ind.sector not in sectors:
                problems.append(f"indicators.{i}.sector: unknown sector {ind.sector!r} (see `sectors`)")
        from ioc.kiosk import wall_problems  # ioc.kiosk imports this module

        problems += wall_problems(cfg)
    if problems:
        raise ConfigError(where, problems)
    assert cfg is not None
    cfg.path = path
    for name, src in cfg.sources.items():
        src.name = name
    return cfg


def load_config(explicit: Optional[str | os.PathLike] = None) -> Config:
    path = config_path(explicit)
    if not path.exists():
        raise ConfigError(str(path), ["(file): not found; pass --config PATH or set IOC_CONFIG"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(str(path), [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc
    return parse_config(data, path)


def source_options(src: Source) -> ConnectorOptions:
    from connectors import REGISTRY

    return REGISTRY[src.connector].Options.model_validate(src.options)


def config_reference() -> str:
    """Markdown reference of every config key, generated from the models' help texts."""
    from connectors import REGISTRY

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
        opts = REGISTRY[kind].Options
        doc = (REGISTRY[kind].__doc__ or "").strip().splitlines()[0] if REGISTRY[kind].__doc__ else ""
        out.append(f"\n### Connector `{kind}`\n\n{doc}\n")
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
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out = []
    for a in getattr(ann, "__args__", ()) or ():
        out += _submodels(a)
    return out


def _fmt_type(ann: Any) -> str:
    s = getattr(ann, "__name__", None) if isinstance(ann, type) else None
    s = s or str(ann).replace("typing.", "")
    s = re.sub(r"\b(?:ioc\.config|connectors\.\w+)\.", "", s)
    return s.replace("|", "\\|")


def _fmt_default(f: Any) -> str:
    if f.default_factory is not None:
        try:
            v = f.default_factory()
        except TypeError:
            return ""
        return "" if isinstance(v, BaseModel) else f"`{v!r}`"
    return f"`{f.default!r}`" if f.default is not None else ""
