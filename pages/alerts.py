"""The control room's alerts: what the rules of config.yaml found (ioc.alerts), one alert's detail with its
procedure's checklist, and the actions on it (acknowledge, tick a step, close, silence), each recorded."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ioc import alerts, i18n
from ioc.config import SEVERITIES
from ioc.errors import IOCError
from ioc.ui import components as ui
from ioc.ui import state
from ioc.ui.signin import gate
from ioc.ui.theme import COLOURS
from ioc.ui.ward_link import ward_profile_link

gate("alerts")  # this page's own check of who may open it

SEVERITY_COLOUR = {"critical": COLOURS["bad"], "warning": "#E65100", "info": COLOURS["accent"]}  # red, amber, blue
FILTERS = {  # the state filter: what each choice lists
    "active": alerts.SHOWN,
    "resolved": ("resolved",),
    "closed": ("closed",),
    "all": (*alerts.SHOWN, "resolved", "closed"),
}
BY = "alerts_by"  # the handler's name, kept for the session until sign-in exists
KEPT = "_alerts_by_kept"
FLASH = "alerts_flash"  # what the last action did, told once on the run it causes
MESSAGE_CSS = """<style>
.ioc-al-card {border: 1px solid #DDE3EA; border-left: 8px solid #607D8B; border-radius: 8px; padding: 10px 16px;
  margin-bottom: 10px; background: #FFF;}
.ioc-al-chip {display: inline-block; border-radius: 10px; padding: 1px 10px; font-size: .8rem; font-weight: 700;
  margin-right: 6px; color: #FFF;}
.ioc-al-state {background: #ECEFF1; color: #37474F;}
.ioc-al-msg {font-size: 1.15rem; font-weight: 600; margin: 6px 0 4px 0; color: #111;}
.ioc-al-meta {font-size: .85rem; color: #444; margin: 2px 0;}
.ioc-al-step {font-size: .95rem; padding: 4px 0;}
.ioc-al-step small {display: block; color: #555; font-size: .8rem;}
.ioc-al-step .ioc-al-late {color: #C62828; font-weight: 700;}
.ioc-al-step .ioc-al-ok {color: #1B7F3B;}
.ioc-al-links a {margin-right: 18px;}
.ioc-al-row {border: 1px solid #DDE3EA; border-left: 6px solid #607D8B; border-radius: 8px; padding: 6px 12px;
  background: #FFF;}
.ioc-al-row.ioc-al-picked {background: #EEF4FA; border-color: #0B4F8A;}
.ioc-al-id {color: #666; font-size: .8rem;}
.ioc-al-text {font-size: 1rem; font-weight: 600; color: #111; margin: 3px 0 2px 0;}
.ioc-al-row .ioc-al-meta {font-size: .82rem; color: #444;}
.ioc-al-row .ioc-al-late {color: #C62828; font-weight: 700;}
</style>"""  # static, no data

cfg, lang, t = state.config(), state.lang(), state.t
path = alerts.ops_path(cfg)
who = state.person()


def listing(*args: Any, **kwargs: Any) -> list[dict]:
    """ioc.alerts.alerts as this person may read them: a person bound to wards, their wards' and the city's."""
    kwargs["wards"] = state.wards()
    return alerts.alerts(path, *args, **kwargs)


zone = ZoneInfo(cfg.city.timezone)
now = time.time()
sector_names = cfg.sector_names(lang)
ward_names = cfg.ward_names(lang)
rules = {r.code: r for r in cfg.alerts}


def tr(key: str, **kw) -> str:
    return t(f"alerts_page.{key}", **kw)


def when(ts: float | None) -> str:
    """An instant of the ops store (epoch seconds) in city time, HH:MM dd/mm/yyyy."""
    return i18n.datetime(dt.datetime.fromtimestamp(ts, zone)) if ts else "–"


def ago(ts: float | None) -> str:
    """How long ago, in whole minutes, hours or days: "3 giờ trước"."""
    if not ts:
        return "–"
    s = max(0.0, now - ts)
    if s < 60:
        return tr("just_now")
    if s < 3600:
        return tr("minutes_ago", n=int(s // 60))
    if s < 86400:
        return tr("hours_ago", n=int(s // 3600))
    return tr("days_ago", n=int(s // 86400))


def said(a: dict, field: str) -> str:
    """An alert's text field in this language, the Vietnamese where the English is missing."""
    return str((a.get(f"{field}_en") if lang == "en" else None) or a.get(f"{field}_vi") or "")


def rule_name(code: str | None) -> str:
    rule = rules.get(code or "")
    return rule.name.get(lang) if rule else str(code)


def severity(a: dict) -> str:
    return tr(f"severity.{a['severity']}")


def state_of(a: dict) -> str:
    return tr(f"state.{a['state']}")


def value_text(a: dict) -> str:
    value, peak = i18n.smart(a["value"], lang), i18n.smart(a["peak"], lang)
    return value if peak == value else tr("value_peak", value=value, peak=peak)


def chip(text: str, colour: str | None = None) -> str:
    style = f' style="background:{ui.esc(colour)}"' if colour else ""
    cls = "ioc-al-chip" if colour else "ioc-al-chip ioc-al-state"
    return f'<span class="{cls}"{style}>{ui.esc(text)}</span>'


# ---------------------------------------------------------------- actions (Streamlit callbacks: run, then rerun)
def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def _handler() -> str:
    """Who acts: the signed-in person; while the cockpit has no accounts, the name typed on the page."""
    if who.signed_in:
        return who.name
    return str(st.session_state.get(BY) or "").strip() if state.may("acknowledge") else ""


def _allowed() -> bool:
    if not state.may("acknowledge"):
        _flash("error", state.t("access.no_action"))
        return False
    return True


def refusal(exc: IOCError) -> str:
    """Why an action was refused, in the page's language (alerts.Refused), else the error's own words."""
    if not isinstance(exc, alerts.Refused):
        return str(exc)
    values = dict(exc.values)
    if "state" in values:
        values["state"] = tr(f"state.{values['state']}").lower()
    return tr(f"why.{exc.key}", **values)


def _done(action: Callable[[], object], text: str, clear: tuple[str, ...] = ()) -> None:
    """Run an action of ioc.alerts if this person may; say what it did, or why it was refused (its IOCError)."""
    if not _allowed():
        return
    try:
        action()
    except IOCError as exc:
        ui.log_exception(exc)
        _flash("error", tr("refused", error=refusal(exc)))
        return
    state.audit("alert", text)  # who did what to which alert, in the words the page said it
    for key in clear:
        st.session_state[key] = ""
    _flash("success", text)


def show(alert_id: int) -> None:
    st.session_state["id"] = alert_id


def acknowledge(alert_id: int) -> None:
    typed = "" if who.signed_in else str(st.session_state.get(f"al_ack_by_{alert_id}") or "").strip()
    by = typed or _handler()
    if not by:
        _flash("warning", tr("needs_name"))
        return
    note_key = f"al_ack_note_{alert_id}"
    note = str(st.session_state.get(note_key) or "").strip()
    _done(lambda: alerts.acknowledge(path, alert_id, by, note), tr("acked", id=alert_id, by=by), (note_key,))


def tick(alert_id: int, step: int) -> None:
    by = _handler()
    if not by:
        _flash("warning", tr("needs_name"))
        return
    _done(lambda: alerts.tick(path, cfg, alert_id, step, by), tr("ticked", n=step + 1, by=by))


def close(alert_id: int) -> None:
    by, key = _handler(), f"al_close_reason_{alert_id}"
    reason = str(st.session_state.get(key) or "").strip()
    if not by:
        _flash("warning", tr("needs_name"))
    elif not reason:
        _flash("warning", tr("close_needs_reason"))
    else:
        _done(lambda: alerts.close(path, alert_id, by, reason), tr("closed", id=alert_id), (key,))


def silence(alert_id: int, rule: str, ward: str | None) -> None:
    by, key = _handler(), f"al_sil_reason_{alert_id}"
    reason = str(st.session_state.get(key) or "").strip()
    hours = float(st.session_state.get(f"al_sil_hours_{alert_id}") or 0)
    until = time.time() + hours * 3600
    if not by:
        _flash("warning", tr("needs_name"))
    elif not reason:
        _flash("warning", tr("silence_needs_reason"))
    else:
        text = tr("silenced", rule=rule_name(rule), until=when(until))
        _done(lambda: alerts.silence(path, by, reason, until, rule=rule, ward=ward), text, (key,))


# ---------------------------------------------------------------- the page
ui.page_header(tr("title"), tr("subtitle"))
st.markdown(MESSAGE_CSS, unsafe_allow_html=True)

with ui.section():
    if not cfg.alerts:
        st.info(tr("no_rules"))
    last = alerts.last_evaluation(path)
    if last is None:
        if cfg.alerts:
            st.info(tr("never_evaluated"))
    else:
        st.caption(
            tr(
                "evaluated",
                time=when(last["at"]),
                ago=ago(last["at"]),
                snapshot=last["snapshot_id"] or "–",
                rules=i18n.num(last["rules"], lang),
                hits=i18n.num(last["hits"], lang),
            )
        )
        current = state.warehouse(cfg).current_id()
        if current and last["snapshot_id"] and current != last["snapshot_id"]:
            st.warning(tr("stale", current=current, snapshot=last["snapshot_id"]))
        for code, error in json.loads(last["errors"] or "{}").items():  # never hidden: a rule that cannot tell
            st.warning(tr("rule_error", rule=rule_name(code), code=code, message=error))

if not cfg.alerts and not listing(FILTERS["all"], limit=1):
    st.stop()

shown: list[dict] = []  # every open and acknowledged alert, whatever the filters below
rows: list[dict] = []  # what the filters list
checklists: dict[int, list[dict]] = {}

with ui.section():
    shown = listing()
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for per_sector in alerts.counts(path, state.wards()).values():
        for sev, n in per_sector.items():
            by_severity[sev] = by_severity.get(sev, 0) + n
    checklists = {a["id"]: alerts.steps(path, cfg, a, now) for a in shown}
    late = sum(any(s["overdue"] for s in steps) for steps in checklists.values())
    unacked = sum(a["state"] == "open" for a in shown)
    ui.html_row(
        [
            *(
                ui.kpi(
                    tr(f"severity.{sev}"),
                    i18n.num(by_severity[sev], lang),
                    tr("kpi_severity_sub"),
                    accent=SEVERITY_COLOUR[sev] if by_severity[sev] else COLOURS["neutral"],
                    text_colour="#fff",
                )
                for sev in reversed(SEVERITIES)
            ),
            ui.kpi(tr("kpi_open"), i18n.num(unacked, lang), tr("kpi_open_sub")),
            ui.kpi(
                tr("kpi_overdue"),
                i18n.num(late, lang),
                tr("kpi_overdue_sub"),
                accent=COLOURS["bad"] if late else None,
                text_colour="#fff",
            ),
        ]
    )


def _exists(v: str) -> int | None:
    return int(v) if listing(alert_id=int(v)) else None


def settle_pick(rows: list[dict]) -> tuple[list[int], dict[int, dict]]:
    """The alerts the detail can show (the listed ones, and the one asked for when the filters hide it: a
    message's ?id=N, or one closed just now) with the one shown kept valid: else the list's first."""
    ids, known = [a["id"] for a in rows], {a["id"]: a for a in rows}
    held = st.session_state.get("id")
    if isinstance(held, int) and held not in known:
        found = listing(alert_id=held)
        if found:
            known[held] = found[0]
            ids.append(held)
    if ids and st.session_state.get("id") not in ids:
        st.session_state["id"] = ids[0]
    return ids, known


state.url_key("id", None, _exists)  # the alert shown, from ?id=N: a message's link
ids: list[int] = []
known: dict[int, dict] = {}

with ui.section(tr("list_title")):
    sectors = {"": tr("all_sectors")} | sector_names
    wards = {"": tr("all_wards")} | ward_names
    levels = {"": tr("all_severities")} | {s: tr(f"severity.{s}") for s in reversed(SEVERITIES)}
    f1, f2, f3, f4 = st.columns(4)
    which = state.bound(
        f1.selectbox, tr("filter_state"), "state", "active", list(FILTERS), format_func=lambda k: tr(f"filter.{k}")
    )
    sector = state.bound(f2.selectbox, tr("filter_sector"), "sector", "", list(sectors), format_func=sectors.get)
    ward = state.bound(f3.selectbox, tr("filter_ward"), "ward", "", list(wards), format_func=wards.get)
    level = state.bound(f4.selectbox, tr("filter_severity"), "sev", "", list(levels), format_func=levels.get)
    rows = listing(FILTERS[which], sector or None, ward or None)
    rows = [a for a in rows if not level or a["severity"] == level]
    for a in rows:
        if a["id"] not in checklists:
            checklists[a["id"]] = alerts.steps(path, cfg, a, now)
    narrowed = bool(sector or ward or level)
    ids, known = settle_pick(rows)

    if not rows:
        if which == "active":
            st.success(tr("none_open_scope" if narrowed else "none_open"))
        else:
            st.info(tr("none_match"))
    else:
        st.caption(tr("list_caption", n=i18n.num(len(rows), lang)))

        picked_id = st.session_state.get("id")
        for a in rows:
            colour = SEVERITY_COLOUR.get(a["severity"], COLOURS["neutral"])
            steps = checklists[a["id"]]
            overdue = sum(s["overdue"] for s in steps)
            started = a["opened_at"] or a["first_seen"]
            href = ui.sector_href(a["sector"])
            sector_text = ui.esc(sector_names.get(a["sector"], a["sector"]))
            meta = [
                f'<a href="{ui.esc(href)}" target="_self">{sector_text}</a>' if href else sector_text,
                ui.esc(f"{tr('col_where')}: {said(a, 'subject') or a['key']}"),
                ui.esc(f"{tr('col_since')}: {tr('since', time=when(started), ago=ago(started))}"),
                ui.esc(f"{tr('col_value')}: {value_text(a)}"),
            ]
            if steps:
                done = tr("steps_progress", done=sum(bool(s["done_by"]) for s in steps), total=len(steps))
                late_text = f" · ⚠ {tr('steps_overdue', n=overdue)}" if overdue else ""
                meta.append(
                    f'<span class="{"ioc-al-late" if overdue else ""}">'
                    f"{ui.esc(tr('col_steps'))}: {ui.esc(done + late_text)}</span>"
                )
            card, button = st.columns([8, 1], vertical_alignment="center")
            card.markdown(
                f'<div class="ioc-al-row{" ioc-al-picked" if a["id"] == picked_id else ""}" '
                f'style="border-left-color:{ui.esc(colour)}">'
                f'<div>{chip(severity(a), colour)}{chip(state_of(a))}<span class="ioc-al-id">#{a["id"]}</span></div>'
                f'<div class="ioc-al-text">{ui.esc(said(a, "message"))}</div>'
                f'<div class="ioc-al-meta">{" · ".join(meta)}</div></div>',
                unsafe_allow_html=True,
            )
            button.button(
                tr("viewing") if a["id"] == picked_id else tr("view"),
                key=f"al_view_{a['id']}",
                on_click=show,
                args=(a["id"],),
                disabled=a["id"] == picked_id,
                width="stretch",
            )
    if narrowed and which == "active" and len(shown) > len(rows):
        st.caption(tr("hidden", n=i18n.num(len(shown) - len(rows), lang)))


if ids:
    with ui.section(tr("detail_title")):
        alert_id = state.bound(
            st.selectbox,
            tr("pick"),
            "id",
            rows[0]["id"] if rows else None,
            ids,
            parse=_exists,
            format_func=lambda i: tr("pick_item", id=i, severity=severity(known[i]), message=said(known[i], "message")),
        )
        a = listing(alert_id=alert_id)[0]
        rule = rules.get(a["rule"])
        active = a["state"] in alerts.SHOWN
        colour = SEVERITY_COLOUR.get(a["severity"], COLOURS["neutral"])
        started = a["opened_at"] or a["first_seen"]
        lines = [
            f"{tr('rule')}: {rule_name(a['rule'])} ({a['rule']}) · {tr('unit')}: {(rule.unit if rule else '') or '–'}",
            f"{tr('opened')}: {tr('since', time=when(started), ago=ago(started))} · "
            f"{sector_names.get(a['sector'], a['sector'])} · {said(a, 'subject') or a['key']}",
        ]
        if a["ack_by"]:
            lines.append(tr("acked_line", by=a["ack_by"], at=when(a["ack_at"])))
            if a["ack_note"]:
                lines.append(tr("note", note=a["ack_note"]))
        if a["state"] == "closed":
            lines.append(tr("closed_line", by=a["closed_by"], at=when(a["closed_at"]), reason=a["close_reason"]))
        if a["resolved_at"]:
            lines.append(tr("resolved_line", at=when(a["resolved_at"])))
        st.markdown(
            f'<div class="ioc-al-card" style="border-left-color:{ui.esc(colour)}">'
            f"{chip(severity(a), colour)}{chip(state_of(a))}"
            f'<div class="ioc-al-msg">{ui.esc(said(a, "message"))}</div>'
            + "".join(f'<div class="ioc-al-meta">{ui.esc(line)}</div>' for line in lines)
            + "</div>",
            unsafe_allow_html=True,
        )
        indicator = next((i for i in cfg.indicators if rule and i.code == rule.condition.indicator), None)
        unit = i18n.unit(indicator.unit, lang) if indicator else ""
        ui.html_row(
            [
                ui.kpi(tr("value"), i18n.smart(a["value"], lang), unit),
                ui.kpi(tr("peak"), i18n.smart(a["peak"], lang), unit),
                ui.kpi(tr("threshold"), i18n.smart(a["threshold"], lang), unit if a["threshold"] is not None else ""),
                ui.kpi(tr("period"), str((a.get("period_en") if lang == "en" else None) or a["period"] or "–")),
            ]
        )
        links = st.columns(2, vertical_alignment="center")
        href = ui.sector_href(a["sector"])
        if href:
            links[0].markdown(
                f'<div class="ioc-al-links"><a href="{ui.esc(href)}" target="_self">→ '
                f"{ui.esc(tr('sector_link', name=sector_names.get(a['sector'], a['sector'])))}</a></div>",
                unsafe_allow_html=True,
            )
        if a["ward_code"] in ward_names:
            with links[1]:
                ward_profile_link(a["ward_code"])

        may_act = state.may("acknowledge")
        if may_act and not who.signed_in:  # with accounts, the person signed in acts
            if BY not in st.session_state:  # a widget's state goes when it is not drawn: the name outlives it
                st.session_state[BY] = st.session_state.get(KEPT, "")
            st.session_state[KEPT] = st.text_input(tr("by"), key=BY, help=tr("by_help"))
        flash = st.session_state.pop(FLASH, None)
        if flash:
            getattr(st, flash[0])(flash[1])
        if not active:
            st.caption(tr("not_active", state=state_of(a).lower()))

        checklist = alerts.steps(path, cfg, a, now)
        procedure = cfg.procedures.get(rule.procedure) if rule and rule.procedure else None
        if procedure is None or not checklist:
            st.caption(tr("no_procedure"))
        else:
            st.markdown(f"**{ui.esc(tr('steps_title', name=procedure.name.get(lang)))}**", unsafe_allow_html=True)
            for s in checklist:
                left, right = st.columns([5, 1], vertical_alignment="center")
                what = s["text_en"] if lang == "en" and s["text_en"] else s["text_vi"]
                if s["done_by"]:
                    cls, status = "ioc-al-ok", tr("step_done", by=s["done_by"], at=when(s["done_at"]))
                elif s["overdue"]:
                    cls, status = "ioc-al-late", "⚠ " + tr("step_overdue", due=when(s["due"]))
                else:
                    cls, status = "", tr("step_due", due=when(s["due"])) if s["due"] else tr("step_no_due")
                box = "☑" if s["done_by"] else "☐"
                left.markdown(
                    f'<div class="ioc-al-step">{box} {s["step"] + 1}. {ui.esc(what)}'
                    f"<small>{ui.esc(s['unit'] or '')}{' · ' if s['unit'] else ''}"
                    f'<span class="{cls}">{ui.esc(status)}</span></small></div>',
                    unsafe_allow_html=True,
                )
                right.button(
                    tr("ticked_short") if s["done_by"] else tr("tick"),
                    key=f"al_tick_{a['id']}_{s['step']}",
                    on_click=tick,
                    args=(a["id"], s["step"]),
                    disabled=bool(s["done_by"]) or not active or not may_act,
                    width="stretch",
                )

        if active and may_act:
            c1, c2, c3 = st.columns(3)
            with c1.container(border=True):
                st.markdown(f"**{ui.esc(tr('ack_title'))}**", unsafe_allow_html=True)
                if a["state"] == "open":
                    if not who.signed_in:
                        st.text_input(
                            tr("ack_by"), key=f"al_ack_by_{a['id']}", placeholder=_handler(), help=tr("ack_by_help")
                        )
                    st.text_input(tr("ack_note"), key=f"al_ack_note_{a['id']}")
                    st.button(
                        tr("ack_button"), key=f"al_ack_{a['id']}", on_click=acknowledge, args=(a["id"],), type="primary"
                    )
                else:
                    st.caption(tr("ack_only_open", state=state_of(a).lower()))
            with c2.container(border=True):
                st.markdown(f"**{ui.esc(tr('close_title'))}**", unsafe_allow_html=True)
                st.text_area(tr("close_reason"), key=f"al_close_reason_{a['id']}", height=80, help=tr("close_help"))
                st.button(tr("close_button"), key=f"al_close_{a['id']}", on_click=close, args=(a["id"],))
            with c3.container(border=True):
                st.markdown(f"**{ui.esc(tr('silence_title'))}**", unsafe_allow_html=True)
                st.number_input(tr("silence_hours"), 1, 168, 4, step=1, key=f"al_sil_hours_{a['id']}")
                st.text_input(tr("silence_reason"), key=f"al_sil_reason_{a['id']}")
                where = ward_names.get(a["ward_code"]) if a["ward_code"] else None
                st.caption(tr("silence_ward", ward=where) if where else tr("silence_all"))
                st.button(
                    tr("silence_button"),
                    key=f"al_sil_{a['id']}",
                    on_click=silence,
                    args=(a["id"], a["rule"], a["ward_code"]),
                )

        st.markdown(f"**{ui.esc(tr('history_title'))}**", unsafe_allow_html=True)

        def note(e: dict) -> str:
            if e["kind"] == "step":
                n, _, rest = str(e["note"] or "").partition(": ")
                return tr("note_step", n=n) + (f": {rest}" if rest else "")
            if e["kind"] == "resolved" and e["by"] == "data":
                return tr("note_resolved")
            if e["kind"] == "silenced":
                return ""  # the event's name says it; the store's note is for the log
            if e["kind"] in ("opened", "updated") and e["value"] is not None:
                return tr("note_value", value=i18n.smart(e["value"], lang))
            return str(e["note"] or "")

        def event_name(kind: str) -> str:
            text = tr(f"event.{kind}")
            return kind if text.startswith("alerts_page.") else text

        events = alerts.history(path, a["id"])
        history = pd.DataFrame(
            {
                tr("col_time"): [when(e["at"]) for e in events],
                tr("col_event"): [event_name(e["kind"]) for e in events],
                tr("col_by"): [tr("by_system") if e["by"] in (None, "data") else e["by"] for e in events],
                tr("col_note"): [note(e) for e in events],
            }
        )
        st.dataframe(history, hide_index=True, width="stretch")

with ui.section(tr("silences_title")):
    active_silences = alerts.silences(path, now)
    if not active_silences:
        st.caption(tr("silences_none"))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    tr("col_rule"): [rule_name(s["rule"]) if s["rule"] else tr("every_rule") for s in active_silences],
                    tr("col_where"): [
                        ward_names.get(s["ward_code"], s["ward_code"]) if s["ward_code"] else tr("every_ward")
                        for s in active_silences
                    ],
                    tr("col_until"): [when(s["until"]) for s in active_silences],
                    tr("col_set_by"): [s["by"] for s in active_silences],
                    tr("col_reason"): [s["reason"] for s in active_silences],
                    tr("col_created"): [when(s["created_at"]) for s in active_silences],
                }
            ),
            hide_index=True,
            width="stretch",
        )
