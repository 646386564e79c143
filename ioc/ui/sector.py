"""A sector's page from the indicator layer: its tiles, an indicator's trend against target, the wards,
and the values behind them. Every sector has one; a sector's own page adds what only it has."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from ioc import i18n
from ioc.config import Sector
from ioc.queries import Scope, breakdowns, places, present, registers
from ioc.queries import indicators as qi
from ioc.queries import reference as qr
from ioc.queries import series as qs
from ioc.ui import attention, charts, maps, state, tables, wards
from ioc.ui import components as ui
from ioc.ui.charts import AnyChart
from ioc.ui.theme import COLOURS
from ioc.ui.ward_link import ward_profile_link
from ioc.views import Breakdown, Places, Register, Series

WARD_PICK = "_ward_pick"  # a ward clicked on a map or bar, applied to the ward box before it is drawn


def _set_ward(code: str) -> None:
    if st.session_state.get("ward") != code:
        st.session_state[WARD_PICK] = code
        st.rerun()


CAT_KEY = "cat"  # the page's category filter in the URL: column:value (agency:Công an thành phố)


def column_label(table: str, column: str) -> str:
    """A column's label (`columns.NAME.label` of the sources loading the table) in the page's language."""
    label = state.config().column_labels(table).get(column)
    return label.get(state.lang()) if label else column


def value_labeller(table: str, column: str) -> Callable[[Any], Any]:
    """How the page's language names the values of a column (`columns.NAME.value_names` in English), looked up
    once for the thousands of values a page draws; in Vietnamese, each value itself."""
    if state.lang() != "en":
        return lambda v: v
    names = state.config().value_names(table, column)
    return lambda v: names.get(v, v) if isinstance(v, str) else v


def value_label(table: str, column: str, value):
    """One value of a column as the page's language names it (value_labeller)."""
    return value_labeller(table, column)(value)


def _title(view, scope: str = "") -> str:
    """A view's declared title, with where it applies (the city, a ward, a category) after it."""
    title = view.title.get(state.lang())
    return f"{title} · {scope}" if scope else title


def _category(sector: Sector):
    """The category filter from the session or URL, when it names a column this page knows."""
    raw = st.session_state.get(CAT_KEY) or st.query_params.get(CAT_KEY) or ""
    column, _, value = raw.partition(":")
    if column in sector.categories() and value:
        st.session_state[CAT_KEY] = raw
        state.to_url(CAT_KEY, raw, "")
        return column, value
    state.to_url(CAT_KEY, "", "")
    return None


def _set_category(column: str, value: str | None) -> None:
    raw = f"{column}:{value}" if value else ""
    if (st.session_state.get(CAT_KEY) or "") != raw:
        st.session_state[CAT_KEY] = raw
        state.to_url(CAT_KEY, raw, "")
        st.rerun()


