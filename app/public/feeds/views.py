"""The Atom feed and the iCalendar files: ``?lang=nl`` or ``?lang=en`` picks the language (a feed reader or a
calendar sends no cookie), otherwise the visitor's language as on the pages."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app import i18n
from app.challenges import service as challenge_service
from app.public.feeds import service as feed_service
from app.settings import SUPPORTED_LANGUAGES
from app.web import AppLinks, DbSession, Now, get_language

router = APIRouter()

# The writers are imported by the views that use them: feedgen (with lxml, 5 MB) and icalendar (3 MB) are needed
# by the feeds only, not by every worker that serves pages.

LanguageParameter = Query(default=None, max_length=8, description="nl or en; otherwise the visitor's language.")


def _language(request: Request, lang: str | None) -> str:
    return lang if lang in SUPPORTED_LANGUAGES else get_language(request)


def _file(content: bytes, media_type: str, *, language: str, filename: str | None = None) -> Response:
    headers = {"Content-Language": language}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(content, media_type=f"{media_type}; charset=utf-8", headers=headers)


@router.get("/feeds/challenges.atom", name="challenge_feed")
def challenge_feed(
    request: Request, db: DbSession, now: Now, links: AppLinks, lang: str | None = LanguageParameter
) -> Response:
    from app.public.feeds import atom

    language = _language(request, lang)
    events = feed_service.list_feed_events(db)
    return _file(
        atom.build_feed(events, language=language, links=links, now=now), atom.ATOM_MEDIA_TYPE, language=language
    )


@router.get("/feeds/deadlines.ics", name="deadlines_calendar")
def deadlines_calendar(
    request: Request, db: DbSession, now: Now, links: AppLinks, lang: str | None = LanguageParameter
) -> Response:
    from app.public.feeds import ics

    language = _language(request, lang)
    challenges = feed_service.list_calendar_challenges(db, now=now)
    name = i18n.translate(language, "Deadlines of the open Defence challenges")
    content = ics.build_calendar(challenges, name=name, language=language, links=links, now=now)
    return _file(content, ics.CALENDAR_MEDIA_TYPE, language=language, filename="deadlines.ics")


@router.get("/challenges/{slug}/deadlines.ics", name="challenge_calendar")
def challenge_calendar(
    request: Request, slug: str, db: DbSession, now: Now, links: AppLinks, lang: str | None = LanguageParameter
) -> Response:
    from app.public.feeds import ics

    language = _language(request, lang)
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    name = i18n.translate(language, "Deadlines: %(title)s", title=challenge.title(language))
    content = ics.build_calendar([challenge], name=name, language=language, links=links, now=now)
    return _file(content, ics.CALENDAR_MEDIA_TYPE, language=language, filename=f"{challenge.slug}-deadlines.ics")
