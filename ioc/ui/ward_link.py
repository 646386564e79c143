"""The way to a ward's profile from any page: a link, or a jump from a map's click handler."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ioc.ui import state

# absolute, so the link works whichever entry point runs the navigation (app.py, server.py)
WARD_PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "ward.py")
WARD_KEY = "ward"  # the same URL key as the sector pages' ward filter, so a ward picked anywhere carries over
SCROLL_TOP = "_ward_scroll_top"  # set by a jump: the profile opens at its top, not where the map was scrolled to


def _params(code: str) -> dict[str, str]:
    params = {WARD_KEY: code}
    lang = state.lang()
    if lang != "vi":
        params[state.LANG_KEY] = lang
    return params


def ward_name(code: str) -> str:
    return state.config().ward_names(state.lang()).get(code, code)


def ward_profile_link(code: str, label: str | None = None) -> None:
    """A link to the ward's profile page (`/ward?ward=<code>`)."""
    st.page_link(
        WARD_PAGE,
        label=label or state.t("ward.open_profile", name=ward_name(code)),
        icon=":material/location_city:",
        query_params=_params(code),
    )


def open_ward_profile(code: str) -> None:
    """Switch to the ward's profile page now: give it as `on_pick` to ioc.ui.wards.ward_block."""
    # the profile's selectbox is seeded from the URL only when it has no state of its own
    st.session_state.pop(WARD_KEY, None)
    st.session_state[SCROLL_TOP] = True
    st.switch_page(WARD_PAGE, query_params=_params(code))


def scroll_to_top() -> None:
    """After a jump, show the page from its top: Streamlit keeps the previous page's scroll position."""
    if st.session_state.pop(SCROLL_TOP, False):
        st.html(
            "<script>const m = window.document.querySelector('[data-testid=\"stMain\"]');"
            " if (m) { m.scrollTo(0, 0); } window.scrollTo(0, 0);</script>",
            unsafe_allow_javascript=True,
        )
