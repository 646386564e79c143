"""The person in the sidebar (signed in as whom, sign-in, sign-out), the gate that refuses a page a person may
not open, and the audit of page views. The sign-in form itself is served by server.py (`/signin`): only the
server can set the HttpOnly session cookie."""

from __future__ import annotations

import html
from urllib.parse import quote

import streamlit as st

from ioc import access, auth
from ioc.ui import state

VIEWED_KEY = "_ioc_viewed"  # the page this session last logged a view of (a rerun of the same page is not one)


def signin_url(next_path: str = "/") -> str:
    """The sign-in form, in the page's language, coming back to `next_path`."""
    path = next_path if next_path.startswith("/") else "/" + next_path
    return f"/signin?lang={state.lang()}&next=" + quote(path, safe="/")


def _link(label: str, href: str) -> None:
    # st.html, not markdown: Streamlit opens markdown links in a new tab; the form belongs in this one
    st.html(f'<a href="{html.escape(href)}" class="ioc-signin">{html.escape(label)}</a>')


def _sign_out(who: access.Person) -> None:
    if who.how == "oidc":
        auth.end_oidc_session(state.ops_path(), who.session or "")
        state.audit("sign_out", "oidc")
        st.logout()
        return
    auth.end_session(state.ops_path(), who.session)
    state.audit("sign_out")
    st.session_state.pop(state.PERSON_KEY, None)


def sidebar(who: access.Person) -> None:
    t = state.t
    with st.sidebar:
        if who.signed_in:
            wards = state.config().ward_names(state.lang())
            bound = ", ".join(wards.get(w, w) for w in who.wards)
            st.caption(
                t("access.signed_in_as", name=who.name, role=t(f"role.{who.role}")) + (f" · {bound}" if bound else "")
            )
            st.button(t("access.sign_out"), key="_sign_out", on_click=_sign_out, args=(who,), icon=":material/logout:")
        elif who.how == "open":
            st.warning(t("access.open_mode"), icon=":material/lock_open:")
        else:
            _link(t("access.sign_in"), signin_url(_here()))
            if state.config().sign_in.oidc is not None:
                st.button(t("access.sign_in_oidc"), key="_oidc", on_click=st.login, icon=":material/key:")


def _here() -> str:
    try:
        url = st.context.url or "/"
    except Exception:
        return "/"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def refused(who: access.Person, page: str) -> None:
    """A page opened by its address that this person may not open: said, nothing of it shown, logged."""
    state.audit("page_refused", page)
    if who.signed_in:
        st.error(state.t("access.not_for_role", role=state.t(f"role.{who.role}")), icon=":material/block:")
    else:
        st.info(state.t("access.needs_sign_in"), icon=":material/lock:")
        _link(state.t("access.sign_in"), signin_url(_here()))


def gate(page: str) -> None:
    """A page's own check, first thing in it: app.py refuses a page before running it, and this refuses it
    again wherever the page is run from (a deep link on a server started without server.py runs it alone)."""
    who = state.person()
    if not access.may_open(state.config(), who, page):
        refused(who, page)
        st.stop()


def viewed(page: str) -> None:
    """One audit entry per page opened (not per rerun of it)."""
    if st.session_state.get(VIEWED_KEY) != page:
        st.session_state[VIEWED_KEY] = page
        state.audit("page", page)
