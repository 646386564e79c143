"""One theme: colours by meaning, the chart locale and the page CSS (static, no data in it)."""

from __future__ import annotations

import functools
from typing import Any

from ioc import i18n

COLOURS: dict[str, str] = {
    "good": "#1B7F3B",
    "bad": "#C62828",
    "neutral": "#607D8B",
    "accent": "#0B4F8A",
    "limit": "#C62828",
}
WARD_FILL = [11, 79, 138, 40]  # a ward's area and outline on the maps (RGBA)
WARD_LINE = [11, 79, 138, 200]


@functools.cache
def vega_locale(lang: str) -> dict[str, Any]:
    """Vega's d3 locale from the locale files, so axes and tooltips read 1.234,5 and the language's months."""

    def words(key: str) -> list[str]:
        return i18n.t(key, lang).split(",")

    return {
        "number": {"decimal": i18n.t("number.decimal", lang), "thousands": i18n.t("number.thousands", lang),
                   "grouping": [3], "currency": ["", i18n.t("number.currency", lang)]},
        "time": {"dateTime": i18n.t("calendar.date_time", lang), "date": "%d/%m/%Y", "time": "%H:%M:%S",
                 "periods": words("calendar.periods"), "days": words("calendar.days"),
                 "shortDays": words("calendar.short_days"), "months": words("calendar.months"),
                 "shortMonths": words("calendar.short_months")},
    }  # fmt: skip


