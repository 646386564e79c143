"""The read API for the province and other systems, served for real: a token per client, pages, `since=`."""

from __future__ import annotations

import jsonschema
import pytest
import requests

from ioc import province
from tests.ui.conftest import API_TOKEN

pytestmark = pytest.mark.browser  # it needs the served app


def get(base: str, path: str, token: str | None = API_TOKEN, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(base + path, params=params, headers=headers, timeout=60)


@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/alerts"])
def test_no_token_no_data(served_app: str, path: str) -> None:
    for token in (None, "wrong"):
        r = get(served_app, path, token)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
        assert "indicators" not in r.text and "values" not in r.json()


def test_indicators_in_the_push_schema_page_by_page(served_app: str) -> None:
    first = get(served_app, "/api/v1/indicators", limit=50).json()
    jsonschema.validate({k: first[k] for k in first if k not in ("total", "offset", "limit", "next")},
                        province.JSON_SCHEMA)  # fmt: skip
    assert len(first["values"]) == 50 and first["total"] > 50 and first["next"].startswith("/api/v1/indicators?")
    second = requests.get(served_app + first["next"], headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=60)
    keys = {province.row_key(v) for v in first["values"]}
    assert not keys & {province.row_key(v) for v in second.json()["values"]}  # the next page, not the same
    recent = get(served_app, "/api/v1/indicators", since="2026-10-01", ward="city").json()
    assert recent["values"] and all(v["period_end"] >= "2026-10-01" and v["ward"] is None for v in recent["values"])
    assert get(served_app, "/api/v1/indicators", since="hôm qua").status_code == 400


def test_alerts_with_since(served_app: str) -> None:
    body = get(served_app, "/api/v1/alerts").json()
    assert body["schema"] == "ioc-alerts" and body["total"] >= 1
    assert any(a["rule"] == "dengue_city" for a in body["alerts"])
    assert all(a["link"].endswith(f"/alerts?id={a['id']}") for a in body["alerts"])
    assert get(served_app, "/api/v1/alerts", since="2099-01-01").json()["alerts"] == []
