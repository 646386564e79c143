"""AppTest of the video wall: every panel of the `main` wall runs on the sample data with nothing interactive,
and a wrong wall or token gets a calm message."""

from __future__ import annotations

import json

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from ioc.config import config_document
from tests.ui.conftest import ROOT

pytestmark = pytest.mark.usefixtures("sample_data")

# what a wall may draw: HTML, maps and charts; anything else (a selectbox, a button, a dataframe) is a defect
CONTENT = {"html", "deck_gl_json_chart", "arrow_vega_lite_chart", "vega_lite_chart"}


def _run(**params: str) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _leaves(node) -> list:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        return [leaf for child in children.values() for leaf in _leaves(child)]
    return [node]


def _html(at: AppTest) -> str:
    return "\n".join(el.proto.body for el in _leaves(at._tree) if getattr(el, "type", None) == "html")


def _main_wall() -> list[dict]:
    doc = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    return doc["kiosk"]["walls"]["main"]["panels"]


@pytest.mark.parametrize("page", range(1, len(_main_wall()) + 1))
def test_each_panel_runs_and_draws_content_only(page: int) -> None:
    at = _run(kiosk="main", page=str(page))
    assert not at.exception, at.exception
    kinds = {getattr(el, "type", None) for el in _leaves(at._tree)} - {None}
    assert kinds <= CONTENT, kinds - CONTENT
    assert not at.sidebar.children
    html = _html(at)
    assert "Thành phố Thủ Dầu Một" in html and "ioc-k-clock" in html and "DỮ LIỆU MẪU" in html
    assert f"Cố định trang {page}/{len(_main_wall())}" in html
    assert 'class="ioc-tile ' in html or "ioc-k-station" in html
    assert "Cần chú ý" in html


def test_overview_panel_has_every_sectors_headline_tile() -> None:
    at = _run(kiosk="main", page="overview")
    assert _html(at).count('class="ioc-tile ') == 14


def test_a_sector_panel_maps_its_headline_indicator_by_ward() -> None:
    at = _run(kiosk="main", page="health")
    html = _html(at)
    assert "Thông tin lĩnh vực y tế" in html and "Ca mắc sốt xuất huyết theo phường" in html
    deck = next(el for el in _leaves(at._tree) if getattr(el, "type", None) == "deck_gl_json_chart")
    spec = json.loads(deck.proto.json)
    assert {layer["id"] for layer in spec["layers"]} == {"wards", "ward-values"}
    assert "TileLayer" not in json.dumps(spec)
    # the strip shows the open alerts: the dengue rule of config.yaml opened on the sample's latest week
    assert "Toàn thành phố: 22 ca sốt xuất huyết trong Tuần 43/2026, vượt ngưỡng dịch 20 ca/tuần" in html


def test_air_panel_colours_stations_by_vn_aqi() -> None:
    html = _html(_run(kiosk="main", page="air"))
    assert html.count("ioc-k-station") >= 6 and "background:#00E400" in html


def test_unknown_wall_gets_a_calm_message() -> None:
    at = _run(kiosk="lobby")
    assert not at.exception
    assert "Chưa cấu hình màn hình “lobby”" in _html(at) and "main, test" in _html(at)


def _with_walls(tmp_path, monkeypatch, **walls) -> None:
    doc = config_document(ROOT / "config.yaml")  # the sector files read in: the copy stands on its own
    doc["kiosk"]["walls"].update(walls)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("IOC_CONFIG", str(path))


def test_a_wall_with_a_token_needs_it_in_the_url(tmp_path, monkeypatch) -> None:
    _with_walls(tmp_path, monkeypatch, lobby={"panels": [{"panel": "overview"}], "token_env": "IOC_TEST_WALL"})
    monkeypatch.setenv("IOC_TEST_WALL", "k-2026")
    assert "cần mã truy cập" in _html(_run(kiosk="lobby", token="wrong"))
    assert "cần mã truy cập" in _html(_run(kiosk="lobby"))
    assert _html(_run(kiosk="lobby", token="k-2026")).count('class="ioc-tile ') == 14


def test_an_issued_token_opens_only_its_wall_until_it_is_rotated(tmp_path, monkeypatch, sample_data) -> None:
    from ioc import auth

    overview = {"panels": [{"panel": "overview"}]}
    _with_walls(tmp_path, monkeypatch, hall=overview, foyer=overview)
    ops = sample_data / "ops.sqlite"
    first = auth.issue_wall_token(ops, "hall", by="test")
    foyer = auth.issue_wall_token(ops, "foyer", by="test")
    assert _html(_run(kiosk="hall", token=first)).count('class="ioc-tile ') == 14
    assert "cần mã truy cập" in _html(_run(kiosk="foyer", token=first))  # the hall's token opens only the hall
    second = auth.issue_wall_token(ops, "hall", by="test")  # rotated: the first one stops working
    assert "cần mã truy cập" in _html(_run(kiosk="hall", token=first))
    assert _html(_run(kiosk="hall", token=second)).count('class="ioc-tile ') == 14
    assert _html(_run(kiosk="foyer", token=foyer)).count('class="ioc-tile ') == 14


def test_english_wall_from_the_url() -> None:
    html = _html(_run(kiosk="main", page="1", lang="en"))
    assert "City overview" in html and "Needs attention" in html and "SAMPLE DATA" in html
