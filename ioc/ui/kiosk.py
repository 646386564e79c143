"""The video wall's look and panels: a dark theme scaled to the screen, the clock, the connection watch, and
one panel builder per kind (overview, any sector from the indicator layer, air)."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st

from ioc import aqi, i18n
from ioc.attention import Item
from ioc.config import Config, KioskPanel
from ioc.kiosk import Slot
from ioc.queries import environment as qe
from ioc.queries import indicators as qi
from ioc.queries import reference as qr
from ioc.ui import maps, state
from ioc.ui.charts import AnyChart
from ioc.ui.components import esc, tile_html
from ioc.ui.theme import vega_locale
from ioc.ui.wards import colouring

# Sizes are in `em` of a root font tied to the viewport width, so 1920×1080 and 3840×2160 look the same.
CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stMainMenu"], #MainMenu,
[data-testid="stElementToolbar"], [data-testid="stSkipToContent"], footer {display: none !important;}
html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {background: #07101D !important;
  overflow: hidden !important;}
/* no dimming while the page redraws: the wall never shows a half-faded frame */
[data-stale="true"], .stale-element {opacity: 1 !important; transition: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: none !important;
  padding: 0.6vh 1.2vw 14vh 1.2vw !important;}
[data-testid="stVerticalBlock"] {gap: 0.8vh !important;}
.ioc-k {font-size: clamp(12px, 1.04vw, 60px); color: #F2F5F9; font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif;}
.ioc-k-head {display: flex; align-items: center; gap: 1.2em; border-bottom: 2px solid #22324A; padding-bottom: .35em;}
.ioc-k-city {font-size: 1.25em; font-weight: 700; color: #8EC5FF; white-space: nowrap;}
.ioc-k-title {flex: 1; font-size: 1.9em; font-weight: 800; letter-spacing: .01em; text-align: center; line-height: 1.15;}
.ioc-k-clock {font-size: 1.45em; font-weight: 700; font-variant-numeric: tabular-nums; white-space: nowrap;}
.ioc-k-sample {font-size: .8em; font-weight: 800; background: #FFD54F; color: #3A2A00; border-radius: .3em; padding: .1em .5em;
  white-space: nowrap;}
#ioc-k-offline {display: none; position: fixed; top: 1vh; left: 50%; transform: translateX(-50%); z-index: 100000;
  background: #D32F2F; color: #fff; font: 700 clamp(14px, 1.5vw, 80px) "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  padding: .3em 1em; border-radius: .4em; box-shadow: 0 0 0 .2em rgba(0,0,0,.5);}
#ioc-k-offline small {font-weight: 400; font-size: .7em; margin-left: .6em;}
body.ioc-k-down #ioc-k-offline {display: block;}
body.ioc-k-down [data-testid="stMain"] {filter: grayscale(.5) brightness(.85);}
/* Streamlit's own "Connection error" dialog (after ~5 s) would cover the last view: the badge says it instead;
   a wall has no other dialog */
[role="dialog"], [data-baseweb="modal"] {display: none !important;}
/* tiles: the shared tile, re-dressed for a dark wall read from 5 m */
.ioc-k .ioc-grid {display: grid; gap: .7em; grid-template-columns: repeat(var(--cols, 7), minmax(0, 1fr)); margin: 0;}
.ioc-k .ioc-tile {background: #0F1B2D; border: 1px solid #23344D; border-left: .35em solid #78909C; border-radius: .45em;
  padding: .55em .7em; margin: 0; box-shadow: none; overflow: hidden;}
.ioc-k .ioc-tile.ioc-good {border-left-color: #34D27B;} .ioc-k .ioc-tile.ioc-bad {border-left-color: #FF5A5A;}
.ioc-k .ioc-tile-sector {font-size: .78em; color: #8EC5FF; letter-spacing: .03em; line-height: 1.2;}
.ioc-k .ioc-tile-name {font-size: .95em; color: #DCE6F2; min-height: 2.5em; line-height: 1.25; margin-top: .2em;}
.ioc-k .ioc-tile-value {font-size: 2.3em; color: #FFFFFF; line-height: 1.1; margin-top: .15em; white-space: normal;}
.ioc-k .ioc-unit {font-size: .42em; color: #B8C7D9; white-space: nowrap; display: inline-block; margin-left: .3em;}
.ioc-k .ioc-tile-period {font-size: .8em; color: #B8C7D9;}
.ioc-k .ioc-tile-delta {font-size: .8em;} .ioc-k .ioc-tile-delta span {color: #B8C7D9;}
.ioc-k .ioc-tile-delta + .ioc-tile-delta, .ioc-k .ioc-tile-target {display: none;}
.ioc-k .ioc-up-good {color: #5BE39A;} .ioc-k .ioc-up-bad {color: #FF7B7B;} .ioc-k .ioc-flat {color: #B0BEC5;}
.ioc-k .ioc-tile-status {font-size: .8em; border-radius: 1em; padding: .1em .6em; margin-top: .35em;}
.ioc-k .ioc-chip-good {background: #124A2C; color: #7CF0B0;} .ioc-k .ioc-chip-bad {background: #5C1717; color: #FFB3B3;}
.ioc-k .ioc-chip-neutral {background: #26374D; color: #CFD8DC;}
.ioc-k .ioc-tile-stale {font-size: .75em; color: #FFB74D;}
.ioc-k-fill .ioc-grid {height: 75vh; grid-auto-rows: minmax(0, 1fr);}
.ioc-k-fill .ioc-tile {display: flex; flex-direction: column;}
.ioc-k-fill .ioc-tile-value {margin-top: auto;} .ioc-k-fill .ioc-tile-status {align-self: flex-start; margin-top: auto;}
.ioc-k-fill .ioc-tile-value {font-size: 2.5em;} .ioc-k-fill .ioc-tile-name {font-size: 1.1em;}
.ioc-k-big .ioc-tile-value {font-size: 3.6em;} .ioc-k-big .ioc-tile-name {font-size: 1.3em;}
.ioc-k-big .ioc-tile-sector {font-size: .95em;} .ioc-k-big .ioc-tile {padding: .8em 1em;}
.ioc-k-big .ioc-tile-period, .ioc-k-big .ioc-tile-delta, .ioc-k-big .ioc-tile-status {font-size: 1em;}
.ioc-k-sector .ioc-tile-sector {display: none;}
.ioc-k-caption {font-size: 1.1em; font-weight: 700; color: #DCE6F2; margin: .1em 0 .3em 0;}
.ioc-k-note {font-size: 1.6em; color: #DCE6F2; text-align: center; margin-top: 25vh;}
.ioc-k-legend {display: flex; flex-wrap: wrap; gap: .4em; font-size: .85em; margin-top: .4em;}
.ioc-k-legend span {padding: .1em .6em; border-radius: .3em; font-weight: 700;}
.ioc-k-stations {display: flex; flex-direction: column; gap: .45em;}
.ioc-k-station {display: flex; align-items: center; gap: .7em; background: #0F1B2D; border: 1px solid #23344D;
  border-radius: .45em; padding: .45em .7em;}
.ioc-k-station b {flex: 1; font-size: 1.1em; font-weight: 600;} .ioc-k-station small {color: #B8C7D9; font-size: .8em;}
.ioc-k-aqi {min-width: 3.2em; text-align: center; font-size: 1.9em; font-weight: 800; border-radius: .25em; padding: 0 .25em;}
.ioc-k-band {min-width: 6.5em; font-size: 1em; font-weight: 700;}
/* the attention strip and the footer stay at the bottom whatever the panel draws */
.ioc-k-foot {position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000; background: #0A1526; border-top: 2px solid #22324A;
  padding: .45em 1.2vw .35em 1.2vw;}
.ioc-k-strip {display: flex; flex-wrap: wrap; gap: .4em; align-items: center; max-height: 3.6em; overflow: hidden;}
.ioc-k-strip-title {font-weight: 800; font-size: 1.05em; color: #FFD54F; margin-right: .3em; white-space: nowrap;}
.ioc-k-item {font-size: 1em; font-weight: 600; line-height: 1.3; border-radius: .3em; padding: .1em .55em; white-space: nowrap;}
.ioc-k-alert {background: #B71C1C; color: #fff;} .ioc-k-warn {background: #F9A825; color: #231A00;}
.ioc-k-ok {background: #1B5E20; color: #fff;} .ioc-k-more {background: #26374D; color: #fff;}
.ioc-k-meta {display: flex; justify-content: space-between; font-size: .78em; color: #B8C7D9; margin-top: .3em;}
.ioc-k-bar {height: .25em; background: #1A2A40; margin-top: .25em; border-radius: .2em; overflow: hidden;}
.ioc-k-bar div {height: 100%; background: #4FA3FF; width: 100%; transform-origin: left;
  animation: ioc-k-fill var(--dur) linear forwards;}
@keyframes ioc-k-fill {from {transform: scaleX(var(--from));} to {transform: scaleX(1);}}
/* maps take their height from the screen (st.pydeck_chart only knows pixels) */
.st-key-ioc-kmap [data-testid="stElementContainer"], .st-key-ioc-kmap [data-testid="stFullScreenFrame"],
.st-key-ioc-kmap [data-testid="stDeckGlJsonChart"], .st-key-ioc-kmap [data-testid="stDeckGlJsonChart"] > div
  {height: 68vh !important;}
</style>
"""

