"""Result tables, exports and result charts for the analyst pages (catalog, explorer, SQL console)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import altair as alt
import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st
from pandas.io.formats.style import Styler

from ioc import exports, i18n, sandbox
from ioc.ui import maps, state
from ioc.ui.charts import AnyChart, finish
from ioc.ui.theme import COLOURS

MAX_SERIES = 12  # lines on one chart; the rest are summed into "other" by the caller's reading
MAX_BARS = 30


@st.cache_data(show_spinner=False, max_entries=500, ttl=6 * 3600)
def _sandboxed(snapshot: str, sql: str, params: tuple, limit: int, timeout: float) -> tuple[pd.DataFrame, bool]:
    res = sandbox.run(state.config(), sql, list(params), timeout=timeout, limit=limit, path=snapshot)
    return res.frame(), res.truncated


def sandboxed(sql: str, params: Sequence, limit: int) -> tuple[pd.DataFrame, bool]:
    """The first `limit` rows of a query run in the sandbox under the analyst time limit, cached per snapshot;
    and whether rows were left out. QueryError (DuckDB's message) propagates to the page's section."""
    cfg = state.config()
    return _sandboxed(str(state.snapshot_path()), sql, tuple(params), limit, cfg.analyst.sql_timeout_seconds)


def catalog_link(table: str) -> str:
    """The catalog page opened on a table: freshness badges and tables link here."""
    return f"/catalog?table={quote(table)}"


def cell_text(v: object, lang: str) -> str:
    """One value as a Vietnamese reader expects it: 1.234,5 · 25/11/2026 · 08:30 25/11/2026 · Có/Không."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and np.isnan(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return state.t("analyst.yes") if v else state.t("analyst.no")
    if isinstance(v, (int, np.integer)):
        return i18n.num(v, lang)
    if isinstance(v, (float, np.floating)):
        return i18n.smart(v, lang)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(v)
        return ts.strftime("%d/%m/%Y") if ts == ts.normalize() else ts.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def styled(df: pd.DataFrame, lang: str, digits: Mapping[str, int] | None = None, plain: Sequence[str] = ()) -> Styler:
    """The frame with its values shown in the city's formats, whatever the browser's locale; sorting still
    uses the values themselves. `digits` fixes a column's decimals (a percentage to one), `plain` columns
    (years, codes) are shown as they are: 2026, not 2.026."""
    fixed = dict(digits or {})

    def fmt(column: str) -> Callable[[object], str]:
        if column in plain:
            return lambda v: cell_text(v, lang) if cell_text(v, lang) == "–" or isinstance(v, str) else str(v)
        if column in fixed:
            return lambda v: cell_text(v, lang) if isinstance(v, str) else i18n.num(v, lang, fixed[column])
        return lambda v: cell_text(v, lang)

    return df.style.format({c: fmt(c) for c in df.columns}, na_rep="–")


def show(
    df: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    key: str | None = None,
    digits: Mapping[str, int] | None = None,
    plain: Sequence[str] = (),
    **kwargs,
) -> object:
    """A result as st.dataframe: labelled headers, Vietnamese number and date formats (see styled), no index.
    `digits` and `plain` name columns by their shown labels."""
    shown = df.rename(columns=dict(labels or {}))
    shown = shown.loc[:, ~shown.columns.duplicated()]
    return st.dataframe(
        styled(shown, state.lang(), digits, plain),
        hide_index=True,
        width="stretch",
        height=height or "auto",
        key=key,
        **kwargs,
    )


def download(
    label: str, make: Callable[[], bytes], *, file_name: str, mime: str, key: str, rows: int | None = None, **kw: Any
) -> None:
    """The one download button: shown only to those who may export; the file is made when the button is
    pressed, and the export goes into the audit log (the file, how many rows)."""
    if not state.may("export"):
        return
    who, origin, path = state.person().name, state.origin(), state.ops_path()

    def build() -> bytes:
        from ioc import audit

        data = make()
        n = getattr(data, "rows", rows)
        audit.record(path, who, "export", file_name + (f" ({n} rows)" if n is not None else ""), origin)
        return data

    st.download_button(label, build, file_name=file_name, mime=mime, key=key, on_click="ignore", **kw)


def downloads(make: Callable[[str], bytes], name: str, key: str) -> None:
    """CSV, XLSX and Parquet buttons; each file is built only when its button is pressed, from every row."""
    cols = st.columns([1] * len(exports.FORMATS) + [3])
    for col, (fmt, (ext, mime)) in zip(cols, exports.FORMATS.items()):
        with col:
            download(
                fmt.upper() if fmt != "parquet" else "Parquet",
                functools.partial(make, fmt),
                file_name=f"{name}.{ext}",
                mime=mime,
                key=f"{key}_{fmt}",
                icon=":material/download:",
                help=state.t(f"analyst.download_{fmt}"),
                width="stretch",
            )


# --------------------------------------------------------------------------- result charts


def _top(df: pd.DataFrame, by: str, value: str, n: int) -> pd.DataFrame:
    keep = df.groupby(by, dropna=False)[value].sum().nlargest(n).index
    return df[df[by].isin(keep)]


def line(
    df: pd.DataFrame, *, x: str, y: str, series: str | None, x_title: str, y_title: str, series_title: str, lang: str
) -> AnyChart:
    """A measure over periods, one line per category of the first group (the largest few)."""
    if series:
        df = _top(df, series, y, MAX_SERIES)
    enc = {
        "x": alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format="%m/%Y", labelOverlap=True)),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.4~f")),
        "tooltip": ([alt.Tooltip(f"{series}:N", title=series_title)] if series else [])
        + [
            alt.Tooltip(f"{x}:T", title=x_title, format="%d/%m/%Y"),
            alt.Tooltip(f"{y}:Q", title=y_title, format=",.4~f"),
        ],
    }
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=series_title, legend=alt.Legend(columns=3, labelLimit=260))
    chart = alt.Chart(df).mark_line(point=len(df) <= 60, strokeWidth=1.8).encode(**enc)
    return finish(chart, lang, height=340)


