"""The alerts page: the sample city's open alerts most severe first, an alert opened from ?id=N with its
procedure's steps, the actions (acknowledge, tick, close, silence) recorded in the ops store and refused without
a name, the quiet states (no alert, no rule), English; and in Chromium, an alert worked on from the page."""

from __future__ import annotations

import html
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ioc import alerts
from ioc.config import load_config
from tests.helpers import write_config
from tests.serving import READY, free_port, start_server, stop_server
from tests.ui.conftest import ARTIFACTS, ROOT, run_page
from tests.ui.test_browser import browser, page  # noqa: F401 - its Chromium fixtures

PAGE = "pages/alerts.py"
NAME = "Nguyễn Thị Lan"
NEEDS_NAME = "Nhập họ tên người xử lý trước khi thao tác."
EVERY_STATE = (*alerts.SHOWN, "resolved", "closed")


def _page(**params: str) -> AppTest:
    return run_page(PAGE, **params)


def _html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _path() -> Path:
    return alerts.ops_path(load_config())


def _alert(rule: str) -> dict:
    """The sample's (first) alert of a rule, whatever its state."""
    return next(a for a in alerts.alerts(_path(), EVERY_STATE) if a["rule"] == rule)


def _text(value: str) -> str:
    """A value as the page's HTML writes it (escaped)."""
    return html.escape(value)


