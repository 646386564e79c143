"""Overview: a tile per sector from the indicator layer, the wards on a map, and data freshness."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.queries import reference as qr
from ioc.ui import charts, maps, state
from ioc.ui import components as ui

cfg = state.config()
lang = state.lang()
t = state.t
sector_names = {s.code: getattr(s.name, lang) or s.name.vi for s in cfg.sectors}

ui.page_header(t("overview.title"), t("overview.subtitle"))

status = state.source_status()

with ui.section():
    tiles = state.query(qi.summary, headline=True, today=state.today())
    order = {s.code: i for i, s in enumerate(cfg.sectors)}
    tiles = tiles.assign(_o=tiles["sector"].map(order)).sort_values(["_o", "code"]).drop_duplicates("sector")
    ui.tiles(tiles, sector_names)
    missing = [sector_names[s.code] for s in cfg.sectors if s.code not in set(tiles["sector"])]
    if missing:
        st.caption(t("overview.sectors_missing", names=", ".join(missing)))

with ui.section(t("overview.map_title")):
    options = state.query(qi.with_ward_values)
    if options.empty:
        st.info(t("app.empty"))
    else:
        names = {r.code: f"{sector_names.get(r.sector, r.sector)} · {r.name_vi if lang == 'vi' else r.name_en}"
                 for r in options.itertuples()}
        codes = list(names)
        code = st.selectbox(t("overview.map_indicator"), codes, format_func=names.get,
                            key=state.url_key("ind", codes[0], lambda v: v if v in names else None))
        state.to_url("ind", code, codes[0])
        ind = next(i for i in cfg.indicators if i.code == code)
        values = state.query(qi.ward_latest, code)
        wards = state.query(qr.wards)
        unit = i18n.unit(ind.unit, lang)
        period = values["period"].dropna()
        year = pd.Timestamp(period.iloc[0]).year if not period.empty else state.today().year
        target = ind.target_for(year)
        # a ward is judged against the city's target where the target is a level (a rate, a mean);
        # a yearly total is not a ward's target, so those wards are only ranked, best to worst
        judged = target is not None and ind.target_aggregate != "sum"
        if judged:
            ok = [qi.meets(v, target, ind.direction) for v in values["value"]]
            fills = [maps.NONE_RGB if m is None else (maps.GOOD_RGB if m else maps.BAD_RGB) for m in ok]
        else:
            fills = maps.scale_colours(values["value"], ind.direction == "higher")
        fill = dict(zip(values["ward_code"], fills))
        info = {r.ward_code: {"info": f"{i18n.smart(r.value, lang)} {unit}".strip() if pd.notna(r.value)
                              else t("overview.no_value")} for r in values.itertuples()}
        if not period.empty:
            st.caption(t("overview.map_period", period=i18n.period(period.iloc[0], ind.grain, lang)))
        left, right = st.columns([3, 2])
        with left:
            feats = maps.ward_features(wards, lang, fill=fill, extra=info)
            st.pydeck_chart(maps.deck([maps.ward_layer(feats), maps.ward_labels(wards, lang)], wards,
                                      "<b>{name}</b><br/>{info}", cfg.maps.tile_url), height=460)
            if judged:
                shown_target = f"{i18n.smart(target, lang)} {unit}".strip()
                ui.legend([(t("overview.legend_met", target=shown_target), maps.hex_of(maps.GOOD_RGB), "#fff"),
                           (t("overview.legend_not_met", target=shown_target), maps.hex_of(maps.BAD_RGB), "#fff"),
                           (t("overview.no_value"), maps.hex_of(maps.NONE_RGB), "#111")])
            else:
                ui.legend([(t("overview.legend_best"), maps.hex_of(maps.GOOD_RGB), "#fff"),
                           (t("overview.legend_worst"), maps.hex_of(maps.BAD_RGB), "#fff"),
                           (t("overview.no_value"), maps.hex_of(maps.NONE_RGB), "#111")])
            st.caption(t("overview.geometry_note"))
        with right:
            ranked = values.assign(
                ward=values["name_vi"] if lang == "vi" else values["name_en"],
                colour=[maps.hex_of(fill[c]) for c in values["ward_code"]],
            ).dropna(subset=["value"]).sort_values("value", ascending=ind.direction != "higher")
            st.altair_chart(charts.ranked_bars(ranked, x="value", y="ward", colour="colour", title=names[code],
                                               x_title=unit, y_title=t("overview.ward"), lang=lang),
                            width="stretch")

with ui.section(t("freshness.title")):
    rows = []
    for s in status["sources"]:
        if not s["enabled"]:
            continue
        key = "failed" if s["status"] == "failed" and s["freshness"] != "fresh" else s["freshness"]
        last = pd.Timestamp(s["last_good"]).tz_convert(cfg.city.timezone) if s["last_good"] else None
        rows.append({
            t("freshness.sector"): sector_names.get(s["sector"], s["sector"]),
            t("freshness.source"): cfg.sources[s["source"]].description or s["source"],
            t("freshness.status"): ("✓ " if key == "fresh" else "⚠ ") + t("freshness." + key),
            t("freshness.last_good"): i18n.datetime(last) if last is not None else "–",
            t("freshness.rows"): i18n.num(s["rows"], lang) if s["rows"] is not None else "–",
            t("freshness.rejects"): i18n.num(s["rejects"], lang) if s["rejects"] is not None else "–",
            t("freshness.error"): s["error"] or "",
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
