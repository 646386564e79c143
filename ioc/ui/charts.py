"""Chart builders: each returns an alt.Chart with the theme, Vietnamese labels and number formats."""

from __future__ import annotations

import functools
from typing import Final, Literal, cast

import altair as alt
import pandas as pd

from ioc import i18n
from ioc.ui.theme import COLOURS, vega_locale

# what the builders return and st.altair_chart draws
AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart | alt.ConcatChart | alt.HConcatChart | alt.VConcatChart


# A period as a tooltip names it, by its grain: a month is 11/2026, not 01/11/2026.
TIME_FORMAT = {"year": "%Y", "quarter": "%m/%Y", "month": "%m/%Y"}


def tip(shorthand: str, title: str | None, lang: str, name: str, **kw) -> alt.Tooltip:
    """A tooltip line with a name a reader knows: its title, else the locale's `chart.<name>` (Vega-Lite
    shows a field's internal name, `label` or `series`, where the title is empty)."""
    return alt.Tooltip(shorthand, title=title or i18n.t("chart." + name, lang), **kw)


FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
# How a line meets a missing value: it breaks there, and the axis ignores it. (invalid=None is Vega-Lite's
# "show": a missing value drawn as zero or the axis floor, a month without data read as a crash.)
GAPS: Final[Literal["break-paths-filter-domains"]] = "break-paths-filter-domains"


def with_gaps(df: pd.DataFrame, x: str, grain: str, series: str | None = None) -> tuple[pd.DataFrame, list]:
    """The frame with a row of no value for each period of `grain` missing between its first and last (per
    series), so a line breaks there instead of being drawn across; and the missing periods. Lines are drawn
    with `invalid=GAPS`, which breaks them at a missing value."""
    if df.empty or grain not in FREQ:
        return df, []
    groups = df.groupby(series, sort=False) if series else [(None, df)]
    parts, missing = [], set()
    for key, g in groups:
        g = g.assign(**{x: pd.to_datetime(g[x])})
        when = g[x]
        full = pd.date_range(when.min(), when.max(), freq=FREQ[grain])
        if not when.isin(full).all():  # periods off the grain's boundaries (a week from Thursday): not judged
            return df, []
        gone = full.difference(when)
        missing.update(gone)
        extra = pd.DataFrame({x: gone})
        if series:
            extra[series] = key
        parts.append(pd.concat([g, extra]).sort_values(x))  # each series in its place, its periods in order
    return pd.concat(parts, ignore_index=True), sorted(missing)


def finish(chart: alt.TopLevelMixin, lang: str, height: int = 320) -> AnyChart:
    # height is the plot's own: with Vega's default "fit" the legend and title would eat into it
    return unchecked(
        chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure(locale=vega_locale(lang))
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(orient="bottom", labelFontSize=12, titleFontSize=12)
        .configure_title(fontSize=15, anchor="start")
    )


def unchecked(chart: alt.TopLevelMixin) -> AnyChart:
    """The chart with `to_dict()` skipping Altair's validation against the Vega-Lite JSON schema, which
    Streamlit would otherwise run on every chart at every page run (≈ 7 ms a chart, ≈ 60 ms a sector
    page: docs/benchmarks.md). The builders here are validated by the tests instead (tests/ui/test_charts.py)."""
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, False))
    return cast(AnyChart, chart)