def render(code: str) -> None:
    from ioc.ui.signin import gate

    gate(code)  # the page's own check of who may open it
    cfg, lang, t = state.config(), state.lang(), state.t
    sector = cfg.sector(code)
    assert sector is not None, code
    name = sector.name.get(lang)
    sources = [n for n, s in cfg.sources.items() if s.sector == code]
    inds = [i for i in cfg.indicators if i.sector == code]
    ui.page_header(name, t("sector.subtitle"), sources=sources)
    with ui.section():  # its own boundary: the page draws even when the ops store cannot be read
        attention.sector_alerts(sector.code)
    ui.freshness_badges(sources)
    if not inds:
        st.info(t("sector.no_indicators"))
        return
    codes = [i.code for i in inds]
    ind_names = {i.code: i.name.get(lang) for i in inds}
    ward_names = {"": t("sector.city")} | cfg.ward_names(lang)

    if WARD_PICK in st.session_state:  # the box is not drawn yet, so its value may still change
        st.session_state["ward"] = st.session_state.pop(WARD_PICK)
    with ui.section():
        first, last = state.query(qi.period_range, tuple(codes))
        last = min(last, state.today()) if last else state.today()
        first = first or last - dt.timedelta(days=365 * 3)
        default_period = (max(first, dt.date(last.year - 2, 1, 1)), last)

        headline = next((i.code for i in inds if i.headline), codes[0])
        f1, f2, f3 = st.columns([3, 2, 2])
        code = state.bound(f1.selectbox, t("sector.indicator"), "si", headline, codes, format_func=ind_names.get)
        ward = state.bound(f2.selectbox, t("sector.ward"), "ward", "", list(ward_names), format_func=ward_names.get)
        start, end = ui.period_filter(f3, t("sector.period"), first, last, default_period)
        ind = next(i for i in inds if i.code == code)
        where = ward_names[ward]
        cat = _category(sector)
        if cat:
            c1, c2 = st.columns([5, 1])
            cat_table = sector.categories()[cat[0]]
            shown = value_label(cat_table, cat[0], cat[1])
            chip = t("sector.category_filter", column=column_label(cat_table, cat[0]), value=shown)
            c1.markdown(f'<div class="ioc-filter-chip">{ui.esc(chip)}</div>', unsafe_allow_html=True)
            if c2.button(t("sector.category_clear"), key="cat_clear", icon=":material/close:"):
                _set_category(cat[0], None)
        # the indicator layer (tiles, trend, wards) is city- or ward-wide; the category narrows what follows it
        shown = f"{where} · {cat[1]}" if cat else where  # what the views' titles say they show
        scope = Scope(ward or None, start, end, cat)
        if ward:  # the ward across every sector, as its chairman brings it to a meeting
            with contextlib.suppress(StreamlitAPIException):  # an app without the ward page (a test harness)
                ward_profile_link(ward)

    with ui.section(t("sector.tiles_title", where=where)):
        tiles = state.query(qi.summary, codes=tuple(codes), ward=ward or None, today=state.today())
        ui.tiles(tiles, {s.code: s.name.get(state.lang()) for s in state.config().sectors})

    with ui.section():
        series = state.query(qi.values, (code,), ward or None, start, end, state.today())
        unit = i18n.unit(ind.unit, lang)
        title = t("sector.trend_title", name=ind_names[code], where=where, unit=unit)
        if series.empty:
            st.info(t("app.empty"))
        else:
            target = ind.target_for(end.year) if ind.target_aggregate != "sum" else None
            whole = series[~series["partial"]]  # a month in progress is no point on the trend (see qi.PARTIAL)
            drawn, missing = charts.with_gaps(whole[["period", "value"]], "period", ind.grain)
            others = goal = pd.DataFrame()
            shared_table = state.config().province.shared_table
            if shared_table and not ward:  # the province's figures of other localities, beside the city's
                shared = state.query(qi.shared, shared_table, code, start, end)
                others = shared[shared["kind"] == OTHERS_KIND]
                goal = shared[(shared["kind"] != OTHERS_KIND) & (pd.to_datetime(shared["period"]).dt.year == end.year)]
            ui.chart(_trend(drawn, title, unit, ind.grain, target, lang, others))
            if not others.empty:
                line = t("sector.compare_note", city=state.config().city.name.get(lang))
                if not goal.empty:
                    value = f"{i18n.smart(goal['value'].iloc[-1], lang)} {unit}".strip()
                    line += " " + t("sector.province_target", year=end.year, value=value)
                st.caption(line)
            if series["partial"].any():
                periods = ", ".join(i18n.period(p, ind.grain, lang) for p in series.loc[series["partial"], "period"])
                st.caption(t("sector.partial_periods", periods=periods))
            if missing:  # a period without data is a gap, and said, not a line drawn across it
                periods = ", ".join(i18n.period(p.date(), ind.grain, lang) for p in missing[:12])
                st.caption(t("sector.missing_periods", periods=periods + (" …" if len(missing) > 12 else "")))
            ui.keep(  # periods as the page writes them (10/2026, Quý 3/2026), the one in progress marked
                title,
                pd.DataFrame(
                    {
                        t("sector.period_col"): [
                            i18n.period(p, ind.grain, lang) + (" *" if partial else "")
                            for p, partial in zip(series["period"], series["partial"])
                        ],
                        unit or t("xlsx.col_value"): series["value"],
                    }
                ),
            )

    with ui.section(t("sector.wards_title", name=ind_names[code])):
        if state.query(qi.ward_latest, code, state.today())["value"].notna().any():
            wards.ward_block(ind, ind_names[code], key=f"sector_{sector.code}", on_pick=_set_ward)
        else:
            st.info(t("sector.no_ward_values"))

    with ui.section():  # its own boundary: the tiles' section above may have failed
        tiles = state.query(qi.summary, codes=tuple(codes), ward=ward or None, today=state.today())
        if "progress" in tiles and tiles["progress"].notna().any():
            st.subheader(t("sector.progress_title", where=where))
            _progress(tiles[tiles["progress"].notna()], ind_names)

    loaded = state.query(present, tuple(v.table for v in sector.views()))
    for x in sector.series:
        if x.table in loaded:
            with ui.section(_title(x, shown)):
                _series(x, scope)

    for b in sector.breakdowns:
        if b.table in loaded:
            with ui.section(_title(b, shown)):
                _breakdown(sector.view_id(b), b, scope)

    for p in sector.places:
        if p.table in loaded:
            with ui.section(_title(p)):
                _places(sector.view_id(p), p, scope)

    for r in sector.registers:
        if r.table in loaded:
            with ui.section(_title(r, shown)):
                _register(sector.view_id(r), r, scope)

    with ui.section(t("sector.table_title", where=where)):
        long = state.query(qi.values, tuple(codes), ward or None, start, end, state.today())
        if long.empty:
            st.info(t("app.empty"))
        else:
            labels = {
                c: f"{ind_names[c]} ({i18n.unit(u, lang)})" if u else ind_names[c]
                for c, u in zip(long["code"], long["unit"])
            }
            long["label"] = long["code"].map(labels)
            # small counts of people read "<5" here and in the download, never the number
            long["value"] = [ui.masked_text(r) if r["masked"] else r["value"] for _, r in long.iterrows()]
            # a period is read by its own grain (10/2026 beside 2026), and one in progress is marked
            table = long.pivot_table(
                index=["period", "grain", "partial"], columns="label", values="value", aggfunc="first", dropna=False
            ).dropna(how="all")
            # newest first by the period's last day: the year 2025 heads its months, as in a report
            table = table.reset_index()
            table["_end"] = [qi.last_day(pd.Timestamp(d).date(), g) for d, g in zip(table["period"], table["grain"])]
            table["_long"] = [qi.PERIODS_PER_YEAR.get(g, 12) for g in table["grain"]]
            table = table.sort_values(["_end", "_long"], ascending=[False, True]).drop(columns=["_end", "_long"])
            table.insert(
                0,
                t("sector.period_col"),
                [
                    i18n.period(d, g, lang) + (" *" if p else "")
                    for d, g, p in zip(table.pop("period"), table.pop("grain"), table.pop("partial"))
                ],
            )
            table.columns.name = None
            percent = {labels[c]: 1 for c, u in zip(long["code"], long["unit"]) if u == "%"}
            tables.show(table, height=360, digits=percent)
            ui.download_csv(
                table,
                f"{code}_{ward or 'city'}_{start}_{end}",
                key=f"dl_{code}",
                title=t("sector.table_title", where=where),
            )

    filters = {t("sector.ward"): where, t("sector.period"): f"{i18n.date(start)}–{i18n.date(end)}"}
    if cat:
        filters[column_label(sector.categories()[cat[0]], cat[0])] = str(cat[1])
    ui.page_xlsx(f"{sector.code}_{ward or 'city'}_{start}_{end}", filters=filters)