CSS = """
<style>
.block-container {padding-top: 2.2rem;}
/* a sector's whole name in the navigation, on two lines if it must, never cut with "…" */
[data-testid="stSidebarNavLink"] span, [data-testid="stSidebarNavLink"] .stMarkdownEllipsis,
[data-testid="stSidebarNavLink"] p {white-space: normal; overflow: visible; text-overflow: clip; line-height: 1.25;}
[data-testid="stSidebarNavLink"] {height: auto; min-height: 2rem;}
.ioc-grid {display: grid; grid-template-columns: repeat(auto-fill, minmax(235px, 1fr)); gap: 12px; margin-bottom: 8px;}
.ioc-grid .ioc-tile {margin-bottom: 0;}
a.ioc-tile-link {display: block; color: inherit; text-decoration: none;}
.ioc-sector-alerts {border-left: 4px solid #C62828; background: #FFF5F5; padding: 8px 14px; margin: 6px 0 12px;
  border-radius: 4px; font-size: .92rem;}
.ioc-sector-alerts ul {margin: 4px 0 0; padding-left: 1.1rem; list-style: none;}
.ioc-sev-critical {color: #C62828;} .ioc-sev-warning {color: #EF6C00;} .ioc-sev-info {color: #1565C0;}
.ioc-tile-alerts {margin-top: 6px; font-size: .8rem; font-weight: 600; color: #B71C1C;}
a.ioc-tile-link:hover .ioc-tile {border-color: #90A4AE; box-shadow: 0 1px 4px rgba(0,0,0,.12);}
.ioc-attn {display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; margin-bottom: 8px;}
.ioc-attn-box {border: 1px solid #DDE3EA; border-radius: 8px; padding: 8px 14px;}
.ioc-attn-box h4 {font-size: .95rem; margin: 0 0 6px 0; padding: 0;}
.ioc-attn-box ul {margin: 0; padding-left: 18px;} .ioc-attn-box li {font-size: .85rem; margin: 2px 0;}
.ioc-attn-box li a {color: inherit;}
.ioc-attn-alert {border-left: 6px solid #C62828;} .ioc-attn-warn {border-left: 6px solid #EF6C00;}
.ioc-attn-move {border-left: 6px solid #607D8B;} .ioc-attn-none {color: #1B7F3B; font-size: .85rem;}
.ioc-header-badges {display: flex; justify-content: flex-end; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: -1.2rem;}
.ioc-asof {white-space: nowrap;}
.ioc-sample {background: #FFF3CD; color: #7A4F01; border: 1px solid #E0B000; border-radius: 4px;
  padding: 2px 8px; font-weight: 700; font-size: 0.8rem; letter-spacing: .04em; margin-left: 6px;}
.ioc-asof {color: #555; font-size: 0.85rem; margin-left: 6px;}
.ioc-tile {border: 1px solid #DDE3EA; border-left: 6px solid #607D8B; border-radius: 8px; padding: 10px 14px;
  margin-bottom: 12px; background: #FFFFFF; box-shadow: 0 1px 2px rgba(0,0,0,.04);}
.ioc-tile.ioc-good {border-left-color: #1B7F3B;}
.ioc-tile.ioc-bad {border-left-color: #C62828;}
.ioc-tile-sector {font-size: .72rem; text-transform: uppercase; letter-spacing: .05em; color: #0B4F8A; font-weight: 700;}
.ioc-tile-name {font-size: .9rem; color: #333; margin-top: 2px; min-height: 2.4em;}
.ioc-tile-value {font-size: 2rem; font-weight: 700; color: #111; line-height: 1.2; white-space: nowrap;}
.ioc-unit {font-size: .95rem; font-weight: 400; color: #555;}
.ioc-tile-period {font-size: .78rem; color: #666;}
.ioc-tile-delta {font-size: .82rem; font-weight: 600;}
.ioc-tile-delta span {font-weight: 400; color: #666;}
.ioc-up-good {color: #1B7F3B;} .ioc-up-bad {color: #C62828;} .ioc-flat {color: #607D8B;}
.ioc-tile-target {font-size: .78rem; color: #444; margin-top: 4px;}
.ioc-tile-partial {font-size: .75rem; color: #555; margin-top: 4px; font-style: italic;}
.ioc-tile-status {display: inline-block; margin-top: 6px; font-size: .75rem; font-weight: 700; border-radius: 10px; padding: 1px 8px;}
.ioc-chip-good {background: #E3F4E8; color: #1B7F3B;} .ioc-chip-bad {background: #FDE7E7; color: #B71C1C;}
.ioc-chip-neutral {background: #ECEFF1; color: #455A64;}
.ioc-tile-stale {font-size: .75rem; color: #B71C1C; margin-top: 4px;}
.ioc-fresh-row {margin: 2px 0 10px 0;}
.ioc-fresh {display: inline-block; font-size: .78rem; border-radius: 10px; padding: 2px 10px; margin: 0 6px 4px 0;
  text-decoration: none !important;}
.ioc-fresh:hover {filter: brightness(0.95); text-decoration: underline !important;}
.ioc-kpi {border: 1px solid #DDE3EA; border-left: 6px solid #0B4F8A; border-radius: 8px; padding: 8px 14px;
  background: #FFFFFF; min-height: 108px; margin-bottom: 8px;}
.ioc-kpi-label {font-size: .8rem; color: #444; font-weight: 600;}
.ioc-kpi-value {font-size: 1.9rem; font-weight: 700; line-height: 1.35; white-space: nowrap;}
.ioc-kpi-chip {border-radius: 6px; padding: 0 10px;}
.ioc-kpi-sub {font-size: .78rem; color: #666;}
.ioc-legend {font-size: .8rem; margin: 4px 0;}
.ioc-filter-chip {display: inline-block; background: #E3EEF8; color: #0B4F8A; border: 1px solid #9EB7CF; border-radius: 14px;
  padding: 4px 12px; font-weight: 600; font-size: .9rem; margin-top: 4px;}
.ioc-legend span {display: inline-block; padding: 1px 8px; margin-right: 4px; border-radius: 3px;}
a.ioc-signin { display: inline-block; padding: .45rem 1rem; border: 1px solid #0b4f8a; border-radius: .5rem;
  color: #0b4f8a; font-weight: 600; text-decoration: none; }
a.ioc-signin:hover { background: #0b4f8a; color: #fff; }
</style>
"""
