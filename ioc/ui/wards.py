"""One indicator across the wards: a map judged against the target (or ranked) beside a bar ranking.

Clicking a ward on the map or its bar calls `on_pick(ward_code)` during the page's run, after the page's
own widgets exist: a page filtering itself by the ward sets it for the next run (see ioc.ui.sector).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.config import Indicator
from ioc.queries import indicators as qi
from ioc.queries import reference as qr
from ioc.ui import components as ui
from ioc.ui import maps, state


def ward_block(
    ind: Indicator, title: str, key: str, on_pick: Callable[[str], None] | None = None, height: int = 460
) -> pd.DataFrame:
    """Draw the block; returns the wards' values shown (for tables and downloads)."""
    cfg, lang, t = state.config(), state.lang(), state.t
    values = state.query(qi.ward_latest, ind.code)
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
    info = {
        r.ward_code: {
            "info": f"{ui.masked_text(r._asdict())} {unit}"
            if r.masked
            else f"{i18n.smart(r.value, lang)} {unit}".strip()
            if pd.notna(r.value)
            else t("overview.no_value")
        }
        for r in values.itertuples()
    }
    if not period.empty:
        st.caption(t("overview.map_period", period=i18n.period(period.iloc[0], ind.grain, lang)))
    left, right = st.columns([3, 2])
    with left:
        feats = maps.ward_features(wards, lang, fill=fill, extra=info)
        deck = maps.deck(
            [maps.ward_layer(feats), maps.ward_labels(wards, lang)],
            wards,
            "<b>{name}</b><br/>{info}",
            cfg.maps.tile_url,
        )
        if on_pick is None:
            st.pydeck_chart(deck, height=height)
        else:
            event = st.pydeck_chart(
                deck, height=height, on_select="rerun", selection_mode="single-object", key=f"{key}_map"
            )
            picked = (event.selection.get("objects", {}) if event else {}).get("wards") or []
            code = state.fresh_pick(f"{key}_map", (picked[0].get("properties") or {}).get("code") if picked else None)
            if code:
                on_pick(code)
        if judged:
            shown_target = f"{i18n.smart(target, lang)} {unit}".strip()
            ui.legend(
                [
                    (t("overview.legend_met", target=shown_target), maps.hex_of(maps.GOOD_RGB), "#fff"),
                    (t("overview.legend_not_met", target=shown_target), maps.hex_of(maps.BAD_RGB), "#fff"),
                    (t("overview.no_value"), maps.hex_of(maps.NONE_RGB), "#111"),
                ]
            )
        else:
            ui.legend(
                [
                    (t("overview.legend_best"), maps.hex_of(maps.GOOD_RGB), "#fff"),
                    (t("overview.legend_worst"), maps.hex_of(maps.BAD_RGB), "#fff"),
                    (t("overview.no_value"), maps.hex_of(maps.NONE_RGB), "#111"),
                ]
            )
        st.caption(t("overview.geometry_note"))
    with right:
        ranked = (
            values.assign(
                ward=i18n.name(values, lang),
                colour=[maps.hex_of(fill[c]) for c in values["ward_code"]],
            )
            .dropna(subset=["value"])
            .sort_values("value", ascending=ind.direction != "higher")
        )
        # a click on a ward's bar picks the ward, as a click on the map does
        code = ui.bars(ranked, x="value", y="ward", title=title, x_title=unit, y_title=t("overview.ward"),
                       key=f"{key}_bars" if on_pick else None, select="ward_code")  # fmt: skip
        if code and on_pick:
            on_pick(code)
    shown = values.assign(value=[ui.masked_text(r) if r["masked"] else r["value"] for _, r in values.iterrows()])
    ui.keep(title, shown[["ward_code", "name_vi", "period", "value"]])
    return values