def _ticks(df: pd.DataFrame, grain: str):
    """Ticks on period boundaries, never more often than the grain: every month, quarter or year as fits."""
    if grain == "year":
        return "year"
    if grain not in ("month", "quarter"):
        return alt.Undefined
    when = pd.to_datetime(df["period"])
    months = (when.max().year - when.min().year) * 12 + when.max().month - when.min().month + 1 if len(df) else 1
    step = next(s for s in (1, 3, 6, 12, 24) if months / s <= 12 or s == 24)
    return alt.TickCount(interval="month" if step < 12 else "year", step=max(1, step if step < 12 else step // 12))


OTHERS_KIND = "Thực hiện"  # the province's rows of what other localities did (beside its targets)
OTHERS_GREYS = ["#8D6E63", "#90A4AE", "#A1887F", "#78909C", "#B0BEC5", "#BCAAA4"]


def _trend(
    df: pd.DataFrame, title: str, unit: str, grain: str, target, lang: str, others: pd.DataFrame | None = None
) -> AnyChart:
    fmt = charts.TIME_FORMAT.get(grain, "%d/%m/%Y")
    line = (
        alt.Chart(df)
        .mark_line(point=len(df) <= 120, strokeWidth=2, color=COLOURS["accent"], invalid=charts.GAPS)
        .encode(
            # a yearly value gets one tick a year, not a year label under every month
            x=alt.X(
                "period:T",
                title=None,
                # one tick a period at most, so no label repeats ("08/2026 08/2026" between two months)
                axis=alt.Axis(format=fmt, labelOverlap=True, tickCount=_ticks(df, grain)),
            ),
            y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=",.4~f"), scale=alt.Scale(zero=False)),
            tooltip=[
                charts.tip("period:T", None, lang, "period", format=fmt),
                charts.tip("value:Q", unit, lang, "value", format=",.2~f"),
            ],
        )
    )
    layers = [line]
    if others is not None and not others.empty:  # thin, muted lines under the city's: a comparison, not the news
        areas = list(dict.fromkeys(others["area"]))
        layers.insert(
            0,
            alt.Chart(others)
            .mark_line(strokeWidth=1.2, strokeDash=[4, 2], opacity=0.9)
            .encode(
                x="period:T",
                y="value:Q",
                color=alt.Color(
                    "area:N",
                    scale=alt.Scale(domain=areas, range=OTHERS_GREYS[: len(areas)]),
                    legend=alt.Legend(title=None, orient="bottom", columns=5),
                ),
                tooltip=[
                    charts.tip("area:N", None, lang, "series"),
                    charts.tip("period:T", None, lang, "period", format=fmt),
                    charts.tip("value:Q", unit, lang, "value", format=",.2~f"),
                ],
            ),
        )
    if target is not None:
        rule_df = pd.DataFrame(
            {"target": [target], "label": [state.t("sector.target_line", value=f"{i18n.smart(target, lang)} {unit}")]}
        )
        layers.append(
            alt.Chart(rule_df).mark_rule(color=COLOURS["good"], strokeDash=[6, 4], strokeWidth=2).encode(y="target:Q")
        )
        layers.append(
            alt.Chart(rule_df)
            .mark_text(align="left", dx=4, dy=-7, color=COLOURS["good"], fontWeight="bold")
            .encode(y="target:Q", x=alt.value(0), text="label:N")
        )
    return charts.finish(alt.layer(*layers).properties(title=title), lang)


