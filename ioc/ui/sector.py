"""A sector's page from the indicator layer: its tiles, an indicator's trend against target, the wards,
and the values behind them. Every sector has one; a sector's own page adds what only it has."""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.queries import breakdowns, places
from ioc.queries import reference as qr
from ioc.ui import charts, maps, state, wards
from ioc.ui import components as ui
from ioc.ui.theme import COLOURS


def _set_ward(code: str) -> None:
    if st.session_state.get("ward") != code:
        st.session_state["ward"] = code
        st.rerun()


def render(sector: str) -> None:
    cfg, lang, t = state.config(), state.lang(), state.t
    meta = next(s for s in cfg.sectors if s.code == sector)
    name = getattr(meta.name, lang) or meta.name.vi
    sources = [n for n, s in cfg.sources.items() if s.sector == sector]
    inds = [i for i in cfg.indicators if i.sector == sector]
    ui.page_header(name, t("sector.subtitle"), sources=sources)
    ui.freshness_badges(sources)
    if not inds:
        st.info(t("sector.no_indicators"))
        return
    codes = [i.code for i in inds]
    ind_names = {i.code: (i.name.vi if lang == "vi" else (i.name.en or i.name.vi)) for i in inds}
    ward_names = {"": t("sector.city")} | {w.code: (w.name_vi if lang == "vi" else (w.name_en or w.name_vi))
                                          for w in cfg.wards}

    with ui.section():
        first, last = state.query(qi.period_range, tuple(codes))
        last = last or state.today()
        first = first or last - dt.timedelta(days=365 * 3)
        default_period = (max(first, dt.date(last.year - 2, 1, 1)), last)

        def _period(text: str):
            a, b = (dt.date.fromisoformat(x) for x in text.split(".."))
            a, b = max(a, first), min(b, last)
            return (a, b) if a <= b else None

        headline = next((i.code for i in inds if i.headline), codes[0])
        f1, f2, f3 = st.columns([3, 2, 2])
        code = f1.selectbox(t("sector.indicator"), codes, format_func=ind_names.get,
                            key=state.url_key("si", headline, lambda v: v if v in codes else None))
        ward = f2.selectbox(t("sector.ward"), list(ward_names), format_func=ward_names.get,
                            key=state.url_key("ward", "", lambda v: v if v in ward_names else None))
        period = f3.date_input(t("sector.period"), min_value=first, max_value=last, format="DD/MM/YYYY",
                               key=state.url_key("period", default_period, _period))
        start, end = ui.date_bounds(period, default_period)
        state.to_url("si", code, headline)
        state.to_url("ward", ward, "")
        state.to_url("period", (start, end), default_period, lambda p: f"{p[0].isoformat()}..{p[1].isoformat()}")
        ind = next(i for i in inds if i.code == code)
        where = ward_names[ward]

    with ui.section(t("sector.tiles_title", where=where)):
        tiles = state.query(qi.summary, codes=tuple(codes), ward=ward or None, today=state.today())
        ui.tiles(tiles, {sector: name})

    with ui.section():
        series = state.query(qi.values, (code,), ward or None, start, end)
        unit = i18n.unit(ind.unit, lang)
        title = t("sector.trend_title", name=ind_names[code], where=where, unit=unit)
        if series.empty:
            st.info(t("app.empty"))
        else:
            target = ind.target_for(end.year) if ind.target_aggregate != "sum" else None
            st.altair_chart(_trend(series, title, unit, ind.grain, target, lang), width="stretch")
            ui.keep(title, series[["period", "value"]].rename(columns={"period": t("sector.period_col"), "value": unit or "value"}))

    with ui.section(t("sector.wards_title", name=ind_names[code])):
        if state.query(qi.ward_latest, code)["value"].notna().any():
            wards.ward_block(ind, ind_names[code], key=f"sector_{sector}", on_pick=_set_ward)
        else:
            st.info(t("sector.no_ward_values"))

    for spec in state.query(breakdowns.available, sector):
        with ui.section(t(f"breakdown.{spec.key}", where=where)):
            _breakdown(spec, ward or None, start, end)

    for spec in state.query(places.available, sector):
        with ui.section(t(f"places.{spec.table}")):
            _places(spec, ward or None, start, end)

    with ui.section(t("sector.table_title", where=where)):
        long = state.query(qi.values, tuple(codes), ward or None, start, end)
        if long.empty:
            st.info(t("app.empty"))
        else:
            long["label"] = [f"{ind_names[c]} ({i18n.unit(u, lang)})" if u else ind_names[c]
                             for c, u in zip(long["code"], long["unit"])]
            numeric = not long["masked"].any()
            if not numeric:  # small counts of people read "<5" here and in the download, never the number
                long["value"] = [ui.masked_text(r) if r["masked"] else i18n.smart(r["value"], lang)
                                 for _, r in long.iterrows()]
            table = long.pivot_table(index="period", columns="label", values="value", aggfunc="first")
            table = table.sort_index(ascending=False).reset_index()
            table.insert(0, t("sector.period_col"), [i18n.date(d) for d in table.pop("period")])
            st.dataframe(table, hide_index=True, width="stretch", height=360,
                         column_config={c: st.column_config.NumberColumn(format="localized")
                                        for c in table.columns[1:]} if numeric else None)
            ui.download_csv(table, f"{sector}_{ward or 'city'}_{start}_{end}", key=f"dl_{sector}",
                            title=t("sector.table_title", where=where))

    ui.page_xlsx(f"{sector}_{ward or 'city'}_{start}_{end}")


