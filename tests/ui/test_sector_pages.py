"""Every sector without a page of its own gets one from the indicator layer: it runs, and filters come from the URL."""

from __future__ import annotations

import pytest

from ioc.config import load_config
from tests.ui.conftest import ARTIFACTS, ROOT
from tests.ui.test_browser import _no_traceback, _open, browser, page  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

SECTORS = [s.code for s in load_config(ROOT / "config.yaml").sectors if s.code != "env"]


@pytest.mark.parametrize("code", SECTORS)
def test_sector_page_draws_without_error(page, served_app: str, code: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 5000})  # the whole page in view, so all of it is drawn
    _open(page, f"{served_app}/{code}")
    page.wait_for_selector(
        '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas', timeout=60_000
    )
    _no_traceback(page)
    assert page.locator(".ioc-tile").count() >= 1
    assert "Không hiển thị được phần này" not in page.inner_text("body")
    assert not page.errors, page.errors
    page.wait_for_timeout(1500)  # deck.gl and Vega finish drawing after the script run ends
    # deck.gl and Vega write their errors into the element ("Error: Function calls not allowed ...")
    assert "Error:" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / f"sector_{code}.png"))


@pytest.mark.parametrize("path", ["phan-anh", "catalog", "sql"])
def test_other_pages_draw_without_error(page, served_app: str, path: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 3000})
    _open(page, f"{served_app}/{path}")
    _no_traceback(page)
    assert "Không hiển thị được phần này" not in page.inner_text("body")
    assert not page.errors, page.errors
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / f"page_{path}.png"))


def test_sector_filters_come_from_the_url(page, served_app: str) -> None:
    _open(page, f"{served_app}/admin?si=ADMIN_DOSSIERS_RECEIVED&ward=25747&period=2025-01-01..2025-12-31")
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg', timeout=60_000)
    _no_traceback(page)
    body = page.inner_text("body")
    assert "Phú Cường" in body and "Hồ sơ tiếp nhận" in body
    assert "ward=25747" in page.url
    link = page.locator('a[href*="ward?ward=25747"]')  # the ward's profile, one click away
    assert link.count() >= 1 and "Phú Cường" in link.first.inner_text()


def _idle(page) -> None:
    """Until the rerun a click caused has finished (Streamlit's status widget gone)."""
    page.wait_for_timeout(1500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(800)


def _click_bar(page, chart: int, bar: int) -> None:
    mark = page.locator('[data-testid="stVegaLiteChart"] svg g.mark-rect').nth(chart).locator("path").nth(bar)
    mark.scroll_into_view_if_needed()
    mark.click()
    _idle(page)


def test_clicks_on_bars_and_the_map_filter_the_page(page, served_app: str) -> None:
    _open(page, f"{served_app}/admin")
    page.get_by_role("heading", name="Hồ sơ trễ hạn").wait_for(timeout=60_000)
    _idle(page)
    _click_bar(page, 0, 2)  # the wards ranked: the third ward's bar
    assert "ward=" in page.url
    first = page.url.split("ward=")[1][:5]
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)  # a ward on the map
    _idle(page)
    assert "ward=" in page.url and page.url.split("ward=")[1][:5] != first
    _click_bar(page, 1, 0)  # late dossiers by agency: the agency with the most
    assert "cat=agency" in page.url
    assert "Đang lọc các biểu đồ chi tiết: Cơ quan" in page.inner_text("body")
    page.get_by_role("button", name="Bỏ lọc").click()
    _idle(page)
    assert "cat=" not in page.url and "ward=" in page.url  # cleared, and not set again by the chart
    _no_traceback(page)
    assert "Không hiển thị được phần này" not in page.inner_text("body")
