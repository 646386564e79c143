"""What citizens type reaches the browser as text: the sample's report titled <script>alert('xss')</script>, the
one titled with a spreadsheet formula and the reporter named <img onerror> run nothing in a real browser, show
their characters on the public results page and in the SQL console, and stay inert in the exported files."""

from __future__ import annotations

import duckdb
import pytest

from ioc import exports
from ioc.config import load_config
from ioc.warehouse import Warehouse
from tests.serving import READY
from tests.ui.conftest import ROOT
from tests.ui.test_browser import browser, page  # noqa: F401 - its Chromium fixtures

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert('xss')</script> Ngập nước sau mưa"
FORMULA = '=HYPERLINK("http://evil.example","Bấm vào đây")'


@pytest.fixture(scope="module")
def payloads(sample_data) -> dict[str, str]:
    """Report id → title of the sample's hostile reports."""
    cfg = load_config(ROOT / "config.yaml")
    con = duckdb.connect(str(Warehouse(cfg.data_path / "warehouse").current_path()), read_only=True)
    try:
        rows = con.execute("SELECT report_id, title FROM citizen_reports WHERE title IN (?, ?)", [SCRIPT, FORMULA])
        found = dict(rows.fetchall())
    finally:
        con.close()
    assert set(found.values()) == {SCRIPT, FORMULA}
    return found


def _watch(page) -> list[str]:
    dialogs: list[str] = []

    def seen(d) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", seen)
    page.add_init_script("window.__ran = []; const a = window.alert; window.alert = m => window.__ran.push(m);")
    return dialogs


def _ran(page) -> list:
    return page.evaluate("window.__ran || []")


def test_a_hostile_title_shows_as_text_on_the_public_page(page, served_app, payloads) -> None:
    dialogs = _watch(page)
    for code, title in payloads.items():
        page.goto(f"{served_app}/phan-anh?ma={code}")
        page.wait_for_function(READY, timeout=90_000)
        page.wait_for_timeout(500)
        assert title in page.inner_text('[data-testid="stMain"]')
    assert dialogs == [] and _ran(page) == []
    assert page.locator("img[src=x]").count() == 0


def test_hostile_values_show_as_text_in_the_sql_console(page, served_app, payloads) -> None:
    dialogs = _watch(page)
    page.goto(served_app + "/sql")
    page.wait_for_function(READY, timeout=90_000)
    query = (
        "SELECT report_id, title, reporter_name FROM citizen_reports "
        "WHERE report_id IN ('" + "', '".join(sorted(payloads)) + "') ORDER BY report_id"
    )
    area = page.locator('[data-testid="stTextArea"] textarea').first
    area.fill(query)
    area.press("Control+Enter")
    page.get_by_role("button", name="Chạy", exact=True).click()
    page.wait_for_function(READY, timeout=90_000)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    page.wait_for_timeout(1000)
    assert dialogs == [] and _ran(page) == []
    assert page.locator("img[src=x]").count() == 0  # the reporter named <img onerror> drew no image


def test_hostile_values_stay_inert_in_the_exports(sample_data, payloads, tmp_path) -> None:
    import csv
    import io

    import openpyxl

    cfg = load_config(ROOT / "config.yaml")
    query = "SELECT report_id, title FROM citizen_reports WHERE report_id IN (?, ?) ORDER BY report_id"
    ids = sorted(payloads)
    text = exports.export_query(cfg, query, ids, "csv").decode("utf-8-sig")
    cells = {row[0]: row[1] for row in csv.reader(io.StringIO(text))}
    by_title = {v: k for k, v in payloads.items()}
    assert cells[by_title[FORMULA]] == "'" + FORMULA  # plain text in a spreadsheet, not a formula
    assert cells[by_title[SCRIPT]] == SCRIPT  # markup is only characters in a CSV
    book = openpyxl.load_workbook(io.BytesIO(exports.export_query(cfg, query, ids, "xlsx")))
    values = [c.value for row in book.worksheets[-1].iter_rows() for c in row]
    assert "'" + FORMULA in values and FORMULA not in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
