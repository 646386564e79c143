"""The public page of citizen report results: the figures, a report looked up by its code, the ward filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ioc.config import load_config
from ioc.queries import public
from ioc.warehouse import Warehouse
from tests.ui.conftest import run_page

RULES = public.Rules.of(load_config(Path(__file__).resolve().parents[2] / "config.yaml"))  # open and late, as declared

pytestmark = pytest.mark.usefixtures("sample_data")
PAGE = "pages/public_reports.py"


def _page(**params: str) -> AppTest:
    return run_page(PAGE, **params)


def _html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_results_equal_hand_sql(sample_data: Path) -> None:
    with Warehouse(sample_data / "warehouse").connect() as con:
        end = public.as_of(con)
        assert end is not None
        start = end - dt.timedelta(days=29)
        got = public.results(con, RULES, "25747", start, end)
        received, resolved, on_time = con.execute(
            """
            SELECT count(*), count(resolved_at), count(*) FILTER (WHERE resolved_at <= due_at)
            FROM citizen_reports WHERE ward_code = '25747' AND CAST(created_at AS DATE) BETWEEN ? AND ?""",
            [start, end],
        ).fetchone()
        assert (got["received"], got["resolved"]) == (received, resolved) and received > 0
        assert got["on_time_pct"] == pytest.approx(100 * on_time / resolved)
        wards = public.by_ward(con, RULES, start, end)
        assert len(wards) == 14 and wards["received"].sum() == public.results(con, RULES, None, start, end)["received"]


@pytest.mark.parametrize("days", [30, 90, 365])
def test_received_is_resolved_plus_open_plus_other_for_the_city_and_each_ward(sample_data: Path, days: int) -> None:
    """The sum holds for the city and every ward over each window, and the window is the days up to the
    data's last day; the sample does have reports closed otherwise (passed on to another body)."""
    with Warehouse(sample_data / "warehouse").connect() as con:
        end = public.as_of(con)
        assert end is not None
        start = end - dt.timedelta(days=days - 1)
        city = public.results(con, RULES, None, start, end)
        assert city["received"] == city["resolved"] + city["open"] + city["other"] > 0
        wards = public.by_ward(con, RULES, start, end)
        assert (wards["received"] == wards["resolved"] + wards["open"] + wards["other"]).all()
        for col in ("received", "resolved", "open", "other"):
            assert wards[col].sum() == city[col], col
        for w in wards.itertuples():
            one = public.results(con, RULES, w.ward_code, start, end)
            assert (one["received"], one["resolved"], one["open"], one["other"]) == (
                w.received, w.resolved, w.open, w.other
            )  # fmt: skip
        if days == 365:
            assert city["other"] > 0 and "Không thuộc thẩm quyền" in city["other_statuses"]


def test_the_page_says_the_sum_and_its_dates() -> None:
    at = _page(days="90")
    assert not at.exception, at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "phản ánh tiếp nhận =" in caption and "đang xử lý" in caption and "90 ngày" in caption


def test_public_page_by_default() -> None:
    at = _page()
    assert not at.exception, at.exception
    html = _html(at)
    assert "Phản ánh tiếp nhận" in html and "Tỷ lệ xử lý đúng hạn" in html
    assert at.dataframe and len(at.dataframe[0].value) > 0


def test_a_report_is_found_by_its_code_from_the_url(sample_data: Path) -> None:
    with Warehouse(sample_data / "warehouse").connect() as con:
        code, title = con.execute(
            "SELECT report_id, title FROM citizen_reports ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    at = _page(ma=code.lower())
    assert not at.exception, at.exception
    assert title in _html(at) and not at.warning


def test_an_unknown_code_says_so() -> None:
    at = _page(ma="PA-1999-000000")
    assert not at.exception, at.exception
    assert at.warning and "PA-1999-000000" in at.warning[0].value


def test_ward_and_english_from_the_url() -> None:
    at = _page(ward="25747", lang="en", days="90")
    assert not at.exception, at.exception
    assert any("Phu Cuong" in h.value or "Phú Cường" in h.value for h in at.subheader)
    assert "Reports received" in _html(at)
