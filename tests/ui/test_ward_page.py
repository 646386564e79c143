"""The ward profile: default ward, ward from the URL, English, numbers equal to SQL on the sample snapshot,
calm messages for missing tables, and the map drawn in Chromium (also reached from the overview's map)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ioc import i18n
from ioc.config import load_config
from ioc.queries import public
from ioc.queries import ward as qw
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_browser import _no_traceback, _open, browser, page  # noqa: F401 - shared fixtures

RULES = public.Rules.of(load_config(Path(__file__).resolve().parents[2] / "config.yaml"))  # open and late, as declared

PAGE = "pages/ward.py"


def _ward_page(**params: str) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.switch_page(PAGE)  # a deep link: the page's own URL with its query
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _elements(at: AppTest, kind: str) -> list:
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == kind:
            found.append(node)
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else []:
            walk(child)

    walk(at._tree)
    return found


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _snapshot(data: Path) -> Path:
    from ioc.warehouse import Warehouse

    return Warehouse(data / "warehouse").current_path()


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    from ioc.config import load_config

    return dt.datetime.now(ZoneInfo(load_config().city.timezone)).date()


@pytest.mark.usefixtures("sample_data")
def test_the_first_ward_by_default_with_its_map_and_figures() -> None:
    at = _ward_page()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Hồ sơ phường Hiệp Thành"]
    assert at.selectbox(key="ward").value == "25741"
    assert not at.warning, [w.value for w in at.warning]
    spec = json.loads(_elements(at, "deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert len(layers["wards"]["data"]["features"]) == 14
    assert [f["properties"]["code"] for f in layers["ward-selected"]["data"]["features"]] == ["25741"]
    assert "TileLayer" not in json.dumps(spec)  # no basemap from the internet
    text = _markdown(at)
    assert text.count('class="ioc-kpi"') >= 6
    assert text.count('class="ioc-wsec"') >= 10  # a card per sector with ward values


def test_the_ward_from_the_url_and_its_numbers_equal_sql(sample_data: Path) -> None:
    at = _ward_page(ward="25747")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Hồ sơ phường Phú Cường"]
    assert at.selectbox(key="ward").value == "25747"
    text = _markdown(at)
    today = _today()
    with duckdb.connect(str(_snapshot(sample_data)), read_only=True) as con:
        end = con.execute("SELECT max(occurred_on) FROM security_accidents WHERE occurred_on <= ?", [today]).fetchone()[
            0
        ]
        end = end.date() if isinstance(end, dt.datetime) else end
        cases, deaths, injuries = con.execute(
            """
            SELECT count(*), sum(deaths), sum(injuries) FROM security_accidents
            WHERE ward_code = '25747' AND occurred_on BETWEEN ? AND ?""",
            [dt.date(end.year, 1, 1), end],
        ).fetchone()
        prev = con.execute(
            """
            SELECT count(*) FROM security_accidents
            WHERE ward_code = '25747' AND occurred_on BETWEEN ? AND ?""",
            [dt.date(end.year - 1, 1, 1), end.replace(year=end.year - 1)],
        ).fetchone()[0]
        schools, pupils, teachers = con.execute("""
            SELECT count(*), sum(pupils), sum(teachers) FROM education_schools
            WHERE ward_code = '25747' AND school_year = (SELECT max(school_year) FROM education_schools)""").fetchone()
        ontime, city_ontime = con.execute("""
            WITH p AS (SELECT max(period) AS p FROM indicator_value
                       WHERE code = 'ADMIN_ONTIME_RATE' AND ward_code IS NOT NULL)
            SELECT max(value) FILTER (WHERE ward_code = '25747'), max(value) FILTER (WHERE ward_code IS NULL)
            FROM indicator_value, p WHERE code = 'ADMIN_ONTIME_RATE' AND period = p.p""").fetchone()
        rank = con.execute("""
            WITH p AS (SELECT max(period) AS p FROM indicator_value
                       WHERE code = 'ADMIN_ONTIME_RATE' AND ward_code IS NOT NULL)
            SELECT 1 + count(*) FROM indicator_value, p
            WHERE code = 'ADMIN_ONTIME_RATE' AND period = p.p AND ward_code IS NOT NULL
              AND value > (SELECT value FROM indicator_value, p
                           WHERE code = 'ADMIN_ONTIME_RATE' AND period = p.p AND ward_code = '25747')""").fetchone()[0]
    assert f"{deaths} chết, {injuries} bị thương · cùng kỳ {end.year - 1}: {prev} vụ" in text
    assert f'<div class="ioc-kpi-value">{cases} vụ</div>' in text
    assert f'<div class="ioc-kpi-value">{schools}</div>' in text
    assert f"{i18n.num(pupils)} học sinh · {i18n.num(pupils / teachers, 'vi', 1)} học sinh/giáo viên" in text
    assert f"Từ 01/01 đến {i18n.date(end)} so với cùng kỳ năm {end.year - 1}" in [c.value for c in at.caption]
    row = text[text.index("Tỷ lệ hồ sơ giải quyết đúng hạn") :]
    row = row[: row.index("</tr>")]
    assert f"{i18n.smart(ontime)} " in row and f">{i18n.smart(city_ontime)}<" in row and f">{rank}/14<" in row


def test_citizen_report_counts_equal_sql(sample_data: Path) -> None:
    now = dt.datetime(2026, 11, 26, 8, 0)
    with duckdb.connect(str(_snapshot(sample_data)), read_only=True) as con:
        got = qw.reports(con, RULES, "25747", now).iloc[0]
        end = con.execute("SELECT max(created_at) FROM citizen_reports WHERE created_at <= ?", [now]).fetchone()[0]
        start = end.date() - dt.timedelta(days=29)
        want = con.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL),
                   count(*) FILTER (WHERE (resolved_at IS NULL AND due_at < now()::TIMESTAMP) OR resolved_at > due_at)
            FROM citizen_reports WHERE ward_code = '25747' AND created_at >= ? AND created_at <= ?""",
            [start, end],
        ).fetchone()
    assert (got["received"], got["open"], got["overdue"]) == want
    assert got["start"] == start and got["end"] == end.date()


