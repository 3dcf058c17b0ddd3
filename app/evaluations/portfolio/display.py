"""A figure as a page and a CSV show it in one language: the chart, the table beside it with the same figures,
the notes, and the CSV bytes. No database, no web."""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup

from app.evaluations.portfolio.charts import ChartSeries, bar_chart
from app.evaluations.portfolio.exports import figure_csv
from app.evaluations.portfolio.figures import MINIMUM_CELL, Figure, Unit
from app.i18n import N_, translate

WITHHELD = N_("fewer than %(num)s")
MISSING = N_("none")
CHART_DESCRIPTION = N_("Bar chart. The same figures are in the table beside it.")


@dataclass(frozen=True)
class ShownFigure:
    key: str
    title: str
    description: str
    chart: Markup | None  # None when the figure is withheld as a whole
    header: list[str]
    rows: list[tuple[str, list[str]]]
    notes: list[str]
    withheld: str | None  # the sentence shown instead of a withheld figure


def format_value(value: float, unit: Unit, language: str) -> str:
    from babel.numbers import format_decimal  # its locale data only on the pages that show figures

    if unit is Unit.PERCENT:
        return format_decimal(value, format="#,##0.0", locale=language) + " %"
    if unit is Unit.DAYS:
        return format_decimal(value, format="#,##0.#", locale=language)
    return format_decimal(value, format="#,##0", locale=language)


def _header(name: str, unit: Unit, language: str) -> str:
    text = translate(language, name)
    return f"{text} (%)" if unit is Unit.PERCENT else text


def _category(figure: Figure, label: str, language: str) -> str:
    return translate(language, label) if figure.translate_categories else label


def _cell(
    figure: Figure, series: int, category: int, value: float | None, language: str, withheld: str, missing: str
) -> str:
    if value is not None:
        return format_value(value, figure.series[series].unit, language)
    return withheld if figure.withheld(series, category) else missing


def show(figure: Figure, *, language: str) -> ShownFigure:
    """The figure in ``language``: table cells formatted, a withheld cell as "fewer than 3"."""
    withheld = translate(language, WITHHELD, num=MINIMUM_CELL)
    title = translate(language, figure.title)
    notes = [translate(language, note.message, num=note.num) for note in figure.notes]
    if figure.suppressed:
        sentence = translate(
            language, N_("Computed from fewer than %(num)s organisations: not shown."), num=MINIMUM_CELL
        )
        return ShownFigure(figure.key, title, translate(language, figure.description), None, [], [], notes, sentence)
    header = [translate(language, figure.category_header)] + [_header(s.name, s.unit, language) for s in figure.series]
    missing = translate(language, MISSING)
    rows = [
        (
            _category(figure, label, language),
            [_cell(figure, i, c, v, language, withheld, missing) for i, v in enumerate(values)],
        )
        for c, (label, values) in enumerate(figure.rows())
    ]
    charted = [(i, s) for i, s in enumerate(figure.series) if s.charted]
    unit = charted[0][1].unit
    chart = bar_chart(
        ident=f"chart-{figure.key}",
        title=title,
        description=translate(language, CHART_DESCRIPTION),
        categories=[label for label, _ in rows],
        series=[
            ChartSeries(
                translate(language, s.name),
                s.values,
                frozenset(c for c in range(len(s.values)) if figure.withheld(i, c)),
            )
            for i, s in charted
        ],
        format_value=lambda v: format_value(v, unit, language),
        withheld=withheld,
        missing=missing,
    )
    return ShownFigure(figure.key, title, translate(language, figure.description), chart, header, rows, notes, None)


def csv_of(figure: Figure, *, language: str) -> bytes:
    """The figure's table as CSV in ``language``; a withheld figure has its header and no rows."""
    if figure.suppressed:
        figure = replace(figure, categories=(), series=tuple(replace(s, values=()) for s in figure.series))
    return figure_csv(
        figure,
        translate=lambda text: translate(language, text),
        header=lambda name, unit: _header(name, unit, language),
        withheld=translate(language, WITHHELD, num=MINIMUM_CELL),
        missing=translate(language, MISSING),
    )
