"""Overview: a tile per sector from the indicator layer, the wards on a map, and data freshness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.status import label as status_label
from ioc.ui import components as ui
from ioc.ui import state, wards
from ioc.ui.ward_link import open_ward_profile

cfg = state.config()
lang = state.lang()
t = state.t
sector_names = cfg.sector_names(lang)

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
        names = {r.code: f"{sector_names.get(r.sector, r.sector)} · {i18n.name(r, lang)}" for r in options.itertuples()}
        codes = list(names)
        code = state.bound(st.selectbox, t("overview.map_indicator"), "ind", codes[0], codes, format_func=names.get)
        ind = next(i for i in cfg.indicators if i.code == code)
        wards.ward_block(
            ind, names[code], key="overview", on_pick=open_ward_profile
        )  # a click opens the ward's profile


def latest_text(s: dict, lang: str) -> str:
    """The data's own latest period as the source's grain writes it (13:00 02/12/2026, Tháng 11/2026)."""
    if not s.get("latest"):
        return "–"
    when = pd.Timestamp(s["latest"])
    if s["latest_grain"] == "hour":
        return f"{when:%H:%M %d/%m/%Y}"
    return i18n.period(when.date(), s["latest_grain"], lang)


with ui.section(t("freshness.title")):
    rows = []
    for s in status["sources"]:
        if not s["enabled"]:
            continue
        rows.append(
            {
                t("freshness.sector"): sector_names.get(s["sector"], s["sector"]),
                t("freshness.source"): cfg.sources[s["source"]].description or s["source"],
                t("freshness.status"): status_label(s["state"], lang),
                t("freshness.last_good"): state.city_time(s["last_good"]),
                t("freshness.latest"): latest_text(s, lang),
                t("freshness.rows"): i18n.num(s["rows"], lang) if s["rows"] is not None else "–",
                t("freshness.rejects"): i18n.num(s["rejects"], lang) if s["rejects"] is not None else "–",
                t("freshness.reason"): s["reason"] or "",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
