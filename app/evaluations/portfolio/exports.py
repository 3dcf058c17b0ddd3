"""A figure as CSV, the same columns as its table: pure, every text cell made safe against formula injection
(``safe_cell``, as the results export does); UTF-8 with a BOM so spreadsheets read it as UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from app.evaluations.portfolio.figures import Figure, Unit
from app.evaluations.results.exports import safe_cell

Cell = str | int | float


def _cell(value: float | None, unit: Unit, empty: str) -> Cell:
    if value is None:
        return empty
    return int(value) if unit is not Unit.PERCENT and float(value).is_integer() else value


def figure_csv(
    figure: Figure,
    *,
    translate: Callable[[str], str],
    header: Callable[[str, Unit], str],
    withheld: str,
    missing: str,
) -> bytes:
    """The figure's table as CSV: the header, then a row per category. ``header`` names a series' column (with
    its unit); ``withheld`` stands for a suppressed cell, ``missing`` for nothing to measure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [safe_cell(translate(figure.category_header))] + [safe_cell(header(s.name, s.unit)) for s in figure.series]
    )
    for category, (label, values) in enumerate(figure.rows()):
        text = translate(label) if figure.translate_categories else label
        cells = [
            _cell(v, s.unit, withheld if figure.withheld(index, category) else missing)
            for index, (v, s) in enumerate(zip(values, figure.series, strict=True))
        ]
        writer.writerow([safe_cell(text)] + [safe_cell(c) if isinstance(c, str) else c for c in cells])
    return buffer.getvalue().encode("utf-8-sig")