def time_lines(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    title: str,
    x_title: str,
    y_title: str,
    series_title: str,
    lang: str,
    hourly: bool = False,
    limit: float | None = None,
    limit_label: str = "",
    y_format: str = ",.0f",
    zero: bool = True,
    grain: str = "day",
) -> AnyChart:
    """One line per series over time, with an optional limit drawn as a red rule."""
    time_fmt = "%H:%M %d/%m/%Y" if hourly else TIME_FORMAT.get(grain, "%d/%m/%Y")
    span_days = (pd.to_datetime(df[x]).max() - pd.to_datetime(df[x]).min()).days if len(df) else 0
    axis_fmt = "%H:%M %d/%m" if hourly and span_days <= 3 else ("%d/%m" if span_days <= 180 else "%m/%Y")
    base = (
        alt.Chart(df)
        .mark_line(strokeWidth=1.6, point=not hourly and len(df) <= 400, invalid=GAPS)
        .encode(
            x=alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format=axis_fmt, labelOverlap=True)),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format), scale=alt.Scale(zero=zero)),
            color=alt.Color(
                f"{series}:N",
                title=series_title,
                legend=alt.Legend(columns=2, labelLimit=360),
                sort=list(dict.fromkeys(df[series])),
            ),  # as given, not alphabetical
            tooltip=[
                tip(f"{series}:N", series_title, lang, "series"),
                tip(f"{x}:T", x_title, lang, "period", format=time_fmt),
                tip(f"{y}:Q", y_title, lang, "value", format=",.1f"),
            ],
        )
    )
    layers = [base]
    if limit is not None and len(df) and df[y].max() >= 0.2 * limit:  # a far limit would flatten the data
        rule_df = pd.DataFrame({"limit": [limit], "label": [limit_label]})
        rule = (
            alt.Chart(rule_df).mark_rule(color=COLOURS["limit"], strokeDash=[6, 4], strokeWidth=2).encode(y="limit:Q")
        )
        text = (
            alt.Chart(rule_df)
            .mark_text(align="left", dx=4, dy=-7, color=COLOURS["limit"], fontWeight="bold")
            .encode(y="limit:Q", x=alt.value(0), text="label:N")
        )
        layers += [rule, text]
    return finish(alt.layer(*layers).properties(title=title), lang)


def stacked_bands(
    df: pd.DataFrame,
    *,
    y: str,
    count: str,
    band: str,
    order: list[str],
    labels: dict[str, str],
    colours: dict[str, str],
    title: str,
    y_title: str,
    x_title: str,
    lang: str,
) -> AnyChart:
    """Horizontal stacked bars of counts per category, coloured by an ordered scale (AQI bands)."""
    df = df.assign(_label=df[band].map(labels), _order=df[band].map({b: i for i, b in enumerate(order)}))
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{y}:N", title=None, sort=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
            x=alt.X(f"sum({count}):Q", title=x_title, axis=alt.Axis(format=",.0f", tickMinStep=1)),
            color=alt.Color(
                "_label:N",
                title=None,
                sort=[labels[b] for b in order],
                scale=alt.Scale(domain=[labels[b] for b in order], range=[colours[b] for b in order]),
            ),
            order=alt.Order("_order:Q"),
            tooltip=[
                tip(f"{y}:N", y_title, lang, "series"),
                tip("_label:N", None, lang, "level"),
                tip(f"sum({count}):Q", x_title, lang, "value", format=",.0f"),
            ],
        )
    )
    return finish(chart.properties(title=title), lang, height=max(160, 34 * df[y].nunique() + 60))


PICK = "pick"  # the name of a chart's click selection (st.altair_chart(on_select=...) reports it)


def picked(event, field: str) -> str | None:
    """The value of `field` in the bar a user clicked, from st.altair_chart's selection event."""
    points = ((event or {}).get("selection") or {}).get(PICK) or []
    value = points[0].get(field) if points and isinstance(points[0], dict) else None
    return None if value is None else str(value)


def ranked_bars(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    colour: str,
    title: str,
    x_title: str,
    y_title: str,
    lang: str,
    select: str | None = None,
) -> AnyChart:
    """Horizontal bars in the order given, each in its own colour (the map's, so both read alike).

    With `select` (a column of df), a click on a bar selects its value of that column (see `picked`)."""
    values = pd.to_numeric(df[x], errors="coerce").dropna()
    counts = len(values) and bool((values % 1 == 0).all())  # counts of cases: no tick at 2,5
    chart = (
        alt.Chart(df)
        .mark_bar(cursor="pointer" if select else "default")
        .encode(
            y=alt.Y(f"{y}:N", title=None, sort=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=",.4~f", tickMinStep=1 if counts else alt.Undefined)),
            color=alt.Color(f"{colour}:N", scale=None, legend=None),
            tooltip=[
                tip(f"{y}:N", y_title, lang, "series"),
                tip(f"{x}:Q", x_title or title, lang, "value", format=",.2~f"),
            ],
        )
    )
    if select:
        chart = chart.add_params(alt.selection_point(name=PICK, fields=[select], on="click", clear="dblclick"))
    return finish(chart.properties(title=alt.TitleParams(title, fontSize=13)), lang, height=max(200, 24 * len(df) + 40))