def test_ranks_are_best_first_and_small_counts_stay_masked(sample_data: Path) -> None:
    with duckdb.connect(str(_snapshot(sample_data)), read_only=True) as con:
        df = qw.indicators(con, "25747").set_index("code")
        lowest = con.execute("""
            WITH p AS (SELECT max(period) AS p FROM indicator_value
                       WHERE code = 'ADMIN_RESOLUTION_DAYS' AND ward_code IS NOT NULL)
            SELECT arg_min(ward_code, value) FROM indicator_value, p
            WHERE code = 'ADMIN_RESOLUTION_DAYS' AND period = p.p AND ward_code IS NOT NULL""").fetchone()[0]
        best = qw.indicators(con, lowest).set_index("code")
    assert best.loc["ADMIN_RESOLUTION_DAYS", "rank"] == 1  # fewer days is better
    masked = df[df["masked"]]
    assert masked["value"].isna().all()  # a count of 1–4 people never leaves the query


def test_the_cards_have_no_rank_column_when_no_indicator_has_a_rank(sample_data: Path) -> None:
    """A ward official's copy holds their ward alone: no rank anywhere, so no column of dashes."""
    from ioc import i18n
    from ioc.ui import ward_profile

    with duckdb.connect(str(_snapshot(sample_data)), read_only=True) as con:
        df = qw.indicators(con, "25747")
    t = lambda key, **kw: i18n.t(key, "vi", **kw)  # noqa: E731
    head = f"<th>{i18n.t('ward.col_rank', 'vi')}</th>"
    assert head in ward_profile.indicator_cards(df, [], {}, "vi", t)
    alone = df.assign(rank=pd.array([pd.NA] * len(df), dtype="Int64"))
    assert head not in ward_profile.indicator_cards(alone, [], {}, "vi", t)


def _copy_without(sample_data: Path, tmp_path: Path, statements: list[str]) -> Path:
    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    with duckdb.connect(str(_snapshot(data))) as con:
        for sql in statements:
            con.execute(sql)
    return data


