"""Page building blocks: header, error boundary, KPI tiles, freshness badges, downloads."""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from ioc import exports, i18n
from ioc.errors import IOCError, NoSnapshotError
from ioc.status import reason, tone
from ioc.ui import charts, state, tables
from ioc.ui.tables import catalog_link
from ioc.ui.theme import COLOURS, CSS

STATUS_CLASS = {  # the statuses of ioc.queries.indicators._status: good, or bad (red)
    "met": "good",
    "on_track": "good",
    "within": "good",
    "behind": "bad",
    "not_met": "bad",
    "at_risk": "bad",
    "over_limit": "bad",
    "over_threshold": "bad",
    "under_threshold": "bad",
    "none": "neutral",
}


def masked_text(row) -> str:
    """What stands in for a small count of people: "<5"."""
    return f"<{int(row['mask_below'])}"


def esc(v: object) -> str:
    return html.escape("" if v is None else str(v))


NARROW = 1100  # px: at this width or less (a tablet, 1024 × 768) the page, not the navigation, opens

# Streamlit's "auto" hides the sidebar only under 768 px. Once per browser tab, on a narrow screen, close it
# as the user would; opened again, it stays open. A static script: no data goes into it.
NARROW_SCRIPT = f"""<script>
(() => {{
  if (window.innerWidth > {NARROW} || sessionStorage.getItem("ioc-narrow-sidebar")) return;
  let tries = 0;
  const close = () => {{
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button && !document.querySelector('[data-testid="stExpandSidebarButton"]')) {{
      sessionStorage.setItem("ioc-narrow-sidebar", "1");
      button.click();
    }} else if (++tries < 40) setTimeout(close, 100);
  }};
  close();
}})();
</script>"""


def narrow_screen() -> None:
    """On a tablet the sidebar starts closed (see NARROW_SCRIPT)."""
    with st.sidebar:
        st.html(NARROW_SCRIPT, unsafe_allow_javascript=True)


def setup_page() -> None:
    st.markdown(CSS, unsafe_allow_html=True)  # static CSS only, no data


def page_header(title: str, subtitle: str = "", sources: list[str] | None = None) -> None:
    """Title, subtitle, the snapshot's time and the sample-data mark when any shown source is sample data."""
    setup_page()
    st.session_state[PAGE_FRAMES] = {}  # this run's tables, for page_xlsx()
    st.session_state[PAGE_TITLE] = title
    cfg = state.config()
    shown = [cfg.sources[s] for s in (sources or cfg.sources) if s in cfg.sources]
    badges = []
    if any(s.sample for s in shown):
        badges.append(
            f'<span class="ioc-sample" title="{esc(state.t("app.sample_help"))}">'
            f"{esc(state.t('app.sample_badge'))}</span>"
        )
    ts = state.snapshot_time()
    if ts is not None:
        local = ts.tz_convert(cfg.city.timezone)
        badges.append(f'<span class="ioc-asof">{esc(state.t("app.snapshot", time=i18n.datetime(local)))}</span>')
    if badges:  # one line above the title, so narrow screens never squeeze it beside the title
        st.markdown('<div class="ioc-header-badges">' + "".join(badges) + "</div>", unsafe_allow_html=True)
    st.title(title)
    if subtitle:
        st.caption(subtitle)


LOG = logging.getLogger("ioc.pages")


def log_exception(exc: BaseException) -> None:
    """An error a page caught and told calmly, with its traceback in the server log for the operator."""
    LOG.error("a page caught %s: %s", exc.__class__.__name__, exc, exc_info=exc)


@contextmanager
def section(title: str | None = None) -> Iterator[None]:
    """An error boundary: a failing query shows a calm message (its traceback goes to the server log) and the
    rest of the page still draws."""
    if title:
        st.subheader(title)
    try:
        yield
    except (RerunException, StopException):
        raise
    except NoSnapshotError:
        st.info(state.t("app.no_snapshot"))
    except IOCError as exc:
        log_exception(exc)
        st.warning(state.t("app.error_section", message=str(exc)))
    except Exception as exc:
        log_exception(exc)
        st.warning(state.t("app.error_section", message=f"{exc.__class__.__name__}: {exc}"))


