"""Every message of the pure evaluation modules has a Dutch translation that no other catalogue contradicts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.i18n import CATALOGUE_DIR, EXTRACT_KEYWORDS, read_catalogue, translate

MODULES = ["scoring/rules", "results/rules", "assignments/rules", "route/rules", "results/exports"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
OWN_CATALOGUE = CATALOGUE_DIR / "nl" / "LC_MESSAGES" / "evaluations_pure.po"


def _msgids(module: str) -> list[str]:
    path = Path(__file__).resolve().parents[2] / "app" / "evaluations" / f"{module}.py"
    found = extract_from_file("python", path, keywords=EXTRACT_KEYWORDS)
    return [message for _line, message, _comments, _context in found if isinstance(message, str)]


@pytest.mark.parametrize("module", MODULES)
def test_every_message_has_dutch(module: str) -> None:
    catalogue = read_catalogue("nl")
    messages = _msgids(module)
    assert messages
    assert [message for message in messages if message not in catalogue] == []


def test_no_other_catalogue_translates_our_messages_differently() -> None:
    with OWN_CATALOGUE.open("rb") as handle:
        own = {message.id: message.string for message in read_po(handle, locale="nl") if message.id}
    clashes = []
    for path in sorted(OWN_CATALOGUE.parent.glob("*.po")):
        if path == OWN_CATALOGUE:
            continue
        with path.open("rb") as handle:
            for message in read_po(handle, locale="nl"):
                if message.id in own and message.string and message.string != own[message.id]:
                    clashes.append((path.name, message.id, message.string, own[message.id]))
    assert clashes == []


@pytest.mark.parametrize("module", MODULES)
def test_dutch_keeps_every_placeholder(module: str) -> None:
    catalogue = read_catalogue("nl")
    for message in _msgids(module):
        names = set(PLACEHOLDER.findall(message))
        assert set(PLACEHOLDER.findall(str(catalogue[message].string))) == names, message
        for language in ("nl", "en"):
            assert "%(" not in translate(language, message, **dict.fromkeys(names, "x"))
