"""AppTest of every sector page (the pages ioc.ui.sector builds): defaults, filters from the URL, and the
category filter a click on a bar sets."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ioc.config import load_config
from tests.ui.conftest import ROOT
from tests.ui.test_pages import _elements, tiles_tell_status_only_against_a_target

pytestmark = pytest.mark.usefixtures("sample_data")

CFG = load_config(ROOT / "config.yaml")
SECTORS = [s.code for s in CFG.sectors if not s.page]


def _sector_page(code: str) -> None:
    import streamlit as st

    from ioc.ui import sector

    st.set_page_config(layout="wide")
    sector.render(code)


def _run(code: str, **params: str) -> AppTest:
    at = AppTest.from_function(_sector_page, args=(code,), default_timeout=120)
    at.query_params.update(params)
    return at.run()


def _charts(at: AppTest) -> list:
    return _elements(at, "vega_lite_chart") or _elements(at, "arrow_vega_lite_chart")


def _subheaders(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


@pytest.mark.parametrize("code", SECTORS)
def test_sector_page_by_default(code: str) -> None:
    at = _run(code)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    markdown = "\n".join(m.value for m in at.markdown)
    assert 'class="ioc-tile ' in markdown
    # the trend, and a chart for every declared series, breakdown and the ward ranking at least
    sector = CFG.sector(code)
    assert sector is not None
    declared = len(sector.series) + len(sector.breakdowns)
    assert len(_charts(at)) >= 1 + declared, (code, len(_charts(at)))
    assert at.dataframe, "no detail table"
    assert len(at.subheader) >= 3 + declared + len(sector.registers)
    # every tooltip line says what it is in Vietnamese: never a field's internal name (`label`, `series`)
    for chart in _charts(at):
        untitled = [t for t in _tooltips(json.loads(chart.proto.spec)) if not t.get("title")]
        assert not untitled, (code, untitled)


def _tooltips(spec) -> list[dict]:
    found: list[dict] = []
    if isinstance(spec, dict):
        tips = spec.get("encoding", {}).get("tooltip")
        found += [tips] if isinstance(tips, dict) else list(tips or [])
        for v in spec.values():
            found += _tooltips(v) if isinstance(v, (dict, list)) else []
    elif isinstance(spec, list):
        for v in spec:
            found += _tooltips(v)
    return found


def test_filters_from_the_url_reach_every_section() -> None:
    at = _run(
        "citizen", ward="25747", period="2026-01-01..2026-06-30", si="CITIZEN_REPORTS", cat="agency:Công an thành phố"
    )
    assert not at.exception, at.exception
    assert at.selectbox(key="ward").value == "25747"
    assert at.selectbox(key="si").value == "CITIZEN_REPORTS"
    heads = _subheaders(at)
    # the indicator layer is the ward's; the detail sections are the ward's and the agency's
    assert any(h.startswith("Các chỉ số chính · Phú Cường") and "Công an" not in h for h in heads), heads
    assert any(h.startswith("Phản ánh tiếp nhận · Phú Cường · Công an thành phố") for h in heads), heads
    assert "Công an thành phố" in "\n".join(m.value for m in at.markdown)  # the chip saying what is filtered
    assert at.query_params["cat"] in ("agency:Công an thành phố", ["agency:Công an thành phố"])


def test_clearing_the_category_filter_removes_it_from_the_url() -> None:
    at = _run("citizen", cat="agency:Công an thành phố")
    at.button(key="cat_clear").click().run()
    assert not at.exception, at.exception
    assert "cat" not in at.query_params
    assert not any("Công an thành phố" in h for h in _subheaders(at))


def test_a_category_the_page_does_not_know_is_ignored() -> None:
    at = _run("citizen", cat="password:x")
    assert not at.exception, at.exception
    assert "cat" not in at.query_params


def test_english_sector_page() -> None:
    at = _run("prices", lang="en")
    assert not at.exception, at.exception
    heads = _subheaders(at)
    assert any(h.startswith("CPI by its 11 groups, month on month") for h in heads), heads
    assert any(h.startswith("Essential goods prices week by week") for h in heads), heads


def test_english_mode_names_categories_and_sources_in_english() -> None:
    """Where the city gives English names (`value_names`, a source's `title`), English mode uses them: the
    breakdown's bars and table, the freshness badges; the filter still holds the stored value."""
    at = _run("citizen", lang="en", cat="category:Giao thông")
    assert not at.exception, at.exception
    html = "\n".join(m.value for m in at.markdown)
    assert "Traffic" in html  # the category chip, by its English name
    tables = [d.value for d in at.dataframe if "Category" in d.value.columns]
    assert tables and "Urban order" in set(tables[0]["Category"]), tables[:1]
    assert "Giao thông" not in set(tables[0]["Category"])
    assert "Citizen field reports since 2021, one row each · load" in html  # the source's badge
    assert "Phản ánh hiện trường" not in html
    vi = _run("citizen", cat="category:Giao thông")
    assert "Giao thông" in "\n".join(m.value for m in vi.markdown)


def test_labour_masks_small_counts_in_its_table() -> None:
    at = _run("labour", ward="25747", si="LABOUR_SOCIAL_RECIPIENTS", period="2021-01-01..2026-10-31")
    assert not at.exception, at.exception
    table = at.dataframe[-1].value  # the detail table: every indicator of the sector by period
    cells = [v for v in table.drop(columns=table.columns[0]).to_numpy().ravel() if v == v and v is not None]
    assert not [v for v in cells if isinstance(v, (int, float)) and 1 <= v <= 4], "a count under 5 is shown"


@pytest.mark.parametrize("code", SECTORS)
def test_sector_page_with_ward_and_period_from_the_url(code: str) -> None:
    at = _run(code, ward="25747", period="2025-01-01..2025-12-31")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="ward").value == "25747"
    assert [str(d) for d in at.date_input(key="period").value] == ["2025-01-01", "2025-12-31"]
    assert any("Phú Cường" in h for h in _subheaders(at))


