"""The config's shared building blocks (names, columns, a source's common keys, connector options): a leaf
module that connectors and the config model both import, so neither imports the other's internals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ioc.freshness import cron_trigger

COLUMN_TYPES = ("text", "integer", "double", "date", "timestamp", "boolean")
IDENT = r"^[a-z_][a-z0-9_]*$"
RESERVED_TABLES = {"dim_ward", "indicator", "indicator_value"}  # and every name starting with "_"


def _snake_case(v: str) -> str:
    if not re.match(IDENT, v):
        raise ValueError("expected a snake_case identifier (lower-case letters, digits and _), like admin_late")
    return v


# a name that enters SQL, a URL or a widget key as it is: a sector's code, a view's key
Identifier = Annotated[str, AfterValidator(_snake_case)]


class Model(BaseModel):
    """Base for every config block: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Frozen(Model):
    """Base for config blocks that never change once read: hashable, so a page can cache by them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Names(Frozen):
    """A name in the city's two languages: Vietnamese first, English second."""

    vi: str = Field(description="Vietnamese name.")
    en: str = Field("", description="English name (falls back to Vietnamese).")

    def get(self, lang: str) -> str:
        """The name in `lang`, else the Vietnamese one."""
        return (self.en or self.vi) if lang == "en" else self.vi

    def format(self, **kw: Any) -> Names:
        """Both names with their `{placeholders}` filled."""
        return Names(vi=self.vi.format(**kw), en=(self.en or self.vi).format(**kw))


@dataclass(frozen=True)
class TextFormat:
    """How numbers and dates are written in a payload's text cells, as the contract reads them."""

    decimal: str = "."
    thousands: str | None = None
    date_format: str | None = None


class ConnectorOptions(Model):
    """Base for each connector's `options` block (declared in the connector module)."""

    ward_from: str | None = Field(
        None,
        description="Fill `ward_code` from this column's ward names, written any way departments write them "
        "(P. Phú Cường, Phường Phú Cường, PHÚ CƯỜNG, Phu Cuong); a name that is no ward is a reject naming it.",
    )

    def text_format(self) -> TextFormat:
        """How this source writes numbers and dates as text; machine formats by default."""
        return TextFormat()


class Column(Model):
    type: Literal["text", "integer", "double", "date", "timestamp", "boolean"] = Field(
        "text", description="Type the value must cast to; a value that does not is a reject."
    )
    required: bool = Field(False, description="An empty value is a reject.")
    optional: bool = Field(
        False, description="The payload may lack the column (it is then empty); else a payload without it fails."
    )
    timezone: str | None = Field(
        None,
        description="timestamp: the zone its plain times are written in (e.g. UTC); they are stored in city time, "
        "as times with an offset are. Default: the city's. A column named for UTC must declare it.",
    )
    min: float | None = Field(None, description="Smallest allowed value (numbers).")
    max: float | None = Field(None, description="Largest allowed value (numbers).")
    values: list[Any] | None = Field(None, description="The only allowed values.")
    values_from: Literal["wards"] | None = Field(
        None, description="The only allowed values are the codes of `wards` (instead of listing them in `values`)."
    )
    label: Names | None = Field(
        None, description="The column's name on pages, in charts and in exports (else taken from `description`)."
    )
    description: str = Field("", description="What the column holds (shown in the catalog).")
    sensitive: bool = Field(
        False,
        description="A count of people that identifies them when small (children in special circumstances; type "
        "integer): in the analysts' tools (catalog, explorer, SQL console and their exports) the column is text, "
        '"<5" for a value from 1 to 4; the pages show such counts through indicators with `mask_below`.',
    )
    personal: bool = Field(
        False,
        description="Personal data (a name, phone number, ID number, address): shown masked to every role "
        "but those whose `personal` lists the table (Nghị định 13/2023/NĐ-CP).",
    )
    value_names: dict[str, str] = Field(
        default_factory=dict,
        description="English names of the column's values (Vietnamese value: English name), shown in English "
        "mode in filters, charts and tables; the value itself stays what is stored, filtered and exported.",
    )

    @model_validator(mode="after")
    def _one_list(self) -> Column:
        if self.values is not None and self.values_from is not None:
            raise ValueError("give `values` or `values_from`, not both")
        if self.sensitive and self.type != "integer":
            raise ValueError(f"sensitive: a count of people, so type integer (not {self.type})")
        if self.timezone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"timezone {self.timezone!r}: not a time zone name like UTC or Asia/Ho_Chi_Minh"
                ) from None
        return self


class Guard(Frozen):
    """When a run must not replace the data a source already has: it fails, or is held for an operator."""

    max_reject_share: float = Field(
        0.5, ge=0, le=1, description="Fail the run when more than this share of its rows are rejected."
    )
    max_row_drop: float = Field(
        0.5,
        ge=0,
        le=1,
        description="mode replace: hold the run when it has this share fewer rows than the last good load "
        "(a truncated file); `python -m ioc accept SOURCE` loads it.",
    )
    allow_empty: bool = Field(False, description="A run with no rows to load is good (else it fails).")


