"""The video wall's logic without Streamlit: where a playlist is at a given time (what needs attention now is
ioc.attention, shared with the overview)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ioc.config import KioskPanel, KioskWall


@dataclass(frozen=True)
class Slot:
    """The panel on the wall now: its index, when it started and ends (epoch seconds), and which cycle it is in."""

    index: int
    start: float
    end: float
    cycle: int
    pinned: bool = False

    @property
    def key(self) -> tuple:
        return (self.cycle, self.index, self.pinned)


def slot_at(panels: Sequence[KioskPanel], now: float) -> Slot:
    """The playlist's position at wall-clock time `now`: every screen of a wall shows the same panel, and a
    rerun, a reload or a server restart comes back to the same place."""
    total = sum(p.seconds for p in panels)
    cycle, into = divmod(now, total)
    start = now - into
    for i, p in enumerate(panels):
        if into < p.seconds or i == len(panels) - 1:
            return Slot(i, start, start + p.seconds, int(cycle))
        into -= p.seconds
        start += p.seconds
    raise AssertionError("unreachable")


def pinned(wall: KioskWall, page: str | None) -> int | None:
    """`&page=` as a playlist index: a number counting from 1, or a panel's name (overview, air, a sector
    code); None when absent or unknown (the wall then rotates)."""
    if not page:
        return None
    page = page.strip().lower()
    if page.isdigit():
        n = int(page)
        return n - 1 if 1 <= n <= len(wall.panels) else None
    return next((i for i, p in enumerate(wall.panels) if p.name.lower() == page), None)
