"""Public results of citizen reports: what the city did with what people reported, by ward, and one report
followed by its code. Open to anyone (no sign-in); it shows nothing a citizen's app does not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ioc import i18n
from ioc.queries import public
from ioc.ui import components as ui
from ioc.ui import state
from ioc.ui.signin import gate
from ioc.ui.theme import COLOURS

gate("phan-anh")  # this page's own check of who may open it

cfg, lang, t = state.config(), state.lang(), state.t


def named(column: str, value) -> str:
    """A report's category, status or agency as the page's language names it (`value_names` in config)."""
    return str(cfg.value_name(public.TABLE, column, value, lang))


def statuses(text) -> str:
    """The comma-joined statuses of the other state, each by its name."""
    return ", ".join(named("status", v) for v in str(text).split(", ")) if text else ""


ui.page_header(
    t("public.title"), t("public.subtitle"), sources=[n for n, s in cfg.sources.items() if s.table == public.TABLE]
)
try:
    rules = public.Rules.of(cfg)
except KeyError as exc:  # a config whose report table declares no `open` and `late`
    st.warning(t("app.error_section", message=str(exc)))
    st.stop()
ward_names = {"": t("public.city")} | cfg.ward_names(lang)

with ui.section(t("public.lookup_title")):
    code = state.bound(
        st.text_input,
        t("public.lookup_label"),
        "ma",
        "",
        placeholder="PA-2026-001943",
        parse=lambda v: v.strip()[:40],
        clean=str.strip,
    )
    if code:
        found = state.query(public.report, rules, code)
        if found is None:
            st.warning(t("public.not_found", code=code))
        else:
            answered = pd.notna(found["resolved_at"])
            verdict = (
                t("public.on_time")
                if answered and not found["late"]
                else t("public.late")
                if found["late"]
                else t("public.in_progress")
            )
            ui.html_row(
                [
                    ui.kpi(
                        t("public.status"),
                        named("status", found["status"]),
                        verdict,
                        accent=COLOURS["bad"] if found["late"] else COLOURS["good"],
                        text_colour="#fff",
                    ),
                    ui.kpi(t("public.what"), named("category", found["category"]), str(found["title"])),
                    ui.kpi(
                        t("public.where"),
                        str(i18n.name(found, lang, "ward") or ""),
                        t("public.handled_by", agency=found["agency"]),
                    ),
                    ui.kpi(
                        t("public.when"),
                        i18n.date(found["created_at"]),
                        t("public.due", date=i18n.date(found["due_at"]))
                        + (" · " + t("public.answered", date=i18n.date(found["resolved_at"])) if answered else ""),
                    ),
                ]
            )

with ui.section():
    end = state.query(public.as_of) or state.today()
    c1, c2 = st.columns([2, 3])
    ward = state.bound(c1.selectbox, t("public.ward"), "ward", "", list(ward_names), format_func=ward_names.get)
    days = state.bound(
        c2.segmented_control,
        t("public.window"),
        "days",
        30,
        [30, 90, 365],
        required=True,
        format_func=lambda d: t("public.days", n=d),
        parse=lambda v: int(v) if int(v) in (30, 90, 365) else None,
    )
    start = end - dt.timedelta(days=days - 1)
    where = ward_names[ward]

with ui.section(t("public.results_title", where=where, start=i18n.date(start), end=i18n.date(end))):
    r = state.query(public.results, rules, ward or None, start, end)
    n = {k: i18n.num(r[k], lang) for k in ("received", "resolved", "open", "other")}
    whole = r["received"] or None  # no share of nothing
    share = {k: t("public.share", pct=i18n.pct(100 * r[k] / whole, lang, 1)) if whole else "" for k in n}
    ui.html_row(
        [
            ui.kpi(t("public.received"), n["received"], t("public.by_received")),
            ui.kpi(t("public.resolved"), n["resolved"], share["resolved"]),
            ui.kpi(t("public.open_kpi"), n["open"], share["open"]),
            ui.kpi(t("public.other_kpi"), n["other"], statuses(r["other_statuses"]) or share["other"]),
        ]
    )
    st.caption(  # the sum, said: what is received is answered, open or closed otherwise
        t(
            "public.sum_line",
            **n,
            statuses=statuses(r["other_statuses"]) or "–",
            days=days,
            start=i18n.date(start),
            end=i18n.date(end),
        )
    )
    ui.html_row(
        [
            ui.kpi(t("public.on_time_pct"), i18n.pct(r["on_time_pct"], lang, 1), t("public.on_time_help")),
            ui.kpi(t("public.median_days"), i18n.num(r["median_days"], lang, 1), t("public.days_unit")),
            ui.kpi(t("public.satisfaction"), i18n.num(r["satisfaction"], lang, 1), t("public.satisfaction_help")),
        ]
    )

if not ward:
    with ui.section(t("public.by_ward_title")):
        bw = state.query(public.by_ward, rules, start, end).dropna(subset=["on_time_pct"])
        bw = bw.assign(
            ward=i18n.name(bw, lang), colour=[COLOURS["good"] if v >= 90 else COLOURS["bad"] for v in bw["on_time_pct"]]
        )
        ui.bars(bw, x="on_time_pct", y="ward", title=t("public.on_time_pct"), x_title="%", y_title=t("public.ward"))
        cols = {
            "ward": t("public.col_ward"),
            "received": t("public.received"),
            "resolved": t("public.col_resolved"),
            "open": t("public.col_open"),
            "other": t("public.col_other"),
            "on_time_pct": t("public.col_on_time_pct"),
        }
        ui.keep(t("public.by_ward_title"), bw[list(cols)].rename(columns=cols))

with ui.section(t("public.latest_title", where=where)):
    latest = state.query(public.latest, rules, ward or None)
    if latest.empty:
        st.info(t("app.empty"))
    else:
        table = pd.DataFrame(
            {
                t("public.col_code"): latest["report_id"],
                t("public.col_received"): [i18n.date(v) for v in latest["created_at"]],
                t("public.col_category"): [named("category", v) for v in latest["category"]],
                t("public.col_title"): latest["title"],
                t("public.col_ward"): i18n.name(latest, lang, "ward"),
                t("public.col_agency"): [named("agency", v) for v in latest["agency"]],
                t("public.col_status"): [named("status", v) for v in latest["status"]],
                t("public.col_answered"): [i18n.date(v) for v in latest["resolved_at"]],
                t("public.col_on_time"): [t("public.yes") if v else t("public.no") for v in latest["on_time"]],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch", height=420)
        ui.download_csv(
            table, f"phan_anh_{ward or 'city'}_{end}", key="dl_public", title=t("public.latest_title", where=where)
        )

ui.page_xlsx(f"phan_anh_{ward or 'city'}_{end}")
