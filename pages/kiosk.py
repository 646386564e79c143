"""The video wall (`/?kiosk=NAME`): the wall's playlist placed by wall-clock time, redrawn when the panel,
the snapshot or the attention strip changes; nothing interactive."""

from __future__ import annotations

import hmac
import logging
import os
import time

import streamlit as st

from ioc import auth, i18n, kiosk
from ioc.attention import Item
from ioc.ui import attention, components, state
from ioc.ui import kiosk as ui

cfg = state.config()
lang = state.lang()
t = state.t
name = st.query_params.get("kiosk", "")
wall = cfg.kiosk.walls.get(name)

if wall is None:
    walls = ", ".join(cfg.kiosk.walls)
    ui.message(
        t("kiosk.unknown_wall", name=name)
        + " "
        + (t("kiosk.walls_available", walls=walls) if walls else t("kiosk.no_walls"))
    )
    st.stop()
assert wall is not None  # st.stop() ended the run above
given = st.query_params.get("token", "")
issued = auth.wall_token(state.ops_path(), name, given)  # rotatable tokens: `python -m ioc kiosk token NAME`
if issued is None and wall.token_env:
    expected = os.environ.get(wall.token_env, "")
    issued = bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
if issued is None and auth.any_account(state.ops_path()):
    issued = False  # once the cockpit has accounts, no wall is open without its token
if issued is False:
    ui.message(t("kiosk.token_needed"))
    st.stop()
if st.session_state.get("_wall_seen") != name:
    st.session_state["_wall_seen"] = name
    state.audit("wall", name)

pin = kiosk.pinned(wall, st.query_params.get("page"))
SAMPLE = any(s.sample for s in cfg.sources.values() if s.enabled)


PANELS = wall.panels


def slot_now(now: float) -> kiosk.Slot:
    if pin is not None:
        return kiosk.Slot(pin, now, now, 0, pinned=True)
    return kiosk.slot_at(PANELS, now)


def strip() -> list[Item]:
    try:
        return attention.strip()
    except Exception:
        if state.snapshot_path() is None:
            return [Item("stale", "warn", t("app.no_snapshot"))]
        if not st.session_state.get("kiosk_attention_logged"):  # once per wall, not every tick
            st.session_state["kiosk_attention_logged"] = True
            logging.getLogger("ioc.kiosk").exception("attention strip failed")
        return [Item("stale", "warn", t("kiosk.attention_failed"))]


def view_key(now: float, items: list[Item]) -> str:
    """What is on the wall: a change of panel, snapshot or attention item redraws it, nothing else does."""
    return ui.fingerprint(slot_now(now).key, str(state.snapshot_path()), [i.text for i in items], lang)


now = time.time()
slot = slot_now(now)
panel = wall.panels[slot.index]
items = strip()
ui.chrome(cfg, lang, ui.panel_title(cfg, panel, lang), now, SAMPLE, slot)
with components.section():
    ui.draw(cfg, panel, lang)
snap = state.snapshot_time()
when = t("kiosk.updated", time=i18n.datetime(snap.tz_convert(cfg.city.timezone))) if snap is not None else ""
ui.footer(items, cfg.kiosk.attention.max_items, slot, len(wall.panels), now, when)


@st.fragment(run_every=cfg.kiosk.tick_seconds)
def watch(shown: str) -> None:
    # a whole-page rerun only when something changed: the panels' maps and charts are not redrawn every tick
    if view_key(time.time(), strip()) != shown:
        st.rerun()


watch(view_key(now, items))
