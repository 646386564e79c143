"""Single sign-on through st.login against a real OpenID Connect provider started on 127.0.0.1 (oidc-provider-mock):
the provider's groups and wards claims map to the cockpit's role and wards by config, the sign-in is in the audit
log, and sign-out ends it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ioc import audit
from tests.serving import READY, free_port
from tests.ui.conftest import ARTIFACTS, ROOT, data_copy, serving
from tests.ui.test_browser import _open, browser, page  # noqa: F401 - its Chromium fixtures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    import werkzeug.serving
    from oidc_provider_mock import User
    from oidc_provider_mock import app as oidc_app

    users = [
        User(sub="lan", claims={"email": "lan@thudaumot.gov.vn", "groups": ["ioc-lanh-dao"]}),
        User(sub="hoa", claims={"email": "hoa@thudaumot.gov.vn", "groups": ["ioc-phuong"], "wards": ["25747"]}),
        User(sub="khach", claims={"email": "khach@example.vn", "groups": ["nguoi-dan"]}),
    ]
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def served_oidc(provider: str, sample_data: Path, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The cockpit with `sign_in.oidc` naming the provider: a config beside links to the project's folders
    (its relative paths resolve as in the project), the sample data copied, served."""
    root = tmp_path_factory.mktemp("oidc-site")
    for entry in ROOT.iterdir():
        if entry.name not in ("config.yaml", ".git", ".venv", "tests"):
            (root / entry.name).symlink_to(entry)
    port = free_port()
    doc = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    doc["sign_in"]["oidc"] = {
        "server_metadata_url": f"{provider}/.well-known/openid-configuration",
        "client_id": "ioc-cockpit",
        "client_secret_env": "IOC_TEST_OIDC_SECRET",
        "redirect_uri": f"http://127.0.0.1:{port}/oauth2callback",
        "roles": {"ioc-lanh-dao": "leader", "ioc-phuong": "ward_official"},
    }
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    data = data_copy(sample_data, tmp_path_factory, "oidc")
    os.environ["IOC_TEST_OIDC_SECRET"] = "client-secret-of-the-test"
    with serving(config, data, "streamlit-oidc.log", port) as url:
        yield url, data


def _sso(page, base: str, provider: str, sub: str) -> None:
    _open(page, base + "/")
    page.get_by_role("button", name="Đăng nhập bằng tài khoản một cửa").click()
    page.wait_for_url(f"{provider}/oauth2/authorize*", timeout=30_000)
    page.get_by_role("button", name=sub).click()
    page.wait_for_url(f"{base}/*", timeout=30_000)
    page.wait_for_function(READY, timeout=90_000)


def test_single_sign_on_maps_the_claims_to_a_role_and_wards(page, served_oidc, provider) -> None:
    base, data = served_oidc
    _sso(page, base, provider, "hoa")
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Đăng xuất").wait_for(timeout=30_000)
    side = page.inner_text('[data-testid="stSidebar"]')
    assert "Đăng nhập: hoa@thudaumot.gov.vn (Cán bộ phường) · Phú Cường" in side, side
    _open(page, base + "/ward")
    assert "Hồ sơ phường Phú Cường" in page.inner_text("h1")
    page.reload()  # the identity cookie keeps the session
    page.wait_for_function(READY, timeout=90_000)
    assert "hoa@thudaumot.gov.vn" in page.inner_text('[data-testid="stSidebar"]')
    page.screenshot(path=str(ARTIFACTS / "oidc_ward_official.png"))
    assert any(e["detail"].startswith("oidc") for e in audit.entries(data / "ops.sqlite", who="hoa@thudaumot.gov.vn"))
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_timeout(1500)
    if "end_session" in page.url:  # the provider asks to confirm
        page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{base}/*", timeout=30_000)
    # The redirect back from the provider can read as settled a moment before the run that draws the sidebar:
    # wait for the button itself rather than read the sidebar once.
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Đăng nhập bằng tài khoản một cửa").wait_for(
        timeout=30_000
    )
    actions = [e["action"] for e in audit.entries(data / "ops.sqlite", who="hoa@thudaumot.gov.vn")]
    assert "sign_in" in actions and "sign_out" in actions


def test_an_identity_whose_groups_map_to_no_role_stays_public(page, served_oidc, provider) -> None:
    base, _ = served_oidc
    _sso(page, base, provider, "khach")
    _open(page, base + "/overview")
    assert "Trang này cần đăng nhập." in page.inner_text('[data-testid="stMain"]')