def _trend(df: pd.DataFrame, title: str, unit: str, grain: str, target, lang: str) -> alt.Chart:
    fmt = {"year": "%Y", "quarter": "%m/%Y", "month": "%m/%Y"}.get(grain, "%d/%m/%Y")
    line = alt.Chart(df).mark_line(point=len(df) <= 120, strokeWidth=2, color=COLOURS["accent"]).encode(
        x=alt.X("period:T", title=None, axis=alt.Axis(format=fmt, labelOverlap=True)),
        y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=",.4~f"), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("period:T", title="", format=fmt), alt.Tooltip("value:Q", title=unit, format=",.2~f")],
    )
    layers = [line]
    if target is not None:
        rule_df = pd.DataFrame({"target": [target], "label": [state.t("sector.target_line",
                                                                     value=f"{i18n.smart(target, lang)} {unit}")]})
        layers.append(alt.Chart(rule_df).mark_rule(color=COLOURS["good"], strokeDash=[6, 4], strokeWidth=2)
                      .encode(y="target:Q"))
        layers.append(alt.Chart(rule_df).mark_text(align="left", dx=4, dy=-7, color=COLOURS["good"], fontWeight="bold")
                      .encode(y="target:Q", x=alt.value(0), text="label:N"))
    return charts.finish(alt.layer(*layers).properties(title=title), lang)


PALETTE = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
           "#17BECF"]


