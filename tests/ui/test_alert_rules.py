"""The default config's alert rules on the embedded sample city."""

from __future__ import annotations

import sqlite3

import pytest

from ioc import alerts
from ioc.config import load_config

pytestmark = pytest.mark.usefixtures("sample_data")


def test_the_sample_city_rules_open_real_alerts():
    """The default config's rules on the embedded sample: dengue city-wide over its threshold opens, the
    strip's other conditions are rules too, and every rule evaluates without error."""
    cfg = load_config()
    res = alerts.evaluate(cfg)
    assert res.errors == {} and res.rules == len(cfg.alerts) >= 7
    open_rules = {a["rule"] for a in alerts.alerts(alerts.ops_path(cfg))}
    assert "dengue_city" in open_rules
    with sqlite3.connect(alerts.ops_path(cfg)) as con:
        assert con.execute("SELECT count(*) FROM evaluations").fetchone()[0] >= 1
