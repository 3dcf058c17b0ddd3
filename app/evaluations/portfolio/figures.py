"""A portfolio figure as plain data (categories, one or more series), the small-cell rule of the public
statistics, and shares: pure, no database, no web.

Texts are msgids (English), translated where a figure is shown; category labels too when
``translate_categories`` is set (statuses, "SME"), not when they are numbers (a TRL, a consortium size).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

# The public statistics show no figure computed from fewer organisations, and no count below it.
MINIMUM_CELL = 3


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    DAYS = "days"


@dataclass(frozen=True)
class Series:
    name: str  # msgid: the column's header
    values: tuple[float | None, ...]  # None: suppressed (fewer than MINIMUM_CELL), or nothing to show
    unit: Unit = Unit.COUNT
    charted: bool = True  # drawn as bars; otherwise only in the table and the CSV


@dataclass(frozen=True)
class Note:
    message: str  # msgid with %(num)s
    num: int


@dataclass(frozen=True)
class Figure:
    key: str  # in the CSV's address and file name, and the element ids
    title: str  # msgid
    description: str  # msgid: what is counted
    category_header: str  # msgid: the first column's header
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    translate_categories: bool = False
    # How many different organisations the figure is computed from; None when it is not about organisations.
    organisations: int | None = None
    notes: tuple[Note, ...] = ()
    suppressed: bool = False  # the whole figure is withheld (the public statistics' small-cell rule)
    empty_cells: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (series, category) withheld

    def rows(self) -> list[tuple[str, tuple[float | None, ...]]]:
        """Per category its label and its value in each series."""
        return [(label, tuple(s.values[i] for s in self.series)) for i, label in enumerate(self.categories)]

    def withheld(self, series: int, category: int) -> bool:
        return (series, category) in self.empty_cells


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def median(values: list[float]) -> float | None:
    """The median (the mean of the middle two of an even count); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def suppress_small_cells(figure: Figure, minimum: int = MINIMUM_CELL) -> Figure:
    """The figure as the public may see it: withheld as a whole when computed from fewer than ``minimum``
    organisations; otherwise each count from 1 to ``minimum - 1`` withheld, with the share beside it (a
    percentage series that follows a count series belongs to it). Figures not about organisations (challenges,
    days) are left as they are."""
    if figure.organisations is None:
        return figure
    if figure.organisations < minimum:
        return replace(figure, suppressed=True)
    cells: set[tuple[int, int]] = set()
    series = list(figure.series)
    for index, current in enumerate(series):
        if current.unit is not Unit.COUNT:
            continue
        small = {i for i, value in enumerate(current.values) if value is not None and 0 < value < minimum}
        cells |= {(index, i) for i in small}
        follower = index + 1
        if follower < len(series) and series[follower].unit is Unit.PERCENT:
            cells |= {(follower, i) for i in small}
    if not cells:
        return figure
    blanked = tuple(
        replace(s, values=tuple(None if (index, i) in cells else v for i, v in enumerate(s.values)))
        for index, s in enumerate(series)
    )
    return replace(figure, series=blanked, empty_cells=frozenset(cells))
