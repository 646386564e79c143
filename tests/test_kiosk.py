"""The video wall without a browser: the kiosk config block, the playlist's clock arithmetic, `&page=`, and
the attention strip's items."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ioc.attention import attention, thresholds
from ioc.config import KioskPanel, parse_config
from ioc.errors import ConfigError
from ioc.kiosk import pinned, slot_at
from tests.helpers import config_doc

WALL = {
    "panels": [
        {"panel": "overview", "seconds": 30},
        {"panel": "sector", "sector": "env", "seconds": 20, "filters": {"ward": "25741"}},
        {"panel": "air", "seconds": 10},
    ]
}


PM25 = {
    "code": "ENV_PM25",
    "sector": "env",
    "name": {"vi": "Bụi PM2.5", "en": "PM2.5"},
    "unit": "µg/m³",
    "direction": "lower",
    "sql": "SELECT ward_code, day AS period, avg(pm25) AS value FROM env_air GROUP BY ALL",
}


def kiosk_cfg(kiosk: dict):
    return parse_config(config_doc(kiosk=kiosk, indicators=[PM25]))


def test_a_valid_kiosk_block_parses_with_defaults():
    cfg = kiosk_cfg({"walls": {"main": WALL, "lobby": {"panels": [{"panel": "air"}], "token_env": "IOC_WALL_LOBBY"}}})
    main = cfg.kiosk.walls["main"]
    assert [p.name for p in main.panels] == ["overview", "env", "air"]
    assert main.panels[1].filters.ward == "25741" and main.token_env is None
    assert cfg.kiosk.walls["lobby"].panels[0].seconds == 30 and cfg.kiosk.walls["lobby"].token_env == "IOC_WALL_LOBBY"
    assert cfg.kiosk.attention.aqi_above == 100 and cfg.kiosk.attention.off_target == [
        "over_limit",
        "at_risk",
        "behind",
        "not_met",
    ]
    assert kiosk_cfg({}).kiosk.walls == {}


BAD = [
    (
        "unknown-key",
        {"walls": {"main": {"panels": [{"panel": "air", "colour": "red"}]}}},
        "kiosk.walls.main.panels.0.colour: unknown key",
    ),
    (
        "panel-kind",
        {"walls": {"main": {"panels": [{"panel": "weather"}]}}},
        "kiosk.walls.main.panels.0.panel: expected one of 'overview', 'sector', 'air', got 'weather'",
    ),
    (
        "sector-missing",
        {"walls": {"main": {"panels": [{"panel": "sector"}]}}},
        "kiosk.walls.main.panels.0: give `sector` for a sector panel",
    ),
    (
        "too-short",
        {"walls": {"main": {"panels": [{"panel": "air", "seconds": 0.5}]}}},
        "kiosk.walls.main.panels.0.seconds: Input should be greater than or equal to 1",
    ),
    (
        "empty-playlist",
        {"walls": {"main": {"panels": []}}},
        "kiosk.walls.main.panels: List should have at least 1 item",
    ),
    ("status", {"attention": {"off_target": ["late"]}}, "kiosk.attention.off_target.0: expected one of"),
    (
        "thresholds-moved",
        {"attention": {"thresholds": [{"indicator": "X", "above": 1}]}},
        "kiosk.attention: `thresholds` moved to the indicators: give the indicator `threshold:`",
    ),
    (
        "unknown-filter",
        {"walls": {"main": {"panels": [{"panel": "sector", "sector": "env", "filters": {"year": 2026}}]}}},
        "kiosk.walls.main.panels.0.filters.year: unknown key",
    ),
]


@pytest.mark.parametrize("kiosk, expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_each_kiosk_mistake_names_its_key(kiosk, expected):
    with pytest.raises(ConfigError) as err:
        kiosk_cfg(kiosk)
    assert len(err.value.problems) == 1, err.value.problems
    assert err.value.problems[0].startswith(expected), err.value.problems[0]


def test_names_the_config_does_not_have_are_refused_by_validate():
    with pytest.raises(ConfigError) as err:
        kiosk_cfg(
            {
                "walls": {
                    "main": {
                        "panels": [
                            {"panel": "sector", "sector": "health"},
                            {
                                "panel": "sector",
                                "sector": "env",
                                "filters": {"map": "NOPE", "ward": "99999", "indicators": ["ENV_PM25"]},
                            },
                        ]
                    }
                },
            }
        )
    assert err.value.problems == [
        "kiosk.walls.main.panels.0.sector: unknown sector 'health'",
        "kiosk.walls.main.panels.1.filters: unknown indicator 'NOPE'",
        "kiosk.walls.main.panels.1.filters.ward: unknown ward '99999'",
    ]


PANELS = [
    KioskPanel(panel="overview", seconds=30),
    KioskPanel(panel="air", seconds=20),
    KioskPanel(panel="sector", sector="env", seconds=10),
]


@pytest.mark.parametrize(
    "now, index, start, end, cycle",
    [
        (0, 0, 0, 30, 0),
        (29.9, 0, 0, 30, 0),
        (30, 1, 30, 50, 0),
        (55, 2, 50, 60, 0),
        (60, 0, 60, 90, 1),
        (6_000_045, 1, 6_000_030, 6_000_050, 100_000),
    ],
)
def test_the_playlist_position_comes_from_the_clock(now, index, start, end, cycle):
    s = slot_at(PANELS, now)
    assert (s.index, s.start, s.end, s.cycle) == (index, start, end, cycle)
    assert slot_at(PANELS, now).key == s.key  # a rerun or a restart at the same moment lands on the same panel


@pytest.mark.parametrize(
    "page, expected",
    [
        (None, None),
        ("", None),
        ("1", 0),
        ("3", 2),
        ("4", None),
        ("0", None),
        ("air", 1),
        ("ENV", 2),
        ("health", None),
    ],
)
def test_page_pins_by_number_or_name(page, expected):
    cfg = kiosk_cfg({"walls": {"main": {"panels": [p.model_dump() for p in PANELS]}}})
    assert pinned(cfg.kiosk.walls["main"], page) == expected


def test_attention_lists_the_urgent_first_and_in_vietnamese():
    cfg = parse_config(config_doc(kiosk={"attention": {"aqi_above": 100}}, indicators=[{**PM25, "ward_threshold": 40}]))
    (rule,) = thresholds(cfg)
    assert (rule.indicator.code, rule.scope, rule.value) == ("ENV_PM25", "wards", 40)
    stations = pd.DataFrame({"name": ["Trạm A", "Trạm B", "Trạm C"], "aqi": [151.0, 90.0, float("nan")]})
    hits = pd.DataFrame(
        {
            "ward_code": ["25741"],
            "name_vi": ["Hiệp Thành"],
            "name_en": ["Hiep Thanh"],
            "period": [dt.date(2026, 10, 31)],
            "value": [52.5],
        }
    )
    summary = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "sector": ["admin"] * 3,
            "name_vi": ["Hồ sơ quá hạn", "Tỷ lệ", "Khác"],
            "name_en": ["Overdue", "Rate", "Other"],
            "unit": ["hồ sơ", "%", ""],
            "status": ["behind", "over_limit", "met"],
            "value": [4.0, 61.5, 1.0],
        }
    )
    sources = [
        {"source": "air", "enabled": True, "state": "late"},
        {"source": "x", "enabled": False, "state": "off"},
        {"source": "held_one", "enabled": True, "state": "held"},  # fresh by the clock, but its run was held
    ]
    items = attention(cfg, "vi", stations=stations, hits=[(rule, hits)], indicators=summary, sources=sources)
    assert [(i.kind, i.level) for i in items] == [
        ("aqi", "alert"),
        ("threshold", "alert"),
        ("stale", "warn"),
        ("stale", "warn"),
        ("off_target", "alert"),
        ("off_target", "warn"),
    ]
    assert items[0].text == "VN_AQI 151 (Xấu) tại Trạm A"
    assert items[1].text == "Bụi PM2.5 tại phường Hiệp Thành: 52,5 µg/m³, vượt ngưỡng cảnh báo 40"
    assert items[3].text == "Dữ liệu mới chờ duyệt, đang hiển thị số liệu cũ: held_one"
    assert items[4].text == "Tỷ lệ: 61,5 % — vượt mức cho phép"
    assert items[5].text == "Hồ sơ quá hạn: 4 hồ sơ — chậm tiến độ"
    empty = attention(cfg, "en", stations=stations.iloc[:0], hits=[], indicators=summary.iloc[:0], sources=[])
    assert empty == []