# Runs once per browser window (guarded): the clock in city time, and a watch on the server. While the
# server does not answer, a red badge shows over the last view; when it answers again and Streamlit has
# not redrawn the page by itself within a few seconds, the page reloads.
SCRIPT = """
<script>
(function () {
  if (window.__iocKiosk) return;
  window.__iocKiosk = true;
  const SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  function tick() {
    document.querySelectorAll('.ioc-k-clock').forEach(function (el) {
      const p = {};
      new Intl.DateTimeFormat('en-GB', {timeZone: el.dataset.tz, year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23'})
        .formatToParts(new Date()).forEach(function (x) { p[x.type] = x.value; });
      const days = el.dataset.days.split(',');
      el.textContent = days[SHORT.indexOf(p.weekday)] + ', ' + p.day + '/' + p.month + '/' + p.year + ' · ' + p.hour + ':' + p.minute;
    });
  }
  setInterval(tick, 1000); tick();
  let fails = 0, stampAtDown = null, upSince = 0;
  // the badge lives outside Streamlit's tree, so the greyed last view does not grey it too
  function badge() {
    const h = document.querySelector('.ioc-k-head');
    let b = document.getElementById('ioc-k-offline');
    if (!b) { b = document.createElement('div'); b.id = 'ioc-k-offline'; document.body.appendChild(b); }
    if (h) { b.textContent = '⚠ ' + h.dataset.offline + ' '; const s = document.createElement('small');
             s.textContent = h.dataset.offlineHelp; b.appendChild(s); }
  }
  function rendered() { const h = document.querySelector('.ioc-k-head'); return h ? Number(h.dataset.rendered) : 0; }
  async function probe() {
    let ok = false;
    try {
      const r = await fetch('_stcore/health', {cache: 'no-store', signal: AbortSignal.timeout(4000)});
      ok = r.ok;
    } catch (e) { ok = false; }
    const body = document.body;
    if (!ok) {
      fails += 1; upSince = 0;
      if (fails >= 2 && !body.classList.contains('ioc-k-down')) { badge(); body.classList.add('ioc-k-down'); stampAtDown = rendered(); }
      return;
    }
    fails = 0;
    if (!body.classList.contains('ioc-k-down')) return;
    if (!upSince) upSince = Date.now();
    // back: Streamlit reconnects and redraws (the header's render stamp changes); otherwise reload after 15 s
    if (rendered() !== stampAtDown) { body.classList.remove('ioc-k-down'); upSince = 0; }
    else if (Date.now() - upSince > 15000) { location.reload(); }
  }
  setInterval(probe, 2000);
})();
</script>
"""


