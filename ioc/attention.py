"""What needs attention now, most urgent first, without Streamlit: the kiosk's strip and the overview's
first section read the same list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ioc import aqi, i18n, status
from ioc.config import Config, Indicator
from ioc.queries import indicators as qi
from ioc.queries.environment import HOURLY


@dataclass(frozen=True)
class Item:
    """One entry of the attention strip; level 'alert' (red) or 'warn' (amber); `sector` is where it leads."""

    kind: str
    level: str
    text: str
    sector: str | None = None


@dataclass(frozen=True)
class Threshold:
    """An indicator's alert threshold, for its city value (scope city) or each ward's (scope wards)."""

    indicator: Indicator
    scope: str
    value: float


def thresholds(cfg: Config) -> list[Threshold]:
    """Every alert threshold the indicators declare (`threshold`, `ward_threshold`)."""
    out = []
    for ind in cfg.indicators:
        if ind.threshold is not None:
            out.append(Threshold(ind, "city", ind.threshold))
        if ind.ward_threshold is not None:
            out.append(Threshold(ind, "wards", ind.ward_threshold))
    return out


def attention(
    cfg: Config,
    lang: str,
    *,
    stations: pd.DataFrame,
    hits: Sequence[tuple[Threshold, pd.DataFrame]],
    indicators: pd.DataFrame,
    sources: Sequence[dict],
) -> list[Item]:
    """What needs attention now, most urgent first: stations over the VN_AQI band, indicators over their
    threshold, sources failed, held or late (the wall may be showing old data), indicators off target.

    stations: qe.latest_aqi; hits: (Threshold, qk.past_threshold frame) pairs; indicators: qi.summary;
    sources: ioc.status.source_status()['sources'].
    """
    rules = cfg.kiosk.attention
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    items: list[Item] = []
    over = (
        stations[stations["aqi"] > rules.aqi_above].sort_values("aqi", ascending=False) if len(stations) else stations
    )
    air = HOURLY.split("_")[0]  # a sector's tables carry its code first: the air tables' sector
    for r in over.itertuples():
        items.append(
            Item(
                "aqi",
                "alert",
                t(
                    "kiosk.aqi_over",
                    value=i18n.num(r.aqi, lang),
                    band=t("aqi_band." + aqi.band(r.aqi)[0]),
                    station=r.name,
                ),
                air if cfg.sector(air) else None,
            )
        )
    for rule, df in hits:
        ind = rule.indicator
        name, unit = ind.name.get(lang), i18n.unit(ind.unit, lang)
        for r in df.itertuples():
            where = i18n.name(r, lang) if r.ward_code else ""
            key = "kiosk.threshold_ward" if where else "kiosk.threshold_city"
            items.append(
                Item(
                    "threshold",
                    "alert",
                    t(
                        key,
                        name=name,
                        ward=where,
                        value=f"{i18n.smart(r.value, lang)} {unit}".strip(),
                        period=i18n.period(r.period, ind.grain, lang),
                        above=i18n.smart(rule.value, lang),
                        past=t("status." + qi.PAST[ind.direction]).lower(),
                    ),
                    ind.sector,
                )
            )
    if rules.stale_sources:
        for s in sources:
            if s["state"] not in status.GOOD_STATES:
                src = cfg.sources.get(s["source"])
                label = src.label_in(lang) if src else s["source"]
                items.append(
                    Item("stale", "warn", t("kiosk.stale_" + s["state"], source=label), src.sector if src else None)
                )
    if rules.off_target and len(indicators):
        rank = {s: i for i, s in enumerate(("over_limit", "at_risk", "behind", "not_met"))}
        off = indicators[indicators["status"].isin(rules.off_target)]
        off = off.assign(_r=off["status"].map(rank)).sort_values(["_r", "sector", "code"])
        for r in off.itertuples():
            name = i18n.name(r, lang)
            items.append(
                Item(
                    "off_target",
                    "alert" if r.status == "over_limit" else "warn",
                    t(
                        "kiosk.off_target",
                        name=name,
                        status=t("status." + r.status).lower(),
                        value=f"{i18n.smart(r.value, lang)} {i18n.unit(r.unit, lang)}".strip(),
                    ),
                    r.sector,
                )
            )
    return items


LEVEL = {"critical": "alert", "warning": "warn", "info": "warn"}  # an alert's severity as the strip colours it


def from_alerts(cfg: Config, rows: Sequence[dict], lang: str) -> list[Item]:
    """Open alerts (ioc.alerts.alerts: most severe, then oldest first) as the strip's items, one line per rule:
    a rule open in several wards or sources is one line naming them, not one line each."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    by_rule: dict[str, list[dict]] = {}
    for r in rows:
        by_rule.setdefault(r["rule"], []).append(r)
    rules = {r.code: r for r in cfg.alerts}
    items = []
    for code, group in by_rule.items():
        first = group[0]
        if len(group) == 1:
            text = first["message_en"] if lang == "en" and first["message_en"] else first["message_vi"]
        else:
            rule = rules.get(code)
            where = [(g["subject_en"] if lang == "en" else g["subject_vi"]) or g["key"] for g in group]
            shown = ", ".join(where[:3]) + ("…" if len(where) > 3 else "")
            text = t("alerts.grouped", name=rule.name.get(lang) if rule else code, n=len(group), where=shown)
        items.append(Item("alert", LEVEL.get(first["severity"], "warn"), text, first["sector"]))
    return items


def movers(indicators: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The indicators that moved most the wrong way in their latest period against the one before (by the
    relative change; a rate's by its points), up to date ones only (a value periods late is old news): rows of
    qi.summary, worst first."""
    df = indicators[indicators["behind"].fillna(99) < 1].copy()
    change = df["change_pp"].where(df["change_pp"].notna(), df["change_pct"])
    worse = change.where(df["direction"] == "lower", -change)  # > 0: the wrong way
    df["_worse"] = worse
    df = df[df["_worse"] > 0.05]
    return df.sort_values("_worse", ascending=False).drop(columns="_worse").head(n)
