"""The SVG bar chart: accessible names, bars in proportion, texts escaped, series told apart without colour."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.evaluations.portfolio.charts import FILLS, ChartSeries, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _chart(series: list[ChartSeries], categories: list[str] | None = None) -> str:
    return str(
        bar_chart(
            ident="chart-x",
            title="Proposals <per> status",
            description="Bar chart & table",
            categories=categories or ["Draft", "Published"],
            series=series,
            format_value=lambda value: f"{value:g}",
            withheld="fewer than 3",
            missing="none",
        )
    )


def test_chart_is_an_image_named_by_its_title_and_description() -> None:
    root = ET.fromstring(_chart([ChartSeries("Proposals", [2, 4])]))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-x-title chart-x-desc"
    assert root.find(f"{SVG}title").text == "Proposals <per> status"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Bar chart & table"  # type: ignore[union-attr]


def test_chart_bars_are_in_proportion_to_the_largest_value() -> None:
    root = ET.fromstring(_chart([ChartSeries("Proposals", [2, 4])]))
    widths = [float(rect.get("width", "0")) for rect in root.iter(f"{SVG}rect")]
    assert widths == [150.0, 300.0]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts == ["2", "Draft", "4", "Published"]


def test_chart_escapes_every_text() -> None:
    markup = _chart([ChartSeries("<b>", [1])], categories=['"><script>alert(1)</script>'])
    assert "<script>" not in markup
    ET.fromstring(markup)  # still well-formed


def test_chart_labels_withheld_and_missing_values_without_a_bar() -> None:
    root = ET.fromstring(_chart([ChartSeries("Proposals", [None, None], withheld=frozenset({0}))]))
    assert [float(rect.get("width", "1")) for rect in root.iter(f"{SVG}rect")] == [0.0, 0.0]
    assert [text.text for text in root.iter(f"{SVG}text")] == ["fewer than 3", "Draft", "none", "Published"]


def test_chart_names_each_series_in_its_labels_and_hatches_the_second() -> None:
    markup = _chart([ChartSeries("Claimed", [1, 0]), ChartSeries("Assessed", [0, 3])])
    root = ET.fromstring(markup)
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts[:2] == ["Claimed", "Assessed"]  # the legend
    assert "Claimed: 1" in texts and "Assessed: 3" in texts
    assert 'fill="url(#chart-x-hatch-1)"' in markup
    assert root.find(f"{SVG}defs/{SVG}pattern") is not None


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_chart_colours_keep_aa_contrast_on_white() -> None:
    markup = _chart([ChartSeries("Claimed", [1, 0]), ChartSeries("Assessed", [0, 3])])
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', markup)) - {"#ffffff"}
    assert colours >= set(FILLS)
    for colour in colours:
        assert 1.05 / (_luminance(colour) + 0.05) >= 4.5, colour
