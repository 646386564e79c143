"""A headline number is one number: the tile on the overview, the tile on its sector page, the sheet of the
page's XLSX, the ward profile's city figure and the kiosk's tile say the same value for the same period."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ioc import i18n
from ioc.queries import indicators as qi
from ioc.queries import ward as qw
from ioc.warehouse import Warehouse
from tests.ui.test_sector_apptest import CFG, _run

pytestmark = pytest.mark.usefixtures("sample_data")
TODAY = dt.date.today()  # what the pages pass (state.today(): city time; the sample ends months before)
SECTORS = [s.code for s in CFG.sectors if not s.page]


@pytest.fixture(scope="module")
def summary(sample_data: Path) -> pd.DataFrame:
    with Warehouse(sample_data / "warehouse").connect() as con:
        return qi.summary(con, today=TODAY).set_index("code")


def _tile_texts(markdown: str) -> str:
    return html.unescape(markdown)


@pytest.mark.parametrize("code", SECTORS)
def test_the_sector_tiles_and_the_xlsx_hold_the_indicator_layers_numbers(code: str, summary: pd.DataFrame) -> None:
    from ioc.ui import components

    at = _run(code)
    assert not at.exception, at.exception
    text = _tile_texts("\n".join(m.value for m in at.markdown))
    sheet = at.session_state[components.PAGE_XLSX][i18n.t("xlsx.tiles", "vi")]
    mine = summary[summary["sector"] == code]
    assert len(sheet) == len(mine) > 0
    by_name = sheet.set_index(i18n.t("xlsx.col_indicator", "vi"))
    for ind, r in mine.iterrows():
        if r["masked"] or pd.isna(r["value"]):
            continue
        shown = i18n.smart(r["value"], "vi")
        assert f">{shown}<" in text, (ind, shown)  # the tile's value
        row = by_name.loc[r["name_vi"]]
        assert row[i18n.t("xlsx.col_value", "vi")] == pytest.approx(r["value"]), ind
        assert row[i18n.t("xlsx.col_period", "vi")] == i18n.period(r["period"], r["grain"], "vi"), ind


def test_the_overview_tiles_are_the_sector_tiles(summary: pd.DataFrame) -> None:
    at = AppTest.from_file("../../app.py", default_timeout=120).run()
    assert not at.exception, at.exception
    text = _tile_texts("\n".join(m.value for m in at.markdown))
    headline = summary[summary["headline"]].reset_index()
    first = headline.drop_duplicates("sector")  # the overview's tile per sector: its first headline
    assert len(first) >= 10
    for r in first.itertuples():
        if not r.masked and pd.notna(r.value):
            assert f">{i18n.smart(r.value, 'vi')}<" in text, r.code
    for s in CFG.sectors:  # the whole tile leads to its sector's page
        if s.code in set(first["sector"]):
            assert f'href="{s.url}?lang=vi"' in text, s.code


def test_the_ward_profile_reads_the_citys_figure_of_the_tiles_period(sample_data: Path, summary) -> None:
    with Warehouse(sample_data / "warehouse").connect() as con:
        profile = qw.indicators(con, "25747", TODAY).set_index("code")
    checked = 0
    for code, r in profile.iterrows():
        tile = summary.loc[code]
        if r["period"] == tile["period"] and not r["city_masked"] and pd.notna(tile["value"]):
            assert r["city_value"] == pytest.approx(tile["value"]), code
            checked += 1
    assert checked >= 10


def test_the_kiosk_tiles_are_the_same_numbers(summary: pd.DataFrame) -> None:
    from tests.ui.test_kiosk_pages import _html
    from tests.ui.test_kiosk_pages import _run as _wall

    text = html.unescape(_html(_wall(kiosk="main", page="overview")))
    assert text.count('class="ioc-tile ') == 14
    first = summary[summary["headline"]].reset_index().drop_duplicates("sector")
    for r in first.itertuples():  # the wall's overview panel: the overview's tiles, the same numbers
        if not r.masked and pd.notna(r.value):
            assert f">{i18n.smart(r.value, 'vi')}<" in text, r.code