def year_over_year(df: pd.DataFrame, *, title: str, y_title: str, lang: str, month_names: list[str]) -> AnyChart:
    """Months of this year beside the same months of last year: one bar per month and year."""
    df = df.assign(
        year=pd.to_datetime(df["period"]).dt.year.astype(str),
        month=[month_names[m - 1] for m in pd.to_datetime(df["period"]).dt.month],
    )
    years = sorted(df["year"].unique())
    colours = ["#9EB7CF", COLOURS["accent"]][-len(years) :] if len(years) <= 2 else None
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("month:N", title=None, sort=month_names, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("year:N", sort=years),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.4~f", tickMinStep=1)),
            color=alt.Color(
                "year:N",
                title=None,
                sort=years,
                scale=alt.Scale(domain=years, range=colours) if colours else alt.Undefined,
            ),
            tooltip=[
                tip("year:N", None, lang, "year"),
                tip("month:N", None, lang, "month"),
                tip("value:Q", y_title, lang, "value", format=",.2~f"),
            ],
        )
    )
    return finish(chart.properties(title=title), lang)


def heatmap(
    df: pd.DataFrame,
    *,
    title: str,
    y_title: str,
    value_title: str,
    lang: str,
    period_label,
    scheme: str = "blues",
    mid: float | None = None,
    reverse: bool = False,
) -> AnyChart:
    """Rows (a category) by periods, each cell coloured by its value; diverging around `mid` when given (an
    index at 100). `period_label(date)` writes a period as the page does (11/2026, 43/2026)."""
    order = sorted(df["period"].unique())
    labels = {p: period_label(p) for p in order}
    df = df.assign(label=df["period"].map(labels))
    chart = (
        alt.Chart(df)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "label:O", title=None, sort=[labels[p] for p in order], axis=alt.Axis(labelAngle=-45, labelOverlap=True)
            ),
            y=alt.Y("series:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color(
                "value:Q",
                title=value_title,
                legend=alt.Legend(format=",.4~f"),
                scale=alt.Scale(scheme=scheme, reverse=reverse, domainMid=alt.Undefined if mid is None else mid),  # type: ignore[arg-type]
            ),
            tooltip=[
                tip("series:N", y_title, lang, "series"),
                tip("label:O", None, lang, "period"),
                tip("value:Q", value_title, lang, "value", format=",.2~f"),
            ],
        )
    )
    return finish(chart.properties(title=title), lang, height=max(160, 26 * df["series"].nunique() + 40))


def progress_bars(df: pd.DataFrame, *, title: str, x_title: str, expected_title: str, lang: str) -> AnyChart:
    """Each indicator's share of its annual target reached so far (label, progress, expected, colour), with a
    tick where it should be by now (the share of the year's periods gone)."""
    base = alt.Chart(df).encode(y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=360)))
    bars = base.mark_bar().encode(
        x=alt.X("progress:Q", title=x_title, axis=alt.Axis(format=",.0f"), scale=alt.Scale(domainMin=0)),
        color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[
            tip("label:N", None, lang, "indicator"),
            tip("progress:Q", x_title, lang, "value", format=",.1f"),
            tip("expected:Q", expected_title, lang, "value", format=",.1f"),
        ],
    )
    ticks = base.mark_tick(color="#111", thickness=3, size=22).encode(x="expected:Q")
    full = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(color=COLOURS["neutral"], strokeDash=[4, 3]).encode(x="x:Q")
    return finish(
        alt.layer(bars, ticks, full).properties(title=alt.TitleParams(title, fontSize=13)),
        lang,
        height=max(120, 34 * len(df) + 30),
    )


def grouped_bars(df: pd.DataFrame, *, x: str, y: str, series: str, y_title: str, lang: str) -> AnyChart:
    """Bars side by side per x (a year), one per series: for a few yearly values, where a line says little."""
    order = list(dict.fromkeys(df[x]))
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{series}:N", sort=None),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.4~f")),
            color=alt.Color(f"{series}:N", title=None, sort=None, legend=alt.Legend(columns=2, labelLimit=360)),
            tooltip=[
                tip(f"{series}:N", None, lang, "series"),
                tip(f"{x}:N", None, lang, "period"),
                tip(f"{y}:Q", y_title, lang, "value", format=",.2~f"),
            ],
        )
    )
    return finish(chart, lang)