@pytest.fixture
def own_data(sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample's data dir (snapshot and ops store) for a test that acts: the shared one stays as
    the other tests expect it."""
    data = tmp_path / "data"
    shutil.copytree(sample_data, data, ignore=shutil.ignore_patterns("landing"))
    monkeypatch.setenv("IOC_DATA_DIR", str(data))
    return data


@pytest.mark.usefixtures("sample_data")
def test_the_open_alerts_are_listed_most_severe_first() -> None:
    at = _page()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Cảnh báo"]
    shown = alerts.alerts(_path())
    assert {"dengue_city", "dossiers_overdue", "budget_behind"} <= {a["rule"] for a in shown}
    shown_html = _html(at)
    dengue = _alert("dengue_city")["message_vi"]
    assert dengue.startswith("Toàn thành phố: ") and "sốt xuất huyết" in dengue
    cards = shown_html.split('class="ioc-al-row')[1:]
    assert len(cards) == len(shown)
    for card, a in zip(cards, shown):  # the store's order: most severe first, then oldest
        assert _text(a["message_vi"]) in card
    assert "Khẩn cấp" in cards[0] and "Đang mở" in cards[0]
    assert "Toàn thành phố:" in cards[0]
    assert "Quy tắc được đánh giá lần cuối lúc" in " ".join(c.value for c in at.caption)
    assert not at.warning, [w.value for w in at.warning]  # the sample's rules all evaluate
    assert 'href="health?lang=vi"' in cards[0]  # the sector page, in this language


@pytest.mark.usefixtures("sample_data")
def test_the_url_opens_an_alert_with_its_steps() -> None:
    dengue = _alert("dengue_city")
    at = _page(id=str(dengue["id"]))
    assert not at.exception, at.exception
    assert at.selectbox(key="id").value == dengue["id"]
    shown_html = _html(at)
    for step in ("Điều tra, xác định ổ dịch tại phường", "Phun hóa chất diệt muỗi trong bán kính 200 m"):
        assert step in shown_html
    assert "Quy trình xử lý: Khống chế ổ dịch sốt xuất huyết" in shown_html
    assert [b.label for b in at.button if b.key.startswith(f"al_tick_{dengue['id']}_")] == ["Đánh dấu đã làm"] * 3
    assert "Trung tâm Y tế thành phố" in shown_html  # the unit responsible
    history = at.dataframe[0].value
    assert list(history.columns) == ["Thời gian", "Sự kiện", "Người thực hiện", "Ghi chú"]
    assert history.iloc[0]["Sự kiện"] == "Mở cảnh báo"


@pytest.mark.usefixtures("sample_data")
def test_the_filters_come_from_the_url() -> None:
    at = _page(sector="admin")
    assert not at.exception, at.exception
    cards = _html(at).split('class="ioc-al-row')[1:]
    admin = [a for a in alerts.alerts(_path()) if a["sector"] == "admin"]
    assert len(cards) == len(admin) >= 1
    assert at.selectbox(key="sector").value == "admin"
    assert any("Bộ lọc đang ẩn" in c.value for c in at.caption)
    closed = _page(state="closed")
    assert [i.value for i in closed.info] == ["Không có cảnh báo nào khớp bộ lọc."]


def test_acknowledging_from_the_page_records_who(own_data: Path) -> None:
    a = _alert("dossiers_overdue")
    at = _page(id=str(a["id"]))
    at.text_input(key="alerts_by").input(NAME)
    at.text_input(key=f"al_ack_note_{a['id']}").input("Đã báo Bộ phận Một cửa")
    at.button(key=f"al_tick_{a['id']}_0").click().run()
    assert not at.exception, at.exception
    at.button(key=f"al_ack_{a['id']}").click().run()
    assert not at.exception, at.exception
    now = _alert("dossiers_overdue")
    assert (now["state"], now["ack_by"], now["ack_note"]) == ("acknowledged", NAME, "Đã báo Bộ phận Một cửa")
    steps = alerts.steps(_path(), load_config(), now)
    assert steps[0]["done_by"] == NAME and steps[1]["done_by"] is None
    assert [s.value for s in at.success] == [f"Đã tiếp nhận cảnh báo #{a['id']}: {NAME}."]
    shown_html = _html(at)
    assert "Đã tiếp nhận" in shown_html and f"✓ Đã làm: {NAME}" in shown_html
    events = list(at.dataframe[0].value["Sự kiện"])
    assert events == ["Mở cảnh báo", "Hoàn thành bước", "Tiếp nhận"]
    assert at.text_input(key="alerts_by").value == NAME  # kept for the next action


def test_an_action_without_a_name_is_refused(own_data: Path) -> None:
    a = _alert("dengue_city")
    at = _page(id=str(a["id"]))
    at.button(key=f"al_ack_{a['id']}").click().run()
    assert [w.value for w in at.warning] == [NEEDS_NAME]
    at.button(key=f"al_tick_{a['id']}_0").click().run()
    assert [w.value for w in at.warning] == [NEEDS_NAME]
    assert _alert("dengue_city")["state"] == "open"
    assert alerts.steps(_path(), load_config(), a)[0]["done_by"] is None


def test_closing_needs_a_reason_and_the_alert_stays_in_view(own_data: Path) -> None:
    a = _alert("budget_behind")
    at = _page(id=str(a["id"]))
    at.text_input(key="alerts_by").input(NAME)
    at.button(key=f"al_close_{a['id']}").click().run()
    assert [w.value for w in at.warning] == ["Nhập lý do đóng cảnh báo."]
    at.text_area(key=f"al_close_reason_{a['id']}").input("Đã có kế hoạch thu quý IV")
    at.button(key=f"al_close_{a['id']}").click().run()
    assert not at.exception, at.exception
    closed = _alert("budget_behind")
    assert (closed["state"], closed["closed_by"], closed["close_reason"]) == (
        "closed",
        NAME,
        "Đã có kế hoạch thu quý IV",
    )
    assert at.selectbox(key="id").value == a["id"]  # still shown, now closed, though the list holds open ones
    listed, detail = _html(at).split('class="ioc-al-card')
    assert _text(a["message_vi"]) not in listed and "Đã đóng" in detail and "Lý do: Đã có kế hoạch thu quý IV" in detail


def test_a_refusal_of_the_core_is_shown(own_data: Path) -> None:
    a = _alert("dengue_city")
    at = _page(id=str(a["id"]))
    alerts.acknowledge(_path(), a["id"], "Trực ban khác")  # someone else, on another screen, meanwhile
    at.text_input(key="alerts_by").input(NAME)
    at.button(key=f"al_ack_{a['id']}").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        f"Không thực hiện được: cảnh báo #{a['id']} đã tiếp nhận nên không làm được việc này."
    ]
    assert _alert("dengue_city")["ack_by"] == "Trực ban khác"


def test_silencing_a_rule_lists_the_silence(own_data: Path) -> None:
    a = _alert("dossiers_overdue")
    at = _page(id=str(a["id"]))
    at.text_input(key="alerts_by").input(NAME)
    at.number_input(key=f"al_sil_hours_{a['id']}").set_value(6)
    at.text_input(key=f"al_sil_reason_{a['id']}").input("Đang họp xử lý, tránh báo trùng")
    at.button(key=f"al_sil_{a['id']}").click().run()
    assert not at.exception, at.exception
    [silence] = alerts.silences(_path())
    assert (silence["rule"], silence["by"]) == ("dossiers_overdue", NAME)
    assert silence["until"] == pytest.approx(time.time() + 6 * 3600, abs=120)
    table = at.dataframe[-1].value
    assert list(table["Người đặt"]) == [NAME] and list(table["Nơi"]) == ["Mọi nơi"]
    assert list(table["Quy tắc"]) == ["Hồ sơ thủ tục hành chính quá hạn"]


def test_overdue_steps_and_rule_errors_are_never_hidden(own_data: Path) -> None:
    a = _alert("dengue_city")
    path = alerts.ops_path(load_config())
    with sqlite3.connect(
        path
    ) as con:  # opened 2½ days ago: its first two steps (1d, 2d) are past due, the third (3d) not yet
        con.execute("UPDATE alerts SET opened_at = opened_at - 2.5 * 86400 WHERE id = ?", (a["id"],))
        con.execute(
            "INSERT INTO evaluations(at, snapshot_id, rules, hits, opened, resolved, errors) "
            "SELECT at + 1, snapshot_id, rules, hits, 0, 0, ? FROM evaluations ORDER BY id DESC LIMIT 1",
            (json.dumps({"goods_price_jump": "BinderException: no column price_vnd"}),),
        )
    at = _page(id=str(a["id"]))
    assert not at.exception, at.exception
    shown_html = _html(at)
    assert shown_html.count('class="ioc-al-late">⚠ Quá hạn từ') == 2
    assert "Quy trình: 0/3 bước · ⚠ 2 quá hạn" in shown_html
    assert [w.value for w in at.warning] == [
        "Quy tắc “Giá hàng thiết yếu tăng trên 10 % so với tuần trước” (goods_price_jump) không đánh giá được ở "
        "lần gần nhất; các cảnh báo của quy tắc này giữ nguyên như trước. Lỗi: BinderException: no column price_vnd"
    ]


def test_no_open_alert_is_said_calmly(own_data: Path) -> None:
    for a in alerts.alerts(_path()):
        alerts.close(_path(), a["id"], NAME, "kiểm thử")
    at = _page()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Không có cảnh báo đang mở."]
    assert 'class="ioc-al-row' not in _html(at)


def test_a_config_without_rules_says_how_to_add_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    at = _page()
    assert not at.exception, at.exception
    [info] = [i.value for i in at.info]
    assert "chưa có quy tắc cảnh báo" in info and "`alerts:`" in info and "config.yaml" in info


@pytest.mark.usefixtures("sample_data")
def test_english_from_the_url() -> None:
    dengue = _alert("dengue_city")
    at = _page(lang="en", id=str(dengue["id"]))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Alerts"]
    assert [h.value for h in at.subheader][:2] == ["Alerts", "Alert detail"]
    shown_html = _html(at)
    assert dengue["message_en"].startswith("City-wide: ") and _text(dengue["message_en"]) in shown_html
    assert "Investigate and locate the outbreak in the ward" in shown_html
    for vi in ("Khẩn cấp", "Đang mở", "Quy trình xử lý", "Toàn thành phố:"):
        assert vi not in shown_html, vi
    assert "Critical" in shown_html and "Mark done" in [b.label for b in at.button]


# ---------------------------------------------------------------- in Chromium, over a server of its own
@pytest.fixture
def own_server(own_data: Path) -> Iterator[str]:
    """The app served over the copied data dir, so working an alert leaves the shared server's data alone."""
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "streamlit_alerts.log", "w") as log:
        proc = start_server(port, ROOT / "config.yaml", own_data, log)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(READY, timeout=90_000)


