"""Environment: air stations on the ward map coloured by VN_AQI, trends against QCVN limits, daily AQI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ioc import aqi, i18n
from ioc.queries import environment as qe
from ioc.queries import reference as qr
from ioc.ui import attention, charts, maps, state, tables
from ioc.ui import components as ui
from ioc.ui.signin import gate

gate("env")  # this page's own check of who may open it

cfg = state.config()
lang = state.lang()
t = state.t
SOURCES = [n for n, s in cfg.sources.items() if s.table in (qe.STATIONS, qe.HOURLY, qe.DAILY)]
SECTOR = next(s for s in cfg.sectors if s.page == "environment")  # the sector whose page this is

ui.page_header(SECTOR.name.get(lang), t("env.subtitle"), sources=SOURCES)
with ui.section():
    attention.sector_alerts(SECTOR.code)
ui.freshness_badges(SOURCES)

with ui.section():
    stations = state.query(qe.stations)
    rng = state.query(qe.data_range)
    names = dict(zip(stations["station_code"], stations["name"]))
    last_day = rng["daily_last"] or state.today()
    first_day = rng["daily_first"] or last_day - dt.timedelta(days=365)

    default_period = (max(first_day, last_day - dt.timedelta(days=29)), last_day)

    f1, f2, f3, f4 = st.columns([3, 1.3, 2, 1.3])
    picked = state.bound(
        f1.multiselect,
        t("env.stations"),
        "st",
        [],
        list(names),
        format_func=names.get,
        placeholder=t("env.all_stations"),
        select_all=False,  # Streamlit's "Select all" is English whatever the page's language
        dump=",".join,
        parse=lambda v: [c for c in v.split(",") if c in names] or None,
    )
    pollutant = state.bound(
        f2.selectbox, t("env.pollutant"), "pol", "pm25", aqi.POLLUTANTS, format_func=lambda p: t("pollutant." + p)
    )
    start, end = ui.period_filter(f3, t("env.period"), first_day, last_day, default_period)
    grain = state.bound(
        f4.segmented_control,
        t("env.grain"),
        "grain",
        "day",
        ["day", "hour"],
        required=True,
        format_func=lambda g: t("env.grain_" + g),
    )
    codes = tuple(picked) or None
    limits = aqi.QCVN_LIMITS[pollutant]
    day_avg = "24h" if "24h" in limits else next(iter(limits))
    hour_avg = "1h" if "1h" in limits else day_avg

latest = pd.DataFrame()
with ui.section():
    latest = state.query(qe.latest_aqi)
    exc = state.query(qe.exceedances, pollutant, float(limits[day_avg]), start, end, codes)
    shown = latest[latest["station_code"].isin(codes)] if codes else latest
    worst = shown.dropna(subset=["aqi"]).sort_values("aqi", ascending=False)
    cards = []
    if not worst.empty:
        w = worst.iloc[0]
        band_key, colour = aqi.band(w["aqi"])
        ts = pd.Timestamp(w["ts"])
        sub = t("env.aqi_at", station=w["name"], time=i18n.datetime(ts))
        age = pd.Timestamp(state.now()) - ts
        if age > pd.Timedelta(hours=3):  # the "latest hour" may be days old: say so
            sub += " · ⚠ " + t("env.aqi_stale", days=i18n.num(age.total_seconds() / 86400, lang, 0))
        cards.append(
            ui.kpi(
                t("env.aqi_now"),
                f"{i18n.num(w['aqi'], lang)} · {t('aqi_band.' + band_key)}",
                sub,
                accent=colour,
                text_colour="#111" if band_key in ("good", "moderate", "poor") else "#fff",
            )
        )
    n_over = int(exc["days_over"].sum()) if not exc.empty else 0
    cards.append(
        ui.kpi(
            t("env.days_over", pollutant=t("pollutant." + pollutant)),
            i18n.num(n_over, lang),
            t("env.days_over_help", limit=i18n.num(limits[day_avg], lang)),
            accent=ui.colour("bad") if n_over else ui.colour("good"),
            text_colour="#fff",
        )
    )
    mean = (exc["mean"] * exc["days"]).sum() / exc["days"].sum() if not exc.empty and exc["days"].sum() else None
    cards.append(
        ui.kpi(
            t("env.period_mean", pollutant=t("pollutant." + pollutant)),
            f"{i18n.num(mean, lang, 1)} µg/m³",
            t("env.limit_label", avg=t("avg." + day_avg), limit=i18n.num(limits[day_avg], lang)),
        )
    )
    ui.html_row(cards)

with ui.section(t("env.map_title")):
    wards = state.query(qr.wards)
    pts = latest.copy()
    pts["ward"] = i18n.name(pts, lang, "ward")
    pts["info"] = [
        f"{r.ward} · VN_AQI {i18n.num(r.aqi, lang)} ({t('aqi_band.' + r.band)}) · "
        f"PM2.5 {i18n.num(r.pm25_now, lang, 1)} µg/m³"
        for r in pts.itertuples()
    ]
    pts["fill"] = [aqi.rgb(c, 235) for c in pts["colour"]]
    pts["aqi_text"] = [i18n.num(v, lang) for v in pts["aqi"]]
    if codes:
        pts = pts[pts["station_code"].isin(codes)]
    feats = maps.ward_features(wards, lang)
    layers = [
        maps.ward_layer(feats, pickable=True),
        # names under the centroids' markers, and clear of any station drawn elsewhere (about 12 px across)
        maps.ward_labels(wards, lang, offset=22, avoid=maps.marker_boxes(pts[["lon", "lat"]].values.tolist(), 12)),
        *maps.aqi_stations(pts[["station_code", "name", "info", "fill", "lon", "lat", "aqi_text"]], 420, (11, 40), 14),
    ]
    st.pydeck_chart(maps.deck(layers, wards, "<b>{name}</b><br/>{info}", cfg.maps.tile_url), height=480)
    ui.legend(
        [
            (t("aqi_band." + key), colour, "#111" if key in ("good", "moderate", "poor") else "#fff")
            for _, key, colour in aqi.BANDS
        ]
    )

MAX_LINES = 10  # stations drawn one line each; more are drawn as their median and highest value

with ui.section():
    span = (end - start).days + 1
    shown_grain, s_start = grain, start
    if grain == "hour" and span > 31:  # a month of hours is as much as a chart can show
        s_start = end - dt.timedelta(days=30)
        st.caption(t("env.hour_clamped", start=i18n.date(s_start), end=i18n.date(end)))
    elif grain == "day" and span > 120:
        shown_grain = "week" if span <= 730 else "month"
    avg = hour_avg if grain == "hour" else day_avg
    many = len(codes or names) > MAX_LINES  # one line per station reads as noise (and is megabytes to send)
    data = state.query(qe.series, pollutant, shown_grain, s_start, end, codes, summary=many)
    if data.empty:
        st.info(t("env.no_hourly") if grain == "hour" else t("app.empty"))
    else:
        if many:
            n = int(data["stations"].max())
            data["station"] = data["series"].map({"median": t("env.series_median", n=n), "max": t("env.series_max")})
            st.caption(t("env.summary_note", n=i18n.num(len(codes or names), lang), max=MAX_LINES))
        else:
            data["station"] = data["station_code"].map(names).fillna(data["station_code"])
        title = t("env.trend_title", pollutant=t("pollutant." + pollutant), grain=t("env.grain_" + shown_grain).lower())
        ui.chart(
            charts.time_lines(
                data,
                x="t",
                y="value",
                series="station",
                title=title,
                x_title=t("env.time"),
                y_title=t("env.concentration"),
                series_title=t("env.station"),
                lang=lang,
                hourly=grain == "hour",
                limit=float(limits[avg]),
                limit_label=t("env.limit_label", avg=t("avg." + avg), limit=i18n.num(limits[avg], lang)),
            )
        )
        ui.keep(title, data[["station", "t", "value"]])
        if data["value"].max() < 0.2 * limits[avg]:
            st.caption(
                t("env.limit_far", limit=t("env.limit_label", avg=t("avg." + avg), limit=i18n.num(limits[avg], lang)))
            )

with ui.section():
    daily = state.query(qe.daily_aqi, start, end, codes)
    if daily.empty:
        st.info(t("app.empty"))
    else:
        daily["station"] = daily["station_code"].map(names).fillna(daily["station_code"])
        counts = daily.groupby(["station", "band"], as_index=False).size().rename(columns={"size": "days"})
        order = [key for _, key, _ in aqi.BANDS] + ["none"]
        labels = {k: t("aqi_band." + k) for k in order}
        colours = {key: colour for _, key, colour in aqi.BANDS} | {"none": aqi.band(None)[1]}
        ui.chart(
            charts.stacked_bands(
                counts,
                y="station",
                count="days",
                band="band",
                order=order,
                labels=labels,
                colours=colours,
                title=t("env.aqi_days_title"),
                y_title=t("env.station"),
                x_title=t("env.days"),
                lang=lang,
            )
        )

        st.subheader(t("env.table_title"))
        unit = " (µg/m³)"
        table = pd.DataFrame(
            {
                t("env.date"): pd.to_datetime(daily["date"]),
                t("env.station"): daily["station"],
                t("env.aqi"): daily["aqi"].round().astype("Int64"),
                t("env.band"): [t("aqi_band." + b) for b in daily["band"]],
                **{t("pollutant." + p) + unit: daily[p].round(1) for p in aqi.POLLUTANTS},
            }
        ).iloc[::-1]
        tables.show(table, height=360, digits={t("pollutant." + p) + unit: 1 for p in aqi.POLLUTANTS})
        export = table.assign(**{t("env.date"): [i18n.date(d) for d in table[t("env.date")]]})
        suffix = "_du_lieu_mau" if any(cfg.sources[n].sample for n in SOURCES) else ""
        ui.download_csv(export, f"vn_aqi_{start}_{end}{suffix}", key="dl_daily", title=t("env.table_title"))

ui.page_xlsx(f"moi_truong_{start}_{end}")