def _places(spec: places.Places, ward, start: dt.date, end: dt.date) -> None:
    """The sector's places on the ward map, coloured by category, with the count of each category."""
    import json

    import pydeck as pdk

    from ioc.aqi import rgb

    lang, t = state.lang(), state.t
    pts = state.query(places.points, spec.table, ward, start if spec.date else None, end if spec.date else None)
    if pts.empty:
        st.info(t("app.empty"))
        return
    counts = pts.groupby("category", dropna=False).size().sort_values(ascending=False)
    cats = [c for c in counts.index]
    colour = {c: PALETTE[i % len(PALETTE)] if i < len(PALETTE) else "#9E9E9E" for i, c in enumerate(cats)}
    pts = pts.assign(
        fill=[rgb(colour[c], 200) for c in pts["category"]],
        info=[" · ".join(str(x) for x in (c, (w_vi if lang == "vi" else w_en) or "", i18n.date(d) if pd.notna(d) else "")
                          if x) for c, w_vi, w_en, d in zip(pts["category"], pts["ward_vi"], pts["ward_en"], pts["day"])],
    )
    wards_df = state.query(qr.wards)
    layers = [maps.ward_layer(maps.ward_features(wards_df, lang), pickable=False, layer_id="wards-base"),
              maps.ward_labels(wards_df, lang)]
    if spec.polygon:
        feats = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": {"name": n, "info": i, "fill": f}}
            for g, n, i, f in zip(pts["geometry"], pts["name"], pts["info"], pts["fill"]) if g]}
        layers.append(pdk.Layer("GeoJsonLayer", feats, id="places", pickable=True, filled=True, stroked=True,
                                get_fill_color="properties.fill", get_line_color=[40, 40, 40, 200],
                                line_width_min_pixels=1))
    else:
        cols = ["name", "info", "fill", "lon", "lat", "weight"]
        layers.append(pdk.Layer("ScatterplotLayer", pts[cols], id="places", get_position=["lon", "lat"],
                                get_fill_color="fill", get_radius="60 + 40 * weight" if spec.weight else 70,
                                radius_min_pixels=3, radius_max_pixels=18, stroked=True,
                                get_line_color=[255, 255, 255, 200], line_width_min_pixels=0.5, pickable=True))
    left, right = st.columns([3, 2])
    with left:
        st.pydeck_chart(maps.deck(layers, wards_df, "<b>{name}</b><br/>{info}", state.config().maps.tile_url),
                        height=460)
        st.caption(t("places.count", n=i18n.num(len(pts), lang)))
        ui.keep(t(f"places.{spec.table}"), pts[["name", "category", "ward_vi", "day", "lat", "lon"]])
    with right:
        bars = pd.DataFrame({"category": [str(c) for c in counts.index], "n": counts.values,
                             "colour": [colour[c] for c in counts.index]})
        st.altair_chart(charts.ranked_bars(bars, x="n", y="category", colour="colour", title=t("places.by_category"),
                                           x_title=t("places.number"), y_title="", lang=lang), width="stretch")


def _breakdown(spec: breakdowns.Breakdown, ward, start: dt.date, end: dt.date) -> None:
    """One breakdown: the dimension to break by, the top values as bars, and the table behind them."""
    lang, t = state.lang(), state.t
    dims = list(spec.dims)
    dim = dims[0]
    if len(dims) > 1:
        dim = st.segmented_control(t("breakdown.by"), dims, format_func=lambda d: t(f"breakdown_dim.{d}"),
                                   required=True, key=state.url_key(f"by_{spec.key}", dims[0],
                                                                    lambda v: v if v in dims else None)) or dims[0]
        state.to_url(f"by_{spec.key}", dim, dims[0])
    df = state.query(breakdowns.breakdown, spec.key, dim, ward, start, end)
    df = df.dropna(subset=["value"])
    if df.empty or not df["value"].any():
        st.info(t("app.empty"))
        return
    unit = t(f"breakdown_unit.{spec.unit}") if spec.unit else ""
    top = df.head(15).assign(colour=COLOURS["accent"])
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(charts.ranked_bars(top, x="value", y="label", colour="colour",
                                           title=t(f"breakdown_dim.{dim}"), x_title=unit, y_title="", lang=lang),
                        width="stretch")
    with right:
        table = pd.DataFrame({t(f"breakdown_dim.{dim}"): df["label"], unit or t("breakdown.value"): df["value"],
                              t("breakdown.rows"): df["rows"]})
        st.dataframe(table, hide_index=True, width="stretch", height=min(420, 36 * len(table) + 40),
                     column_config={table.columns[1]: st.column_config.NumberColumn(format="localized")})
        ui.download_csv(table, f"{spec.key}_{dim}_{start}_{end}", key=f"dl_{spec.key}",
                        title=t(f"breakdown.{spec.key}", where=""))
