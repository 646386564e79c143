"""What needs attention now, gathered once for the kiosk's strip and the overview's first section."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ioc import alerts, attention
from ioc.queries import environment as qe
from ioc.queries import indicators as qi
from ioc.queries import kiosk as qk
from ioc.ui import state


def items() -> list[attention.Item]:
    """ioc.attention.attention over the current snapshot and the sources' status (raises when a query fails:
    the caller says so in its own way)."""
    cfg, today = state.config(), state.today()
    return attention.attention(
        cfg,
        state.lang(),
        stations=state.query(qe.latest_aqi),
        hits=[
            (
                r,
                state.query(qk.past_threshold, r.indicator.code, r.value, r.scope, r.indicator.direction, today),
            )
            for r in attention.thresholds(cfg)
        ],
        indicators=state.query(qi.summary, today=today),
        sources=state.source_status()["sources"],
    )


def open_alerts() -> list[attention.Item]:
    """The open alerts (the rules of config.yaml), one line per rule, most severe and oldest first."""
    cfg = state.config()
    return attention.from_alerts(cfg, alerts.alerts(alerts.ops_path(cfg), wards=state.wards()), state.lang())


def open_by_sector() -> dict[str, int]:
    """Open and acknowledged alerts by sector."""
    counts = alerts.counts(alerts.ops_path(state.config()), state.wards())
    return {k: sum(v.values()) for k, v in counts.items()}


def sector_alerts(sector: str | None = None, ward: str | None = None) -> None:
    """A sector's (or a ward's) open alerts, most severe first, each line its message, and the way to the
    alerts page; the messages carry data (an item's name), so they reach the browser as text."""
    from urllib.parse import urlencode

    from ioc.ui.components import esc

    cfg, lang, t = state.config(), state.lang(), state.t
    link = urlencode({k: v for k, v in (("sector", sector), ("ward", ward)) if v})
    rows = alerts.alerts(alerts.ops_path(cfg), sector=sector, ward=ward, wards=state.wards())
    if not rows:
        return
    from ioc import access

    see_all = (
        f' · <a href="/alerts?{esc(link)}" target="_self">{esc(t("alerts.see_all"))}</a>'
        if access.may_open(cfg, state.person(), "alerts")
        else ""
    )
    lines = "".join(
        f'<li><span class="ioc-sev ioc-sev-{esc(r["severity"])}">●</span> '
        f"{esc(r['message_en'] if lang == 'en' and r['message_en'] else r['message_vi'])}</li>"
        for r in rows[:5]
    )
    more = f"<li>{esc(t('alerts.more', n=len(rows) - 5))}</li>" if len(rows) > 5 else ""
    st.markdown(
        f'<div class="ioc-sector-alerts"><b>⚠ {esc(t("alerts.open_n", n=len(rows)))}</b>{see_all}'
        f"<ul>{lines}{more}</ul></div>",
        unsafe_allow_html=True,
    )


def strip() -> list[attention.Item]:
    """The kiosk's strip: the open alerts where the config has alert rules, else what needs attention now."""
    return open_alerts() if state.config().alerts else items()


def movers(n: int = 5) -> pd.DataFrame:
    """ioc.attention.movers over every indicator's summary."""
    return attention.movers(state.query(qi.summary, today=state.today()), n)