def chrome(cfg: Config, lang: str, title: str, now: float, sample: bool, slot: Slot) -> None:
    """Header (city, panel title, clock), theme and scripts: one HTML element, nothing interactive."""
    t = state.t
    city = cfg.city.name.get(lang)
    clock = _clock_text(cfg, lang, now)
    badge = f'<span class="ioc-k-sample">{esc(t("app.sample_badge"))}</span>' if sample else ""
    head = (
        f'<div class="ioc-k"><div class="ioc-k-head" data-rendered="{now:.0f}" data-slot="{slot.cycle}:{slot.index}" '
        f'data-offline="{esc(t("kiosk.offline"))}" data-offline-help="{esc(t("kiosk.offline_help"))}">'
        f'<span class="ioc-k-city">{esc(city)}</span><span class="ioc-k-title">{esc(title)}</span>{badge}'
        f'<span class="ioc-k-clock" data-tz="{esc(cfg.city.timezone)}" data-days="{esc(t("calendar.days"))}">'
        f"{esc(clock)}</span></div></div>"
    )
    st.html(CSS + head + SCRIPT, unsafe_allow_javascript=True)


def _clock_text(cfg: Config, lang: str, now: float) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    local = dt.datetime.fromtimestamp(now, ZoneInfo(cfg.city.timezone))
    day = state.t("calendar.days").split(",")[(local.weekday() + 1) % 7]
    return f"{day}, {local:%d/%m/%Y · %H:%M}"


