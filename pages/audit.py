"""The audit log, for administrators: who did what, when and from where, filtered by time, person and action.
Read only: the log is append-only (ioc.audit)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ioc import audit
from ioc.ui import components as ui
from ioc.ui import state, tables
from ioc.ui.signin import gate

gate("audit")  # this page's own check of who may open it

t = state.t
cfg = state.config()
lang = state.lang()
zone = ZoneInfo(cfg.city.timezone)
ui.page_header(t("audit.title"), t("audit.caption"))


def named(kind: str | None) -> str:
    """An action's name in the page's language; an action this page has no name for, as it is logged."""
    if kind is None:
        return t("audit.all")
    key = f"audit.kinds.{kind}"
    return t(key) if t(key) != key else kind


with ui.section():
    path = state.ops_path()
    recent = audit.entries(path, limit=5000)
    people = sorted({e["who"] for e in recent})
    actions = sorted({e["action"] for e in recent})
    a, b, c = st.columns(3)
    since = a.date_input(t("audit.since"), value=state.today() - dt.timedelta(days=7), format="DD/MM/YYYY")
    who = b.selectbox(t("audit.who"), [None, *people], format_func=lambda v: t("audit.all") if v is None else v)
    action = c.selectbox(t("audit.action"), [None, *actions], format_func=named)
    start = dt.datetime.combine(since, dt.time(), zone).timestamp() if since else None
    rows = audit.entries(path, start, who, action, limit=5000)
    if not rows:
        st.info(t("audit.none"))
    else:
        df = pd.DataFrame(rows)
        df["at"] = pd.to_datetime(df["at"], unit="s", utc=True).dt.tz_convert(zone).dt.tz_localize(None)
        df = df[["at", "who", "action", "detail", "origin"]]
        df["action"] = df["action"].map(named)
        st.caption(t("audit.shown", n=len(df)))
        labels = {k: t(f"audit.{k}") for k in ("at", "who", "action", "detail", "origin")}
        tables.show(df, labels, height=min(640, 38 + 35 * len(df)))
