"""What a sector's page shows from its own tables beside its indicators, declared in the sector: breakdowns,
time series, maps of places and registers. The queries (ioc/queries/: breakdowns, series, places,
registers) and the drawing (ioc/ui/sector.py) are the mechanism; which table, column and measure, the
sector's declaration."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ioc.model import Frozen, Identifier, Names

GRAINS = ("day", "week", "month", "quarter", "year")


class View(Frozen):
    """Base of a declared view: frozen, so a page can cache what it draws by the view itself."""

    key: Identifier = Field(description="Short name, unique in the sector (its widgets and the URL use it).")
    title: Names = Field(description="The section's title (the page adds where it applies: city or ward).")
    table: str = Field(description="The sector's table it reads.")


class Breakdown(View):
    """One measure broken down by a column: late dossiers by agency, open reports by category."""

    dims: list[str] = Field(min_length=1, description="Columns to break it down by (the first is the default).")
    measure: str = Field(
        description="A SQL aggregate over the table's rows (`count(*) FILTER (WHERE {late})`); "
        "`{name}` is a condition of the table (`sources.NAME.conditions`)."
    )
    date: str | None = Field(None, description="The column the page's period filters; none = every row counts.")
    unit: str = Field("", description="Unit of the measure, in Vietnamese as indicators write it (hồ sơ, %).")


class Measure(Frozen):
    """One line of a series."""

    name: str = Field(description="Short name of the line.")
    label: Names = Field(description="The line's name in the legend.")
    sql: str = Field(description="A SQL aggregate over the table's rows; `{name}` is a condition of the table.")


class NameLookup(Frozen):
    """A code shown by its name from another table (an industrial park's code by the park's name)."""

    table: str = Field(description="The table holding the names.")
    key: str = Field(description="Its column with the code.")
    name: str = Field(description="Its column with the name.")


class Series(View):
    """A time series of the sector's own rows: several measures (a line each), or one broken down `by` a
    column (a line, a row of a heat map, per value)."""

    date: str = Field(description="The column the page's period filters and the grain truncates.")
    measures: list[Measure] = Field(min_length=1, description="The measures, one line each.")
    grain: Literal["day", "week", "month", "quarter", "year"] = Field("month", description="Period of a point.")
    by: str | None = Field(None, description="One line per value of this column (then exactly one measure).")
    unit: str = Field("", description="Unit of the values, in Vietnamese as indicators write it.")
    kind: Literal["line", "yoy", "heat", "change"] = Field(
        "line",
        description="line; yoy: each month of this year beside last year's; heat: `by` × period; "
        "change: the latest value against the one before and four before.",
    )
    threshold: str | None = Field(
        None,
        description="An indicator whose alert threshold (`threshold`; `ward_threshold` for a ward) is drawn as a rule.",
    )
    order: str | None = Field(None, description="A column the values of `by` are listed by (else by name).")
    names: NameLookup | None = Field(None, description="`by` is a code, shown by this table's name for it.")
    better: Literal["higher", "lower"] | None = Field(None, description="How a heat map colours its cells.")
    mid: float | None = Field(None, description="A heat map diverges around this value (an index at 100).")
    zero: bool = Field(True, description="The value axis starts at zero (false for indexes, rates and scores).")

    @model_validator(mode="after")
    def _by_one(self) -> Series:
        if self.by and len(self.measures) != 1:
            raise ValueError("`by` takes exactly one measure")
        return self


class Places(View):
    """The sector's things on the ward map (accidents, reports, schools, plans), coloured by a category."""

    name: str = Field(description="Column naming a place (shown on hover).")
    category: str = Field(description="Column the map colours by.")
    date: str | None = Field(None, description="Column the page's period filters; none = a register of places.")
    weight: str | None = Field(None, description="SQL over the table's columns sizing a point (deaths * 3 + injuries).")
    polygon: bool = Field(False, description="`geometry` holds GeoJSON polygons (zoning plans), not lat/lon points.")
    detail: str | None = Field(None, description="A column shown on hover after the category.")
    by_period: bool = Field(True, description="The page's period filters `date`; false: every place shows.")


class Register(View):
    """A register listed in full (investment projects, industrial parks), filtered like the rest of the page."""

    columns: list[str] = Field(min_length=1, description="The columns shown, in order.")
    order: str = Field(description="Column to sort by, largest or latest first.")
    date: str | None = Field(None, description="Column the page's period filters; none = every row.")


CONDITION = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def expand(sql: str, conditions: dict[str, str], where: str) -> str:
    """`sql` with each `{name}` replaced by that condition's SQL (itself expanded), in parentheses.
    Raises ValueError naming an unknown condition or a condition that names itself."""

    def sub(text: str, seen: tuple[str, ...]) -> str:
        def one(m: re.Match) -> str:
            name = m.group(1)
            if name in seen:
                raise ValueError(f"{where}: condition {name!r} names itself")
            if name not in conditions:
                known = ", ".join(sorted(conditions)) or "none"
                raise ValueError(f"{where}: unknown condition {{{name}}} (the table's conditions: {known})")
            return "(" + sub(conditions[name], (*seen, name)) + ")"

        return CONDITION.sub(one, text)

    return sub(sql, ())