def sector_href(code: str) -> str | None:
    """A link to a sector's page, relative (so a server under a path prefix keeps it), in this language."""
    sector = state.config().sector(code)
    return f"{sector.url}?lang={state.lang()}" if sector else None


def change_text(row, key: str, lang: str) -> tuple[str, str] | None:
    """An indicator's change (`key` change: against the previous period; yoy: against last year) as the tiles
    write it, "▲ +3,2 %" or "▼ −1,0 điểm %" for a rate, with its class by the indicator's direction
    (up-good, up-bad, flat); None without one."""
    pp = row.get(f"{key}_pp")
    ch = pp if pp is not None and pd.notna(pp) else row.get(f"{key}_pct")
    if ch is None or pd.isna(ch):
        return None
    good = (ch > 0) == (row["direction"] == "higher") if abs(ch) >= 0.05 else None
    dcls = "flat" if good is None else ("up-good" if good else "up-bad")
    arrow = "▲" if ch > 0.05 else ("▼" if ch < -0.05 else "▶")
    shown = (
        state.t("tile.points", n=i18n.num(ch, lang, 1, signed=True))
        if pp is not None and pd.notna(pp)
        else i18n.pct(ch, lang, 1, signed=True)
    )
    return f"{arrow} {shown}", dcls


def tile_html(row: pd.Series, lang: str, sector_name: str, href: str | None = None, alerts: int = 0) -> str:
    """A KPI tile: latest value, change (coloured by the indicator's direction), target and status, and its
    sector's open alerts when there are; the whole tile is a link to `href` when given."""
    name = i18n.name(row, lang)
    unit = i18n.unit(row["unit"], lang)
    masked = bool(row.get("masked", False))
    has_value = pd.notna(row.get("value")) or masked
    value = (masked_text(row) if masked else i18n.smart(row["value"], lang)) if has_value else state.t("tile.no_value")
    period = i18n.period(row["period"], row["grain"], lang) if has_value else ""
    if has_value and row.get("in_progress") and row.get("target_aggregate") == "sum":
        period += f" ({state.t('tile.to_date')})"  # a year so far, never read as the whole year
    status = row.get("status") or "none"
    cls = STATUS_CLASS.get(status, "neutral")
    parts = [
        f'<div class="ioc-tile ioc-{cls}">',
        f'<div class="ioc-tile-sector">{esc(sector_name)}</div>',
        f'<div class="ioc-tile-name">{esc(name)}</div>',
        f'<div class="ioc-tile-value">{esc(value)}'
        f'<span class="ioc-unit"> {esc(unit) if has_value else ""}</span></div>',
        f'<div class="ioc-tile-period">{esc(period)}</div>',
    ]
    comparisons = [("change", "tile.vs_prev")]
    if row["grain"] != "year":  # for a yearly figure the previous period is last year: say it once
        comparisons.append(("yoy", "tile.vs_last_year"))
    for key, label in comparisons:
        change = change_text(row, key, lang)
        if change:
            shown, dcls = change
            parts.append(
                f'<div class="ioc-tile-delta ioc-{dcls}">{esc(shown)} '
                f"<span>{esc(state.t(label if row['grain'] != 'year' else 'tile.vs_last_year'))}</span></div>"
            )
    target = row.get("target_year")
    if target is not None and pd.notna(target):
        year = pd.Timestamp(row["period"]).year if has_value else ""
        line = state.t(
            "tile.target" if row["direction"] == "higher" else "tile.ceiling",
            year=year,
            target=f"{i18n.smart(target, lang)} {unit}".strip(),
        )
        if row.get("progress") is not None and pd.notna(row.get("progress")):
            key = "tile.progress" if row["direction"] == "higher" else "tile.used"
            line += " · " + state.t(
                key, ytd=f"{i18n.smart(row['ytd'], lang)} {unit}".strip(), progress=i18n.pct(row["progress"], lang, 0)
            )
        elif row.get("target_aggregate") == "mean" and pd.notna(row.get("ytd")):
            line += " · " + state.t("tile.ytd_mean", value=f"{i18n.smart(row['ytd'], lang)} {unit}".strip())
        parts.append(f'<div class="ioc-tile-target">{esc(line)}</div>')
    threshold = row.get("threshold")
    if threshold is not None and pd.notna(threshold):
        line = state.t("tile.threshold", value=f"{i18n.smart(threshold, lang)} {unit}".strip())
        parts.append(f'<div class="ioc-tile-target">{esc(line)}</div>')
    if status != "none":  # a status only against a target or a threshold: none is no badge, not a grey one
        parts.append(f'<div class="ioc-tile-status ioc-chip-{cls}">{esc(state.t("status." + status))}</div>')
    partial = row.get("partial_period")
    if partial is not None and pd.notna(partial):  # a month in progress: said beside the last whole one
        small = pd.isna(row.get("partial_value")) and pd.notna(row.get("mask_below"))  # masked (see qi.mask)
        shown = masked_text(row) if small else f"{i18n.smart(row.get('partial_value'), lang)} {unit}".strip()
        line = state.t("tile.partial", period=i18n.period(partial, row["grain"], lang), value=shown)
        parts.append(f'<div class="ioc-tile-partial">{esc(line)}</div>')
    behind = row.get("behind")
    if behind is not None and pd.notna(behind) and behind >= 1:
        n = int(behind)
        unit = state.t(f"grain_unit.{row['grain']}{'' if n == 1 else 's'}")  # 1 month, 2 months
        stale = state.t("tile.stale", n=n, unit=unit)
        parts.append(f'<div class="ioc-tile-stale">⚠ {esc(stale)}</div>')
    if alerts:
        parts.append(f'<div class="ioc-tile-alerts">⚠ {esc(state.t("alerts.open_n", n=alerts))}</div>')
    parts.append("</div>")
    if href:
        parts = [f'<a class="ioc-tile-link" href="{esc(href)}" target="_self">', *parts, "</a>"]
    return "".join(parts)