def message(text: str) -> None:
    """A calm full-screen line (unknown wall, missing token, no data yet)."""
    st.html(CSS + f'<div class="ioc-k"><div class="ioc-k-note">{esc(text)}</div></div>')


def footer(items: list[Item], max_items: int, slot: Slot, n_panels: int, now: float, snapshot: str | None) -> None:
    """The attention strip, the page counter, the data's time and a bar filling until the next panel."""
    t = state.t
    fitting = fit(items, max_items)
    shown = [
        f'<span class="ioc-k-item ioc-k-{i.level}">{"⚠" if i.level == "alert" else "●"} {esc(i.text)}</span>'
        for i in fitting
    ]
    if len(items) > len(fitting):
        shown.append(f'<span class="ioc-k-item ioc-k-more">{esc(t("kiosk.more", n=len(items) - len(fitting)))}</span>')
    if not items:
        shown.append(f'<span class="ioc-k-item ioc-k-ok">✓ {esc(t("kiosk.all_clear"))}</span>')
    page = t("kiosk.pinned" if slot.pinned else "kiosk.page_of", i=slot.index + 1, n=n_panels)
    bar = ""
    if not slot.pinned:
        length = slot.end - slot.start
        done = min(1.0, max(0.0, (now - slot.start) / length))
        bar = (
            f'<div class="ioc-k-bar"><div style="--dur:{max(0.1, slot.end - now):.2f}s;--from:{done:.3f}"></div></div>'
        )
    st.html(
        f'<div class="ioc-k"><div class="ioc-k-foot"><div class="ioc-k-strip">'
        f'<span class="ioc-k-strip-title">{esc(t("kiosk.attention"))}</span>{"".join(shown)}</div>'
        f'<div class="ioc-k-meta"><span>{esc(page)}</span><span>{esc(snapshot or "")}</span></div>{bar}</div></div>'
    )


# Two lines of the strip hold about this many characters (the font scales with the width, so at any size)
STRIP_CHARS = 230
ZOOM = 11.45  # the wall's maps open closer than the pages' (maps.ZOOM)


def fit(items: list[Item], max_items: int) -> list[Item]:
    """The first items that fit on the strip's two lines; the rest are counted, never cut in half."""
    out: list[Item] = []
    used = 24  # the strip's title and the "+N" chip
    for item in items[:max_items]:
        used += len(item.text) + 5
        if used > STRIP_CHARS and out:
            break
        out.append(item)
    return out


