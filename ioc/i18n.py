"""UI text from locale files (Vietnamese first, English second) and Vietnamese number and date formats."""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGS = ("vi", "en")
DEFAULT = "vi"


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    """locales/<lang>.yaml plus locales/<lang>.<part>.yaml (one per area of the app), flattened to dotted keys."""
    flat: dict[str, str] = {}
    for path in [LOCALES / f"{lang}.yaml", *sorted(LOCALES.glob(f"{lang}.*.yaml"))]:
        _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, flat)
    return flat


def _flatten(data: Any, flat: dict[str, str]) -> None:
    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            flat[prefix[:-1]] = str(node)

    walk(data, "")


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT


def t(key: str, lang: str = DEFAULT, **kw: Any) -> str:
    """The text for key in lang, else in Vietnamese, else the key itself (visible, never a crash)."""
    text = _catalog(lang_or_default(lang)).get(key) or _catalog(DEFAULT).get(key) or key
    return text.format(**kw) if kw else text


def unit(text: str, lang: str = DEFAULT) -> str:
    """An indicator's unit (written in Vietnamese in config) in the UI language; unknown units as written."""
    if not text:
        return ""
    return _catalog(lang_or_default(lang)).get(f"unit.{text}", text)


def name(row: Any, lang: str = DEFAULT, prefix: str = "name") -> Any:
    """The `{prefix}_vi` or `{prefix}_en` of a query result, in `lang` (the Vietnamese where the English is
    missing): of a row (a namedtuple, a Series or a dict) as text, of a whole frame as a Series."""

    def get(suffix: str) -> Any:
        key = f"{prefix}_{suffix}"
        return getattr(row, key) if hasattr(row, "_fields") else row[key]

    vi = get("vi")
    if lang_or_default(lang) != "en":
        return vi
    en = get("en")
    if hasattr(en, "where"):  # a column
        return en.where(en.notna() & (en != ""), vi)
    return en if isinstance(en, str) and en else vi


def keys(lang: str) -> set[str]:
    return set(_catalog(lang))


def _babel_locale(lang: str) -> str:
    return "vi_VN" if lang_or_default(lang) == "vi" else "en_US"


def num(value: Any, lang: str = DEFAULT, digits: int = 0, dash: str = "–", signed: bool = False) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English; a dash for missing; +1,2 when signed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return dash
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    if round(float(value), digits) == 0:
        value = 0  # −0,04 shown to one decimal is 0,0, not "-0,0"
    text = format_decimal(value, format=pattern, locale=_babel_locale(lang))
    return f"+{text}" if signed and value > 0 else text


def smart(value: Any, lang: str = DEFAULT) -> str:
    """A number with as many decimals as it needs to read well: 12.345, 98,7, 0,42."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    a = abs(float(value))
    digits = 0 if a >= 100 or float(value).is_integer() else (1 if a >= 10 else 2)
    return num(value, lang, digits)


def pct(value: Any, lang: str = DEFAULT, digits: int = 1, signed: bool = False) -> str:
    """A percentage given in percent units (12.5 → 12,5 %)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    s = num(value, lang, digits)
    if signed and value > 0:
        s = "+" + s
    return f"{s} %" if lang_or_default(lang) == "vi" else f"{s}%"


def date(value: Any, lang: str = DEFAULT) -> str:
    """25/11/2026 (both languages: the city's convention)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def datetime(value: Any, lang: str = DEFAULT) -> str:
    if value is None:
        return "–"
    return value.strftime("%H:%M %d/%m/%Y")


def period(value: Any, grain: str, lang: str = DEFAULT) -> str:
    """A period's label: 10/2026 for a month, Q3/2026, 2026, week 42/2026, or a day."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if grain == "month":
        return t("period.month", lang, m=value.month, y=value.year)
    if grain == "quarter":
        return t("period.quarter", lang, q=(value.month - 1) // 3 + 1, y=value.year)
    if grain == "year":
        return str(value.year)
    if grain == "week":
        iso = value.isocalendar()
        return t("period.week", lang, w=iso.week, y=iso.year)
    return date(value, lang)
