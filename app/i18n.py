"""Translations from Babel catalogues: every ``*.po`` file under ``app/i18n/<language>/LC_MESSAGES``.

Source strings (msgids) are English; Dutch is the default language. Each domain keeps its own ``.po``
file, and they are merged per language at start-up.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.settings import SUPPORTED_LANGUAGES

CATALOGUE_DIR = Path(__file__).parent / "i18n"


def read_catalogue(language: str) -> Catalog:
    """All ``.po`` files of one language merged into one catalogue."""
    merged = Catalog(locale=language)
    for path in sorted((CATALOGUE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=language)
        for message in catalogue:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    return merged


@lru_cache(maxsize=len(SUPPORTED_LANGUAGES))
def translations(language: str) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(language))
    buffer.seek(0)
    return Translations(fp=buffer)


def translate(language: str, message: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text


def translate_plural(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def N_(message: str) -> str:
    """Mark a string for the catalogue where it is defined; it is translated where it is shown."""
    return message


EXTRACT_KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "translate": (2,),
    "translate_plural": (2, 3),
}


def extract_msgids(root: Path | None = None) -> set[str]:
    """Every translatable string in the code and templates (what ``babel.cfg`` describes)."""
    from babel.messages.extract import extract_from_dir

    root = root or CATALOGUE_DIR.parent.parent
    found: set[str] = set()
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    options = {
        "templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "templates/**.txt": {"extensions": "jinja2.ext.i18n"},
    }
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map=method_map, options_map=options, keywords=EXTRACT_KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add(message[0])
        elif message:
            found.add(message)
    return found


def missing_translations(language: str = "nl") -> list[str]:
    """Strings used in code or templates without a translation in the language's catalogues."""
    catalogue = read_catalogue(language)
    return sorted(msgid for msgid in extract_msgids() if msgid not in catalogue)