def bars(
    df: pd.DataFrame, *, x: str, y: str, colour: str | None, x_title: str, y_title: str, colour_title: str, lang: str
) -> AnyChart:
    """Horizontal bars per category, largest first; a second group stacks in colours."""
    df = _top(df, y, x, MAX_BARS)
    order = df.groupby(y, dropna=False)[x].sum().sort_values(ascending=False).index.tolist()
    enc = {
        "y": alt.Y(f"{y}:N", title=None, sort=order, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        "x": alt.X(f"sum({x}):Q", title=x_title, axis=alt.Axis(format=",.4~f")),
        "tooltip": [alt.Tooltip(f"{y}:N", title=y_title)]
        + ([alt.Tooltip(f"{colour}:N", title=colour_title)] if colour else [])
        + [alt.Tooltip(f"sum({x}):Q", title=x_title, format=",.4~f")],
    }
    enc["color"] = (
        alt.Color(f"{colour}:N", title=colour_title, legend=alt.Legend(columns=3, labelLimit=260))
        if colour
        else alt.value(COLOURS["accent"])
    )
    chart = alt.Chart(df).mark_bar().encode(**enc)
    return finish(chart, lang, height=max(160, 24 * df[y].nunique() + 40))


def ward_map(
    values: pd.DataFrame,
    wards: pd.DataFrame,
    *,
    value: str,
    value_title: str,
    lang: str,
    tile_url: str | None = None,
) -> pdk.Deck:
    """Wards shaded light to dark blue by a measure (neutral: more is not better or worse here)."""
    v = values.set_index("ward_code")[value].astype(float)
    lo, hi = (v.min(), v.max()) if v.notna().any() else (0.0, 1.0)
    span = (hi - lo) or 1.0
    light, dark = np.array([222, 235, 247]), np.array([8, 69, 148])
    fill, extra = {}, {}
    for code, x in v.items():
        if pd.notna(x):
            c = light + (dark - light) * ((x - lo) / span)
            fill[code] = [int(c[0]), int(c[1]), int(c[2]), 210]
        extra[code] = {"info": f"{value_title}: {cell_text(x, lang)}"}
    feats = maps.ward_features(wards, lang, fill=fill, extra=extra)
    layers = [maps.ward_layer(feats), maps.ward_labels(wards, lang)]
    return maps.deck(layers, wards, "<b>{name}</b><br/>{info}", tile_url)


def big_numbers(values: Sequence[tuple[str, str]]) -> None:
    """Measures of an ungrouped slice, as large figures side by side."""
    cols = st.columns(max(1, min(4, len(values))))
    for i, (label, text) in enumerate(values):
        cols[i % len(cols)].metric(label, text)
