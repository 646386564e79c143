"""SQL console: read-only queries on the current snapshot in the sandbox, with the tables beside the editor."""

from __future__ import annotations

import datetime as dt
import functools

import streamlit as st

from ioc import exports, i18n, sandbox
from ioc.errors import QueryBusy, QueryError, QueryTimeout
from ioc.queries import catalog as qc
from ioc.ui import components as ui
from ioc.ui import state, tables
from ioc.ui.signin import gate

gate("sql")  # this page's own check of who may open it
state.analyst_tools()  # small counts of people read "<5" in what this page reads

cfg = state.config()
lang = state.lang()
t = state.t
HISTORY = "sql_history"
HISTORY_MAX = 30
EXAMPLE = "SELECT ward_code, count(*) AS ho_so\nFROM admin_dossiers\nGROUP BY ward_code\nORDER BY ho_so DESC"


def _reload(query: str) -> None:
    st.session_state["sql"] = query


ui.page_header(
    t("console.title"),
    t(
        "console.subtitle",
        s=i18n.num(cfg.analyst.sql_timeout_seconds, lang),
        n=i18n.num(cfg.analyst.display_rows, lang),
    ),
)
st.session_state.setdefault(HISTORY, [])
left, right = st.columns([3, 1.2])

with right, ui.section(t("console.tables")):
    cols = state.query(qc.all_columns)
    with st.container(height=560, border=False):
        for table in state.query(qc.table_names):
            with st.expander(table):
                part = cols[cols["table_name"] == table]
                # column names can be a department's header text: escaped before they meet HTML
                st.markdown(
                    "\n".join(
                        f"- <code>{ui.esc(c)}</code> <span style='color:#666'>{ui.esc(ty.lower())}</span>"
                        for c, ty in zip(part["column_name"], part["data_type"])
                    ),
                    unsafe_allow_html=True,
                )
                st.page_link(
                    "pages/catalog.py",
                    label=t("console.in_catalog"),
                    query_params={"table": table},
                    icon=":material/dataset:",
                )


def console_hint(error: str) -> str:
    """The locale key of what to do about a DuckDB error, by the kind DuckDB names first."""
    kind = error.split(" Error", 1)[0].strip().lower().replace(" ", "_") if " Error" in error else ""
    known = {"catalog", "binder", "parser", "conversion", "out_of_memory", "invalid_input", "not_implemented"}
    return f"console.hint.{kind}" if kind in known else "console.hint.other"


with left:
    st.session_state.setdefault("sql", EXAMPLE)
    query = st.text_area(t("console.query"), key="sql", height=220, help=t("console.query_help"))
    run = st.button(t("console.run"), type="primary", icon=":material/play_arrow:", key="sql_run")
    if run and query.strip() and not state.may("sql"):  # the page is the analysts'; the action checks on its own
        state.audit("sql_refused", "role: " + query[:2000])
        st.error(t("access.no_action"))
    elif run and query.strip():
        kind = sandbox.refusal(query)
        state.audit("sql_refused" if kind else "sql", (f"{kind}: " if kind else "") + query[:2000])
        if kind:
            st.error(t("console.refused", kind=t(f"console.kinds.{kind}")))
        else:
            with ui.section():
                started = dt.datetime.now()
                res: sandbox.Result | None
                try:
                    res = sandbox.run(
                        cfg,
                        query,
                        timeout=cfg.analyst.sql_timeout_seconds,
                        limit=cfg.analyst.display_rows,
                        path=state.snapshot_path(),
                    )
                except QueryTimeout:
                    st.error(t("console.timeout", s=i18n.num(cfg.analyst.sql_timeout_seconds, lang)))
                    res = None
                except QueryBusy as exc:
                    st.error(t("console.busy", n=exc.running))
                    res = None
                except QueryError as exc:  # DuckDB's own words, after a line in the page's language on what to do
                    few = [c for cols in cfg.sensitive_columns().values() for c in cols if c in query]
                    why = f"\n\n{t('console.hint.small', columns=', '.join(few))}" if few else ""
                    st.error(f"{t(console_hint(str(exc)))}{why}\n\n`{exc}`")
                    res = None
                if res is not None:
                    history = [q for q in st.session_state[HISTORY] if q != query]
                    st.session_state[HISTORY] = [query, *history][:HISTORY_MAX]
                    seconds = (dt.datetime.now() - started).total_seconds()
                    if not res.names:
                        st.success(t("console.no_result"))
                    else:
                        df = res.frame()
                        note = t("console.rows", n=i18n.num(len(df), lang), s=i18n.num(seconds, lang, 2))
                        if res.truncated:
                            note += " · " + t("analyst.truncated", n=i18n.num(cfg.analyst.display_rows, lang))
                        st.caption(note)
                        tables.show(df, height=min(520, 38 + 35 * max(1, len(df))))
                        labels = exports.labels(cfg)
                        tables.downloads(
                            functools.partial(
                                exports.export_query, cfg, query, None, label_of=labels, path=state.snapshot_path()
                            ),
                            f"ket_qua_{dt.date.today():%Y%m%d}",
                            key="sql_dl",
                        )

    st.subheader(t("console.history"))
    if not st.session_state[HISTORY]:
        st.caption(t("console.history_none"))
    for i, q in enumerate(st.session_state[HISTORY]):
        one_line = " ".join(q.split())
        st.button(
            f"↺ {one_line[:110]}{'…' if len(one_line) > 110 else ''}",
            key=f"sql_hist_{i}",
            on_click=_reload,
            args=(q,),
            type="tertiary",
            help=q,
        )
