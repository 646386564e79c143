"""IOC Cockpit: page config, language switch and the navigation built from the page registry."""

from __future__ import annotations

import time
from typing import Literal

import streamlit as st
from streamlit.logger import get_logger

from ioc import access, i18n
from ioc.errors import ConfigError
from ioc.ui import components as ui
from ioc.ui import signin, state

LOG = get_logger("ioc.pages")  # one line per page run: which page, how long (operators' slow-page log)

# (file, locale key of the title, url path, icon, section)
PAGES = [
    ("pages/overview.py", "nav.overview", "overview", ":material/dashboard:", "nav.city"),
    ("pages/alerts.py", "nav.alerts", "alerts", ":material/notifications_active:", "nav.city"),
    ("pages/ward.py", "nav.ward", "ward", ":material/location_city:", "nav.city"),
    ("pages/public_reports.py", "nav.public", "phan-anh", ":material/campaign:", "nav.city"),
    ("pages/catalog.py", "nav.catalog", "catalog", ":material/dataset:", "nav.data"),
    ("pages/explorer.py", "nav.explorer", "explorer", ":material/query_stats:", "nav.data"),
    ("pages/sql_console.py", "nav.sql_console", "sql", ":material/terminal:", "nav.data"),
    ("pages/operations.py", "nav.operations", "operations", ":material/monitor_heart:", "nav.data"),
    ("pages/audit.py", "nav.audit", "audit", ":material/policy:", "nav.data"),
]


def _sector_page(code: str):
    def page() -> None:
        from ioc.ui import sector

        sector.render(code)

    page.__name__ = f"sector_{code}"  # Streamlit tells callable pages apart by name
    return page


HOME = "home"  # the url_path of the page served at `/` (Streamlit serves the default page there, not at its own)


def _pages(source, url: str, first: str, visible: bool, **kw) -> list:
    """A page at its address; the first page is served at `/` and, as a hidden alias, at its own address too,
    so a link or bookmark to /overview opens the overview, not Streamlit's "page not found"."""
    shown: Literal["visible", "hidden"] = "visible" if visible else "hidden"
    if url != first:
        return [st.Page(source, url_path=url, visibility=shown, **kw)]
    return [
        st.Page(source, url_path=HOME, default=True, visibility=shown, **kw),
        st.Page(source, url_path=url, visibility="hidden", **kw),
    ]


def build_navigation(lang: str, cfg, allowed: set[str]):
    """Every page, those the person may not open hidden (opened by URL, the gate in _main refuses them). The
    default page is the overview, else the first page they may open."""
    first = first_page(cfg, allowed)
    sections: dict[str, list] = {}
    for path, title, url, icon, section in PAGES:
        pages = _pages(path, url, first, url in allowed, title=i18n.t(title, lang), icon=icon)
        sections.setdefault(i18n.t(section, lang), []).extend(pages)
    # a sector's page: a module of its own when its declaration names one, else built from the declaration
    sector_pages = [
        page
        for s in cfg.sectors
        for page in _pages(
            f"pages/{s.page}.py" if s.page else _sector_page(s.code),
            s.url,
            first,
            s.code in allowed,
            title=s.name.get(lang),
            icon=s.icon or ":material/insights:",
        )
    ]
    # the sectors come right after the city's pages, before the analysts' tools
    ordered = {}
    for name, pages in sections.items():
        ordered[name] = pages
        if name == i18n.t("nav.city", lang):
            ordered[i18n.t("nav.sectors", lang)] = sector_pages
    return st.navigation(ordered, position="sidebar", expanded=True)


def first_page(cfg, allowed: set[str]) -> str:
    """The address `/` opens: the overview, else the first page the person may open."""
    first = next((url for _, _, url, _, _ in PAGES if url in allowed), None)
    return first or next((s.url for s in cfg.sectors if s.code in allowed), "overview")


def page_key(cfg, url_path: str) -> str:
    """A page's name in `roles.*.pages`: its address, a sector's page its sector's code."""
    return next((s.code for s in cfg.sectors if s.url == url_path), url_path)


def build_kiosk_navigation(lang: str):
    """A wall (`/?kiosk=NAME`) runs the kiosk page alone: no sidebar, no navigation, no widgets."""
    page = st.Page("pages/kiosk.py", title=i18n.t("kiosk.nav", lang), url_path="kiosk", default=True)
    return st.navigation([page], position="hidden")


def main() -> None:
    started, run = time.perf_counter(), {"page": "?"}
    try:
        _main(run)
    finally:  # also when the page stops or reruns itself (Streamlit raises to do that)
        LOG.info("page %s ran in %.0f ms", run["page"], (time.perf_counter() - started) * 1000)


def _main(run: dict) -> None:
    st.set_page_config(page_title=i18n.t("app.title", state.lang()), page_icon="🏙️", layout="wide")
    if "kiosk" in st.query_params:  # a video wall: content only (docs/kiosk.md)
        nav = build_kiosk_navigation(state.lang())
        run["page"] = "kiosk"
        nav.run()
        return
    with st.sidebar:
        lang = state.bound(
            st.selectbox,
            i18n.t("app.language", state.lang()),
            state.LANG_KEY,
            i18n.DEFAULT,
            list(i18n.LANGS),
            format_func=lambda c: {"vi": "Tiếng Việt", "en": "English"}[c],
        )
    try:
        cfg = state.config()
    except ConfigError as exc:
        st.error(
            i18n.t("app.error_config", lang, where=exc.where) + "\n\n" + "\n".join(f"- `{p}`" for p in exc.problems)
        )
        st.stop()
    with st.sidebar:
        st.caption(cfg.city.name.get(lang))
    who = state.resolve_person()
    signin.sidebar(who)
    ui.narrow_screen()
    allowed = access.pages(cfg, who)
    nav = build_navigation(lang, cfg, allowed)
    run["page"] = nav.url_path or first_page(cfg, allowed)
    key = page_key(cfg, run["page"])
    if key not in allowed:  # opened by its address: say so, show nothing of it
        signin.refused(who, key)
        return
    signin.viewed(key)
    nav.run()


main()
