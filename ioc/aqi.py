"""Vietnamese AQI (VN_AQI, Quyết định 1459/QĐ-TCMT, 2019) and QCVN 05:2023/BTNMT ambient air limits.

Concentrations are µg/m³. Hourly VN_AQI uses the NowCast concentration of the last 12 hours for
PM2.5 and PM10 and the 1-hour value of the gases; daily VN_AQI uses 24-hour means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

AQI_STEPS = [0, 50, 100, 150, 200, 300, 400, 500]
# breakpoints BP_i for each pollutant (QĐ 1459, table 1); PM rows are for 24-hour (and NowCast) values
BREAKPOINTS = {
    "o3": [0, 160, 200, 300, 400, 800, 1000, 1200],  # 1-hour
    "co": [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000],
    "so2": [0, 125, 350, 550, 800, 1600, 2100, 2630],
    "no2": [0, 100, 200, 700, 1200, 2350, 3100, 3850],
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],
    "pm25": [0, 25, 50, 80, 150, 250, 350, 500],
}
POLLUTANTS = ["pm25", "pm10", "no2", "so2", "co", "o3"]

# (upper AQI bound, key, official colour) — the colours of QĐ 1459
BANDS = [
    (50, "good", "#00E400"),
    (100, "moderate", "#FFFF00"),
    (150, "poor", "#FF7E00"),
    (200, "bad", "#FF0000"),
    (300, "very_bad", "#8F3F97"),
    (500, "hazardous", "#7E0023"),
]

# QCVN 05:2023/BTNMT limits, µg/m³, by averaging time
QCVN_LIMITS = {
    "pm25": {"24h": 50, "year": 25},
    "pm10": {"24h": 100, "year": 50},
    "no2": {"1h": 200, "24h": 100, "year": 40},
    "so2": {"1h": 350, "24h": 125, "year": 50},
    "co": {"1h": 30000, "8h": 10000, "24h": 5000},
    "o3": {"1h": 200, "8h": 120},
}


def sub_index(pollutant: str, conc: Sequence[float | None] | np.ndarray) -> np.ndarray:
    """AQI_x for concentrations (NaN where missing); capped at 500."""
    c = np.asarray(conc, dtype=float)
    bp = BREAKPOINTS[pollutant]
    out = np.interp(c, bp, AQI_STEPS)
    out[c > bp[-1]] = 500.0
    out[np.isnan(c)] = np.nan
    return np.ceil(out)


def aqi(values: Mapping[str, Sequence[float | None] | np.ndarray]) -> np.ndarray:
    """VN_AQI = the largest sub-index; NaN unless PM2.5 or PM10 is there (QĐ 1459 requires one)."""
    subs = [sub_index(p, v) for p, v in values.items() if p in BREAKPOINTS]
    if not subs:
        return np.array([])
    stack = np.vstack(subs)
    with np.errstate(all="ignore"):
        best = np.where(
            np.all(np.isnan(stack), axis=0), np.nan, np.nanmax(np.where(np.isnan(stack), -1, stack), axis=0)
        )
    pm = [np.asarray(values[p], dtype=float) for p in ("pm25", "pm10") if p in values]
    if pm:
        has_pm = np.any(~np.isnan(np.vstack(pm)), axis=0)
        best = np.where(has_pm, best, np.nan)
    return best


def nowcast(last12: Sequence[float | None] | np.ndarray) -> float | None:
    """NowCast of hourly PM values, newest first (QĐ 1459): needs 2 of the latest 3 hours."""
    c = np.asarray(list(last12)[:12], dtype=float)
    if c.size == 0 or np.sum(~np.isnan(c[:3])) < 2:
        return None
    valid = c[~np.isnan(c)]
    cmin, cmax = valid.min(), valid.max()
    w = cmin / cmax if cmax > 0 else 1.0
    w = max(w, 0.5)
    weights = np.array([w**i for i in range(c.size)])
    mask = ~np.isnan(c)
    return float(np.sum(weights[mask] * c[mask]) / np.sum(weights[mask]))


def band(value: float | None) -> tuple[str, str]:
    """(band key, official colour) of an AQI value; ('none', grey) when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none", "#BDBDBD"
    for upper, key, colour in BANDS:
        if value <= upper:
            return key, colour
    return BANDS[-1][1], BANDS[-1][2]


def rgb(hex_colour: str, alpha: int = 255) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]
