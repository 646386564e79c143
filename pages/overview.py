"""Overview: a tile per sector from the indicator layer, the wards on a map, and data freshness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.status import label as status_label
from ioc.status import reason as status_reason
from ioc.ui import attention, state, wards
from ioc.ui import components as ui
from ioc.ui.signin import gate
from ioc.ui.ward_link import open_ward_profile

gate("overview")  # this page's own check of who may open it

cfg = state.config()
lang = state.lang()
t = state.t
sector_names = cfg.sector_names(lang)

ui.page_header(t("overview.title"), t("overview.subtitle", n=len(cfg.sectors)))

status = state.source_status()
SHOWN = 6  # items per box; the rest are counted


def _box(title: str, cls: str, lines: list[tuple[str, str | None]], none: str) -> str:
    """One box of the attention row: its lines (text, the sector they lead to), or what its emptiness means."""
    items = [
        f'<li><a href="{ui.esc(ui.sector_href(sector))}" target="_self">{ui.esc(text)}</a></li>'
        if sector and ui.sector_href(sector)
        else f"<li>{ui.esc(text)}</li>"
        for text, sector in lines[:SHOWN]
    ]
    if len(lines) > SHOWN:
        items.append(f"<li>{ui.esc(t('overview.attn_more', n=len(lines) - SHOWN))}</li>")
    body = f"<ul>{''.join(items)}</ul>" if items else f'<div class="ioc-attn-none">✓ {ui.esc(none)}</div>'
    return f'<div class="ioc-attn-box ioc-attn-{cls}"><h4>{ui.esc(title)}</h4>{body}</div>'


def _moved(row) -> str:
    change = ui.change_text(row, "change", lang)
    return t(
        "overview.attn_moved_item",
        name=i18n.name(row, lang),
        change=change[0] if change else "",
        period=i18n.period(row["period"], row["grain"], lang),
        prev=i18n.period(row["prev_period"], row["grain"], lang),
    )


with ui.section(t("overview.attention_title")):  # what crossed a threshold, what is off target, what moved
    items = attention.items()
    if cfg.alerts:  # the open alerts of the rules (acknowledged ones too), one line per rule
        past = [(i.text, i.sector) for i in attention.open_alerts()]
        first = t("overview.attn_alerts", n=len(past))
    else:  # no rules: what is past its threshold now
        past = [(i.text, i.sector) for i in items if i.kind in ("aqi", "threshold")]
        first = t("overview.attn_threshold", n=len(past))
    off = [(i.text, i.sector) for i in items if i.kind == "off_target"]
    moved = [(_moved(r), r["sector"]) for _, r in attention.movers().iterrows()]
    boxes = [
        _box(first, "alert", past, t("overview.attn_none_threshold")),
        _box(t("overview.attn_target", n=len(off)), "warn", off, t("overview.attn_none_target")),
        _box(t("overview.attn_moved"), "move", moved, t("overview.attn_none_moved")),
    ]
    st.markdown(f'<div class="ioc-attn">{"".join(boxes)}</div>', unsafe_allow_html=True)
    stale = sum(i.kind == "stale" for i in items)
    if stale:
        st.caption(t("overview.attn_stale", n=stale))

with ui.section():
    tiles = state.query(qi.summary, headline=True, today=state.today())
    order = {s.code: i for i, s in enumerate(cfg.sectors)}
    tiles = tiles.assign(_o=tiles["sector"].map(order)).sort_values(["_o", "code"]).drop_duplicates("sector")
    ui.tiles(tiles, sector_names, link=True, alerts=attention.open_by_sector())
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
                t("freshness.reason"): status_reason(s, lang),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    ui.keep(t("freshness.title"), pd.DataFrame(rows))

ui.page_xlsx(f"tong_quan_{state.today()}")
