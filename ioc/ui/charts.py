"""Chart builders: each returns an alt.Chart with the theme, Vietnamese labels and number formats."""
from __future__ import annotations

from typing import Optional

import altair as alt
import pandas as pd

from ioc.ui.theme import COLOURS, VEGA_LOCALE


def finish(chart: alt.Chart, lang: str, height: int = 320) -> alt.Chart:
    # height is the plot's own: with Vega's default "fit" the legend and title would eat into it
    return (
        chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure(locale=VEGA_LOCALE.get(lang, VEGA_LOCALE["vi"]))
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(orient="bottom", labelFontSize=12, titleFontSize=12)
        .configure_title(fontSize=15, anchor="start")
    )


def time_lines(
    df: pd.DataFrame, *, x: str, y: str, series: str, title: str, x_title: str, y_title: str, series_title: str,
    lang: str, hourly: bool = False, limit: Optional[float] = None, limit_label: str = "",
) -> alt.Chart:
    """One line per series over time, with an optional limit drawn as a red rule."""
    time_fmt = "%H:%M %d/%m/%Y" if hourly else "%d/%m/%Y"
    span_days = (pd.to_datetime(df[x]).max() - pd.to_datetime(df[x]).min()).days if len(df) else 0
    axis_fmt = "%H:%M %d/%m" if hourly and span_days <= 3 else ("%d/%m" if span_days <= 180 else "%m/%Y")
    base = alt.Chart(df).mark_line(strokeWidth=1.6, point=not hourly and len(df) <= 400).encode(
        x=alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format=axis_fmt, labelOverlap=True)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{series}:N", title=series_title, legend=alt.Legend(columns=2, labelLimit=360)),
        tooltip=[alt.Tooltip(f"{series}:N", title=series_title), alt.Tooltip(f"{x}:T", title=x_title, format=time_fmt),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=",.1f")],
    )
    layers = [base]
    if limit is not None and len(df) and df[y].max() >= 0.2 * limit:  # a far limit would flatten the data
        rule_df = pd.DataFrame({"limit": [limit], "label": [limit_label]})
        rule = alt.Chart(rule_df).mark_rule(color=COLOURS["limit"], strokeDash=[6, 4], strokeWidth=2).encode(y="limit:Q")
        text = alt.Chart(rule_df).mark_text(align="left", dx=4, dy=-7, color=COLOURS["limit"], fontWeight="bold").encode(
            y="limit:Q", x=alt.value(0), text="label:N")
        layers += [rule, text]
    return finish(alt.layer(*layers).properties(title=title), lang)


def stacked_bands(
    df: pd.DataFrame, *, y: str, count: str, band: str, order: list[str], labels: dict[str, str], colours: dict[str, str],
    title: str, y_title: str, x_title: str, lang: str,
) -> alt.Chart:
    """Horizontal stacked bars of counts per category, coloured by an ordered scale (AQI bands)."""
    df = df.assign(_label=df[band].map(labels), _order=df[band].map({b: i for i, b in enumerate(order)}))
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y(f"{y}:N", title=None, sort=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X(f"sum({count}):Q", title=x_title, axis=alt.Axis(format=",.0f", tickMinStep=1)),
        color=alt.Color("_label:N", title=None, sort=[labels[b] for b in order],
                        scale=alt.Scale(domain=[labels[b] for b in order], range=[colours[b] for b in order])),
        order=alt.Order("_order:Q"),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip("_label:N", title=""),
                 alt.Tooltip(f"sum({count}):Q", title=x_title, format=",.0f")],
    )
    return finish(chart.properties(title=title), lang, height=max(160, 34 * df[y].nunique() + 60))


def ranked_bars(
    df: pd.DataFrame, *, x: str, y: str, colour: str, title: str, x_title: str, y_title: str, lang: str,
) -> alt.Chart:
    """Horizontal bars in the order given, each in its own colour (the map's, so both read alike)."""
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y(f"{y}:N", title=None, sort=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=",.4~f")),
        color=alt.Color(f"{colour}:N", scale=None, legend=None),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:Q", title=x_title or title, format=",.2~f")],
    )
    return finish(chart.properties(title=alt.TitleParams(title, fontSize=13)), lang, height=max(200, 24 * len(df) + 40))