PLACES_DRAWN = 5000  # more places than this are drawn as counts per cell, not one by one
PALETTE = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]


def _places(vid: str, spec: Places, scope: Scope) -> None:
    """The sector's places on the ward map, coloured by category, with the count of each category."""
    import json

    import pydeck as pdk

    from ioc.aqi import rgb

    lang, t = state.lang(), state.t
    named = value_labeller(spec.table, spec.category)
    if not (spec.date and spec.by_period):  # a register of places: every one shows, whatever the period
        scope = replace(scope, start=None, end=None)
    counts = state.query(places.counts, spec, scope).set_index("category")["n"]  # all of them, exactly
    total = int(counts.sum())
    if not total:
        st.info(t("app.empty"))
        return
    colour = {c: PALETTE[i] if i < len(PALETTE) else "#9E9E9E" for i, c in enumerate(counts.index)}
    dense = total > PLACES_DRAWN and not spec.polygon
    if dense:  # too many to draw one by one (and to send): counted per cell in DuckDB
        pts = state.query(places.grid, spec, scope)
        pts = pts.assign(
            name=[t("places.cell", n=i18n.num(n, lang)) for n in pts["n"]],
            info=[t("places.cell_top", category=named(c)) for c in pts["top_category"]],
            fill=[rgb(colour.get(c, "#9E9E9E"), 210) for c in pts["top_category"]],
        )
    else:
        pts = state.query(places.points, spec, scope, limit=PLACES_DRAWN)
        pts = pts.assign(
            fill=[rgb(colour.get(c, "#9E9E9E"), 200) for c in pts["category"]],
            info=[
                " · ".join(
                    str(x)
                    for x in (
                        named(c),
                        w or "",
                        i18n.date(d) if pd.notna(d) else "",
                        detail or "",
                    )
                    if x
                )
                for c, w, d, detail in zip(pts["category"], i18n.name(pts, lang, "ward"), pts["day"], pts["detail"])
            ],
        )
    wards_df = state.query(qr.wards)
    layers = [
        maps.ward_layer(maps.ward_features(wards_df, lang), pickable=False, layer_id="wards-base"),
        maps.ward_labels(wards_df, lang),
    ]
    if spec.polygon:
        feats = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": json.loads(g), "properties": {"name": n, "info": i, "fill": f}}
                for g, n, i, f in zip(pts["geometry"], pts["name"], pts["info"], pts["fill"])
                if g
            ],
        }
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                feats,
                id="places",
                pickable=True,
                filled=True,
                stroked=True,
                get_fill_color="properties.fill",
                get_line_color=[40, 40, 40, 200],
                line_width_min_pixels=1,
            )
        )
    elif dense:
        pts["radius"] = 40 + 110 * (pts["n"] / max(1, int(pts["n"].max()))) ** 0.5  # area grows with the count
        layers.append(maps.points(pts[["name", "info", "fill", "lon", "lat", "radius"]], "places", "radius", (2, 16)))
    else:
        radius = "60 + 40 * weight" if spec.weight else 70
        layers.append(
            maps.points(pts[["name", "info", "fill", "lon", "lat", "weight"]], "places", radius, (3, 18),
                        outline=[255, 255, 255, 200], outline_px=0.5)
        )  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.pydeck_chart(
            maps.deck(layers, wards_df, "<b>{name}</b><br/>{info}", state.config().maps.tile_url), height=460
        )
        st.caption(t("places.count_dense" if dense else "places.count", n=i18n.num(total, lang)))
        ui.keep(
            _title(spec),
            pts[["lat", "lon", "n", "top_category"]]
            if dense
            else pts[["name", "category", "ward_vi", "day", "lat", "lon"]],
        )
    with right:
        bars = pd.DataFrame(
            {
                "category": [str(c) for c in counts.index],
                "shown": [str(named(c)) for c in counts.index],
                "n": counts.values,
                "colour": [colour[c] for c in counts.index],
            }
        )
        value = ui.bars(bars, x="n", y="shown", title=t("places.by_category"), x_title=t("places.number"),
                        key=f"pick_{vid}", select="category")  # fmt: skip
        if value:
            _set_category(spec.category, value)


