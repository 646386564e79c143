"""Each role's pages in AppTest: the identity comes from single sign-on (AppTest seeds st.user), mapped to a role
by the config; every page of the app a role may not open says so and shows nothing of itself, and the pages it
may open draw."""

from __future__ import annotations

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from ioc import access
from ioc.config import config_document, load_config
from tests.ui.conftest import ROOT

pytestmark = pytest.mark.usefixtures("sample_data")

ROLES = {"g-lanh-dao": "leader", "g-phuong": "ward_official", "g-phan-tich": "analyst", "g-van-hanh": "operator",
         "g-quan-tri": "admin"}  # fmt: skip
PAGE_FILE = {"overview": "pages/overview.py", "alerts": "pages/alerts.py", "ward": "pages/ward.py",
             "phan-anh": "pages/public_reports.py", "catalog": "pages/catalog.py", "explorer": "pages/explorer.py",
             "sql": "pages/sql_console.py", "operations": "pages/operations.py", "audit": "pages/audit.py"}  # fmt: skip


@pytest.fixture
def oidc_config(tmp_path, monkeypatch):
    doc = config_document(ROOT / "config.yaml")
    doc["sign_in"]["oidc"] = {
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
        "client_id": "ioc",
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "roles": ROLES,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("IOC_CONFIG", str(path))
    return load_config(path)


def _run(page: str, group: str | None, sub: str, wards=()) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=90)
    if group:
        at.user = {"is_logged_in": True, "iss": "http://127.0.0.1:1", "sub": sub, "iat": 1, "email": f"{sub}@tdm.vn",
                   "groups": [group], "wards": list(wards)}  # fmt: skip
    at.switch_page(page)
    return at.run()


def _main_text(at: AppTest) -> str:
    return " ".join(str(e.value) for e in at.main if hasattr(e, "value"))


@pytest.mark.parametrize("group", [None, *ROLES])
def test_a_role_opens_exactly_its_pages(oidc_config, group) -> None:
    role = ROLES.get(group, "public") if group else "public"
    wards = ("25747",) if role == "ward_official" else ()
    who = access.PUBLIC if not group else access.Person("x", role, wards, "oidc")
    allowed = access.pages(oidc_config, who)
    for key, path in PAGE_FILE.items():
        at = _run(path, group, f"user-{role}", wards)
        assert not at.exception, (key, at.exception)
        text = _main_text(at)
        refused = "không được mở trang này" in text or "Trang này cần đăng nhập." in text
        assert refused == (key not in allowed), (role, key, text[:200])
        if refused:
            assert len(at.main.children) <= 2, (role, key)  # the refusal and the sign-in link, nothing of the page