# --------------------------------------------------------------------------- panels


def panel_title(cfg: Config, panel: KioskPanel, lang: str) -> str:
    if panel.panel == "sector" and panel.sector:
        title = cfg.sector_name(panel.sector, lang)
        ward = cfg.ward(panel.filters.ward) if panel.filters.ward else None
        return f"{title} · {ward.name.get(lang)}" if ward else title
    return state.t("kiosk.panel_" + panel.panel)


def _tiles(df: pd.DataFrame, cfg: Config, lang: str, cols: int, big: bool = False, kind: str = "") -> str:
    names = cfg.sector_names(lang)
    cards = "".join(tile_html(r, lang, names.get(r["sector"], r["sector"])) for _, r in df.iterrows())
    return (
        f'<div class="ioc-k ioc-k-fill{" ioc-k-big" if big else ""} {kind}"><div class="ioc-grid" style="--cols:{cols}">'
        f"{cards}</div></div>"
    )


# Which of the right column's map and chart a panel shows; the other is hidden, not dropped. With "none"
# the left column takes the whole width.
HIDE = {
    "map": ".st-key-ioc-kchart",
    "chart": ".st-key-ioc-kmap",
    "none": ".st-key-ioc-kmap, .st-key-ioc-kchart, [data-testid='stHorizontalBlock']:has(.st-key-ioc-kmap) "
    "> [data-testid='stColumn']:last-child",
}
WIDE = (
    "[data-testid='stHorizontalBlock']:has(.st-key-ioc-kmap) > [data-testid='stColumn']:first-child "
    "{flex: 1 1 100% !important; width: 100% !important; max-width: none !important;}"
)


def layout(left: str, caption: str, deck: pdk.Deck, chart: AnyChart, show: str, below: str = "") -> None:
    """Every panel draws the same tree of elements (HTML | caption, map, chart, HTML), so from one panel to the
    next the browser updates one map and one chart instead of creating new ones: a deck.gl map created and
    dropped at each change kept about 170 KB of JS heap (bench/kiosk_soak.py)."""
    style = f"<style>{HIDE[show]} {{display: none !important;}}{WIDE if show == 'none' else ''}</style>"
    col_left, col_right = st.columns([11, 9], gap="medium")
    col_left.html(left)
    with col_right:
        st.html(f'{style}<div class="ioc-k"><div class="ioc-k-caption">{esc(caption)}</div></div>')
        with st.container(key="ioc-kmap"):
            st.pydeck_chart(deck, height=620)
        with st.container(key="ioc-kchart"):
            st.altair_chart(chart, width="stretch")
        st.html(f'<div class="ioc-k">{below}</div>')


def overview(cfg: Config, lang: str) -> None:
    """Every sector's headline tile, in the config's sector order."""
    df = state.query(qi.summary, headline=True, today=state.today())
    order = {s.code: i for i, s in enumerate(cfg.sectors)}
    df = df.assign(_o=df["sector"].map(order)).sort_values(["_o", "code"]).drop_duplicates("sector")
    layout(_tiles(df, cfg, lang, cols=7), "", _plain_map(cfg), _no_chart(), "none")


def sector(cfg: Config, panel: KioskPanel, lang: str) -> None:
    """Any sector from the indicator layer: its indicators as tiles, and its headline indicator on the ward
    map when it has ward values, else as a trend."""
    f = panel.filters
    df = state.query(qi.summary, ward=f.ward, today=state.today())
    df = df[df["sector"] == panel.sector]
    if f.indicators:
        df = df[df["code"].isin(f.indicators)]
    if df.empty:
        message(state.t("kiosk.no_indicators"))
        return
    code = f.map or next(iter(df.loc[df["headline"].astype(bool), "code"]), df["code"].iloc[0])
    ind = next(i for i in cfg.indicators if i.code == code)
    tiles = _tiles(df, cfg, lang, cols=2 if len(df) <= 4 else 3, big=len(df) <= 4, kind="ioc-k-sector")
    if code in set(state.query(qi.with_ward_values)["code"]):
        caption, deck = ward_map(cfg, ind, lang)
        layout(tiles, caption, deck, _no_chart(), "map")
    else:
        caption, chart = trend(ind, lang, f.ward)
        layout(tiles, caption, _plain_map(cfg), chart, "chart")