@pytest.mark.browser
def test_an_alert_is_worked_on_in_the_browser(page, own_server: str) -> None:
    dossiers = _alert("dossiers_overdue")
    page.goto(own_server + "/alerts")
    _settle(page)
    rows = page.locator(".ioc-al-row")
    assert rows.count() == len(alerts.alerts(_path()))
    assert "Toàn thành phố:" in rows.first.inner_text()
    row = page.locator('[data-testid="stHorizontalBlock"]', has=page.get_by_text(dossiers["message_vi"]))
    row.last.get_by_role("button", name="Xem chi tiết").click()
    _settle(page)
    assert f"id={dossiers['id']}" in page.url
    page.get_by_role("textbox", name="Họ tên người xử lý").fill(NAME)
    page.keyboard.press("Tab")
    _settle(page)
    page.get_by_role("button", name="Đánh dấu đã làm").first.click()
    _settle(page)
    page.get_by_role("button", name="Tiếp nhận cảnh báo").click()
    _settle(page)
    page.get_by_text(f"Đã tiếp nhận cảnh báo #{dossiers['id']}: {NAME}.").wait_for(timeout=30_000)
    card = page.locator(".ioc-al-card").inner_text()
    assert "Đã tiếp nhận" in card and f"Tiếp nhận: {NAME}" in card
    assert f"✓ Đã làm: {NAME}" in page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.errors, page.errors
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
    now = _alert("dossiers_overdue")
    assert (now["state"], now["ack_by"]) == ("acknowledged", NAME)
