"""The served app in headless Chromium: pages load without a traceback, charts and maps are drawn."""

from __future__ import annotations

import pytest

from tests.serving import ARGS, CHROMIUM, READY
from tests.ui.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    yield pg
    ctx.close()


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY, timeout=90_000)


def _no_traceback(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.inner_text("body")


# the deep link first: a fresh server's first session must still run app.py's navigation
@pytest.mark.parametrize("path, name", [("/environment", "environment"), ("/", "overview")])
def test_page_draws_chart_and_map(page, served_app: str, path: str, name: str) -> None:
    _open(page, served_app + path)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=60_000)
    page.wait_for_selector(
        '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas', timeout=60_000
    )
    _no_traceback(page)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Tổng quan" in nav and "Giám sát chất lượng môi trường" in nav, nav  # the sector's one name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_environment_filters_live_in_the_url(page, served_app: str) -> None:
    _open(page, served_app + "/environment?pol=pm10&grain=hour")
    page.wait_for_selector(
        '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas', timeout=60_000
    )
    _no_traceback(page)
    assert "pol=pm10" in page.url and "grain=hour" in page.url
    assert "PM10" in page.inner_text("body")


def test_health_route_reports_the_snapshot(served_app: str) -> None:
    import requests

    body = requests.get(served_app + "/api/health", timeout=10).json()
    assert body["ok"] is True and body["snapshot"]["id"]
    assert {s["source"] for s in body["sources"]} >= {"weather"}


def test_explorer_url_draws_the_slice(page, served_app: str) -> None:
    query = "t=admin_dossiers&g=ward_code&tg=month:received_at&f=online:eq:true"
    _open(page, f"{served_app}/explorer?{query}")
    page.wait_for_selector(
        '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas', timeout=60_000
    )
    _no_traceback(page)
    body = page.inner_text("body")
    assert "Nộp trực tuyến (online) = Có" in body and "Tháng" in body
    from urllib.parse import unquote

    assert all(part in unquote(page.url) for part in query.split("&")), page.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)


def test_a_tablet_opens_on_the_page_and_names_are_whole(browser, served_app: str) -> None:
    """At 1024 × 768 the sidebar starts closed, so the page has the width; opened again, it stays open
    from page to page. At 1440 no sector name in the navigation is cut with "…"."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    pg = ctx.new_page()
    try:
        _open(pg, served_app + "/admin")
        pg.wait_for_selector('[data-testid="stExpandSidebarButton"]', timeout=10_000)
        assert pg.locator('[data-testid="stMain"]').bounding_box()["width"] >= 1000
        pg.locator('[data-testid="stExpandSidebarButton"]').click()
        pg.wait_for_selector('[data-testid="stSidebarNavLink"]', state="visible")
        pg.locator('[data-testid="stSidebarNavLink"]', has_text="Thông tin du lịch").click()
        pg.wait_for_function(READY, timeout=90_000)
        pg.wait_for_timeout(1500)  # the script would have closed it by now
        assert pg.locator('[data-testid="stExpandSidebarButton"]').count() == 0
    finally:
        ctx.close()
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    pg = ctx.new_page()
    try:
        _open(pg, served_app + "/")
        cut = pg.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stSidebarNavLink"] p')]
                .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent)"""
        )
        assert not cut, cut
        assert pg.locator('[data-testid="stExpandSidebarButton"]').count() == 0  # a laptop keeps its sidebar
    finally:
        ctx.close()