def tiles(
    df: pd.DataFrame, sector_names: dict[str, str], link: bool = False, alerts: dict[str, int] | None = None
) -> None:
    """All tiles in one responsive grid: four across on a wide screen, two on a laptop, one on a phone; with
    `link`, each tile leads to its sector's page; `alerts`: open alerts by sector, said on the sector's tile."""
    lang = state.lang()
    cards = "".join(
        tile_html(
            r,
            lang,
            sector_names.get(r["sector"], r["sector"]),
            sector_href(r["sector"]) if link else None,
            (alerts or {}).get(r["sector"], 0),
        )
        for _, r in df.iterrows()
    )
    keep(state.t("xlsx.tiles"), tiles_frame(df, sector_names, lang))
    st.markdown(f'<div class="ioc-grid">{cards}</div>', unsafe_allow_html=True)


def tiles_frame(df: pd.DataFrame, sector_names: dict[str, str], lang: str) -> pd.DataFrame:
    """The tiles as a table, for the page's XLSX: the same figures, periods and statuses as the tiles."""
    t = state.t

    def value(r) -> object:
        return masked_text(r) if r.get("masked") else (None if pd.isna(r["value"]) else float(r["value"]))

    def change(r) -> str:
        shown = change_text(r, "change", lang)
        return shown[0] if shown else ""

    return pd.DataFrame(
        {
            t("xlsx.col_sector"): [sector_names.get(s, s) for s in df["sector"]],
            t("xlsx.col_indicator"): [i18n.name(r, lang) for _, r in df.iterrows()],
            t("xlsx.col_period"): [
                i18n.period(r["period"], r["grain"], lang) if pd.notna(r["period"]) else "" for _, r in df.iterrows()
            ],
            t("xlsx.col_value"): [value(r) for _, r in df.iterrows()],
            t("xlsx.col_unit"): [i18n.unit(u, lang) for u in df["unit"]],
            t("xlsx.col_change"): [change(r) for _, r in df.iterrows()],
            t("xlsx.col_target"): df["target_year"].tolist(),
            t("xlsx.col_threshold"): df["threshold"].tolist(),
            t("xlsx.col_status"): ["" if s == "none" else t("status." + s) for s in df["status"].fillna("none")],
        }
    )


