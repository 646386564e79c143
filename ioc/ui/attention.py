"""What needs attention now, gathered once for the kiosk's strip and the overview's first section."""

from __future__ import annotations

import pandas as pd

from ioc import alerts, attention
from ioc.queries import environment as qe
from ioc.queries import indicators as qi
from ioc.queries import kiosk as qk
from ioc.ui import state


def items() -> list[attention.Item]:
    """ioc.attention.attention over the current snapshot and the sources' status (raises when a query fails:
    the caller says so in its own way)."""
    cfg, today = state.config(), state.today()
    return attention.attention(
        cfg,
        state.lang(),
        stations=state.query(qe.latest_aqi),
        hits=[
            (
                r,
                state.query(qk.past_threshold, r.indicator.code, r.value, r.scope, r.indicator.direction, today),
            )
            for r in attention.thresholds(cfg)
        ],
        indicators=state.query(qi.summary, today=today),
        sources=state.source_status()["sources"],
    )


def open_alerts() -> list[attention.Item]:
    """The open alerts (the rules of config.yaml), one line per rule, most severe and oldest first."""
    cfg = state.config()
    return attention.from_alerts(cfg, alerts.alerts(alerts.ops_path(cfg)), state.lang())


def strip() -> list[attention.Item]:
    """The kiosk's strip: the open alerts where the config has alert rules, else what needs attention now."""
    return open_alerts() if state.config().alerts else items()


def movers(n: int = 5) -> pd.DataFrame:
    """ioc.attention.movers over every indicator's summary."""
    return attention.movers(state.query(qi.summary, today=state.today()), n)
