"""The province of a Dutch postcode from the shipped range table, and a chosen province winning over it."""

from __future__ import annotations

import pytest

from app.organisations.regions.postcodes import TABLE, province_of_postcode, read_ranges, resolve_province


@pytest.mark.parametrize(
    ("postcode", "province"),
    [
        ("1012 AB", "NL-NH"),  # Amsterdam
        ("1315 AB", "NL-FL"),  # Almere
        ("2628 EB", "NL-ZH"),  # Delft
        ("2628eb", "NL-ZH"),
        ("3511 AB", "NL-UT"),  # Utrecht
        ("4331 AB", "NL-ZE"),  # Middelburg
        ("5611 AB", "NL-NB"),  # Eindhoven
        ("6161 AB", "NL-LI"),  # Geleen
        ("6811 AB", "NL-GE"),  # Arnhem
        ("7511 AB", "NL-OV"),  # Enschede
        ("8011 AB", "NL-OV"),  # Zwolle
        ("8232 AB", "NL-FL"),  # Lelystad
        ("8911 AB", "NL-FR"),  # Leeuwarden
        ("9401 AB", "NL-DR"),  # Assen
        ("9712 AB", "NL-GR"),  # Groningen
        (" 9999 ", "NL-GR"),
    ],
)
def test_province_of_postcode_finds_the_range(postcode: str, province: str) -> None:
    assert province_of_postcode(postcode) == province


@pytest.mark.parametrize("postcode", ["", "0123 AB", "12345", "2628 E", "ABCD EF", "2628 EB 1", "1397 AB"])
def test_province_of_postcode_none_for_malformed_or_unlisted(postcode: str) -> None:
    assert province_of_postcode(postcode) is None


def test_province_of_postcode_none_abroad() -> None:
    assert province_of_postcode("2628 EB", country="BE") is None


def test_postcode_table_covers_every_province_without_overlap() -> None:
    ranges = read_ranges(TABLE.read_text(encoding="utf-8"))
    assert {item.province for item in ranges} == {
        "NL-DR", "NL-FL", "NL-FR", "NL-GE", "NL-GR", "NL-LI", "NL-NB", "NL-NH", "NL-OV", "NL-UT", "NL-ZE", "NL-ZH",
    }  # fmt: skip
    assert ranges[0].first == 1000
    assert ranges[-1].last == 9999


def test_postcode_table_refuses_overlap_and_unknown_province() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        read_ranges("1000,1999,NL-NH\n1500,2000,NL-ZH\n")
    with pytest.raises(ValueError):
        read_ranges("1000,1999,NL-XX\n")


def test_resolve_province_choice_wins_and_abroad_has_none() -> None:
    assert resolve_province(country="NL", postcode="2628 EB", chosen=None) == ("NL-ZH", False)
    assert resolve_province(country="NL", postcode="2628 EB", chosen="NL-UT") == ("NL-UT", True)
    assert resolve_province(country="NL", postcode="onbekend", chosen=None) == (None, False)
    assert resolve_province(country="DE", postcode="2628 EB", chosen=None) == (None, False)
