"""The statements' kinds and the small markup their text is written in, parsed into blocks that the template
renders with autoescaping (no HTML from the text ever reaches the page).

The markup: a blank line separates blocks; a block whose first line starts with ``# `` is a heading (``## `` a
subheading), a block whose lines start with ``- `` is a list, anything else a paragraph. In the text, web
addresses (``https://...``) and e-mail addresses become links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.i18n import N_

KINDS = ("privacy", "accessibility", "contact", "cookies")
TITLES = {
    "privacy": N_("Privacy statement"),
    "accessibility": N_("Accessibility statement"),
    "contact": N_("Contact and help"),
    "cookies": N_("Cookie statement"),
}
MAX_LENGTH = 20_000
DEFAULTS = Path(__file__).parent / "defaults"
# A tag as HTML writes it: the form takes plain text only.
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--")
LINK = re.compile(r"https://[^\s<>\"]+[^\s<>\".,;:!?)]|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Segment:
    """A run of text, a link when ``href`` is set."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Block:
    """``kind`` is ``h2``, ``h3``, ``p`` or ``ul``; ``lines`` holds one item per list entry, one line otherwise."""

    kind: str
    lines: tuple[tuple[Segment, ...], ...]


def default_text(kind: str, language: str) -> str:
    """The text shipped with the portal (what migration 0029 seeds)."""
    return (DEFAULTS / f"{kind}.{language}.txt").read_text(encoding="utf-8")


def segments(text: str) -> tuple[Segment, ...]:
    """The text with its web and e-mail addresses as links."""
    parts: list[Segment] = []
    position = 0
    for match in LINK.finditer(text):
        if match.start() > position:
            parts.append(Segment(text[position : match.start()]))
        found = match.group(0)
        parts.append(Segment(found, found if found.startswith("https://") else "mailto:" + found))
        position = match.end()
    if position < len(text):
        parts.append(Segment(text[position:]))
    return tuple(parts)


def _block(lines: list[str]) -> Block:
    first = lines[0]
    if first.startswith("## "):
        return Block("h3", (segments(" ".join([first[3:], *lines[1:]]).strip()),))
    if first.startswith("# "):
        return Block("h2", (segments(" ".join([first[2:], *lines[1:]]).strip()),))
    if all(line.startswith("- ") for line in lines):
        return Block("ul", tuple(segments(line[2:].strip()) for line in lines))
    return Block("p", (segments(" ".join(lines)),))


def parse(text: str) -> list[Block]:
    """The text's blocks, in order (see the module's docstring)."""
    blocks: list[Block] = []
    current: list[str] = []
    for raw in [*text.replace("\r\n", "\n").split("\n"), ""]:
        line = raw.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(_block(current))
            current = []
    return blocks


def text_problem(text: str) -> str | None:
    """Why a text cannot be saved (a msgid), or None."""
    if not text.strip():
        return N_("Enter the text of the page.")
    if len(text) > MAX_LENGTH:
        return N_("Use at most 20,000 characters.")
    if HTML_TAG.search(text):
        return N_("Write plain text without HTML tags: start a line with # for a heading, with - for a list.")
    return None
