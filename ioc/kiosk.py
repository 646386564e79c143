"""The video wall's logic without Streamlit: where a playlist is at a given time, and what needs attention now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ioc import aqi, i18n, status
from ioc.config import Config, Indicator, KioskPanel, KioskWall
from ioc.queries import indicators as qi


@dataclass(frozen=True)
class Slot:
    """The panel on the wall now: its index, when it started and ends (epoch seconds), and which cycle it is in."""

    index: int
    start: float
    end: float
    cycle: int
    pinned: bool = False

    @property
    def key(self) -> tuple:
        return (self.cycle, self.index, self.pinned)


def slot_at(panels: Sequence[KioskPanel], now: float) -> Slot:
    """The playlist's position at wall-clock time `now`: every screen of a wall shows the same panel, and a
    rerun, a reload or a server restart comes back to the same place."""
    total = sum(p.seconds for p in panels)
    cycle, into = divmod(now, total)
    start = now - into
    for i, p in enumerate(panels):
        if into < p.seconds or i == len(panels) - 1:
            return Slot(i, start, start + p.seconds, int(cycle))
        into -= p.seconds
        start += p.seconds
    raise AssertionError("unreachable")


def pinned(wall: KioskWall, page: str | None) -> int | None:
    """`&page=` as a playlist index: a number counting from 1, or a panel's name (overview, air, a sector
    code); None when absent or unknown (the wall then rotates)."""
    if not page:
        return None
    page = page.strip().lower()
    if page.isdigit():
        n = int(page)
        return n - 1 if 1 <= n <= len(wall.panels) else None
    return next((i for i, p in enumerate(wall.panels) if p.name.lower() == page), None)


@dataclass(frozen=True)
class Item:
    """One entry of the attention strip; level 'alert' (red) or 'warn' (amber)."""

    kind: str
    level: str
    text: str


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
                )
            )
    if rules.stale_sources:
        for s in sources:
            if s["state"] not in status.GOOD_STATES:
                src = cfg.sources.get(s["source"])
                label = src.label if src else s["source"]
                items.append(Item("stale", "warn", t("kiosk.stale_" + s["state"], source=label)))
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
                )
            )
    return items
