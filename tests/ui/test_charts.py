"""Every chart builder's spec is valid Vega-Lite. The app skips Altair's schema validation at page run
(charts.unchecked: ≈ 60 ms a page), so this is where a malformed chart is caught."""

from __future__ import annotations

import pandas as pd
import pytest

from ioc import i18n
from ioc.ui import charts, tables
from ioc.ui.theme import vega_locale

MONTHS = pd.date_range("2025-01-01", periods=14, freq="MS")
LONG = pd.DataFrame({"period": MONTHS.repeat(2), "series": ["a", "b"] * 14, "value": range(28)})
RANKED = pd.DataFrame({"label": ["x", "y"], "value": [3.0, 1.5], "colour": ["#111111", "#222222"], "code": ["1", "2"]})

BUILDERS = {
    "time_lines": lambda: charts.time_lines(
        LONG,
        x="period",
        y="value",
        series="series",
        title="t",
        x_title="",
        y_title="u",
        series_title="",
        lang="vi",
        limit=20.0,
        limit_label="lim",
    ),
    "stacked_bands": lambda: charts.stacked_bands(
        pd.DataFrame({"st": ["s1", "s1"], "band": ["good", "poor"], "n": [3, 4]}),
        y="st",
        count="n",
        band="band",
        order=["good", "poor"],
        labels={"good": "Tốt", "poor": "Kém"},
        colours={"good": "#00e400", "poor": "#ff0000"},
        title="t",
        y_title="",
        x_title="ngày",
        lang="vi",
    ),
    "ranked_bars": lambda: charts.ranked_bars(
        RANKED, x="value", y="label", colour="colour", title="t", x_title="u", y_title="", lang="en", select="code"
    ),
    "year_over_year": lambda: charts.year_over_year(
        LONG, title="t", y_title="u", lang="vi", month_names=vega_locale("vi")["time"]["shortMonths"]
    ),
    "heatmap": lambda: charts.heatmap(
        LONG,
        title="",
        y_title="g",
        value_title="u",
        lang="vi",
        mid=100.0,
        period_label=lambda p: i18n.period(p, "month", "vi"),
        scheme="redyellowgreen",
    ),
    "progress_bars": lambda: charts.progress_bars(
        pd.DataFrame({"label": ["a"], "progress": [55.0], "expected": [83.3], "colour": ["#1B7F3B"]}),
        title="t",
        x_title="%",
        expected_title="e",
        lang="vi",
    ),
    "grouped_bars": lambda: charts.grouped_bars(
        LONG.assign(year=LONG["period"].dt.year.astype(str)),
        x="year",
        y="value",
        series="series",
        y_title="u",
        lang="vi",
    ),
    "tables.line": lambda: tables.line(
        LONG, x="period", y="value", series="series", x_title="", y_title="u", series_title="", lang="vi"
    ),
    "tables.bars": lambda: tables.bars(
        LONG, x="value", y="series", colour=None, x_title="u", y_title="", colour_title="", lang="vi"
    ),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_chart_spec_is_valid_vega_lite(name: str) -> None:
    chart = BUILDERS[name]()
    spec = type(chart).to_dict(chart, True)  # type: ignore[arg-type]  # with the validation the app skips
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert chart.to_dict() == spec  # what the page sends is the same spec, only unchecked


def test_bars_of_counts_have_no_tick_between_two_whole_numbers() -> None:
    """A ward's count of cases (2, 3, 1) gets ticks at 0, 1, 2, 3, never 0,5; a measured value keeps its own."""
    counts = RANKED.assign(value=[3, 1])
    spec = charts.ranked_bars(
        counts, x="value", y="label", colour="colour", title="t", x_title="", y_title="", lang="vi"
    )
    assert spec.to_dict()["encoding"]["x"]["axis"]["tickMinStep"] == 1
    spec = charts.ranked_bars(
        RANKED, x="value", y="label", colour="colour", title="t", x_title="", y_title="", lang="vi"
    )
    assert "tickMinStep" not in spec.to_dict()["encoding"]["x"]["axis"]
