"""What needs attention now, gathered once for the kiosk's strip and the overview's first section."""

from __future__ import annotations

import pandas as pd

from ioc import attention
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


def movers(n: int = 5) -> pd.DataFrame:
    """ioc.attention.movers over every indicator's summary."""
    return attention.movers(state.query(qi.summary, today=state.today()), n)
