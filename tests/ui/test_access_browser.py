"""Sign-in and roles in the served app, in headless Chromium: the form sets an HttpOnly session cookie, each role's
navigation holds exactly its pages, a page opened by its address that a role may not see says so and shows
nothing, a reload keeps the session and an idle one asks to sign in again, a ward official sees only their
ward, and the audit log holds each event."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ioc import access, audit, auth
from tests.ui.conftest import ARTIFACTS, ROOT, data_copy, serving
from tests.ui.test_browser import READY, _open, browser, page  # noqa: F401 - its Chromium fixtures

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-2026!"
ACCOUNTS = {  # name: (role, wards)
    "lanhdao": ("leader", ()),
    "phuong": ("ward_official", ("25747",)),
    "phantich": ("analyst", ()),
    "vanhanh": ("operator", ()),
    "quantri": ("admin", ()),
}


@pytest.fixture(scope="module")
def served_accounts(sample_data: Path, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The sample data copied into a data dir of its own with an account per role, served: (base URL, data)."""
    data = data_copy(sample_data, tmp_path_factory, "accounts")
    for name, (role, wards) in ACCOUNTS.items():
        auth.add(data / "ops.sqlite", name, role, PASSWORD, wards)
    os.environ.setdefault(auth.SECRET_ENV, "a-test-secret-for-the-session-cookies")
    with serving(ROOT / "config.yaml", data, "streamlit-accounts.log") as url:
        yield url, data


def _sign_in(page, base: str, name: str, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"{base}/signin?next={next_path}")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _nav(page) -> set[str]:
    hrefs = page.eval_on_selector_all('[data-testid="stSidebarNav"] a', "els => els.map(e => e.pathname)")
    return {h.strip("/") for h in hrefs}


def _expected(role: str, wards=()) -> set[str]:
    from ioc.config import load_config

    cfg = load_config(ROOT / "config.yaml")
    who = access.PUBLIC if role == "public" else access.Person("x", role, tuple(wards))
    keys = access.pages(cfg, who)
    pages = [p for p in access.APP_PAGES if p in keys] + [s.url for s in cfg.sectors if s.code in keys]
    return {"", *pages[1:]}  # the first is the default page, linked as `/`


def _entries(data: Path, **kw) -> list[dict]:
    return audit.entries(data / "ops.sqlite", **kw)


def test_the_form_sets_an_httponly_strict_cookie_and_refuses_a_forged_post(served_accounts) -> None:
    base, _ = served_accounts
    s = requests.Session()
    form = s.get(base + "/signin", timeout=10)
    assert form.status_code == 200 and "Đăng nhập Trung tâm điều hành thông minh" in form.text
    assert "frame-ancestors" in form.headers["content-security-policy"] or form.headers["x-frame-options"] == "DENY"
    csrf = s.cookies["ioc_csrf"]
    post = {"name": "lanhdao", "password": PASSWORD, "csrf": csrf, "next": "/alerts"}
    forged = requests.post(base + "/signin", data=post, headers={"Origin": "https://evil.example"}, timeout=10)
    assert forged.status_code == 403 and auth.COOKIE not in forged.cookies
    # through a proxy on this machine (as nginx in front of it), a wrong password's audit entry, and the count
    # of failures per address, name the client the proxy saw, not the proxy
    wrong = {**post, "password": "not the password"}
    proxied = {"Origin": base, "X-Forwarded-For": "203.0.113.9"}
    assert s.post(base + "/signin", data=wrong, headers=proxied, timeout=10).status_code == 401
    post["csrf"] = s.cookies["ioc_csrf"]  # the form answered with a fresh token
    failed = _entries(served_accounts[1], who="lanhdao", action="sign_in_failed")[0]
    assert failed["origin"] == "203.0.113.9", failed
    ok = s.post(base + "/signin", data=post, headers={"Origin": base}, allow_redirects=False, timeout=10)
    assert ok.status_code == 303 and ok.headers["location"] == "/alerts"
    cookie = ok.headers["set-cookie"]
    assert f"{auth.COOKIE}=" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    # the JSON routes answer the session, and nobody without one
    assert requests.get(base + "/api/indicators", timeout=10).status_code == 401
    assert s.get(base + "/api/indicators", timeout=30).json()["indicators"]
    health = requests.get(base + "/api/health", timeout=10).json()
    assert set(health["sources"][0]) == {"source", "state"} and set(health["snapshot"]) == {"id", "created"}


@pytest.mark.parametrize("role", ["public", *(r for r, _ in ACCOUNTS.values())])
def test_each_role_sees_exactly_its_pages(page, served_accounts, role: str) -> None:
    base, _ = served_accounts
    name = next((n for n, (r, _) in ACCOUNTS.items() if r == role), None)
    if name:
        _sign_in(page, base, name)
    _open(page, base + "/")
    wards = ACCOUNTS[name][1] if name else ()
    assert _nav(page) == _expected(role, wards)
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / f"role_{role}.png"))


