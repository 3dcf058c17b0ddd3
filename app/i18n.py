"""Translations from Babel catalogues: every ``*.po`` file under ``app/i18n/<language>/LC_MESSAGES``.

Source strings (msgids) are English; Dutch is the default language. Each domain keeps its own ``.po``
file, and they are merged per language. ``portal serve`` merges and compiles them once, before its workers
start, into the data folder (``PORTAL_CATALOGUE_CACHE`` names it for the workers): a worker then reads one
compiled catalogue per language, where parsing every ``.po`` file cost it 90 ms and 3.6 MB. A compiled file is
named by a hash of its sources, so a worker never reads one made from other ``.po`` files than its own (after
an update it parses them, as everything else without the folder does: tests, the command line).
"""

from __future__ import annotations

import gettext
import hashlib
import io
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

CATALOGUE_DIR = Path(__file__).parent / "i18n"
CATALOGUE_CACHE_ENV = "PORTAL_CATALOGUE_CACHE"


def _sources(language: str) -> list[Path]:
    return sorted((CATALOGUE_DIR / language / "LC_MESSAGES").glob("*.po"))


def read_catalogue(language: str) -> Catalog:
    """All ``.po`` files of one language merged into one catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=language)
    for path in _sources(language):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=language)
        for message in catalogue:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    return merged


def compiled(language: str) -> bytes:
    """The language's catalogues merged, in the ``.mo`` format."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(language))
    return buffer.getvalue()


def compiled_name(language: str) -> str:
    """The file name of the language's compiled catalogue: the language and a hash of its ``.po`` files."""
    digest = hashlib.sha256()
    for path in _sources(language):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{language}-{digest.hexdigest()[:20]}.mo"


@lru_cache(maxsize=len(SUPPORTED_LANGUAGES))
def translations(language: str) -> gettext.GNUTranslations:
    folder = os.environ.get(CATALOGUE_CACHE_ENV)
    if folder:
        try:
            with (Path(folder) / compiled_name(language)).open("rb") as handle:
                return gettext.GNUTranslations(handle)
        except OSError:
            pass  # not compiled for these sources: parsed below
    return gettext.GNUTranslations(io.BytesIO(compiled(language)))


def translate(language: str, message: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text


def translate_plural(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def template_functions(language: str) -> dict[str, Any]:
    """``_``, ``gettext`` and ``ngettext`` for the templates, in a language."""
    catalogue = translations(language)

    def translated(message: str, **params: Any) -> str:
        text = catalogue.gettext(message)
        return text % params if params else text

    def translated_plural(singular: str, plural: str, n: int, **params: Any) -> str:
        return catalogue.ngettext(singular, plural, n) % {"num": n, **params}

    return {"gettext": translated, "ngettext": translated_plural, "_": translated}


# --- which language a request gets ------------------------------------------------------------------

LANGUAGE_PARAMETER = "lang"
"""``?lang=en``: the address of a page in one language, whoever opens it; it sets nothing else."""
_MAX_ACCEPT_LANGUAGE = 512  # characters of Accept-Language read: a client's header never costs more than this


def resolve_language(*, query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language of one request: the address's ``?lang=`` first (a shared link shows its language), then the
    visitor's choice (the language cookie), then the browser's ``Accept-Language``, then ``default``."""
    for chosen in (query, cookie):
        if chosen in SUPPORTED_LANGUAGES:
            return str(chosen)
    return negotiate_language(accept_language or "", default=default)


def negotiate_language(header: str, *, default: str) -> str:
    """The supported language an ``Accept-Language`` header prefers most (quality values honoured, ``q=0``
    refuses one; ``en-GB`` counts as ``en``); ``default`` when it names none of them."""
    best, best_quality = default, 0.0
    for part in header[:_MAX_ACCEPT_LANGUAGE].split(",")[:32]:
        tag, _, params = part.partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in SUPPORTED_LANGUAGES:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if quality > best_quality and quality <= 1:
            best, best_quality = language, quality
    return best


def query_language(query_string: str) -> str | None:
    """The supported language a query string's ``lang`` names (the last one given), or None."""
    found = None
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        if name == LANGUAGE_PARAMETER and value in SUPPORTED_LANGUAGES:
            found = value
    return found


def without_language(query_string: str) -> str:
    """A query string without its ``lang`` parameters (the other parameters as they came)."""
    return "&".join(pair for pair in query_string.split("&") if pair and pair.partition("=")[0] != LANGUAGE_PARAMETER)


def language_vary(query_string: str) -> str:
    """The ``Vary`` of a page: its language follows the cookies and ``Accept-Language`` unless its address names
    one (``?lang=``); the session cookie changes a page in any case."""
    return "Cookie" if query_language(query_string) else "Accept-Language, Cookie"


def alternate_urls(base_url: str, path: str, query_string: str) -> dict[str, str]:
    """A page's address per language (``hreflang``: ``nl``, ``en``) and ``x-default`` (the visitor's own
    language), absolute under the public base URL, never the request's Host."""
    query = without_language(query_string)
    page = base_url.rstrip("/") + path
    urls = {code: f"{page}?{query + '&' if query else ''}{LANGUAGE_PARAMETER}={code}" for code in SUPPORTED_LANGUAGES}
    urls["x-default"] = f"{page}?{query}" if query else page
    return urls


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
