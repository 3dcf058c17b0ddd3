"""Blind scoring, the pure part: which texts identify a proposal's consortium, and hiding them in free text.

Matching ignores case, accents, spacing and punctuation: "ACME  drones", "Acme-Drones" and "acmedrones" all
match the name "Acme Drones B.V.", and "12 34 56 78", "12.34.56.78" or "KvK12345678" the KvK number
12345678. A match must start and end on a word boundary (a separator, or a change between letters and digits),
so a short name does not eat the middle of longer words.

The text is folded once into a stream of letters and digits and scanned once by an Aho-Corasick automaton
over all the terms together: time is linear in the text (times the few terms that can end at one place),
whatever a company types. No regular expression ever sees the user's text.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

REDACTED = "[…]"
MIN_TERM_LENGTH = 3
# Legal forms dropped from the end of a name to get the name companies write in their texts.
LEGAL_FORMS = (
    "bv",
    "nv",
    "vof",
    "cv",
    "ua",
    "ba",
    "holding",
    "holdingbv",
    "groep",
    "group",
    "gmbh",
    "ag",
    "kg",
    "se",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "ab",
    "as",
    "asa",
    "oy",
    "aps",
    "ltd",
    "limited",
    "plc",
    "llc",
    "inc",
    "corp",
    "co",
    "stichting",
    "vereniging",
)


@lru_cache(maxsize=8192)
def _fold(char: str) -> str:
    """A character as matching sees it: decomposed, accents dropped, case folded; letters and digits only."""
    return "".join(c for c in unicodedata.normalize("NFKD", char).casefold() if c.isalnum())


def normalise(text: str) -> str:
    """The letters and digits of ``text``, folded (what a term is matched as)."""
    return "".join(_fold(char) for char in text)


def _words(text: str) -> list[str]:
    words, current = [], []
    for char in text:
        folded = _fold(char)
        if folded:
            current.append(folded)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def name_variants(name: str) -> set[str]:
    """A name as written in full and without its legal forms ("Acme Drones B.V." also as "Acme Drones")."""
    words = _words(name)
    variants = {"".join(words)}
    # Dotted legal forms split into one-letter words ("b", "v"): join trailing one-letter words first.
    while words:
        joined = ""
        while words and len(words[-1]) == 1:
            joined = words.pop() + joined
        if joined:
            if joined not in LEGAL_FORMS:
                words.append(joined)
                break
            variants.add("".join(words))
            continue
        if words[-1] in LEGAL_FORMS and len(words) > 1:
            words.pop()
            variants.add("".join(words))
            continue
        break
    return {v for v in variants if len(v) >= MIN_TERM_LENGTH}


def number_variants(number: str) -> set[str]:
    """A KvK or registry number however it is spaced or dotted, and its digits alone when it has a prefix."""
    variants = {normalise(number)}
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) >= 6:
        variants.add(digits)
    return {v for v in variants if len(v) >= MIN_TERM_LENGTH}


@dataclass(frozen=True)
class Identity:
    """What identifies one organisation of a consortium, and the people known to work for it."""

    names: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


def identities_of(content: Mapping[str, Any]) -> list[Identity]:
    """The lead and every partner of a submitted version's content, as the version holds them (their names
    without legal form, as companies trade under them, come from ``name_variants``)."""
    parties: list[Mapping[str, Any]] = [content.get("organisation") or {}, *(content.get("partners") or [])]
    found = []
    for party in parties:
        names = [party.get("legal_name")]
        numbers = [party.get("kvk_number"), party.get("registry_id")]
        found.append(
            Identity(
                names=tuple(str(n) for n in names if n),
                numbers=tuple(str(n) for n in numbers if n),
            )
        )
    return found


@dataclass
class _Node:
    goto: dict[str, int] = field(default_factory=dict)
    fail: int = 0
    # Lengths of the terms that end here (its own and, through the failure links, its suffixes').
    ends: tuple[int, ...] = ()


class Redactor:
    """Hides a fixed set of terms in any text, in one pass (build it once per page, use it for every text)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = sorted({t for t in terms if len(t) >= MIN_TERM_LENGTH}, key=len, reverse=True)
        self._nodes = [_Node()]
        for term in self.terms:
            self._add(term)
        self._link()

    @classmethod
    def for_identities(cls, identities: Iterable[Identity]) -> Redactor:
        terms: set[str] = set()
        for identity in identities:
            for name in (*identity.names, *identity.people):
                terms |= name_variants(name)
            for number in identity.numbers:
                terms |= number_variants(number)
        return cls(terms)

    def _add(self, term: str) -> None:
        node = 0
        for char in term:
            nxt = self._nodes[node].goto.get(char)
            if nxt is None:
                self._nodes.append(_Node())
                nxt = len(self._nodes) - 1
                self._nodes[node].goto[char] = nxt
            node = nxt
        self._nodes[node].ends = (len(term),)

    def _link(self) -> None:
        queue: deque[int] = deque(self._nodes[0].goto.values())
        while queue:
            node = queue.popleft()
            for char, child in self._nodes[node].goto.items():
                fail = self._nodes[node].fail
                while fail and char not in self._nodes[fail].goto:
                    fail = self._nodes[fail].fail
                target = self._nodes[fail].goto.get(char, 0)
                self._nodes[child].fail = target if target != child else 0
                self._nodes[child].ends = self._nodes[child].ends + self._nodes[self._nodes[child].fail].ends
                queue.append(child)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The character ranges of ``text`` to hide, merged, in order."""
        if not self.terms or not text:
            return []
        stream: list[str] = []
        origin: list[int] = []  # the index in ``text`` of every folded character
        word_start: list[bool] = []
        previous = ""
        for index, char in enumerate(text):
            folded = _fold(char)
            kind = _kind(folded)
            for position, part in enumerate(folded):
                stream.append(part)
                origin.append(index)
                word_start.append(position == 0 and kind != previous)
            previous = kind
        found: list[tuple[int, int]] = []
        nodes, node = self._nodes, 0
        for end, char in enumerate(stream):
            while node and char not in nodes[node].goto:
                node = nodes[node].fail
            node = nodes[node].goto.get(char, 0)
            if not nodes[node].ends or not _ends_word(text, stream, origin, end):
                continue
            for length in nodes[node].ends:  # longest first: the first that starts a word is the one
                start = end - length + 1
                if word_start[start]:
                    found.append((origin[start], _past_abbreviation(text, origin[end] + 1)))
                    break
        return _merge(found)

    def redact(self, text: str) -> str:
        """``text`` with every term replaced by the redaction mark."""
        pieces, last = [], 0
        for start, end in self.spans(text):
            pieces += [text[last:start], REDACTED]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)


def _kind(folded: str) -> str:
    """Digits and letters are separate words ("KvK12345678" holds the number), anything else separates."""
    if not folded:
        return ""
    return "9" if folded.isdigit() else "a"


def _ends_word(text: str, stream: list[str], origin: list[int], end: int) -> bool:
    """Whether the folded character at ``end`` is the last of its word in the original text."""
    if end + 1 < len(origin) and origin[end + 1] == origin[end]:
        return False  # the character folds to more letters, and this is not the last of them
    after = origin[end] + 1
    return after >= len(text) or _kind(_fold(text[after])) != _kind(stream[end])


def _past_abbreviation(text: str, end: int) -> int:
    """Past the dot that closes a one-letter word ("B.V."), which belongs to the name."""
    one_letter = end < 2 or not _fold(text[end - 2])
    return end + 1 if one_letter and text[end : end + 1] == "." else end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