def test_the_first_page_opens_at_its_own_address_as_at_the_root(page, served_accounts) -> None:
    """`/` serves a person's first page; its own address (a link, a bookmark) opens it too, never Streamlit's
    "page not found": the overview for a leader, the public results of citizen reports for the public."""
    base, _ = served_accounts
    for path, title in (("/phan-anh", "Kết quả xử lý phản ánh hiện trường"), ("/", "Kết quả xử lý phản ánh")):
        _open(page, base + path)
        assert title in page.inner_text("h1") and "Page not found" not in page.inner_text("body"), path
    _sign_in(page, base, "lanhdao")
    _open(page, base + "/overview?lang=en")  # and its query parameters kept
    assert "City overview" in page.inner_text("h1") and "Page not found" not in page.inner_text("body")
    assert page.locator(".ioc-tile").count() > 0


def test_a_page_a_role_may_not_open_says_so_and_shows_nothing(page, served_accounts) -> None:
    base, data = served_accounts
    _sign_in(page, base, "phantich")
    _open(page, base + "/alerts")
    body = page.inner_text('[data-testid="stMain"]')
    assert "Vai trò Chuyên viên phân tích không được mở trang này." in body
    assert page.locator("h1").count() == 0  # not even the page's title
    assert any(e["detail"] == "alerts" for e in _entries(data, who="phantich", action="page_refused"))
    page.context.clear_cookies()
    _open(page, base + "/sql")
    assert "Trang này cần đăng nhập." in page.inner_text('[data-testid="stMain"]')


def test_a_ward_official_picks_only_their_ward(page, served_accounts) -> None:
    base, _ = served_accounts
    _sign_in(page, base, "phuong")
    _open(page, base + "/ward")
    assert "Hồ sơ phường Phú Cường" in page.inner_text("h1")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
    options = page.locator('[role="option"]').all_inner_texts()
    assert options == ["Phú Cường"], options
    page.screenshot(path=str(ARTIFACTS / "ward_official_ward.png"))


def test_a_reload_keeps_the_session_idle_ends_it_and_sign_out_ends_it(page, served_accounts) -> None:
    base, data = served_accounts
    _sign_in(page, base, "vanhanh", next_path="/operations")
    _open(page, base + "/operations")
    side = page.inner_text('[data-testid="stSidebar"]')
    assert "Đăng nhập: vanhanh (Vận hành)" in side
    page.reload()
    page.wait_for_function(READY, timeout=90_000)
    assert "Đăng nhập: vanhanh (Vận hành)" in page.inner_text('[data-testid="stSidebar"]')
    # idle past the limit: the next page run is the public's, asked to sign in
    con = sqlite3.connect(data / "ops.sqlite")
    con.execute("UPDATE sessions SET seen_at = seen_at - 7200 WHERE name = 'vanhanh' AND ended_at IS NULL")
    con.commit()
    con.close()
    page.reload()
    page.wait_for_function(READY, timeout=90_000)
    assert "Trang này cần đăng nhập." in page.inner_text('[data-testid="stMain"]')
    # signed in again, then out with the sidebar's button
    _sign_in(page, base, "vanhanh", next_path="/operations")
    _open(page, base + "/operations")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_function(READY, timeout=90_000)
    page.wait_for_timeout(500)
    assert "Trang này cần đăng nhập." in page.inner_text('[data-testid="stMain"]')
    page.reload()
    page.wait_for_function(READY, timeout=90_000)
    assert "Trang này cần đăng nhập." in page.inner_text('[data-testid="stMain"]')  # the cookie is worth nothing now
    kinds = [e["action"] for e in _entries(data, who="vanhanh")]
    assert {"sign_in", "page", "sign_out"} <= set(kinds)


def test_wrong_passwords_lock_the_account_and_the_form_says_until_when(page, served_accounts) -> None:
    base, data = served_accounts
    auth.add(data / "ops.sqlite", "khoa", "leader", PASSWORD)
    for _ in range(auth.MAX_FAILURES):
        _sign_in(page, base, "khoa", "sai-mat-khau-1")
        assert "Sai tên tài khoản hoặc mật khẩu." in page.inner_text("body")
    _sign_in(page, base, "khoa")  # the right password, too late
    text = page.inner_text("body")
    assert "Tài khoản bị khóa sau 5 lần nhập sai mật khẩu, đến" in text
    assert time.strftime("%Y") in text
    assert len(_entries(data, who="khoa", action="sign_in_failed")) == auth.MAX_FAILURES + 1


def test_an_alert_is_acknowledged_by_the_person_signed_in(page, served_accounts) -> None:
    from ioc import alerts

    base, data = served_accounts
    _sign_in(page, base, "lanhdao", next_path="/alerts")
    _open(page, base + "/alerts")
    assert page.get_by_label("Người tiếp nhận").count() == 0  # no name to type: the account acts
    page.get_by_role("button", name="Tiếp nhận cảnh báo").first.click()
    page.wait_for_function(READY, timeout=90_000)
    page.wait_for_timeout(500)
    acked = [a for a in alerts.alerts(data / "ops.sqlite", ("acknowledged",)) if a["ack_by"] == "lanhdao"]
    assert len(acked) == 1
    assert any(e["action"] == "alert" for e in _entries(data, who="lanhdao"))


def test_the_administrator_reads_the_audit_log(page, served_accounts) -> None:
    base, _ = served_accounts
    _sign_in(page, base, "quantri", next_path="/audit")
    _open(page, base + "/audit")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    body = page.inner_text('[data-testid="stMain"]')
    assert "Nhật ký truy cập" in body and "mục, mới nhất trước" in body
    page.screenshot(path=str(ARTIFACTS / "audit_page.png"))
