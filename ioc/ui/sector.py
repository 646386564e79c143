"""A sector's page from the indicator layer: its tiles, an indicator's trend against target, the wards,
and the values behind them. Every sector has one; a sector's own page adds what only it has."""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.ui import charts, state, wards
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

    with ui.section(t("sector.wards_title", name=ind_names[code])):
        if state.query(qi.ward_latest, code)["value"].notna().any():
            wards.ward_block(ind, ind_names[code], key=f"sector_{sector}", on_pick=_set_ward)
        else:
            st.info(t("sector.no_ward_values"))

    with ui.section(t("sector.table_title", where=where)):
        long = state.query(qi.values, tuple(codes), ward or None, start, end)
        if long.empty:
            st.info(t("app.empty"))
        else:
            long["label"] = [f"{ind_names[c]} ({i18n.unit(u, lang)})" if u else ind_names[c]
                             for c, u in zip(long["code"], long["unit"])]
            table = long.pivot_table(index="period", columns="label", values="value", aggfunc="first")
            table = table.sort_index(ascending=False).reset_index()
            table.insert(0, t("sector.period_col"), [i18n.date(d) for d in table.pop("period")])
            st.dataframe(table, hide_index=True, width="stretch", height=360,
                         column_config={c: st.column_config.NumberColumn(format="localized")
                                        for c in table.columns[1:]})
            ui.download_csv(table, f"{sector}_{ward or 'city'}_{start}_{end}", key=f"dl_{sector}")


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
