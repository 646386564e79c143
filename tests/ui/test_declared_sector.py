"""A sector declared only in configuration gets its whole page: the README's worked example as written, and a
sector with every kind of view (series, breakdown, places, register) declared inline in a test's config."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from ioc.config import load_config
from ioc.ingest import ingest
from tests.helpers import BASE_CONFIG
from tests.ui.conftest import ROOT
from tests.ui.test_pages import _elements


def readme_block(after: str, lang: str) -> str:
    """The first ```lang block of README.md after the line naming `after`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(text, start)
    assert m, f"no {lang} block after {after!r} in README.md"
    return m.group(1)


def _page(code: str) -> None:
    import streamlit as st

    from ioc.ui import sector

    st.set_page_config(layout="wide")
    sector.render(code)


def _served(folder: Path, doc: dict, monkeypatch) -> AppTest:
    """The config written into folder, every source ingested, and the sector's page run over it."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("IOC_CONFIG", str(path))
    monkeypatch.setenv("IOC_DATA_DIR", str(folder / "data"))
    cfg = load_config(path)
    result = ingest(cfg)
    assert not result.failed, [r.error for r in result.failed]
    return AppTest.from_function(_page, args=(cfg.sectors[-1].code,), default_timeout=120)


def _texts(at: AppTest) -> str:
    return "\n".join([h.value for h in at.subheader] + [m.value for m in at.markdown] + [c.value for c in at.caption])


def test_the_readme_example_sector_gets_its_page(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "city"
    data = folder / "data" / "sample" / "water"
    data.mkdir(parents=True)
    (data / "dau_noi.csv").write_text(readme_block("data/sample/water/dau_noi.csv", "csv"), encoding="utf-8")
    (folder / "config" / "sectors").mkdir(parents=True)
    (folder / "config" / "sectors" / "water.yaml").write_text(
        readme_block("config/sectors/water.yaml", "yaml"), encoding="utf-8"
    )
    office = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["formats"]
    doc = {**BASE_CONFIG, "formats": office, "sectors": [*BASE_CONFIG["sectors"], "config/sectors/water.yaml"]}
    at = _served(folder, doc, monkeypatch).run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    text = _texts(at)
    assert "Cấp nước sinh hoạt" in at.title[0].value
    assert 'class="ioc-tile ' in text and "Tỷ lệ hộ dùng nước sạch" in text
    # 100 * (8081 + 9577) / (8120 + 9590) in October, the latest month, as the tile's value
    assert "99,7" in text
    assert any(h.startswith("Đấu nối mới theo tháng · Toàn thành phố") for h in (s.value for s in at.subheader))
    assert any(
        h.startswith("Đấu nối mới theo loại khách hàng · Toàn thành phố") for h in (s.value for s in at.subheader)
    )
    assert len(_elements(at, "vega_lite_chart") or _elements(at, "arrow_vega_lite_chart")) >= 3  # trend, series, bars
    bars = [d.value for d in at.dataframe if "Loại khách hàng" in d.value.columns]
    assert bars and dict(zip(bars[0]["Loại khách hàng"], bars[0]["Giá trị (hộ)"])) == {
        "Hộ gia đình": 433,
        "Cơ quan, doanh nghiệp": 10,
    }


CSV = """Mã;Tên;Loại;Mã phường;Vĩ độ;Kinh độ;Ngày mở;Công suất
T1;Trạm bơm Hiệp Thành;Trạm bơm;25741;10,998;106,660;01/03/2024;1.200
T2;Bể chứa Phú Lợi;Bể chứa;25744;10,990;106,680;15/07/2025;800
T3;Trạm bơm Phú Cường;Trạm bơm;25747;10,981;106,653;02/02/2026;950
"""

FULL_SECTOR: dict[str, Any] = {
    "code": "utility",
    "name": {"vi": "Hạ tầng cấp nước", "en": "Water infrastructure"},
    "sources": {
        "utility_sites": {
            "connector": "csv",
            "table": "utility_sites",
            "path": "sites.csv",
            "key": ["site"],
            "options": {"decimal": ",", "thousands": ".", "date_format": "%d/%m/%Y"},
            "rename": {
                "Mã": "site",
                "Tên": "name",
                "Loại": "kind",
                "Mã phường": "ward_code",
                "Vĩ độ": "lat",
                "Kinh độ": "lon",
                "Ngày mở": "opened",
                "Công suất": "capacity",
            },
            "columns": {
                "site": {"required": True},
                "name": {"label": {"vi": "Tên", "en": "Name"}},
                "kind": {"label": {"vi": "Loại công trình", "en": "Kind of site"}},
                "ward_code": {"values_from": "wards"},
                "lat": {"type": "double"},
                "lon": {"type": "double"},
                "opened": {"type": "date", "label": {"vi": "Ngày đưa vào sử dụng", "en": "Opened"}},
                "capacity": {"type": "integer", "label": {"vi": "Công suất (m³/ngày)", "en": "Capacity (m³/day)"}},
            },
            "conditions": {"big": {"label": {"vi": "Công suất lớn", "en": "Large"}, "sql": "capacity >= 900"}},
        }
    },
    "indicators": [
        {
            "code": "UTILITY_CAPACITY",
            "headline": True,
            "name": {"vi": "Tổng công suất", "en": "Capacity"},
            "unit": "m³/ngày",
            "grain": "year",
            "sql": "SELECT ward_code, date_trunc('year', opened) AS period, sum(capacity) AS value "
            "FROM utility_sites GROUP BY GROUPING SETS ((ward_code, 2), (2))",
        }
    ],
    "series": [
        {
            "key": "opened",
            "title": {"vi": "Công trình đưa vào sử dụng", "en": "Sites opened"},
            "table": "utility_sites",
            "date": "opened",
            "grain": "year",
            "measures": [{"name": "n", "label": {"vi": "Số công trình", "en": "Sites"}, "sql": "count(*)"}],
        }
    ],
    "breakdowns": [
        {
            "key": "big",
            "title": {"vi": "Công trình công suất lớn", "en": "Large sites"},
            "table": "utility_sites",
            "dims": ["kind"],
            "measure": "count(*) FILTER (WHERE {big})",
        }
    ],
    "places": [
        {
            "key": "sites",
            "title": {"vi": "Công trình trên bản đồ", "en": "Sites on the map"},
            "table": "utility_sites",
            "name": "name",
            "category": "kind",
        }
    ],
    "registers": [
        {
            "key": "sites",
            "title": {"vi": "Danh mục công trình", "en": "Register of sites"},
            "table": "utility_sites",
            "columns": ["name", "kind", "opened", "capacity"],
            "order": "capacity",
        }
    ],
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_sector_declared_inline_gets_every_kind_of_view(tmp_path, monkeypatch, lang) -> None:
    (tmp_path / "sites.csv").write_text(CSV, encoding="utf-8")
    doc = {**BASE_CONFIG, "sectors": [*BASE_CONFIG["sectors"], FULL_SECTOR]}
    at = _served(tmp_path, doc, monkeypatch)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    heads = [h.value for h in at.subheader]
    names = {
        "vi": (
            "Công trình đưa vào sử dụng",
            "Công trình công suất lớn",
            "Công trình trên bản đồ",
            "Danh mục công trình",
            "Loại công trình",
            "Công suất (m³/ngày)",
        ),
        "en": (
            "Sites opened",
            "Large sites",
            "Sites on the map",
            "Register of sites",
            "Kind of site",
            "Capacity (m³/day)",
        ),
    }[lang]
    for title in names[:4]:
        assert any(h.startswith(title) for h in heads), (title, heads)
    assert _elements(at, "deck_gl_json_chart"), "no map of the places"
    register = next(d.value for d in at.dataframe if names[5] in d.value.columns)
    assert list(register[names[5]]) == [1200, 950, 800]  # by capacity, largest first
    big = next(d.value for d in at.dataframe if names[4] in d.value.columns and len(d.value.columns) == 3)
    assert dict(zip(big[names[4]], big.iloc[:, 1])) == {"Trạm bơm": 2, "Bể chứa": 0}  # the declared condition


def test_a_view_naming_what_its_table_lacks_is_refused(tmp_path, capsys) -> None:
    from ioc.cli import main

    bad = {
        **FULL_SECTOR,
        "breakdowns": [{**FULL_SECTOR["breakdowns"][0], "dims": ["knd"], "measure": "count(*) FILTER (WHERE {bigg})"}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump({**BASE_CONFIG, "sectors": [*BASE_CONFIG["sectors"], bad]}, allow_unicode=True), encoding="utf-8"
    )
    assert main(["validate", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sectors.utility.breakdowns.0.dims: 'knd' is not a declared column of utility_sites" in err
    assert "sectors.utility.breakdowns.0.measure: unknown condition {bigg} (the table's conditions: big)" in err
