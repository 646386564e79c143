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

from ioc import i18n
from ioc.errors import IOCError, NoSnapshotError
from ioc.status import tone
from ioc.ui import charts, state
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


def setup_page() -> None:
    st.markdown(CSS, unsafe_allow_html=True)  # static CSS only, no data


def page_header(title: str, subtitle: str = "", sources: list[str] | None = None) -> None:
    """Title, subtitle, the snapshot's time and the sample-data mark when any shown source is sample data."""
    setup_page()
    st.session_state[PAGE_FRAMES] = {}  # this run's tables, for page_xlsx()
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


def tile_html(row: pd.Series, lang: str, sector_name: str) -> str:
    """A KPI tile: latest value, change (coloured by the indicator's direction), target and status."""
    name = i18n.name(row, lang)
    unit = i18n.unit(row["unit"], lang)
    masked = bool(row.get("masked", False))
    has_value = pd.notna(row.get("value")) or masked
    value = (masked_text(row) if masked else i18n.smart(row["value"], lang)) if has_value else state.t("tile.no_value")
    period = i18n.period(row["period"], row["grain"], lang) if has_value else ""
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
        pp = row.get(f"{key}_pp")
        ch = pp if pp is not None and pd.notna(pp) else row.get(f"{key}_pct")
        if ch is not None and pd.notna(ch):
            good = (ch > 0) == (row["direction"] == "higher") if abs(ch) >= 0.05 else None
            dcls = "flat" if good is None else ("up-good" if good else "up-bad")
            arrow = "▲" if ch > 0.05 else ("▼" if ch < -0.05 else "▶")
            shown = (
                state.t("tile.points", n=i18n.num(ch, lang, 1, signed=True))
                if pp is not None and pd.notna(pp)
                else i18n.pct(ch, lang, 1, signed=True)
            )
            parts.append(
                f'<div class="ioc-tile-delta ioc-{dcls}">{arrow} {esc(shown)} '
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
    behind = row.get("behind")
    if behind is not None and pd.notna(behind) and behind >= 1:
        stale = state.t("tile.stale", n=int(behind), unit=state.t("grain_unit." + row["grain"]))
        parts.append(f'<div class="ioc-tile-stale">⚠ {esc(stale)}</div>')
    parts.append("</div>")
    return "".join(parts)


def tiles(df: pd.DataFrame, sector_names: dict[str, str]) -> None:
    """All tiles in one responsive grid: four across on a wide screen, two on a laptop, one on a phone."""
    lang = state.lang()
    cards = "".join(tile_html(r, lang, sector_names.get(r["sector"], r["sector"])) for _, r in df.iterrows())
    st.markdown(f'<div class="ioc-grid">{cards}</div>', unsafe_allow_html=True)


def freshness_badges(source_names: list[str]) -> None:
    """One small badge per source: last good load, and a warning when it is late against its schedule."""
    status = {s["source"]: s for s in state.source_status()["sources"]}
    cfg = state.config()
    out = []
    for name in source_names:
        s = status.get(name)
        if not s:
            continue
        state_key = s["state"]
        when = state.city_time(s["last_good"])
        label = state.t(
            "freshness.badge",
            source=cfg.sources[name].label,
            state=state.t("freshness." + state_key).lower(),  # the mark is the chip's own (below)
            time=when,
        )
        cls = tone(state_key)
        title = s["reason"] or ""
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


def keep(title: str, df: pd.DataFrame) -> None:
    """Register what a chart or table on this page shows, for the page's XLSX download."""
    st.session_state.setdefault(PAGE_FRAMES, {})[title] = df


def page_xlsx(name: str, key: str = "dl_page") -> None:
    """One XLSX of the whole page: a sheet per chart or table registered with keep() during this run.
    Written when the button is clicked (Streamlit calls `data`), not at every page run."""
    frames = st.session_state.pop(PAGE_FRAMES, {})
    if not frames:
        return
    st.session_state[PAGE_XLSX] = frames  # what the button writes when clicked (and what tests read)
    st.download_button(
        state.t("app.download_page"),
        lambda: xlsx_bytes(frames),
        file_name=f"{name}.xlsx",
        key=key,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """A workbook with a sheet per frame, named by its title (Excel's 31 characters, no []:*?/\\)."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    used: set[str] = set()
    for title, df in frames.items():
        sheet = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
        while sheet in used:
            sheet = sheet[:28] + f"_{len(used)}"
        used.add(sheet)
        ws = wb.create_sheet(sheet)
        head = []
        for c in df.columns:
            cell = WriteOnlyCell(ws, value=str(c))
            cell.font = Font(bold=True)
            head.append(cell)
        ws.append(head)
        for row in df.itertuples(index=False):
            ws.append(
                [
                    None
                    if (v is None or (isinstance(v, float) and v != v))
                    else (v.to_pydatetime() if hasattr(v, "to_pydatetime") else v)
                    for v in row
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download_csv(df: pd.DataFrame, name: str, key: str, title: str | None = None) -> None:
    """CSV as the user's Excel reads it: in Vietnamese, `;` between fields and `,` in numbers; UTF-8 with BOM.
    The table also goes into the page's XLSX (under `title`, else the file name)."""
    keep(title or name, df)
    vi = state.lang() == "vi"
    data = df.to_csv(index=False, sep=";" if vi else ",", decimal="," if vi else ".").encode("utf-8-sig")
    st.download_button(state.t("app.download_csv"), data, file_name=f"{name}.csv", mime="text/csv", key=key)


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
