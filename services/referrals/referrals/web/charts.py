"""Server-rendered bar charts (SVG): figures people would rather look at than read, without scripts.

Each chart also comes with its numbers as a table, the text alternative screen readers use.
"""
from __future__ import annotations

from dataclasses import dataclass

ROW = 28  # px per bar
LABEL_WIDTH = 320
BAR_WIDTH = 360


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed (fewer than 5) or unknown
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]

    @property
    def height(self) -> int:
        return ROW * len(self.bars) + 8

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def total_width(self) -> int:
        return LABEL_WIDTH + BAR_WIDTH + 80


def bar_chart(title: str, rows: list[tuple[str, float | None]]) -> Chart:
    known = [value for _, value in rows if isinstance(value, (int, float))]
    top = max(known, default=0) or 1
    bars = [Bar(label, value, index * ROW + 4,
                round(BAR_WIDTH * value / top) if isinstance(value, (int, float)) else 0)
            for index, (label, value) in enumerate(rows)]
    return Chart(title, bars)