def _breakdown(vid: str, spec: Breakdown, scope: Scope) -> None:
    """One breakdown: the dimension to break by, the top values as bars, and the table behind them."""
    lang, t = state.lang(), state.t
    dims = list(spec.dims)
    dim = dims[0]
    if len(dims) > 1:
        dim = state.bound(
            st.segmented_control,
            t("breakdown.by"),
            f"by_{vid}",
            dims[0],
            dims,
            required=True,
            format_func=lambda d: column_label(spec.table, d),
        )
    df = state.query(breakdowns.breakdown, spec, dim, scope)
    df = df.dropna(subset=["value"])
    if df.empty or not df["value"].any():
        st.info(t("app.empty"))
        return
    unit = i18n.unit(spec.unit, lang)
    chosen = scope.category[1] if scope.category and scope.category[0] == dim else None
    named = value_labeller(spec.table, dim)
    df = df.assign(shown=[named(v) for v in df["label"]])  # the value stays the filter
    top = df.head(15)
    top = top.assign(colour=[COLOURS["accent"] if chosen in (None, v) else "#B0BEC5" for v in top["label"]])
    left, right = st.columns([3, 2])
    with left:
        value = ui.bars(top, x="value", y="shown", title=column_label(spec.table, dim), x_title=unit,
                        key=f"pick_{vid}_{dim}", select="label")  # fmt: skip
        if value and value != "–":  # a click on a bar filters the whole page by it
            _set_category(dim, value)
        st.caption(t("sector.click_hint"))
    with right:
        table = pd.DataFrame(
            {
                column_label(spec.table, dim): df["shown"],
                f"{t('breakdown.value')} ({unit})" if unit else t("breakdown.value"): df["value"],
                t("breakdown.rows"): df["rows"],
            }
        )
        tables.show(table, height=min(420, 36 * len(table) + 40), digits={table.columns[1]: 1} if unit == "%" else None)
        ui.download_csv(table, f"{vid}_{dim}_{scope.start}_{scope.end}", key=f"dl_{vid}", title=_title(spec))


