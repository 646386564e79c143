"""Data operations: every source's state (ioc.status, the same truth as `python -m ioc status`), the runs held
for review with their accept button, the run history and the scheduler."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ioc import alerts, i18n, outbox, province
from ioc import status as health
from ioc.errors import IOCError
from ioc.ui import components as ui
from ioc.ui import state, tables
from ioc.ui.signin import gate

gate("operations")  # this page's own check of who may open it

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
    if not state.may("accept"):
        st.session_state["ops_flash"] = ("error", t("access.no_action"))
        return
    who = state.person()
    by = who.name if who.signed_in else st.session_state.get(f"ops_by_{name}", "").strip()
    if not by:
        st.session_state["ops_flash"] = ("warning", t("ops.accept_needs_name"))
        return
    from ioc.ingest import accept as accept_run  # the ingest, on demand: other visits never load it

    state.audit("accept", name)

    try:
        result = alerts.follow(cfg, accept_run(cfg, name, by))  # and the alerts of the snapshot it publishes
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
                    source=cfg.sources[s["source"]].label_in(lang),
                    run=s["last_run_id"],
                    rows=i18n.num(s["rows_held"], lang),
                    previous=i18n.num(s["rows_previous"], lang),
                )
            )
            st.caption(health.reason(s, lang))
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            if not state.person().signed_in:  # with accounts, the person signed in accepts
                left.text_input(t("ops.accept_by"), key=f"ops_by_{s['source']}", help=t("ops.accept_by_help"))
            right.button(t("ops.accept"), key=f"ops_accept_{s['source']}", on_click=accept, args=(s["source"],))

with ui.section(t("ops.sources_title")):
    order = {k: i for i, k in enumerate(health.STATES)}
    rows = [
        {
            t("freshness.status"): health.label(s["state"], lang),
            t("freshness.sector"): sector_names.get(s["sector"], s["sector"]),
            t("freshness.source"): cfg.sources[s["source"]].label_in(lang),
            t("freshness.reason"): health.reason(s, lang),
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
            format_func=lambda n: cfg.sources[n].label_in(lang) if n else t("ops.runs_all"),
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


def retry(message: int) -> None:
    if not state.may("accept"):
        st.session_state["ops_outbox_error"] = t("access.no_action")
        return
    state.audit("outbox_retry", str(message))
    try:
        outbox.retry(alerts.ops_path(cfg), message)
    except IOCError as exc:
        st.session_state["ops_outbox_error"] = str(exc)


with ui.section(t("ops.outbox_title")):  # notifications and the province's push, as the worker left them
    path = alerts.ops_path(cfg)
    alerts.init(path)
    counts = outbox.counts(path)
    if not cfg.receivers:
        st.caption(t("ops.outbox_no_receivers"))
    if counts:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("ops.outbox_receiver"): name,
                        t("ops.outbox_pending"): i18n.num(by.get("pending", 0), lang),
                        t("ops.outbox_sent"): i18n.num(by.get("sent", 0), lang),
                        t("ops.outbox_dead"): i18n.num(by.get("dead", 0), lang),
                    }
                    for name, by in sorted(counts.items())
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    error = st.session_state.pop("ops_outbox_error", None)
    if error:
        st.error(error)
    waiting = outbox.messages(path, status="dead", limit=50) + outbox.messages(path, status="pending", limit=50)
    for m in waiting:
        left, right = st.columns([5, 1], vertical_alignment="center")
        state_text = t("ops.outbox_dead_line" if m["status"] == "dead" else "ops.outbox_pending_line",
                       attempts=m["attempts"], status=m["last_status"] or "–")  # fmt: skip
        with left:  # data (a subject, a receiver's answer) reaches the browser as text
            st.html(
                f"<div><b>#{m['id']} · {ui.esc(m['receiver'])}</b> · {ui.esc(state_text)} — {ui.esc(m['subject'])}"
                + (f"<br><code>{ui.esc(m['last_error'][:300])}</code>" if m["last_error"] else "")
                + "</div>"
            )
        if m["status"] == "dead":
            right.button(t("ops.outbox_retry"), key=f"ops_retry_{m['id']}", on_click=retry, args=(m["id"],))
    if not waiting and counts:
        st.caption(t("ops.outbox_all_sent"))
    pushes = province.pushes(path, limit=20)
    if cfg.province.receiver or pushes:
        st.markdown(f"**{t('ops.pushes_title')}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("ops.started"): [
                        state.city_time(dt.datetime.fromtimestamp(p["created_at"], dt.UTC).isoformat()) for p in pushes
                    ],
                    t("ops.snapshot"): [p["snapshot"] or "–" for p in pushes],
                    t("ops.pushes_values"): [i18n.num(p["values_count"], lang) for p in pushes],
                    t("ops.pushes_state"): [t(f"ops.push.{p['settled'] or p['status']}") for p in pushes],
                    t("ops.pushes_answer"): [
                        f"HTTP {p['last_status']}" + (f": {p['last_error']}" if p["last_error"] else "")
                        if p["last_status"]
                        else "–"
                        for p in pushes
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
