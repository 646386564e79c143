"""Builders of the ward profile: the city map with the ward, its accidents and air stations, the indicator
cards by sector, and the summary figures."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk

from ioc import aqi, i18n
from ioc.queries import indicators as qi
from ioc.queries.indicators import PAST, meets
from ioc.ui import maps
from ioc.ui.components import esc, kpi, masked_text

WARD_RGB = [11, 79, 138, 165]
OTHER_RGB = [11, 79, 138, 22]
ACCIDENT_RGB = [198, 40, 40, 220]
ZOOM = 10.65  # the whole city (0,17° of latitude) in a half-width map 440 pixels high
SELECTED_OFFSET = 22  # pixels

CSS = """
<style>
.ioc-wgrid {display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 10px; margin-bottom: 6px;
  align-items: start;}
.ioc-wkpis {display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px;}
.ioc-wkpis .ioc-kpi {margin-bottom: 0; min-height: 96px;}
.ioc-wkpis .ioc-kpi-value {font-size: 1.7rem;}
.ioc-wsec {border: 1px solid #DDE3EA; border-radius: 8px; padding: 8px 10px 4px 10px; background: #FFF;}
.ioc-wsec-name {font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: #0B4F8A; font-weight: 700;
  margin-bottom: 2px;}
.ioc-wtab {width: 100%; border-collapse: collapse; font-size: .85rem; margin: 0;}
.ioc-wtab th {font-size: .7rem; color: #666; font-weight: 600; text-align: right; padding: 1px 4px; border: none;
  background: none;}
.ioc-wtab th:first-child {text-align: left;}
.ioc-wtab td {border: none; border-top: 1px solid #EEF1F4; padding: 4px 4px; vertical-align: top;}
.ioc-wtab td.ioc-wnum {text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;}
.ioc-wtab td.ioc-wv {font-weight: 700; color: #111;}
.ioc-wtab td.ioc-wc {color: #555;}
.ioc-wtab td.ioc-wr {color: #0B4F8A; font-weight: 600;}
.ioc-wname {color: #222; line-height: 1.25;}
.ioc-wmeta {font-size: .72rem; color: #777;}
.ioc-wchip {border-radius: 4px; padding: 0 5px;}
.ioc-wsec table, .ioc-wsec tr, .ioc-wplain table, .ioc-wplain tr {border: none;}
.ioc-wplain {margin-bottom: 10px;}
.ioc-wplain .ioc-wtab {font-size: .88rem;}
.ioc-wplain .ioc-wtab th {font-size: .75rem; vertical-align: bottom;}
.ioc-wtab td.ioc-wlate {color: #B71C1C; font-weight: 600; white-space: nowrap;}
.ioc-wtab td.ioc-wnowrap {white-space: nowrap;}
</style>
"""


def _num(value, lang: str) -> str:
    return i18n.smart(value, lang)


def indicator_cards(df: pd.DataFrame, sector_order: list[str], sector_names: dict[str, str], lang: str, t) -> str:
    """One card per sector, a row per indicator: the ward's value (green/red against a level target),
    the city's, and the ward's rank (no rank column when no indicator has one: a ward official's one ward).
    `df` comes from ioc.queries.ward.indicators."""
    order = {s: i for i, s in enumerate(sector_order)}
    ranks = bool(df["rank"].notna().any())
    cards = []
    for sector, g in sorted(df.groupby("sector", sort=False), key=lambda kv: order.get(kv[0], len(order))):
        rows = [
            f"<tr><th></th><th>{esc(t('ward.col_ward'))}</th><th>{esc(t('ward.col_city'))}</th>"
            + (f"<th>{esc(t('ward.col_rank'))}</th>" if ranks else "")
            + "</tr>"
        ]
        for r in g.itertuples():
            name = i18n.name(r, lang)
            unit = i18n.unit(r.unit, lang)
            meta = [i18n.period(r.period, r.grain, lang)] + ([unit] if unit else [])
            status = judge(r)
            if status is not None and pd.notna(r.target_year) and r.target_aggregate != "sum":
                key = "ward.target_higher" if r.direction == "higher" else "ward.target_lower"
                meta.append(t(key, target=_num(r.target_year, lang)))
                if r.target_aggregate == "mean" and pd.notna(getattr(r, "ytd", None)):  # what was judged
                    meta.append(t("tile.ytd_mean", value=f"{_num(r.ytd, lang)} {unit}".strip()))
            if pd.notna(getattr(r, "threshold", None)):
                meta.append(t("tile.threshold", value=_num(r.threshold, lang)))
            value = masked_text(r._asdict()) if r.masked else _num(r.value, lang)
            if status is None:
                cell = esc(value)
            else:
                cls = "good" if status else "bad"
                mark = "✓" if status else "✗"
                past = not status and pd.notna(getattr(r, "threshold", None)) and not _meets(r, r.threshold)
                title = t("status." + PAST[r.direction]) if past else t("ward.met" if status else "ward.not_met")
                cell = f'<span class="ioc-wchip ioc-chip-{cls}" title="{esc(title)}">{esc(value)} {mark}</span>'
            city = masked_text(r._asdict()) if r.city_masked else _num(r.city_value, lang)
            rank = t("ward.rank", rank=int(r.rank), n=int(r.ranked)) if pd.notna(r.rank) else "–"
            rows.append(
                f'<tr><td><div class="ioc-wname">{esc(name)}</div>'
                f'<div class="ioc-wmeta">{esc(" · ".join(meta))}</div></td>'
                f'<td class="ioc-wnum ioc-wv">{cell}</td><td class="ioc-wnum ioc-wc">{esc(city)}</td>'
                + (f'<td class="ioc-wnum ioc-wr">{esc(rank)}</td>' if ranks else "")
                + "</tr>"
            )
        cards.append(
            f'<div class="ioc-wsec"><div class="ioc-wsec-name">{esc(sector_names.get(sector, sector))}</div>'
            f'<table class="ioc-wtab">{"".join(rows)}</table></div>'
        )
    return f'<div class="ioc-wgrid">{"".join(cards)}</div>'


def _meets(r, level) -> bool:
    return meets(r.value, level, r.direction) is not False


def judge(r) -> bool | None:
    """Whether the ward's value is good, by the indicator layer's rule for a ward (qi.ward_status: its alert
    threshold, then the city's level target, on the year-to-date mean where the tile judges that). None: not
    judged or no value."""
    if r.masked:
        return None
    status = qi.ward_status(
        r.value, getattr(r, "ytd", None), r.target_year, getattr(r, "threshold", None), r.direction, r.target_aggregate
    )
    return None if status == "none" else status in qi.GOOD


def judged_counts(df: pd.DataFrame) -> tuple[int, int]:
    """(met, judged) over the indicators with a value and a level target."""
    verdicts = [judge(r) for r in df.itertuples()]
    judged = [v for v in verdicts if v is not None]
    return sum(judged), len(judged)


def table(headers: list[str], rows: list[list], numeric: set[int], classes: list[dict[int, str]] | None = None) -> str:
    """A small table with the page's look: the `numeric` columns right-aligned (values already formatted);
    classes[i] gives extra CSS classes to cells of row i by column."""
    head = "".join(
        f'<th style="text-align:{"right" if j in numeric else "left"}">{esc(h)}</th>' for j, h in enumerate(headers)
    )
    body = []
    for i, row in enumerate(rows):
        extra = (classes or [{}] * len(rows))[i]
        cells = "".join(
            f'<td class="{"ioc-wnum " if j in numeric else ""}{extra.get(j, "")}">{esc(v)}</td>'
            for j, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<div class="ioc-wplain"><table class="ioc-wtab"><tr>{head}</tr>{"".join(body)}</table></div>'


def kpis(cards: list[str]) -> str:
    return f'<div class="ioc-wkpis">{"".join(cards)}</div>'


def summary_cards(population, area, ind, rep, acc, sch, air, now, lang: str, t) -> list[str]:
    """The ward at a glance, one card per block (the frames of ioc.queries.ward; None or empty: no data):
    population, targets met, overdue reports, accidents this year, schools, and the air."""

    def missing(label: str) -> str:
        return kpi(label, t("ward.kpi_none"), t("ward.kpi_none_sub"))

    cards = []
    if population:
        cards.append(
            kpi(
                t("ward.kpi_population"),
                i18n.num(population, lang),
                t("ward.kpi_population_sub", area=i18n.num(area, lang, 1), density=i18n.num(population / area, lang))
                if area
                else "",
            )
        )
    met, judged = judged_counts(ind) if ind is not None and not ind.empty else (0, 0)
    cards.append(
        kpi(t("ward.kpi_targets"), t("ward.kpi_targets_value", met=met, judged=judged), t("ward.kpi_targets_sub"))
        if judged
        else missing(t("ward.kpi_targets"))
    )
    if rep is not None and not rep.empty:
        r = rep.iloc[0]
        cards.append(
            kpi(
                t("ward.kpi_reports"),
                i18n.num(r["overdue"], lang),
                t("ward.kpi_reports_sub", received=i18n.num(r["received"], lang), open=i18n.num(r["open"], lang)),
            )
        )
    else:
        cards.append(missing(t("ward.kpi_reports")))
    if acc is not None and not acc.empty:
        a, b = acc.iloc[0], acc.iloc[1]
        cards.append(
            kpi(
                t("ward.kpi_accidents", year=int(a["year"])),
                t("ward.kpi_accidents_value", cases=i18n.num(a["cases"], lang)),
                t(
                    "ward.kpi_accidents_sub",
                    deaths=i18n.num(a["deaths"], lang),
                    injuries=i18n.num(a["injuries"], lang),
                    prev=int(b["year"]),
                    prev_cases=i18n.num(b["cases"], lang),
                ),
            )
        )
    else:
        cards.append(missing(t("ward.kpi_accidents", year=now.year)))
    total = sch[sch["level"].isna()] if sch is not None and not sch.empty else None
    if total is not None and not total.empty and total.iloc[0]["schools"]:
        s = total.iloc[0]
        cards.append(
            kpi(
                t("ward.kpi_schools"),
                i18n.num(s["schools"], lang),
                t(
                    "ward.kpi_schools_sub",
                    pupils=i18n.num(s["pupils"], lang),
                    ratio=i18n.num(s["pupils_per_teacher"], lang, 1),
                ),
            )
        )
    else:
        cards.append(missing(t("ward.kpi_schools")))
    worst = (
        air.dropna(subset=["aqi"]).sort_values("aqi", ascending=False) if air is not None and not air.empty else None
    )
    if worst is not None and not worst.empty:
        w = worst.iloc[0]
        band, colour = aqi.band(w["aqi"])
        ts = pd.Timestamp(w["ts"])
        sub = t("ward.kpi_air_sub", station=w["name"], time=i18n.datetime(ts))
        if not w["in_ward"]:
            sub += " · " + t("ward.kpi_air_nearest", km=i18n.num(w["distance_km"], lang, 1))
        age = pd.Timestamp(now) - ts
        if age > pd.Timedelta(hours=3):  # the network's latest hour may be days old: say so
            sub += " · ⚠ " + t("ward.aqi_stale", days=i18n.num(age.total_seconds() / 86400, lang))
        cards.append(
            kpi(t("ward.kpi_air"), aqi_value(w["aqi"], lang, t), sub, accent=colour, text_colour=aqi_text_colour(band))
        )
    else:
        cards.append(missing(t("ward.kpi_air")))
    return cards


def aqi_text_colour(band: str) -> str:
    """Dark text on the light AQI colours, white on the dark ones."""
    return "#111" if band in ("good", "moderate", "poor", "none") else "#fff"


def aqi_value(value, lang: str, t) -> str:
    """ "35 · Tốt", or "Không có số liệu" when the station has no latest value."""
    band_key = aqi.band(value)[0]
    return t("aqi_band.none") if band_key == "none" else f"{i18n.num(value, lang)} · {t('aqi_band.' + band_key)}"


def deck(
    wards: pd.DataFrame,
    ward: str,
    lang: str,
    t,
    accidents: pd.DataFrame,
    stations: pd.DataFrame,
    tile_url: str | None = None,
) -> pdk.Deck:
    """The city's wards with this one filled and outlined, its accidents (red, sized by harm) and the air
    stations (VN_AQI colours with the value). Every ward is pickable, to open its profile."""
    fill = {c: (WARD_RGB if c == ward else OTHER_RGB) for c in wards["ward_code"]}
    extra = {c: {"info": "" if c == ward else t("ward.map_other")} for c in wards["ward_code"]}
    feats = maps.ward_features(wards, lang, fill=fill, extra=extra)
    mine = {"type": "FeatureCollection", "features": [f for f in feats["features"] if f["properties"]["code"] == ward]}
    layers = [
        maps.ward_layer(feats, pickable=True, layer_id="wards"),
        pdk.Layer(
            "GeoJsonLayer",
            mine,
            id="ward-selected",
            pickable=False,
            stroked=True,
            filled=False,
            get_line_color=[11, 79, 138, 255],
            line_width_min_pixels=3,
        ),
        maps.text_layer(
            _labels(wards, ward, lang, selected=False, stations=stations),
            "ward-names",
            size=11,
            colour=[60, 70, 80, 255],
        ),
        # below the centroid, clear of an air station drawn there
        maps.text_layer(
            _labels(wards, ward, lang, selected=True),
            "ward-name",
            size=14,
            colour=[11, 50, 95, 255],
            offset=SELECTED_OFFSET,
        ),
    ]
    if accidents is not None and not accidents.empty:
        pts = accidents.assign(
            name=accidents["location"].fillna(""),
            info=[
                t(
                    "ward.accident_info",
                    day=i18n.date(d),
                    cause=c or "",
                    deaths=i18n.num(dd, lang),
                    injuries=i18n.num(i, lang),
                )
                for d, c, dd, i in zip(accidents["day"], accidents["cause"], accidents["deaths"], accidents["injuries"])
            ],
            weight=accidents["deaths"].fillna(0) * 3 + accidents["injuries"].fillna(0),
        )[["name", "info", "weight", "lon", "lat"]]
        layers.append(maps.points(pts, "accidents", "60 + 30 * weight", (4, 14), ACCIDENT_RGB, [255, 255, 255, 230]))
    if stations is not None and not stations.empty:
        st_ = stations.assign(
            info=[
                t(
                    "ward.station_info",
                    aqi=i18n.num(a, lang),
                    band=t("aqi_band." + b),
                    time=i18n.datetime(pd.Timestamp(ts)) if pd.notna(ts) else "–",
                )
                for a, b, ts in zip(stations["aqi"], stations["band"], stations["ts"])
            ],
            fill=[aqi.rgb(c, 240) for c in stations["colour"]],
            aqi_text=[i18n.num(v, lang) if pd.notna(v) else "" for v in stations["aqi"]],
        )
        layers += maps.aqi_stations(st_[["name", "info", "fill", "lon", "lat", "aqi_text"]], 300, (10, 30), 12)
    out = maps.deck(layers, wards, "<b>{name}</b><br/>{info}", tile_url)
    out.initial_view_state = _view(feats, wards)
    return out


def _view(feats: dict, wards: pd.DataFrame) -> pdk.ViewState:
    """The whole city: centred on the wards' outline (not their centroids, which sit off-centre)."""
    lons, lats = [], []

    def walk(c) -> None:
        if isinstance(c, (list, tuple)) and len(c) == 2 and all(isinstance(x, (int, float)) for x in c):
            lons.append(c[0])
            lats.append(c[1])
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)

    for f in feats["features"]:
        walk(f["geometry"].get("coordinates"))
    if not lats:
        return maps.view(wards, zoom=ZOOM)
    return pdk.ViewState(
        latitude=(min(lats) + max(lats)) / 2, longitude=(min(lons) + max(lons)) / 2, zoom=ZOOM, pitch=0
    )


def _labels(
    wards: pd.DataFrame, ward: str, lang: str, selected: bool, stations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Ward names at their centroids: this ward's alone, or the others' without those that would overlap a
    name already placed (this ward's first, drawn larger and lower) or an air station; a hidden name is
    still in the tooltip."""
    px = 512 * 2**ZOOM / 360  # pixels per degree at the map's zoom (deck.gl's 512-pixel world)
    placed: list[tuple[float, float, float]] = []  # (lat, lon, half width in degrees)
    if stations is not None and not stations.empty:
        placed += [(float(a), float(b), 12 / px) for a, b in zip(stations["lat"], stations["lon"])]
    rows = []
    for w in sorted(wards.itertuples(), key=lambda w: w.ward_code != ward):
        name = i18n.name(w, lang)
        mine = w.ward_code == ward
        lat = w.lat - (SELECTED_OFFSET / px if mine else 0)
        half = len(name) * (8.5 if mine else 6.5) / 2 / px
        near = not mine and any(abs(lat - a) < 15 / px and abs(w.lon - b) < half + h + 4 / px for a, b, h in placed)
        if not near:
            placed.append((lat, w.lon, half))
        if mine == selected and not near:
            rows.append({"name": name, "position": [float(w.lon), float(w.lat)]})
    return pd.DataFrame(rows, columns=["name", "position"])
