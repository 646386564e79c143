"""IOC Cockpit: page config, language switch and the navigation built from the page registry."""
from __future__ import annotations

import streamlit as st

from ioc import i18n
from ioc.errors import ConfigError
from ioc.ui import state

# (file, locale key of the title, url path, icon, section)
PAGES = [
    ("pages/overview.py", "nav.overview", "overview", ":material/dashboard:", "nav.city"),
    ("pages/environment.py", "nav.environment", "environment", ":material/air:", "nav.sectors"),
]


def build_navigation(lang: str):
    sections: dict[str, list] = {}
    for i, (path, title, url, icon, section) in enumerate(PAGES):
        page = st.Page(path, title=i18n.t(title, lang), url_path=url, icon=icon, default=i == 0)
        sections.setdefault(i18n.t(section, lang), []).append(page)
    return st.navigation(sections, position="sidebar")


def main() -> None:
    st.set_page_config(page_title=i18n.t("app.title", state.lang()), page_icon="🏙️", layout="wide")
    with st.sidebar:
        lang = st.selectbox(
            i18n.t("app.language", state.lang()), list(i18n.LANGS),
            key=state.url_key(state.LANG_KEY, i18n.DEFAULT, lambda v: v if v in i18n.LANGS else None),
            format_func=lambda c: {"vi": "Tiếng Việt", "en": "English"}[c],
        )
    state.to_url(state.LANG_KEY, lang, i18n.DEFAULT)
    try:
        cfg = state.config()
    except ConfigError as exc:
        st.error(i18n.t("app.error_config", lang, where=exc.where) + "\n\n" + "\n".join(f"- `{p}`" for p in exc.problems))
        st.stop()
    with st.sidebar:
        st.caption(getattr(cfg.city.name, lang) or cfg.city.name.vi)
    build_navigation(lang).run()


main()
