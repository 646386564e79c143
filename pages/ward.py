"""Ward profile: one ward across the sectors against the city (indicators, reports, accidents, schools,
air), on a map of the city; what a ward chairman brings to a meeting."""

from __future__ import annotations

from typing import TypeGuard

import pandas as pd
import streamlit as st

from ioc import aqi, i18n
from ioc.queries import public
from ioc.queries import reference as qr
from ioc.queries import ward as qw
from ioc.ui import attention, maps, state
from ioc.ui import components as ui
from ioc.ui import ward_profile as wp
from ioc.ui.signin import gate
from ioc.ui.ward_link import WARD_KEY, scroll_to_top

gate("ward")  # this page's own check of who may open it

cfg = state.config()
lang = state.lang()
t = state.t
sector_names = cfg.sector_names(lang)
names = cfg.ward_names(lang)
codes = list(names)
if not codes:
    st.info(t("ward.no_indicators"))
    st.stop()

if st.session_state.get(WARD_KEY) not in names:  # e.g. the sector pages' "whole city"
    st.session_state.pop(WARD_KEY, None)
key = state.url_key(WARD_KEY, codes[0], lambda v: v if v in names else None)
ward = st.session_state[key]

ui.page_header(t("ward.title", name=names[ward]), t("ward.subtitle"))  # every sector's sources
scroll_to_top()
with ui.section():
    attention.sector_alerts(ward=ward)
st.markdown(wp.CSS, unsafe_allow_html=True)
if state.snapshot_path() is None:
    st.info(t("app.no_snapshot"))
    st.stop()
ward = str(st.columns([1, 3])[0].selectbox(t("ward.pick"), codes, format_func=lambda c: names[c], key=key))
state.to_url(WARD_KEY, ward, codes[0])
info = next(w for w in cfg.wards if w.code == ward)


def _on_map_pick() -> None:
    """A ward clicked on the map opens its profile (a callback: it runs before the selectbox is drawn)."""
    sel = st.session_state.get("ward_map")
    objects = (sel.selection.get("objects", {}) if sel else {}) or {}
    picked = objects.get("wards") or []
    code = (picked[0].get("properties") or {}).get("code") if picked else None
    if code in names and code != st.session_state.get(WARD_KEY):
        st.session_state[WARD_KEY] = code


now = state.now().replace(second=0, microsecond=0)  # a minute's resolution, so the cached queries are reused
errors: dict[str, str] = {}


def fetch(block: str, fn, *args):
    """A block's query; a failure is kept for that block to show, so the rest of the page still draws."""
    from ioc.errors import NoSnapshotError

    try:
        return state.query(fn, *args)
    except NoSnapshotError:
        raise
    except Exception as exc:
        ui.log_exception(exc)
        errors[block] = f"{exc.__class__.__name__}: {exc}"
        return None


def ready(df: pd.DataFrame | None, block: str, missing: str) -> TypeGuard[pd.DataFrame]:
    """Whether a block has rows to draw; else it says why: its query failed, or there is no such data."""
    if block in errors:
        st.warning(t("app.error_section", message=errors[block]))
        return False
    if df is None or df.empty:
        st.info(t(missing))
        return False
    return True


with ui.section():
    ind = fetch("ind", qw.indicators, ward, state.today())
    rules: public.Rules | None
    try:
        rules = public.Rules.of(cfg)
    except KeyError as exc:  # a config whose report table declares no `open` and `late`
        errors["rep"], rules = str(exc), None
    rep = fetch("rep", qw.reports, rules, ward, now) if rules else None
    acc = fetch("acc", qw.accidents, ward, state.today())
    sch = fetch("sch", qw.schools, ward)
    air = fetch("air", qw.air, ward)
    pts = None
    if acc is not None and not acc.empty:
        pts = fetch("acc", qw.accident_points, ward, acc["start"].iloc[0], acc["end"].iloc[0])

    cards = wp.summary_cards(info.population, info.area_km2, ind, rep, acc, sch, air, now, lang, t)

    left, right = st.columns([1, 1])
    with left:
        wards_df = state.query(qr.wards)
        year = int(acc["year"].iloc[0]) if acc is not None and not acc.empty else state.today().year
        deck = wp.deck(wards_df, ward, lang, t, pts, air, cfg.maps.tile_url)
        st.pydeck_chart(deck, height=440, on_select=_on_map_pick, selection_mode="single-object", key="ward_map")
        ui.legend(
            [
                (t("ward.legend_ward"), maps.hex_of(wp.WARD_RGB), "#fff"),
                (t("ward.legend_accident", year=year), maps.hex_of(wp.ACCIDENT_RGB), "#fff"),
                (t("ward.legend_station"), "#00E400", "#111"),
            ]
        )
        st.caption(t("ward.map_click"))
    with right:
        st.markdown(wp.kpis(cards), unsafe_allow_html=True)

