"""Data operations: every source's state (ioc.status, the same truth as `python -m ioc status`), the runs held
for review with their accept button, the run history and the scheduler."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc import status as health
from ioc.ui import components as ui
from ioc.ui import state, tables

cfg = state.config()
lang = state.lang()
t = state.t
sector_names = cfg.sector_names(lang)

ui.page_header(t("ops.title"), t("ops.subtitle"))
status = state.source_status()
sources = status["sources"]
sched = status["scheduler"]

with ui.section():
    to_act = [s for s in sources if s["state"] not in health.GOOD_STATES]
    tables.big_numbers(
        [
            (t("ops.to_act"), i18n.num(len(to_act), lang)),
            (t("ops.held_n"), i18n.num(sum(s["state"] == "held" for s in sources), lang)),
            (t("ops.failed_n"), i18n.num(sum(s["state"] == "failed" for s in sources), lang)),
            (t("ops.scheduler"), t("ops.scheduler_running" if sched["running"] else "ops.scheduler_stopped")),
        ]
    )
    if sched["running"]:
        st.caption(
            t(
                "ops.scheduler_since",
                pid=sched["pid"],
                host=sched["host"],
                since=state.city_time(sched["since"]),
                beat=state.city_time(sched["heartbeat"]),
            )
        )
    elif sched["heartbeat"] or sched["since"]:
        st.warning(t("ops.scheduler_last", beat=state.city_time(sched["heartbeat"] or sched["since"])))
    else:
        st.caption(t("ops.scheduler_never"))
    if sched["config_error"]:
        st.error(t("ops.config_error", error=sched["config_error"]))
    back = status["last_rollback"]
    if back:
        st.caption(t("ops.rollback", to=back["to"], by=back["by"], at=state.city_time(back["at"])))


def accept(name: str) -> None:
    """The operator's word on a held run: load what it held (ioc.ingest.accept), say what happened."""
    by = st.session_state.get(f"ops_by_{name}", "").strip()
    if not by:
        st.session_state["ops_flash"] = ("warning", t("ops.accept_needs_name"))
        return
    from ioc.ingest import accept as accept_run  # the ingest, on demand: other visits never load it

    try:
        result = accept_run(cfg, name, by)
    except Exception as exc:  # an IOCError says why; anything else is logged and said calmly
        ui.log_exception(exc)
        st.session_state["ops_flash"] = ("error", t("ops.accept_failed", source=name, error=str(exc)))
        return
    finally:
        state.refresh_status()
    res = result.results[0]
    if res.status == "ok":
        text = t("ops.accepted", source=name, rows=i18n.num(res.rows_loaded, lang), snapshot=result.snapshot_id)
        st.session_state["ops_flash"] = ("success", text)
    else:
        st.session_state["ops_flash"] = ("error", t("ops.accept_failed", source=name, error=res.error))


with ui.section(t("ops.held_title")):
    flash = st.session_state.pop("ops_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    held = [s for s in sources if s["state"] == "held"]
    if not held:
        st.caption(t("ops.held_none"))
    for s in held:
        with st.container(border=True):
            st.markdown(
                t(
                    "ops.held_card",
                    source=cfg.sources[s["source"]].label,
                    run=s["last_run_id"],
                    rows=i18n.num(s["rows_held"], lang),
                    previous=i18n.num(s["rows_previous"], lang),
                )
            )
            st.caption(s["reason"] or "")
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            left.text_input(t("ops.accept_by"), key=f"ops_by_{s['source']}", help=t("ops.accept_by_help"))
            right.button(t("ops.accept"), key=f"ops_accept_{s['source']}", on_click=accept, args=(s["source"],))

with ui.section(t("ops.sources_title")):
    order = {k: i for i, k in enumerate(health.STATES)}
    rows = [
        {
            t("freshness.status"): health.label(s["state"], lang),
            t("freshness.sector"): sector_names.get(s["sector"], s["sector"]),
            t("freshness.source"): cfg.sources[s["source"]].label,
            t("freshness.reason"): s["reason"] or "",
            t("freshness.last_good"): state.city_time(s["last_good"]),
            t("freshness.next_run"): state.city_time(s["next_run"]),
            t("freshness.rows"): i18n.num(s["rows"], lang) if s["rows"] is not None else "–",
            "_o": order[s["state"]],
        }
        for s in sources
    ]
    frame = pd.DataFrame(rows).sort_values("_o", kind="stable").drop(columns="_o") if rows else pd.DataFrame()
    st.dataframe(frame, hide_index=True, width="stretch")

with ui.section(t("ops.runs_title")):
    names = list(cfg.sources)
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    with left:
        picked = state.bound(
            st.selectbox,
            t("ops.runs_source"),
            "src",
            "",
            ["", *names],
            format_func=lambda n: cfg.sources[n].label if n else t("ops.runs_all"),
        )
    with right:
        problems = state.bound(
            st.toggle, t("ops.runs_problems"), "problems", False, parse=lambda v: v == "1", dump=lambda v: "01"[v]
        )
    history = health.runs(cfg, 200, picked or None, problems=problems)
    if not history:
        st.caption(t("ops.runs_none"))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("ops.run"): [str(r["id"]) for r in history],
                    t("ops.runs_source"): [r["source"] for r in history],
                    t("ops.run_status"): [t(f"ops.status.{r['status']}") for r in history],
                    t("ops.started"): [
                        state.city_time(dt.datetime.fromtimestamp(r["started_at"], dt.UTC).isoformat()) for r in history
                    ],
                    t("ops.seconds"): [
                        i18n.num(r["finished_at"] - r["started_at"], lang, digits=1) if r["finished_at"] else "–"
                        for r in history
                    ],
                    t("freshness.rows"): [
                        i18n.num(r["rows_held"] if r["status"] == "held" else r["rows_loaded"], lang) for r in history
                    ],
                    t("freshness.rejects"): [i18n.num(r["rejects"], lang) for r in history],
                    t("ops.snapshot"): [r["snapshot_id"] or "–" for r in history],
                    t("freshness.reason"): [r["error"] or (r["notes"] or "").replace("\n", "; ") for r in history],
                }
            ),
            hide_index=True,
            width="stretch",
        )