def freshness_badges(source_names: list[str]) -> None:
    """One small badge per source: last good load, and a warning when it is late against its schedule."""
    status = {s["source"]: s for s in state.source_status()["sources"]}
    cfg, lang = state.config(), state.lang()
    out = []
    for name in source_names:
        s = status.get(name)
        if not s:
            continue
        state_key = s["state"]
        when = state.city_time(s["last_good"])
        label = state.t(
            # no good load to date (off, never loaded): the state alone, not "load off at –"
            "freshness.badge" if s["last_good"] else "freshness.badge_state",
            source=cfg.sources[name].label_in(lang),
            state=state.t("freshness." + state_key).lower(),  # the mark is the chip's own (below)
            time=when,
        )
        cls = tone(state_key)
        title = reason(s, lang)
        href = catalog_link(cfg.sources[name].table)  # the catalog says what is behind the badge
        out.append(
            f'<a class="ioc-fresh ioc-chip-{cls}" href="{esc(href)}" target="_self" title="{esc(title)}">'
            f"{'●' if cls == 'good' else '⚠'} {esc(label)}</a>"
        )
    if not out:
        return
    row = '<div class="ioc-fresh-row">' + "".join(out) + "</div>"
    bad = sum(1 for name in source_names if name in status and tone(status[name]["state"]) == "bad")
    if bad > 1 and bad * 2 > len(out):  # a warning on every badge stops meaning anything: one line, details on demand
        st.warning(state.t("freshness.many_late", n=bad, total=len(out)))
        with st.expander(state.t("freshness.details")):
            st.markdown(row, unsafe_allow_html=True)
        return
    st.markdown(row, unsafe_allow_html=True)


PAGE_FRAMES = "_page_frames"
PAGE_XLSX = "_page_xlsx_frames"
PAGE_TITLE = "_page_title"


def keep(title: str, df: pd.DataFrame) -> None:
    """Register what a chart or table on this page shows, for the page's XLSX download."""
    st.session_state.setdefault(PAGE_FRAMES, {})[title] = df


def page_xlsx(name: str, key: str = "dl_page", filters: dict[str, str] | None = None) -> None:
    """One XLSX of the whole page: first a sheet of what it holds (the page, its `filters` as the page shows
    them, the snapshot, when it was made), then a sheet per chart or table registered with keep() during this
    run. Written when the button is clicked (Streamlit calls `data`), not at every page run."""
    frames = st.session_state.pop(PAGE_FRAMES, {})
    if not frames:
        return
    t = state.t
    path = state.snapshot_path()
    about: dict[str, object] = {t("xlsx.page"): st.session_state.get(PAGE_TITLE, name)}
    about |= filters or {}
    about[t("xlsx.snapshot")] = path.stem if path else "–"
    about[t("xlsx.made")] = i18n.datetime(pd.Timestamp(state.now()))
    about[t("xlsx.note")] = t("xlsx.note_text")
    st.session_state[PAGE_XLSX] = frames  # what the button writes when clicked (and what tests read)
    tables.download(
        t("app.download_page"),
        lambda: xlsx_bytes(frames, about),
        file_name=f"{name}.xlsx",
        key=key,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        rows=sum(len(df) for df in frames.values()),
    )