with ui.section(t("ward.indicators_title")):
    if ready(ind, "ind", "ward.no_indicators"):
        st.markdown(
            wp.indicator_cards(ind, [s.code for s in cfg.sectors], sector_names, lang, t), unsafe_allow_html=True
        )
        st.caption(t("ward.indicators_note"))
        verdict = [wp.judge(r) for r in ind.itertuples()]
        ui.keep(
            t("ward.indicators_title"),
            pd.DataFrame(
                {
                    t("ward.col_sector"): [sector_names.get(s, s) for s in ind["sector"]],
                    t("ward.col_indicator"): i18n.name(ind, lang),
                    t("ward.col_unit"): [i18n.unit(u, lang) for u in ind["unit"]],
                    t("ward.col_period"): [i18n.period(p, g, lang) for p, g in zip(ind["period"], ind["grain"])],
                    t("ward.col_ward"): [ui.masked_text(r) if r["masked"] else r["value"] for _, r in ind.iterrows()],
                    t("ward.col_city"): [
                        ui.masked_text(r) if r["city_masked"] else r["city_value"] for _, r in ind.iterrows()
                    ],
                    t("ward.col_rank"): ind["rank"].astype("float"),
                    t("ward.col_target"): ind["target_year"],
                    t("ward.col_status"): [
                        "" if v is None else t("ward.met" if v else "ward.not_met") for v in verdict
                    ],
                }
            ).drop(columns=[] if ind["rank"].notna().any() else [t("ward.col_rank")]),  # no rank among one ward
        )

c1, c2 = st.columns([3, 2])
with c1, ui.section(t("ward.reports_title")):
    if ready(rep, "rep", "ward.reports_missing"):
        r = rep.iloc[0]
        st.caption(t("ward.reports_window", start=i18n.date(r["start"]), end=i18n.date(r["end"])))
        heads = ["", t("ward.col_received"), t("ward.col_open"), t("ward.col_overdue")]
        counts = [
            [t("ward.col_ward"), *(i18n.num(r[k], lang) for k in ("received", "open", "overdue"))],
            [t("ward.col_city"), *(i18n.num(r[k], lang) for k in ("city_received", "city_open", "city_overdue"))],
        ]
        st.markdown(wp.table(heads, counts, {1, 2, 3}), unsafe_allow_html=True)
        ui.keep(
            t("ward.reports_title"),
            pd.DataFrame(
                [
                    [a] + [r[k] for k in ks]
                    for a, ks in (
                        (t("ward.col_ward"), ("received", "open", "overdue")),
                        (t("ward.col_city"), ("city_received", "city_open", "city_overdue")),
                    )
                ],
                columns=[t("ward.col_where"), *heads[1:]],
            ),
        )
        late = state.query(qw.latest_reports, rules, ward, now)
        if late.empty:
            st.info(t("ward.reports_none"))
        else:
            st.markdown(f"**{t('ward.latest_reports')}**")
            rows = [
                [
                    i18n.datetime(pd.Timestamp(x)),
                    title or "",
                    cat or "",
                    (s or "") + (" · " + t("ward.overdue_yes") if o else ""),
                ]
                for x, title, cat, s, o in zip(
                    late["created_at"], late["title"], late["category"], late["status"], late["overdue"]
                )
            ]
            st.markdown(
                wp.table(
                    [t("ward.col_time"), t("ward.col_title"), t("ward.col_category"), t("ward.col_state")],
                    rows,
                    set(),
                    [
                        {0: "ioc-wnowrap", 2: "ioc-wnowrap", 3: "ioc-wlate"}
                        if o
                        else {0: "ioc-wnowrap", 2: "ioc-wnowrap"}
                        for o in late["overdue"]
                    ],
                ),
                unsafe_allow_html=True,
            )
            ui.keep(
                t("ward.latest_reports"),
                pd.DataFrame(
                    rows, columns=[t("ward.col_time"), t("ward.col_title"), t("ward.col_category"), t("ward.col_state")]
                ),
            )

