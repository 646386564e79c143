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

Legend = list[tuple[str, str, str]]  # (label, background, text colour)


def colouring(values: pd.DataFrame, ind: Indicator, lang: str) -> tuple[list[list[int]], Legend]:
    """How the wards of one indicator are coloured, and the legend that says what the colours compare.

    Against the ward's alert threshold where it has one (dengue cases a week), else against the city's
    target where the target is a level (a rate, a mean): good or bad, the legend giving the level. A yearly
    total is not a ward's target, so those wards are ranked from best to worst, the legend giving both
    values; wards all at one value are one neutral colour (nothing to compare), never "worst"."""

    def t(key: str, **kw) -> str:
        return i18n.t(key, lang, **kw)

    unit = i18n.unit(ind.unit, lang)
    period = values["period"].dropna()
    year = pd.Timestamp(period.iloc[0]).year if not period.empty else state.today().year
    level, past_key = ind.ward_threshold, qi.PAST[ind.direction]
    if level is None and ind.target_aggregate != "sum":
        level, past_key = ind.target_for(year), ("not_met" if ind.direction == "higher" else "over_limit")
    no_value = (t("overview.no_value"), maps.hex_of(maps.NONE_RGB), "#111")
    if level is not None:
        ytd = values["ytd"] if "ytd" in values.columns else pd.Series(None, index=values.index, dtype=float)
        status = [
            qi.ward_status(v, y, ind.target_for(year), ind.ward_threshold, ind.direction, ind.target_aggregate)
            for v, y in zip(values["value"], ytd)
        ]
        fills = [maps.NONE_RGB if s == "none" else (maps.GOOD_RGB if s in qi.GOOD else maps.BAD_RGB) for s in status]
        shown = f"{i18n.smart(level, lang)} {unit}".strip()
        if ind.ward_threshold is None and ind.target_aggregate == "mean":  # judged as the tile is: the year's mean
            shown += f", {t('tile.ytd_short')}"
        good, bad = ("≥", "<") if ind.direction == "higher" else ("≤", ">")
        good_key = "met" if ind.direction == "higher" and ind.ward_threshold is None else "within"
        return fills, [
            (f"{t('status.' + good_key)} ({good} {shown})", maps.hex_of(maps.GOOD_RGB), "#fff"),
            (f"{t('status.' + past_key)} ({bad} {shown})", maps.hex_of(maps.BAD_RGB), "#fff"),
            no_value,
        ]
    v = values["value"].dropna()
    if v.nunique() < 2:
        fills = [maps.NONE_RGB if pd.isna(x) else maps.SAME_RGB for x in values["value"]]
        same = f"{i18n.smart(v.iloc[0], lang)} {unit}".strip() if len(v) else ""
        return fills, (
            [(t("overview.legend_same", value=same), maps.hex_of(maps.SAME_RGB), "#111")] if len(v) else []
        ) + [no_value]
    best, worst = (v.max(), v.min()) if ind.direction == "higher" else (v.min(), v.max())
    return maps.scale_colours(values["value"], ind.direction == "higher"), [
        (
            t("overview.legend_best", value=f"{i18n.smart(best, lang)} {unit}".strip()),
            maps.hex_of(maps.GOOD_RGB),
            "#fff",
        ),
        (
            t("overview.legend_worst", value=f"{i18n.smart(worst, lang)} {unit}".strip()),
            maps.hex_of(maps.BAD_RGB),
            "#fff",
        ),
        no_value,
    ]


def ward_block(
    ind: Indicator, title: str, key: str, on_pick: Callable[[str], None] | None = None, height: int = 460
) -> pd.DataFrame:
    """Draw the block; returns the wards' values shown (for tables and downloads)."""
    cfg, lang, t = state.config(), state.lang(), state.t
    values = state.query(qi.ward_latest, ind.code, state.today())
    wards = state.query(qr.wards)
    unit = i18n.unit(ind.unit, lang)
    period = values["period"].dropna()
    fills, legend = colouring(values, ind, lang)
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
    if ind.target_aggregate == "mean":  # the year's mean, which the colour judges (as the tile does)
        for r in values.itertuples():
            if pd.notna(getattr(r, "ytd", None)) and not r.masked:
                mean = f"{i18n.smart(r.ytd, lang)} {unit}".strip()
                info[r.ward_code]["info"] += " · " + t("tile.ytd_mean", value=mean)
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
        ui.legend(legend)
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
    ui.keep(  # as the map shows it: the ward's name, its period as the page writes it, the value with its unit
        title,
        pd.DataFrame(
            {
                t("xlsx.ward_code"): shown["ward_code"],
                t("overview.ward"): i18n.name(shown, lang),
                t("xlsx.col_period"): [i18n.period(p, ind.grain, lang) if pd.notna(p) else "" for p in shown["period"]],
                f"{t('xlsx.col_value')} ({unit})" if unit else t("xlsx.col_value"): shown["value"],
            }
        ),
    )
    return values