def xlsx_bytes(frames: dict[str, pd.DataFrame], about: dict[str, object] | None = None) -> bytes:
    """A workbook: what it holds (`about`), then a sheet per frame named by its title (over more sheets
    when a frame passes Excel's rows: ioc.exports.Workbook)."""
    import io

    from ioc.exports import Workbook

    wb = Workbook(about)
    for title, df in frames.items():
        wb.table(title, [str(c) for c in df.columns], df.itertuples(index=False))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def whole_counts(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with float columns holding only whole numbers as integers: a count is 419, not 419.0."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_float_dtype(col) and col.dropna().apply(float.is_integer).all() and col.notna().any():
            out[c] = col.astype("Int64")
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A page's table as the one CSV convention: counts as integers, and a text a spreadsheet would run as a
    formula made plain text (exports.safe_text), in cells and headers."""
    safe = whole_counts(df).rename(columns=lambda c: exports.safe_text(str(c)))
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            safe[c] = safe[c].map(exports.safe_text)
    return safe.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig")


def download_csv(df: pd.DataFrame, name: str, key: str, title: str | None = None) -> None:
    """The table as CSV in the one convention of every CSV here (ioc.exports: UTF-8 with a BOM, `,` between
    fields, `.` before decimals), said on the button. It also goes into the page's XLSX (under `title`, else
    the file name)."""
    keep(title or name, df)
    tables.download(
        state.t("app.download_csv"),
        lambda: csv_bytes(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        rows=len(df),
        help=state.t("analyst.download_csv"),
    )


def chart(figure: charts.AnyChart) -> None:
    """A chart drawn across the width of its column."""
    st.altair_chart(figure, width="stretch")


def bars(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    x_title: str,
    y_title: str = "",
    colour: str = "colour",
    key: str | None = None,
    select: str | None = None,
) -> str | None:
    """Horizontal bars in their own colours (charts.ranked_bars), drawn. With `key` and `select`, a click on a
    bar is answered once: the value of `select` of the bar clicked, else None."""
    figure = charts.ranked_bars(
        df,
        x=x,
        y=y,
        colour=colour,
        title=title,
        x_title=x_title,
        y_title=y_title,
        lang=state.lang(),
        select=select if key else None,
    )
    if key is None or select is None:
        chart(figure)
        return None
    event = st.altair_chart(figure, width="stretch", on_select="rerun", key=key)
    return state.fresh_pick(key, charts.picked(event, select))  # fmt: skip


def colour(name: str) -> str:
    return COLOURS[name]


def kpi(label: str, value: str, sub: str = "", accent: str | None = None, text_colour: str = "#111") -> str:
    """A small figure card; accent colours its left edge and, for AQI, its value chip."""
    style = f' style="border-left-color:{esc(accent)}"' if accent else ""
    chip = (
        f'<span class="ioc-kpi-chip" style="background:{esc(accent)};color:{esc(text_colour)}">{esc(value)}</span>'
        if accent
        else esc(value)
    )
    return (
        f'<div class="ioc-kpi"{style}><div class="ioc-kpi-label">{esc(label)}</div>'
        f'<div class="ioc-kpi-value">{chip}</div><div class="ioc-kpi-sub">{esc(sub)}</div></div>'
    )


def html_row(cards: list[str]) -> None:
    cols = st.columns(len(cards))
    for col, card in zip(cols, cards):
        col.markdown(card, unsafe_allow_html=True)


def legend(items: list[tuple[str, str, str]]) -> None:
    """(label, background, text colour) chips in one line."""
    chips = "".join(
        f'<span style="background:{esc(bg)};color:{esc(fg)}">{esc(label)}</span>' for label, bg, fg in items
    )
    st.markdown(f'<div class="ioc-legend">{chips}</div>', unsafe_allow_html=True)


def period_filter(
    container, label: str, first: dt.date, last: dt.date, default: tuple[dt.date, dt.date], key: str = "period"
) -> tuple[dt.date, dt.date]:
    """A page's period: a date range within the data's first and last day, bound to ?period=A..B (ISO
    dates); a bookmarked range is clipped to what the data covers."""

    def parse(text: str) -> tuple[dt.date, dt.date] | None:
        a, b = (dt.date.fromisoformat(x) for x in text.split(".."))
        a, b = max(a, first), min(b, last)
        return (a, b) if a <= b else None

    held = st.session_state.get(key)  # a period another page left in the session: clipped to this page's data
    if isinstance(held, (tuple, list)) and held:
        a, b = date_bounds(held, default)
        a, b = max(a, first), min(b, last)
        st.session_state[key] = (a, b) if a <= b else default
    return state.bound(
        container.date_input,
        label,
        key,
        default,
        parse=parse,
        clean=lambda v: date_bounds(v, default),
        dump=lambda p: f"{p[0].isoformat()}..{p[1].isoformat()}",
        min_value=first,
        max_value=last,
        format="DD/MM/YYYY",
    )


def date_bounds(value, default: tuple):
    """A date_input's value as (start, end): half-picked ranges count as one day; nothing → default."""
    if isinstance(value, (tuple, list)):
        if len(value) == 2:
            return value[0], value[1]
        return (value[0], value[0]) if value else default
    return (value, value) if value else default
