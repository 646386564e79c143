"""The video wall in headless Chromium at 1920×1080: content only, the rotation keeps time, `&page=` pins,
and a screenshot of every panel of the `main` wall goes to tests/artifacts/kiosk_<panel>.png."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.ui.conftest import ARTIFACTS, ROOT
from tests.ui.test_browser import READY, browser, page  # noqa: F401 - its Chromium fixtures

pytestmark = pytest.mark.browser

CHROME = [
    '[data-testid="stSidebar"]',
    '[data-testid="stSidebarNav"]',
    '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stDecoration"]',
    '[data-testid="stMainMenu"]',
]
SLOT = "() => { const h = document.querySelector('.ioc-k-head'); return h ? h.dataset.slot : null; }"
TITLE = "() => document.querySelector('.ioc-k-title').innerText"
# the panel's map or chart is drawn (each panel keeps the other one hidden)
DRAWN = """() => [...document.querySelectorAll(
    '[data-testid="stDeckGlJsonChart"] canvas, [data-testid="stVegaLiteChart"] svg')]
  .some(e => e.getBoundingClientRect().height > 100)"""


def _walls() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["kiosk"]["walls"]


@pytest.fixture
def wall(page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    return page


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY, timeout=90_000)
    page.wait_for_selector(".ioc-k-head", timeout=60_000)


def _visible(page, selector: str) -> int:
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(e => {
        const r = e.getBoundingClientRect(), s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; }).length""",
        selector,
    )


def test_the_wall_shows_content_only(wall, served_app: str) -> None:
    _open(wall, served_app + "/?kiosk=main&page=health")
    wall.wait_for_function(DRAWN, timeout=60_000)
    for selector in CHROME:
        assert _visible(wall, selector) == 0, selector
    assert _visible(wall, "input, button, select, textarea, a, [role=button], [role=combobox]") == 0
    # the whole wall fits the screen: nothing to scroll, nothing cut at the bottom
    assert wall.evaluate("document.scrollingElement.scrollHeight") <= 1080
    foot = wall.locator(".ioc-k-foot").bounding_box()
    assert foot and foot["y"] + foot["height"] <= 1080
    clock = wall.locator(".ioc-k-clock").inner_text()
    assert clock.split(",")[0] in ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"], clock
    assert "Traceback" not in wall.inner_text("body") and not wall.errors
    # the strip shows the open alerts of the rules, the most severe first, one line per rule
    strip = wall.locator(".ioc-k-item").all_inner_texts()
    assert strip and "vượt ngưỡng dịch 20 ca/tuần" in strip[0], strip


def test_the_rotation_reaches_the_next_panel_in_time(wall, served_app: str) -> None:
    seconds = _walls()["test"]["panels"]
    _open(wall, served_app + "/?kiosk=test")
    first = wall.evaluate(SLOT)
    wall.wait_for_function(f"() => ({SLOT})() !== {first!r}", timeout=(seconds[0]["seconds"] + 30) * 1000)
    changed_at, title = time.monotonic(), wall.evaluate(TITLE)
    index = int(wall.evaluate(SLOT).split(":")[1])
    budget = seconds[index]["seconds"] + 2
    second = wall.evaluate(SLOT)
    wall.wait_for_function(f"() => ({SLOT})() !== {second!r}", timeout=budget * 1000)
    assert time.monotonic() - changed_at <= budget
    assert wall.evaluate(TITLE) != title
    assert not wall.errors


def test_page_pins_one_panel(wall, served_app: str) -> None:
    _open(wall, served_app + "/?kiosk=test&page=air")
    title = wall.evaluate(TITLE)
    assert title == "Chất lượng không khí theo VN_AQI"
    time.sleep(max(p["seconds"] for p in _walls()["test"]["panels"]) + 2)
    assert wall.evaluate(TITLE) == title
    assert "Cố định trang 2/3" in wall.inner_text(".ioc-k-foot")


@pytest.mark.parametrize(
    "index, panel",
    list(enumerate(_walls()["main"]["panels"], start=1)),
    ids=[p.get("sector") or p["panel"] for p in _walls()["main"]["panels"]],
)
def test_screenshot_of_each_panel(wall, served_app: str, index: int, panel: dict) -> None:
    _open(wall, served_app + f"/?kiosk=main&page={index}")
    if panel["panel"] != "overview":
        wall.wait_for_function(DRAWN, timeout=60_000)
        wall.wait_for_timeout(800)  # deck.gl draws its text on the next frames
    assert "Traceback" not in wall.inner_text("body")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wall.screenshot(path=str(ARTIFACTS / f"kiosk_{panel.get('sector') or panel['panel']}.png"))


def test_the_wall_keeps_its_last_view_while_the_server_is_down_and_comes_back_by_itself(wall, sample_data) -> None:
    """The server killed under a wall: the last view stays with a "Mất kết nối" badge; started again on the
    same port, the wall is drawn again by itself, without a page load."""
    from tests.serving import free_port, start_server, stop_server

    port = free_port()
    with open(ARTIFACTS / "streamlit_restart.log", "w") as log:
        proc = start_server(port, ROOT / "config.yaml", sample_data, log)
        try:
            _open(wall, f"http://127.0.0.1:{port}/?kiosk=main&page=health")
            wall.wait_for_function(DRAWN, timeout=60_000)
            title = wall.evaluate(TITLE)
            wall.evaluate("window.__samePage = true")  # gone if the browser loads the page again
            proc.kill()  # as a crash or a power cut would
            proc.wait(timeout=10)
            wall.wait_for_function("document.body.classList.contains('ioc-k-down')", timeout=30_000)
            badge = wall.locator("#ioc-k-offline")
            assert badge.is_visible() and "Mất kết nối" in badge.inner_text()
            assert wall.evaluate(TITLE) == title  # the last view, not a blank page
            assert wall.locator('[role="dialog"]:visible').count() == 0  # Streamlit's own dialog stays hidden
            wall.screenshot(path=str(ARTIFACTS / "kiosk_offline.png"))
            proc = start_server(port, ROOT / "config.yaml", sample_data, log)
            wall.wait_for_function("!document.body.classList.contains('ioc-k-down')", timeout=60_000)
            wall.wait_for_function(DRAWN, timeout=60_000)
            assert wall.evaluate("window.__samePage === true"), "the page was loaded again"
            assert wall.evaluate(TITLE) == title and not badge.is_visible()
        finally:
            stop_server(proc)
