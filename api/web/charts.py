"""Server-rendered SVG charts: the geometry is computed here, the templates draw it (no chart
library, no script)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from projections.district_progress import TREND_STAGES, TrendPoint

BAR_X = 150  # where bars start (labels to the left)
BAR_WIDTH = 150
ROW_HEIGHT = 20


@dataclass(frozen=True)
class Bar:
    stage: str
    value: int
    of: int | None  # the figure it is measured against; None: a count
    y: int
    width: float  # of the filled part, in SVG units


@dataclass(frozen=True)
class StageChart:
    bars: list[Bar]
    height: int
    bar_x: int = BAR_X
    bar_width: int = BAR_WIDTH


def stage_chart(stages: dict[str, int], most_registers: int) -> StageChart:
    """A district's (or commune's, book's) stages as horizontal bars, each against what is
    expected: pages scanned of pages expected, entries of the larger of the estimate and the
    entries keyed; books catalogued against the district with the most books."""
    entries_of = max(stages["entries_expected"], stages["entries_keyed"])
    rows: list[tuple[str, int, int | None]] = [
        ("registers", stages["registers"], None),
        ("pages_scanned", stages["pages_scanned"], stages["pages_expected"]),
        ("entries_keyed", stages["entries_keyed"], entries_of),
        ("entries_second_keyed", stages["entries_second_keyed"], entries_of),
        ("entries_in_reconciliation", stages["entries_in_reconciliation"], entries_of),
        ("entries_verified", stages["entries_verified"], entries_of),
        ("entries_published", stages["entries_published"], entries_of),
    ]
    bars = []
    for i, (stage, value, of) in enumerate(rows):
        scale = of if of is not None else most_registers
        width = BAR_WIDTH * min(value / scale, 1.0) if scale else 0.0
        bars.append(Bar(stage, value, of, y=i * ROW_HEIGHT, width=round(width, 1)))
    return StageChart(bars=bars, height=len(rows) * ROW_HEIGHT)


TREND_SERIES = tuple(s for s in TREND_STAGES if s != "registers")  # books: the first column


@dataclass(frozen=True)
class Series:
    stage: str
    index: int
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, int]]  # x, y, value
    last: int


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    top: int
    bottom: int
    right: int
    series: list[Series]
    first_day: dt.date
    last_day: dt.date
    top_value: int


def trend_chart(points: Sequence[TrendPoint], width: int = 640, height: int = 220) -> TrendChart:
    """Cumulative figures by day as lines (x: days, evenly by date; y: 0..the largest)."""
    left, right, top, bottom = 56, width - 12, 12, height - 28
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)
    top_value = max((p.figures.get(s, 0) for p in points for s in TREND_SERIES), default=0)
    top_value = max(top_value, 1)

    def x(day: dt.date) -> float:
        if first == last:
            return (left + right) / 2
        return round(left + (right - left) * (day - first).days / span, 1)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / top_value, 1)

    series = []
    for i, stage in enumerate(TREND_SERIES):
        dots = [(x(p.day), y(p.figures.get(stage, 0)), p.figures.get(stage, 0)) for p in points]
        series.append(
            Series(
                stage=stage,
                index=i,
                points=" ".join(f"{dx},{dy}" for dx, dy, _ in dots),
                dots=dots,
                last=dots[-1][2],
            )
        )
    return TrendChart(
        width=width,
        height=height,
        left=left,
        top=top,
        bottom=bottom,
        right=right,
        series=series,
        first_day=first,
        last_day=last,
        top_value=top_value,
    )