def ward_map(cfg: Config, ind, lang: str) -> tuple[str, pdk.Deck]:
    """Wards coloured as on the sector pages (ioc.ui.wards.colouring), with their values."""
    values = state.query(qi.ward_latest, ind.code, state.today())
    wards = state.query(qr.wards)
    period = values["period"].dropna()
    fills, _ = colouring(values, ind, lang)
    fill = {c: rgb if rgb is maps.NONE_RGB else [*rgb[:3], 215] for c, rgb in zip(values["ward_code"], fills)}
    when = i18n.period(period.iloc[0], ind.grain, lang) if not period.empty else "–"
    caption = state.t("kiosk.map_title", name=ind.name.get(lang), period=when) + (
        f" ({i18n.unit(ind.unit, lang)})" if ind.unit else ""
    )
    layers = [
        maps.ward_layer(maps.ward_features(wards, lang, fill=fill), pickable=False),
        maps.text_layer(
            maps.placed(
                _labels(wards, lang, dict(zip(values["ward_code"], values["value"]))),
                19,
                zoom=ZOOM,
                bounds=maps.extent(wards),
            ),
            "ward-values",
            size=19,
            offset="offset",
        ),
    ]
    return caption, _deck(layers, wards, cfg)


def _plain_map(cfg: Config) -> pdk.Deck:
    """The wards alone: what the hidden map holds on panels without one."""
    wards = state.query(qr.wards)
    return _deck([maps.ward_layer(maps.ward_features(wards, "vi"), pickable=False)], wards, cfg)


def _no_chart() -> AnyChart:
    """An empty chart: what the hidden chart holds on panels without one."""
    return alt.Chart(pd.DataFrame({"x": [0]})).mark_point(opacity=0).encode(x="x:Q").properties(height=10)


def _labels(wards: pd.DataFrame, lang: str, values: dict | None = None) -> pd.DataFrame:
    """Ward names at their centroids, with the ward's value on a second line when values are given."""
    names = [i18n.name(w, lang) for w in wards.itertuples()]
    if values is not None:
        names = [f"{n}\n{i18n.smart(values.get(c), lang)}" for n, c in zip(names, wards["ward_code"])]
    return pd.DataFrame({"name": names, "position": [[float(w.lon), float(w.lat)] for w in wards.itertuples()]})


def _deck(layers: list, wards: pd.DataFrame, cfg: Config) -> pdk.Deck:
    deck = maps.deck(layers, wards, "", cfg.maps.tile_url)
    # centred on the polygons' extent (not the centroids' mean), so no ward is cut at the top or bottom
    box = maps.extent(wards)
    if box:
        west, south, east, north = box
        deck.initial_view_state = pdk.ViewState(
            longitude=(west + east) / 2, latitude=(south + north) / 2, zoom=ZOOM, pitch=0
        )
    deck._tooltip = False  # nothing to hover on a wall
    return deck


