"""IOC Cockpit: page config, language switch and the navigation built from the page registry."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.logger import get_logger

from ioc import i18n
from ioc.errors import ConfigError
from ioc.ui import components as ui
from ioc.ui import state

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
]


def _sector_page(code: str):
    def page() -> None:
        from ioc.ui import sector

        sector.render(code)

    page.__name__ = f"sector_{code}"  # Streamlit tells callable pages apart by name
    return page


def build_navigation(lang: str, cfg):
    sections: dict[str, list] = {}
    for i, (path, title, url, icon, section) in enumerate(PAGES):
        page = st.Page(path, title=i18n.t(title, lang), url_path=url, icon=icon, default=i == 0)
        sections.setdefault(i18n.t(section, lang), []).append(page)
    # a sector's page: a module of its own when its declaration names one, else built from the declaration
    sector_pages = [
        st.Page(
            f"pages/{s.page}.py" if s.page else _sector_page(s.code),
            title=s.name.get(lang),
            url_path=s.url,
            icon=s.icon or ":material/insights:",
        )
        for s in cfg.sectors
    ]
    # the sectors come right after the city's pages, before the analysts' tools
    ordered = {}
    for name, pages in sections.items():
        ordered[name] = pages
        if name == i18n.t("nav.city", lang):
            ordered[i18n.t("nav.sectors", lang)] = sector_pages
    return st.navigation(ordered, position="sidebar", expanded=True)


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
    ui.narrow_screen()
    nav = build_navigation(lang, cfg)
    run["page"] = nav.url_path or "overview"
    nav.run()


main()
