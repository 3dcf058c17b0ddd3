"""Horizontal bar charts as SVG, written on the server (no JavaScript): pure, every text escaped.

Accessible by construction: ``role="img"`` named by its ``<title>`` and described by its ``<desc>``
(``aria-labelledby``), every bar labelled with its category and its value in text, and series told apart by
their name in each value label and by a pattern, never by colour alone. The colours keep WCAG AA contrast on
white: text #1a1a1a (17:1), the bars #154273 (10:1) and #8a3b00 (7.7:1), well past the 3:1 that graphics need.
The page puts the same figures in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 150
BAR_HEIGHT = 18
GAP = 6
GROUP_GAP = 14
TOP = 8
LEGEND_HEIGHT = 26
TEXT = "#1a1a1a"
FILLS = ("#154273", "#8a3b00")
AXIS = "#595959"


@dataclass(frozen=True)
class ChartSeries:
    name: str
    values: Sequence[float | None]
    withheld: frozenset[int] = frozenset()  # positions of suppressed values (None), labelled ``withheld``


def _fill(ident: str, index: int) -> str:
    """Solid for the first series, hatched (a pattern defined in the chart) for the others."""
    return FILLS[0] if index == 0 else f"url(#{ident}-hatch-{index})"


def _patterns(ident: str, count: int) -> str:
    parts = []
    for index in range(1, count):
        colour = FILLS[index % len(FILLS)]
        parts.append(
            f'<pattern id="{ident}-hatch-{index}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<rect width="3" height="6" fill="{colour}"/></pattern>'
        )
    return f"<defs>{''.join(parts)}</defs>" if parts else ""


def _legend(ident: str, series: Sequence[ChartSeries]) -> str:
    items, x = [], LABEL_WIDTH
    for index, current in enumerate(series):
        stroke = FILLS[index % len(FILLS)]
        items.append(
            f'<rect x="{x}" y="{TOP}" width="14" height="14" fill="{_fill(ident, index)}" stroke="{stroke}"/>'
            f'<text x="{x + 20}" y="{TOP + 12}" fill="{TEXT}" font-size="13">{escape(current.name)}</text>'
        )
        x += 30 + 8 * len(current.name)
    return "".join(items)


def bar_chart(
    *,
    ident: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[ChartSeries],
    format_value: Callable[[float], str],
    withheld: str,
    missing: str,
) -> Markup:
    """One group of bars per category, one bar per series, longest bar the largest value. A value of None is
    drawn as no bar, labelled ``withheld`` (a suppressed cell) or ``missing`` (nothing to measure)."""
    largest = max((v for s in series for v in s.values if v is not None), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    several = len(series) > 1
    y = TOP + (LEGEND_HEIGHT if several else 0)
    body: list[str] = []
    for position, label in enumerate(categories):
        group_top = y
        for index, current in enumerate(series):
            value = current.values[position]
            length = 0 if value is None else round(span * value / largest, 1)
            text = format_value(value) if value is not None else missing
            if value is None and position in current.withheld:
                text = withheld
            if several:
                text = f"{current.name}: {text}"
            stroke = FILLS[index % len(FILLS)]
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
                f'fill="{_fill(ident, index)}" stroke="{stroke}"/>'
                f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR_HEIGHT - 4}" fill="{TEXT}" '
                f'font-size="13">{escape(text)}</text>'
            )
            y += BAR_HEIGHT + GAP
        middle = (group_top + y - GAP) / 2 + 5
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" fill="{TEXT}" font-size="13" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        y += GROUP_GAP - GAP
    height = y + TOP
    axis = f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{height - TOP}" stroke="{AXIS}"/>'
    # Every text above went through escape(); the rest is numbers and fixed attributes.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{ident}-title {ident}-desc" focusable="false">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        f"{_patterns(ident, len(series))}{_legend(ident, series) if several else ''}{axis}{''.join(body)}</svg>"
    )