def test_missing_tables_and_a_ward_without_accidents_show_messages(
    sample_data: Path, tmp_path: Path, monkeypatch
) -> None:
    data = _copy_without(
        sample_data,
        tmp_path,
        [
            "DROP TABLE citizen_reports",
            "DROP TABLE education_schools",
            "DROP TABLE env_stations",
            f"DELETE FROM security_accidents WHERE ward_code = '25765' AND year(occurred_on) >= {_today().year - 1}",
        ],
    )
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    at = _ward_page(ward="25765")
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]
    infos = [i.value for i in at.info]
    for key in ("ward.reports_missing", "ward.schools_missing", "ward.air_missing"):
        assert i18n.t(key) in infos, (key, infos)
    assert i18n.t("ward.no_accidents") in infos
    assert _elements(at, "deck_gl_json_chart")  # the map still draws


@pytest.mark.usefixtures("sample_data")
def test_in_english() -> None:
    at = _ward_page(ward="25747", lang="en")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Ward profile: Phu Cuong"]
    text = _markdown(at)
    assert (
        "Traffic accidents in" in text
        and "Targets met" in text
        and "Indicators by sector" in [s.value for s in at.subheader]
    )


@pytest.mark.usefixtures("sample_data")
def test_a_sector_page_ward_carries_over() -> None:
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.switch_page("pages/overview.py").run()
    at.session_state["_url_filters"] = {"ward": "25756"}  # picked on a sector page earlier in the session
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Hồ sơ phường Chánh Nghĩa"]


# ------------------------------------------------------------------------------------------------ Chromium


def _ready_map(page):
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    time.sleep(1.5)  # deck.gl draws after the canvas appears
    return canvas.bounding_box()


def _click(page, box: dict, fx: float, fy: float) -> None:
    x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
    page.mouse.move(x, y)  # deck.gl picks what the pointer is over: a click without a move picks nothing
    time.sleep(0.5)
    page.mouse.click(x, y)


@pytest.mark.browser
def test_the_profile_draws_in_chromium(page, served_app: str) -> None:
    _open(page, f"{served_app}/ward?ward=25747")
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=60_000)
    _no_traceback(page)
    body = page.inner_text("body")
    assert "Hồ sơ phường Phú Cường" in body and "Không hiển thị được phần này" not in body
    assert page.locator(".ioc-kpi").count() >= 6
    assert page.locator(".ioc-wsec").count() >= 10
    assert "ward=25747" in page.url
    time.sleep(1.5)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ward.png"), full_page=True)
    assert not page.errors, page.errors


@pytest.mark.browser
def test_a_click_on_the_overview_map_opens_the_ward_profile(page, served_app: str) -> None:
    _open(page, served_app + "/")
    box = _ready_map(page)
    _click(page, box, 0.5, 0.5)
    page.wait_for_function("() => location.pathname.endsWith('/ward')", timeout=60_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('h1')).some(h => h.innerText.startsWith('Hồ sơ phường'))",
        timeout=60_000,
    )
    _no_traceback(page)
    time.sleep(1)
    assert page.locator("h1").first.bounding_box()["y"] < 200  # opens at its top, not where the overview was
    first = page.locator("h1").first.inner_text()
    # and a click on another ward of the profile's map opens that ward
    box = _ready_map(page)
    _click(page, box, 0.5, 0.2)
    page.wait_for_function(
        f"() => document.querySelector('h1') && document.querySelector('h1').innerText !== {first!r}", timeout=60_000
    )
    _no_traceback(page)
    assert "ward=" in page.url


def test_the_link_helper_points_at_the_profile(tmp_path: Path) -> None:
    from tests.ui.conftest import ROOT

    app = tmp_path / "nav.py"
    app.write_text(
        "import streamlit as st\n"
        "from ioc.ui.ward_link import ward_profile_link\n"
        "def home():\n"
        "    ward_profile_link('25747')\n"
        f"st.navigation([st.Page(home, title='h', default=True), "
        f"st.Page({str(ROOT / 'pages/ward.py')!r}, url_path='ward')]).run()\n",
        encoding="utf-8",
    )
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception, at.exception
    link = _elements(at, "page_link")[0].proto
    assert (link.page, link.query_string, link.label) == ("ward", "ward=25747", "Hồ sơ phường Phú Cường")