def trend(ind, lang: str, ward: str | None) -> tuple[str, AnyChart]:
    """The indicator's last 24 periods as a line, with its target as a dashed rule."""
    df = state.query(qi.series, ind.code, ward, today=state.today()).tail(24)
    caption = state.t("kiosk.trend_title", name=ind.name.get(lang)) + (
        f" ({i18n.unit(ind.unit, lang)})" if ind.unit else ""
    )
    if df.empty:
        return caption + " · " + state.t("kiosk.no_value"), _no_chart()
    fmt = {"month": "%m/%Y", "quarter": "%m/%Y", "year": "%Y"}.get(ind.grain, "%d/%m")
    line = (
        alt.Chart(df)
        .mark_line(color="#4FA3FF", strokeWidth=4, point=alt.OverlayMarkDef(size=90, color="#4FA3FF"))
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format=fmt, labelOverlap=True)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.4~f"), scale=alt.Scale(zero=False)),
        )
    )
    layers = [line]
    target = ind.target_for(pd.Timestamp(df["period"].iloc[-1]).year)
    if target is not None and ind.target_aggregate != "sum":
        layers.append(
            alt.Chart(pd.DataFrame({"y": [target]}))
            .mark_rule(color="#FFD54F", strokeDash=[10, 6], strokeWidth=3)
            .encode(y="y:Q")
        )
    chart = (
        alt.layer(*layers)
        .properties(height=560, background="transparent")
        .configure(locale=vega_locale(lang))
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=20, labelColor="#DCE6F2", gridColor="#23344D", domainColor="#4A5D78", tickColor="#4A5D78"
        )
    )
    return caption, chart


def air(cfg: Config, lang: str) -> None:
    """Every station on the ward map in its official VN_AQI colour, and the stations ranked worst first."""
    latest = state.query(qe.latest_aqi)
    wards = state.query(qr.wards)
    pts = latest.assign(
        fill=[aqi.rgb(c, 240) for c in latest["colour"]], aqi_text=[i18n.num(v, lang) for v in latest["aqi"]]
    )
    layers = [
        maps.ward_layer(maps.ward_features(wards, lang), pickable=False),
        maps.text_layer(
            maps.placed(
                _labels(wards, lang),
                16,
                40,
                ZOOM,
                maps.extent(wards),
                avoid=maps.marker_boxes(pts[["lon", "lat"]].values.tolist(), 24, ZOOM),
            ),
            "ward-names",
            size=16,
            offset="offset",
        ),
        *maps.aqi_stations(
            pts[["fill", "lon", "lat", "aqi_text"]],
            520,
            (24, 60),
            22,
            pickable=False,
            outline=[10, 10, 10, 255],
            outline_px=2,
        ),
    ]
    legend = (
        '<div class="ioc-k-legend">'
        + "".join(
            f'<span style="background:{c};color:{_ink(k)}">{esc(state.t("aqi_band." + k))} (≤ {hi})</span>'
            for hi, k, c in aqi.BANDS
        )
        + "</div>"
    )
    ranked = latest.sort_values("aqi", ascending=False, na_position="last")
    ts = latest["ts"].dropna()
    when = i18n.datetime(pd.Timestamp(ts.max())) if not ts.empty else "–"
    rows = "".join(
        f'<div class="ioc-k-station"><span class="ioc-k-aqi" style="background:{r.colour};color:{_ink(r.band)}">'
        f'{esc(i18n.num(r.aqi, lang))}</span><span class="ioc-k-band">{esc(state.t("aqi_band." + r.band))}</span>'
        f"<b>{esc(r.name)}<br/><small>{esc(i18n.name(r, lang, 'ward'))}</small></b></div>"
        for r in ranked.itertuples()
    )
    stations = (
        f'<div class="ioc-k"><div class="ioc-k-caption">{esc(state.t("kiosk.stations_title"))}</div>'
        f'<div class="ioc-k-stations">{rows}</div></div>'
    )
    layout(stations, state.t("kiosk.map_aqi", time=when), _deck(layers, wards, cfg), _no_chart(), "map", below=legend)


def _ink(band: str) -> str:
    """Text colour on a VN_AQI band colour: dark on green, yellow and orange; white on the rest."""
    return "#111" if band in ("good", "moderate", "poor", "none") else "#fff"


PANELS = {
    "overview": lambda cfg, p, lang: overview(cfg, lang),
    "sector": sector,
    "air": lambda cfg, p, lang: air(cfg, lang),
}


def draw(cfg: Config, panel: KioskPanel, lang: str) -> None:
    PANELS[panel.panel](cfg, panel, lang)


def fingerprint(*parts: object) -> str:
    return json.dumps(parts, default=str)
