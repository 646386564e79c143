"""AppTest smoke of the pages: they run without an exception on the sample data, defaults and URL filters."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("sample_data")


def _app(**params: str) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _elements(at: AppTest, kind: str) -> list:
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == kind:
            found.append(node)
        for child in (
            getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []
        ):
            walk(child)

    walk(at._tree)
    return found


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_overview_shows_a_tile_per_sector_and_a_ward_map() -> None:
    at = _app().run()
    assert not at.exception, at.exception
    text = _markdown(at)
    assert text.count('class="ioc-tile ') >= 14
    assert "DỮ LIỆU MẪU" in text
    maps = _elements(at, "deck_gl_json_chart")
    assert maps, "no map"
    spec = json.loads(maps[0].proto.json)
    wards = next(layer for layer in spec["layers"] if layer["id"] == "wards")
    assert len(wards["data"]["features"]) == 14
    # no basemap from the internet: Streamlit's placeholder style only, which draws nothing offline
    assert not str(spec.get("mapStyle") or "").startswith("http")
    assert "TileLayer" not in json.dumps(spec)


def tiles_tell_status_only_against_a_target(markdown: str) -> list[str]:
    """The tiles of a page, checked: a status badge only beside a target or threshold line, and never
    "Vượt chỉ tiêu", which reads as a success, for a ceiling passed."""
    tiles = markdown.split('<div class="ioc-tile ')[1:]
    assert tiles
    for tile in tiles:
        assert ("ioc-tile-status" in tile) == ("ioc-tile-target" in tile), tile
    assert "Vượt chỉ tiêu" not in markdown
    return tiles


def test_overview_tiles_show_a_status_only_against_a_target() -> None:
    at = _app().run()
    assert not at.exception, at.exception
    tiles_tell_status_only_against_a_target(_markdown(at))


def test_overview_in_english_from_the_url() -> None:
    at = _app(lang="en").run()
    assert not at.exception
    assert any("City overview" in t.value for t in at.title)
    assert "SAMPLE DATA" in _markdown(at)


def test_environment_defaults_draw_map_trend_and_table() -> None:
    at = _app()
    at.run()
    at.switch_page("pages/environment.py").run()
    assert not at.exception, at.exception
    assert _elements(at, "deck_gl_json_chart")
    charts = _elements(at, "vega_lite_chart") or _elements(at, "arrow_vega_lite_chart")
    assert len(charts) >= 2
    table = at.dataframe[0].value
    assert len(table) > 0 and "VN_AQI" in table.columns


def test_environment_filters_come_from_the_url() -> None:
    at = _app()
    at.switch_page("pages/environment.py")  # a deep link: the page's own URL with its filters
    at.query_params.update({"pol": "no2", "grain": "hour", "period": "2026-10-25..2026-10-31"})
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="pol").value == "no2"
    assert at.date_input(key="period").value == (dt.date(2026, 10, 25), dt.date(2026, 10, 31))
    charts = _elements(at, "vega_lite_chart") or _elements(at, "arrow_vega_lite_chart")
    trend = json.loads(charts[0].proto.spec)
    assert trend["title"] == "Nồng độ NO₂ theo giờ (µg/m³)"
    assert [layer["mark"]["type"] for layer in trend["layer"]] == ["line", "rule", "text"]  # QCVN limit drawn
