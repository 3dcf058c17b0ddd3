"""A Dutch postcode's province, from the range table shipped beside this module (``postcodes.csv``).

The table maps ranges of 4-digit postcodes (PC4) to provinces; its header says where it comes from and how
fine it is. Lookups are a binary search over the ranges, read once per process.
"""

from __future__ import annotations

import bisect
import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.organisations.regions.enums import Province

TABLE = Path(__file__).with_name("postcodes.csv")
# "2628 EB", "2628EB", "2628" (the letters are optional; a leading space or a lower case is fine).
_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")


@dataclass(frozen=True, order=True)
class PostcodeRange:
    first: int
    last: int
    province: str


def read_ranges(text: str) -> list[PostcodeRange]:
    """The table's ranges, sorted; raises ``ValueError`` on an overlap or an unknown province."""
    rows = [row for row in csv.reader(line for line in text.splitlines() if line and not line.startswith("#"))]
    ranges = sorted(PostcodeRange(int(first), int(last), Province(code).value) for first, last, code in rows)
    for index, item in enumerate(ranges):
        if item.first > item.last or (index and item.first <= ranges[index - 1].last):
            raise ValueError(f"postcode range out of order or overlapping: {item}")
    return ranges


@lru_cache(maxsize=1)
def _table() -> tuple[list[int], list[PostcodeRange]]:
    ranges = read_ranges(TABLE.read_text(encoding="utf-8"))
    return [item.first for item in ranges], ranges


def pc4(postcode: str) -> int | None:
    """The four digits of a Dutch postcode, or None when it is not one."""
    match = _POSTCODE.match(postcode or "")
    return int(match.group(1)) if match else None


def province_of_postcode(postcode: str, *, country: str = "NL") -> str | None:
    """The province of a Dutch postcode (``"NL-ZH"``), or None abroad, for a malformed postcode or a gap."""
    number = pc4(postcode) if country == "NL" else None
    if number is None:
        return None
    firsts, ranges = _table()
    index = bisect.bisect_right(firsts, number) - 1
    if index < 0 or number > ranges[index].last:
        return None
    return ranges[index].province


def resolve_province(*, country: str, postcode: str, chosen: str | None) -> tuple[str | None, bool]:
    """The organisation's province and whether it was chosen: a choice wins over the postcode; none abroad."""
    if country != "NL":
        return None, False
    if chosen is not None:
        return Province(chosen).value, True
    return province_of_postcode(postcode, country=country), False
