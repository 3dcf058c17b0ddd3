"""Figures as data: the small-cell rule of the public statistics, shares, medians, the CSV, the filters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from app.evaluations.portfolio.exports import figure_csv
from app.evaluations.portfolio.figures import Figure, Series, Unit, median, share, suppress_small_cells
from app.evaluations.portfolio.filters import Filters, parse_date, parse_filters

NOW = datetime(2027, 3, 1, tzinfo=UTC)


def _figure(organisations: int | None = 6, values: tuple[float, ...] = (4, 2)) -> Figure:
    total = sum(values)
    return Figure(
        key="sme",
        title="Share of SMEs",
        description="",
        category_header="Organisation",
        categories=("SME", "Not an SME"),
        series=(
            Series("Proposals", values),
            Series("Share", tuple(share(int(v), int(total)) for v in values), unit=Unit.PERCENT, charted=False),
        ),
        organisations=organisations,
        translate_categories=True,
    )


def test_suppression_withholds_a_figure_from_fewer_than_three_organisations() -> None:
    assert suppress_small_cells(_figure(organisations=2)).suppressed is True
    assert suppress_small_cells(_figure(organisations=3)).suppressed is False


def test_suppression_withholds_small_counts_and_their_shares() -> None:
    shown = suppress_small_cells(_figure(values=(4, 2)))
    assert shown.series[0].values == (4, None)
    assert shown.series[1].values == (66.7, None)
    assert shown.empty_cells == frozenset({(0, 1), (1, 1)})


def test_suppression_keeps_zero_and_figures_not_about_organisations() -> None:
    assert suppress_small_cells(_figure(values=(5, 0))).series[0].values == (5, 0)
    days = _figure(organisations=None, values=(1, 2))
    assert suppress_small_cells(days) is days


def test_share_and_median() -> None:
    assert share(1, 3) == 33.3
    assert share(0, 0) is None
    assert median([5, 1, 3]) == 3
    assert median([1, 2, 3, 10]) == 2.5
    assert median([]) is None


def test_csv_has_the_table_with_text_cells_made_safe() -> None:
    figure = _figure()
    data = figure_csv(
        figure,
        translate=lambda text: {"SME": "=HYPERLINK(1)"}.get(text, text),
        header=lambda name, unit: name + (" (%)" if unit is Unit.PERCENT else ""),
        withheld="fewer than 3",
        missing="none",
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["Organisation", "Proposals", "Share (%)"],
        ["'=HYPERLINK(1)", "4", "66.7"],
        ["Not an SME", "2", "33.3"],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2027-03-01", date(2027, 3, 1)), ("1-3-2027", date(2027, 3, 1)), ("01/03/2027", date(2027, 3, 1))],
)
def test_parse_date_reads_iso_and_dutch_order(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31-02-2027", "morgen", "2027-13-01", "1-3-27"])
def test_parse_date_refuses_what_is_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_parse_filters_reports_each_bad_field_and_keeps_the_good_ones() -> None:
    filters, errors = parse_filters(
        {"nld": "quantum", "published_from": "morgen", "published_until": "1-3-2027"},
        choices={"nld": {"quantum"}},
        now=NOW,
    )
    assert [e.path for e in errors] == ["published_from"]
    assert filters == Filters(now=NOW, nld="quantum", published_until=date(2027, 3, 1))
    assert filters.query() == {"nld": "quantum", "published_until": "2027-03-01"}


def test_parse_filters_refuses_a_period_that_ends_before_it_starts() -> None:
    _, errors = parse_filters({"published_from": "2-3-2027", "published_until": "1-3-2027"}, choices={}, now=NOW)
    assert [e.path for e in errors] == ["published_until"]


def test_filters_period_is_whole_days_in_amsterdam() -> None:
    filters = Filters(now=NOW, published_from=date(2027, 3, 1), published_until=date(2027, 3, 1))
    assert filters.published_since == datetime(2027, 2, 28, 23, 0, tzinfo=UTC)
    assert filters.published_before == datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