def _progress(df: pd.DataFrame, names: dict[str, str]) -> None:
    """Indicators with a yearly total as target: the share reached so far against the share of the year gone."""
    t, lang = state.t, state.lang()
    per_year = [qi.PERIODS_PER_YEAR.get(g, 12) for g in df["grain"]]
    out = pd.DataFrame(
        {
            "label": [names.get(c, c) for c in df["code"]],
            "progress": df["progress"].astype(float).round(1),
            "expected": [min(100.0, 100.0 * (n or 0) / p) for n, p in zip(df["ytd_periods"], per_year)],
            "colour": [
                COLOURS["good"] if ui.STATUS_CLASS.get(s) == "good" else COLOURS["bad"] for s in df["target_status"]
            ],
        }
    )
    ui.chart(
        charts.progress_bars(
            out,
            title=t("sector.progress_chart"),
            x_title=t("sector.progress_axis"),
            expected_title=t("sector.progress_expected"),
            lang=lang,
        )
    )
    st.caption(t("sector.progress_note"))
    ui.keep(t("sector.progress_chart"), out.drop(columns="colour"))


def _series_labels(spec: Series) -> dict[str, str]:
    return {m.name: m.label.get(state.lang()) for m in spec.measures}


def _threshold(code: str | None, ward) -> float | None:
    """The alert threshold of an indicator (its `threshold`, or `ward_threshold` for a ward)."""
    ind = next((i for i in state.config().indicators if i.code == code), None) if code else None
    return ind.threshold_for(ward) if ind else None


PANDAS_PERIOD = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}  # a week from Monday


def _series(spec: Series, scope: Scope) -> None:
    """A sector's own time series: lines, this year against last, a heat map or the latest change."""
    t, today = state.t, state.today()
    df = state.query(qs.series, spec, scope, today)
    if df.empty or df["value"].isna().all():
        st.info(t("app.empty"))
        return
    current = pd.Timestamp(today).to_period(PANDAS_PERIOD[spec.grain]).start_time.date()
    if scope.end is not None and scope.end >= current:  # the period in progress is left out: said, not hidden
        st.caption(t("series.partial", period=i18n.period(current, spec.grain, state.lang())))
    if not spec.by:
        df = df.assign(series=df["series"].map(_series_labels(spec)))
    else:  # a value of `by` by its name in the page's language
        named = value_labeller(spec.table, spec.by)
        df = df.assign(series=[named(v) for v in df["series"]])
    unit = i18n.unit(spec.unit, state.lang())  # the section's title names the series
    if spec.kind == "yoy":
        _year_over_year(spec, df, unit)
    elif spec.kind == "change":
        _change(spec, df, unit)
    else:
        ui.chart(_series_chart(spec, df, unit, scope.ward))
        _keep_wide(spec, df)


def _series_chart(spec: Series, df: pd.DataFrame, unit: str, ward) -> AnyChart:
    """A heat map (by × period), bars side by side for a few years, or lines with the alert threshold."""
    lang, t = state.lang(), state.t
    if spec.kind == "heat":
        # diverging around `mid` (red below for what should be high), else one hue: green, orange-red or blue
        scheme = (
            "redyellowgreen"
            if spec.mid is not None
            else {"higher": "greens", "lower": "orangered"}.get(spec.better or "", "blues")
        )
        return charts.heatmap(
            df,
            title="",
            y_title=column_label(spec.table, spec.by or ""),
            value_title=unit,
            lang=lang,
            period_label=lambda p: i18n.period(p, spec.grain, lang),
            scheme=scheme,
            mid=spec.mid,
            reverse=spec.mid is not None and spec.better == "lower",
        )
    if spec.grain == "year":  # a few school or calendar years: bars side by side read better than lines
        return charts.grouped_bars(
            df.assign(year=[i18n.period(p, "year", lang) for p in df["period"]]),
            x="year",
            y="value",
            series="series",
            y_title=unit,
            lang=lang,
        )
    limit = _threshold(spec.threshold, ward)
    drawn, _ = charts.with_gaps(df, "period", spec.grain, "series")  # a missing period breaks its line
    return charts.time_lines(
        drawn,
        x="period",
        y="value",
        series="series",
        title="",
        x_title="",
        y_title=unit,
        series_title="",
        lang=lang,
        limit=limit,
        y_format=",.4~f",
        zero=spec.zero,
        limit_label=t("series.threshold", value=i18n.smart(limit, lang)) if limit else "",
        grain=spec.grain,
    )


