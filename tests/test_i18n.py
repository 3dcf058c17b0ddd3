"""Dutch is complete: every string in code and templates has a Dutch translation."""

from __future__ import annotations

from app import i18n


def test_every_string_has_a_dutch_translation() -> None:
    assert i18n.missing_translations("nl") == []


def test_extraction_finds_template_and_code_strings() -> None:
    found = i18n.extract_msgids()
    assert "Desired operational effects" in found  # template
    assert "Page not found" in found  # N_() in code
    assert "%(num)d day left" in found  # translate_plural() in code


def test_plural_forms_follow_the_count() -> None:
    assert i18n.translate_plural("nl", "%(num)d day left", "%(num)d days left", 1) == "nog 1 dag"
    assert i18n.translate_plural("nl", "%(num)d day left", "%(num)d days left", 3) == "nog 3 dagen"
    assert i18n.translate_plural("en", "%(num)d day left", "%(num)d days left", 3) == "3 days left"


def test_no_source_string_has_two_different_dutch_translations() -> None:
    """Each domain keeps its own catalogue; the merged catalogue keeps one translation per source string, so two
    catalogues that translate the same string differently would silently show one of them everywhere."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((i18n.CATALOGUE_DIR / "nl" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale="nl")
        for message in catalogue:
            if not message.id or not message.string:
                continue
            key = str(message.id)
            translation = str(message.string)
            if key in seen and seen[key][0] != translation:
                clashes.append(f"{key!r}: {seen[key][1]} says {seen[key][0]!r}, {path.name} says {translation!r}")
            seen.setdefault(key, (translation, path.name))
    assert clashes == []


def test_no_catalogue_holds_a_source_string_twice() -> None:
    """Within one ``.po`` file the parser keeps the last of two entries for the same string without a word, so a
    second entry (say, an outdated translation pasted again) would replace the first unseen."""
    from babel.messages.pofile import read_po

    doubled = []
    for path in sorted((i18n.CATALOGUE_DIR / "nl" / "LC_MESSAGES").glob("*.po")):
        entries = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")]
        with path.open("rb") as handle:
            kept = [message for message in read_po(handle, locale="nl") if message.id]
        if len(entries) - 1 != len(kept):  # the header's empty msgid is not a message
            doubled.append(f"{path.name}: {len(entries) - 1} entries, {len(kept)} strings")
    assert doubled == []
