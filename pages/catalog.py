"""Data catalog: every table of the current snapshot, where it comes from, how fresh it is, and its columns."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from ioc import catalog, i18n
from ioc.queries import catalog as qc
from ioc.status import label as status_label
from ioc.status import reason as status_reason
from ioc.ui import components as ui
from ioc.ui import state, tables
from ioc.ui.signin import gate

gate("catalog")  # this page's own check of who may open it
state.analyst_tools()  # small counts of people read "<5" in what this page reads

cfg = state.config()
lang = state.lang()
t = state.t

ui.page_header(t("catalog.title"), t("catalog.subtitle"))

entries = pd.DataFrame()
with ui.section():
    system = {n: t(f"catalog.system.{n}") for n in qc.SYSTEM_TABLES}
    entries = catalog.entries(
        cfg,
        state.query(qc.tables),
        state.query(qc.reject_counts),
        state.source_status(),
        system,
    )
    names = list(entries["table_name"])
    query = state.bound(
        st.text_input, t("catalog.search"), "q", "", placeholder=t("catalog.search_help"), clean=str.strip
    )
    hits = catalog.search(cfg, entries, state.query(qc.all_columns), state.query(qc.text_values), query)
    # what was matched in the table's own words first, then tables that merely hold the text as a value
    order = sorted(hits, key=lambda n: (all(h.startswith("value:") for h in hits[n]), names.index(n)))
    shown = entries.set_index("table_name").loc[order].reset_index()
    if query:
        st.caption(t("catalog.found", n=len(order), q=query))

    def why(n: str) -> str:
        parts = []
        for h in hits[n]:
            kind, _, what = h.partition(":")
            parts.append(t(f"catalog.why.{kind}", what=what))
        return "; ".join(dict.fromkeys(parts))

    def fresh_text(state_key) -> str:
        return status_label(state_key, lang) if isinstance(state_key, str) else "–"

    table = pd.DataFrame(
        {
            t("catalog.table"): shown["table_name"],
            t("catalog.sector"): [
                i18n.name(r, lang, "sector") or t("catalog.system_sector") for r in shown.itertuples()
            ],
            t("catalog.rows"): shown["rows"],
            t("catalog.freshness"): [fresh_text(v) for v in shown["freshness"]],
            t("catalog.last_load"): [catalog.last_load_text(v, cfg.city.timezone) for v in shown["last_good_load"]],
            t("catalog.rejects"): shown["rejects"],
            **({t("catalog.match"): [why(n) for n in shown["table_name"]]} if query else {}),
            t("catalog.description"): shown["description"],
            t("catalog.source"): shown["sources"],
        }
    )
    widths: dict[str, Literal["small", "medium", "large"]] = {
        t("catalog.table"): "medium",
        t("catalog.sector"): "medium",
        t("catalog.rows"): "small",
        t("catalog.freshness"): "small",
        t("catalog.last_load"): "medium",
        t("catalog.rejects"): "small",
        t("catalog.match"): "medium",
        t("catalog.description"): "large",
    }

    def _pick() -> None:
        rows = st.session_state["cat_list"].selection.rows
        if rows:
            st.session_state["table"] = shown["table_name"].iloc[rows[0]]

    tables.show(
        table,
        height=min(1400, 38 + 35 * max(1, len(table))),
        key="cat_list",
        on_select=_pick,
        selection_mode="single-row",
        column_config={k: st.column_config.Column(width=w) for k, w in widths.items()},
    )
    st.caption(t("catalog.pick_help"))

with ui.section():
    if entries.empty:
        st.stop()
    picked = state.bound(
        st.selectbox,
        t("catalog.detail"),
        "table",
        "",
        ["", *names],
        format_func=lambda n: n or t("catalog.detail_none"),
    )
    if picked:
        e = entries.set_index("table_name").loc[picked]
        st.header(picked)
        sector = i18n.name(e, lang, "sector") or t("catalog.system_sector")
        st.markdown(f"**{sector}** · {e.description}")
        if picked in cfg.sensitive_tables():  # one row per person: held here with no rows (ioc.access)
            st.info(t("catalog.register"), icon=":material/shield_person:")
        tables.big_numbers(
            [
                (t("catalog.rows"), i18n.num(e.rows, lang)),
                (t("catalog.columns"), i18n.num(e.columns, lang)),
                (t("catalog.rejects"), i18n.num(e.rejects, lang)),
                (t("catalog.freshness"), fresh_text(e.freshness)),
            ]
        )
        st.caption(f"{t('catalog.last_load')}: {catalog.last_load_text(e.last_good_load, cfg.city.timezone)}")
        if e.sources:
            status = {s["source"]: s for s in state.source_status()["sources"]}
            srcs = [s for s in cfg.sources.values() if s.table == picked]
            st.dataframe(
                pd.DataFrame(
                    {
                        t("catalog.source"): [s.name for s in srcs],
                        t("catalog.connector"): [s.connector for s in srcs],
                        t("catalog.location"): [s.location for s in srcs],
                        t("catalog.schedule"): [s.schedule or t("freshness.manual") for s in srcs],
                        t("catalog.freshness"): [
                            fresh_text(status[s.name]["state"]) if s.name in status else "–" for s in srcs
                        ],
                        t("freshness.reason"): [status_reason(status.get(s.name) or {}, lang) for s in srcs],
                        t("catalog.sample"): [t("analyst.yes") if s.sample else t("analyst.no") for s in srcs],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        st.page_link(
            "pages/explorer.py",
            label=t("catalog.open_explorer"),
            query_params={"t": picked},
            icon=":material/query_stats:",
        )

        st.subheader(t("catalog.columns_title"))
        prof = state.query(qc.profile, picked)
        descs = catalog.column_descriptions(cfg, picked)
        st.dataframe(
            pd.DataFrame(
                {
                    t("catalog.column"): prof["column_name"],
                    t("catalog.type"): prof["data_type"].str.lower(),
                    t("catalog.description"): [descs.get(c, "") for c in prof["column_name"]],
                    t("catalog.null_share"): [
                        i18n.pct(v * 100 if v is not None else None, lang, 1) for v in prof["null_share"]
                    ],
                    t("catalog.distinct"): [i18n.num(v, lang) for v in prof["distinct"]],
                    t("catalog.examples"): [
                        " · ".join(tables.cell_text(x, lang)[:60] for x in ex) for ex in prof["examples"]
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
            height=min(600, 38 + 35 * len(prof)),
            column_config={
                t("catalog.description"): st.column_config.Column(width="large"),
                t("catalog.examples"): st.column_config.Column(width="large"),
            },
        )

        if e.sources:
            st.subheader(t("catalog.rejects_title"))
            counts = state.query(qc.reject_counts)
            for r in counts[counts["table_name"] == picked].itertuples():
                label = t("catalog.rejects_of", source=r.source, n=i18n.num(r.rejects, lang), run=r.run_id)
                with st.expander(label, expanded=bool(r.rejects)):
                    rej = state.query(qc.rejects, r.source, int(r.run_id))
                    if rej.empty:
                        st.caption(t("catalog.rejects_none"))
                    else:
                        st.dataframe(
                            rej.rename(
                                columns={
                                    "row_number": t("catalog.reject_row"),
                                    "column_name": t("catalog.column"),
                                    "value": t("catalog.reject_value"),
                                    "reason": t("catalog.reject_reason"),
                                }
                            ),
                            hide_index=True,
                            width="stretch",
                        )
            for r in counts[counts["table_name"] == picked].itertuples():
                gone = state.query(qc.dropped, r.source)
                if gone.empty:
                    continue
                with st.expander(t("catalog.dropped_of", source=r.source, n=i18n.num(len(gone), lang))):
                    said = {k: t(f"catalog.dropped_reason.{k}") for k in gone["reason"].unique()}
                    said = {k: k if v.startswith("catalog.") else v for k, v in said.items()}  # a reason as written
                    st.dataframe(
                        gone.assign(reason=gone["reason"].map(said)).rename(
                            columns={
                                "row_number": t("catalog.reject_row"),
                                "reason": t("catalog.reject_reason"),
                                "text": t("catalog.dropped_text"),
                            }
                        ),
                        hide_index=True,
                        width="stretch",
                    )