def _keep_wide(spec: Series, df: pd.DataFrame) -> None:
    """The series as a table, a column per line and a row per period, for the page's XLSX."""
    lang, t = state.lang(), state.t
    wide = df.pivot_table(index="period", columns="series", values="value", aggfunc="first").sort_index(ascending=False)
    wide.index = [i18n.period(p, spec.grain, lang) for p in wide.index]
    ui.keep(_title(spec), wide.rename_axis(t("sector.period_col")).reset_index())


def _year_over_year(spec: Series, df: pd.DataFrame, unit: str) -> None:
    """A small chart per measure: each month of this year beside the same month last year, and the year so far
    against the same months of last year."""
    lang, t = state.lang(), state.t
    months = i18n.t("calendar.short_months", lang).split(",")
    periods = pd.to_datetime(df["period"])
    this_year = periods.dt.year.max()
    last_month = periods[periods.dt.year == this_year].dt.month.max()
    for col, (name, g) in zip(st.columns(df["series"].nunique()), df.groupby("series", sort=False)):
        p = pd.to_datetime(g["period"])
        now = g.loc[(p.dt.year == this_year), "value"].sum()
        before = g.loc[(p.dt.year == this_year - 1) & (p.dt.month <= last_month), "value"].sum()
        with col:
            ui.chart(charts.year_over_year(g, title=name, y_title=unit, lang=lang, month_names=months))
            st.caption(
                t(
                    "series.ytd",
                    month=i18n.period(dt.date(int(this_year), int(last_month), 1), "month", lang),
                    value=i18n.num(now, lang),
                    before=i18n.num(before, lang),
                )
            )
    _keep_wide(spec, df)


def _change(spec: Series, df: pd.DataFrame, unit: str) -> None:
    """The latest value of each series with its change on the period before and four periods before."""
    lang, t = state.lang(), state.t
    ch = qs.with_change(df)
    if ch.empty:
        st.info(t("app.empty"))
        return
    table = pd.DataFrame(
        {
            column_label(spec.table, spec.by or ""): ch["series"],
            t("series.latest", period=i18n.period(ch["period"].max(), spec.grain, lang), unit=unit): ch["value"],
            t("series.change_prev"): ch["change_pct"].round(1),
            t("series.change_4"): ch["change4_pct"].round(1),
        }
    )
    left, right = st.columns([3, 2])
    with left:
        tables.show(table, height=min(600, 36 * len(table) + 40), digits={c: 1 for c in table.columns[2:]})
        ui.download_csv(table, f"{spec.key}_{ch['period'].max()}", key=f"dl_series_{spec.key}", title=_title(spec))
    with right:
        bars = ch.dropna(subset=["change_pct"]).assign(
            colour=lambda d: [
                COLOURS["bad"] if v > 0 else COLOURS["good"] if v < 0 else COLOURS["neutral"] for v in d["change_pct"]
            ]
        )
        ui.bars(bars, x="change_pct", y="series", title=t("series.change_chart"), x_title="%")


def _register(vid: str, spec: Register, scope: Scope) -> None:
    """A register in full: every row in the page's ward and category (and period, when it has dates)."""
    lang, t = state.lang(), state.t
    df = state.query(registers.rows, spec, scope)
    if df.empty:
        st.info(t("app.empty"))
        return
    for c in df.columns:  # category values by their names in the page's language
        if state.config().value_names(spec.table, c) and state.lang() == "en":
            named = value_labeller(spec.table, c)
            df[c] = [named(v) for v in df[c]]
    labels = {c: column_label(spec.table, c) for c in df.columns}
    table = df.rename(columns=labels)
    years = [labels[c] for c in df.columns if c.endswith("_year")]  # a year reads 2026, not 2.026
    tables.show(table, height=min(480, 36 * len(table) + 40), plain=years)
    st.caption(t("register.count", n=i18n.num(len(table), lang)))
    ui.download_csv(table, f"{vid}_{scope.ward or 'city'}", key=f"dl_{vid}", title=_title(spec))