with c2, ui.section(t("ward.accidents_title")):
    if ready(acc, "acc", "ward.accidents_missing"):
        st.caption(t("ward.accidents_window", end=i18n.date(acc["end"].iloc[0]), prev=int(acc["year"].iloc[1])))
        cols = ["cases", "deaths", "injuries", "city_cases"]
        heads = [
            t("ward.col_year"),
            t("ward.col_cases"),
            t("ward.col_deaths"),
            t("ward.col_injuries"),
            t("ward.col_share"),
        ]
        st.markdown(
            wp.table(
                heads,
                [[str(int(r["year"])), *(i18n.num(r[c], lang) for c in cols)] for _, r in acc.iterrows()],
                {1, 2, 3, 4},
            ),
            unsafe_allow_html=True,
        )
        if int(acc["cases"].iloc[0]) == 0:
            st.info(t("ward.no_accidents"))
        ui.keep(
            t("ward.accidents_title"),
            pd.DataFrame([[int(r["year"]), *(int(r[c]) for c in cols)] for _, r in acc.iterrows()], columns=heads),
        )

c3, c4 = st.columns([3, 2])
with c3, ui.section(t("ward.schools_title")):
    if not ready(sch, "sch", "ward.schools_missing"):
        pass
    elif int(sch.loc[sch["level"].isna(), "schools"].sum()) == 0:
        st.info(t("ward.no_schools"))
    else:
        st.caption(t("ward.schools_year", year=sch["school_year"].dropna().iloc[0]))
        shown = sch[(sch["schools"] > 0) | sch["level"].isna()]
        heads = [
            t("ward.col_level"),
            t("ward.col_schools"),
            t("ward.col_pupils"),
            t("ward.col_teachers"),
            t("ward.col_ratio"),
            t("ward.col_city_ratio"),
        ]
        rows = [
            [
                r["level"] if pd.notna(r["level"]) else t("ward.all_levels"),
                i18n.num(r["schools"], lang),
                i18n.num(r["pupils"], lang),
                i18n.num(r["teachers"], lang),
                i18n.num(r["pupils_per_teacher"], lang, 1),
                i18n.num(r["city_pupils_per_teacher"], lang, 1),
            ]
            for _, r in shown.iterrows()
        ]
        st.markdown(wp.table(heads, rows, {1, 2, 3, 4, 5}), unsafe_allow_html=True)
        ui.keep(
            t("ward.schools_title"),
            pd.DataFrame(
                {
                    heads[0]: shown["level"].fillna(t("ward.all_levels")),
                    heads[1]: shown["schools"].astype(int),
                    heads[2]: shown["pupils"].astype(int),
                    heads[3]: shown["teachers"].astype(int),
                    heads[4]: shown["pupils_per_teacher"].round(1),
                    heads[5]: shown["city_pupils_per_teacher"].round(1),
                }
            ),
        )

with c4, ui.section(t("ward.air_title")):
    if ready(air, "air", "ward.air_missing"):
        st.caption(t("ward.air_in_ward") if air["in_ward"].any() else t("ward.air_none_in_ward"))
        chips = []
        for r in air.itertuples():
            band, colour = aqi.band(r.aqi)
            sub = [i18n.datetime(pd.Timestamp(r.ts))] if pd.notna(r.ts) and band != "none" else []
            if not r.in_ward:
                sub.append(t("ward.kpi_air_nearest", km=i18n.num(r.distance_km, lang, 1)))
            chips.append(
                ui.kpi(
                    r.name,
                    wp.aqi_value(r.aqi, lang, t),
                    " · ".join(sub),
                    accent=colour,
                    text_colour=wp.aqi_text_colour(band),
                )
            )
        st.markdown(wp.kpis(chips), unsafe_allow_html=True)
        ui.keep(
            t("ward.air_title"),
            pd.DataFrame(
                {
                    t("ward.col_station"): air["name"],
                    t("ward.col_aqi"): air["aqi"],
                    t("ward.col_band"): [t("aqi_band." + b) for b in air["band"]],
                    t("ward.col_time"): air["ts"],
                    t("ward.col_distance"): air["distance_km"].round(1),
                }
            ),
        )

ui.page_xlsx(f"{t('ward.file')}_{ward}")