class Latest(Frozen):
    """Which column dates a source's rows, and what its schedule promises about it: freshness compares the
    data's own latest period with that, not only the time of the last load."""

    column: str = Field(description="The declared date or timestamp column (or a year as an integer).")
    grain: Literal["hour", "day", "week", "month", "quarter", "year"] = Field(
        description="The period one row covers (hour for hourly readings, month for a monthly report)."
    )
    lag: int = Field(
        0,
        ge=0,
        description="Periods after a period ends that its data may still be missing at a scheduled run "
        "(1: a monthly report due on the 5th covers the month before last until then).",
    )


class Source(Model):
    """What every source declares, whatever its connector: where the data is, where it goes, its contract."""

    connector: str = Field(description="Connector kind (see the connectors below).")
    sector: str = Field(
        "", description="Sector code the data belongs to; implied for a source declared inside its sector."
    )
    table: str = Field(description="Warehouse table the rows load into (`<sector>_<thing>`).")
    description: str = Field("", description="What the source is, for the catalog.")
    title: Names | None = Field(
        None, description="The source's short name in the city's two languages (default: `description` up to '(')."
    )
    path: str | None = Field(None, description="File path (relative to the config file).")
    url: str | None = Field(None, description="URL to fetch.")
    mode: Literal["replace", "append", "upsert"] = Field(
        "replace", description="replace the table, append rows, or upsert on `key`."
    )
    key: list[str] = Field(
        default_factory=list, description="Columns that identify a row; repeats in one payload are rejects."
    )
    schedule: str | None = Field(None, description="Cron expression in city time (`0 * * * *`); none = on demand only.")
    enabled: bool = Field(True, description="A disabled source is never run by the scheduler or --all.")
    format: str | None = Field(
        None, description="Name of an entry of `formats` whose options this source starts from (its own `options` win)."
    )
    rename: dict[str, str] = Field(default_factory=dict, description="Header text → column name.")
    columns: dict[str, Column] = Field(default_factory=dict, description="The column contract.")
    conditions: dict[str, Condition] = Field(
        default_factory=dict, description="Named conditions on the table's rows (late, open), for measures and pages."
    )
    options: ConnectorOptions = Field(
        default_factory=ConnectorOptions, description="Connector options (see each connector below)."
    )
    transform: str | None = Field(
        None, description="A DuckDB SELECT over `raw` (the parsed rows) shaping them before the contract."
    )
    guard: Guard = Field(default_factory=Guard, description="When a run fails or is held instead of loading.")
    latest: Latest | None = Field(
        None,
        description="The column dating the rows, with its grain: a source whose latest period is older than its "
        "schedule promises is late, whenever it was loaded.",
    )
    sample: bool = Field(False, description="The data is embedded sample data (marked as such in the UI).")
    sensitive: bool = Field(
        False,
        description="A register with one row per person (a child, a vulnerable person; Nghị định 13/2023/NĐ-CP): "
        "its rows are never shown. The analysts' tools hold the table with no rows; no sector's `breakdowns`, "
        "`series`, `places` or `registers` may read it, and the indicators that do must declare `mask_below`.",
    )

    # set by the config: the source's key in `sources`
    name: str = Field("", exclude=True, description="(set from the key)")
    # set by the config: why a source declared enabled is off (its address is on the internet, `internet: false`)
    off_reason: str | None = Field(None, exclude=True, description="(set by the config)")

    @field_validator("table")
    @classmethod
    def _table_ident(cls, v: str) -> str:
        if not re.match(IDENT, v):
            raise ValueError("expected a snake_case identifier like env_air_hourly")
        if v in RESERVED_TABLES or v.startswith("_"):
            raise ValueError(f"{v!r} is reserved for the warehouse's own tables; name it <sector>_<thing>")
        return v

    @field_validator("columns", "conditions")
    @classmethod
    def _idents(cls, v: dict, info: ValidationInfo) -> dict:
        for name in v:
            if not re.match(IDENT, name):
                raise ValueError(
                    f"{(info.field_name or '').rstrip('s')} name {name!r}: expected a snake_case identifier"
                )
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            cron_trigger(v, "UTC")
        except ValueError as exc:
            raise ValueError(f"not a cron expression ({exc}); e.g. '0 6 * * *'") from exc
        return v

    @model_validator(mode="after")
    def _key(self) -> Source:
        if self.mode == "upsert" and not self.key:
            raise ValueError("mode upsert needs `key`")
        if self.latest and self.columns and self.latest.column not in self.columns:
            raise ValueError(f"latest.column: {self.latest.column!r} is not a declared column")
        return self

    @property
    def location(self) -> str:
        return self.url or self.path or ""

    @property
    def label(self) -> str:
        """The description up to its first parenthesis: the words a leader needs, not the file format (or
        the source's name when it has no description)."""
        return self.description.split(" (")[0].rstrip(" .;:") or self.name

    def label_in(self, lang: str) -> str:
        """The source's name in `lang`: its `title`, else the Vietnamese `label`."""
        return self.title.get(lang) if self.title else self.label


class Condition(Model):
    """A named condition on a table's rows, written once and used by every measure, page and export."""

    label: Names = Field(description="What the condition means, on pages and in the explorer.")
    sql: str = Field(description="A SQL condition over the table's columns; may name another condition as {name}.")


Source.model_rebuild()
