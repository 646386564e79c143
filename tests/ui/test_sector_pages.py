"""Every sector without a page of its own gets one from the indicator layer: it runs, and filters come from the URL."""
from __future__ import annotations

import pytest

from ioc.config import load_config
from tests.ui.conftest import ROOT
from tests.ui.test_browser import _no_traceback, _open, browser, page  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

SECTORS = [s.code for s in load_config(ROOT / "config.yaml").sectors if s.code != "env"]


@pytest.mark.parametrize("code", SECTORS)
def test_sector_page_draws_without_error(page, served_app: str, code: str) -> None:
    _open(page, f"{served_app}/{code}")
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas', timeout=60_000)
    _no_traceback(page)
    assert page.locator(".ioc-tile").count() >= 1
    assert "Không hiển thị được phần này" not in page.inner_text("body")


def test_sector_filters_come_from_the_url(page, served_app: str) -> None:
    _open(page, f"{served_app}/admin?si=ADMIN_DOSSIERS_RECEIVED&ward=25747&period=2025-01-01..2025-12-31")
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg', timeout=60_000)
    _no_traceback(page)
    body = page.inner_text("body")
    assert "Phú Cường" in body and "Hồ sơ tiếp nhận" in body
    assert "ward=25747" in page.url