def test_the_page_xlsx_has_a_sheet_per_table_and_masks_small_counts() -> None:
    import io

    from openpyxl import load_workbook

    from ioc.ui import components

    at = _run("labour", ward="25747", si="LABOUR_SOCIAL_RECIPIENTS", period="2021-01-01..2026-10-31")
    assert not at.exception, at.exception
    frames = at.session_state[components.PAGE_XLSX]
    wb = load_workbook(io.BytesIO(components.xlsx_bytes(frames)), read_only=True)
    assert len(wb.sheetnames) == len(frames) >= 4
    detail = next(ws for ws in wb.worksheets if ws.title.startswith("Số liệu chi tiết"))
    rows = list(detail.iter_rows(values_only=True))
    cells = [v for row in rows[1:] for v in row[1:] if v is not None]
    assert cells and not [v for v in cells if isinstance(v, (int, float)) and 1 <= v <= 4]
    assert any(v == "<5" for v in cells), "no small count shown as <5 in the download"


@pytest.mark.parametrize("code", ["prices", "socio", "education", "admin"])
def test_tiles_without_a_target_carry_no_status(code: str) -> None:
    """Population, pupils, petrol and pig prices have no target: no badge, where they had a red one."""
    at = _run(code)
    assert not at.exception, at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    tiles = tiles_tell_status_only_against_a_target(markdown)
    # headed by the sector's name, never its code
    sector = CFG.sector(code)
    assert sector is not None and f'<div class="ioc-tile-sector">{sector.name.vi}</div>' in markdown
    assert any("ioc-tile-status" not in tile for tile in tiles)  # each of these pages has one without


def test_most_sources_late_is_one_line_with_details_on_demand() -> None:
    """The committed sample (data to October 2026) is late by its own dates: the page says so once, and the
    badges wait in an expander, rather than a warning on every badge."""
    from ioc import status

    at = _run("admin")
    assert not at.exception, at.exception
    states = [s["state"] for s in status.source_status(load_config())["sources"] if s["sector"] == "admin"]
    bad = sum(status.tone(s) == "bad" for s in states)
    assert bad == len(states) == 2  # the dossiers (daily) and their monthly report, as of today
    lines = [w.value for w in at.warning if "nguồn của trang này" in w.value]
    assert len(lines) == 1 and lines[0].startswith("2/2 nguồn"), [w.value for w in at.warning]
    assert at.expander and 'class="ioc-fresh ' in "\n".join(m.value for m in at.expander[0].markdown)


@pytest.mark.parametrize("code", ["tourism", "industry", "labour"])
def test_a_missing_month_never_renames_the_sections(code: str) -> None:
    """The caption that lists the months without data once overwrote the scope the later titles read:
    "Lượt khách theo tháng · Tháng 12/2024" where "· Toàn thành phố" belongs."""
    at = _run(code)
    assert not at.exception, at.exception
    scoped = [h for h in _subheaders(at) if " · " in h]
    assert scoped and all(not h.split(" · ")[-1].startswith("Tháng") for h in scoped), scoped


def test_the_detail_table_reads_as_leaders_write_it() -> None:
    """Socio-economics mixes monthly and yearly indicators: each period reads by its own grain (10/2026 beside
    2025), never as a day; an empty cell is "–", never "None"; a percentage has one decimal."""
    import re

    from ioc.ui import tables

    at = _run("socio", period="2024-01-01..2026-10-31")
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    periods = table[table.columns[0]].astype(str).tolist()
    assert "Tháng 10/2026" in periods and "2025" in periods, periods
    assert periods.index("2025") == periods.index("Tháng 12/2025") - 1  # a year heads its months
    assert not [p for p in periods if re.fullmatch(r"\d{2}/\d{2}/\d{4}.*", p)], periods
    html = tables.styled(
        pd.DataFrame({"Tỷ lệ (%)": [8.123, None], "Số hồ sơ": [419.0, float("nan")], "Năm": [2026, 2025]}),
        "vi",
        digits={"Tỷ lệ (%)": 1},
        plain=["Năm"],
    ).to_html()
    assert ">8,1<" in html and ">419<" in html and ">2026<" in html and "None" not in html and ">–<" in html


def test_what_the_province_shares_is_drawn_beside_the_city() -> None:
    """The province's figures of other localities (an ordinary source) are thin lines under the city's on the
    trend, named in the legend, with the province's target for the year said; a ward's trend has none."""
    at = _run("admin", si="ADMIN_ONTIME_RATE", period="2025-01-01..2026-10-31")
    assert not at.exception, at.exception
    trend = json.loads(_charts(at)[0].proto.spec)  # the legend's localities are the colour scale's domain
    domains = [layer["encoding"]["color"]["scale"].get("domain", []) for layer in trend["layer"]
               if "color" in layer.get("encoding", {}) and "scale" in layer["encoding"]["color"]]  # fmt: skip
    assert any({"TP. Thuận An", "Toàn tỉnh"} <= set(d) for d in domains), domains
    captions = " ".join(c.value for c in at.caption)
    assert "các địa phương khác" in captions and "Chỉ tiêu tỉnh giao năm 2026: 98 %" in captions
    ward = _run("admin", si="ADMIN_ONTIME_RATE", ward="25747")
    assert "các địa phương khác" not in " ".join(c.value for c in ward.caption)
