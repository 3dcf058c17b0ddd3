"""The open data API: OCDS 1.1 release packages, per challenge and for all public challenges (paged)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.challenges import service as challenge_service
from app.errors import NotFound
from app.public.ocds import service
from app.web import DbSession

router = APIRouter(prefix="/api/v1", tags=["open data"])

_EXAMPLE: dict[str, Any] = {
    "uri": "https://challenges.example/api/v1/ocds/counter-uas",
    "version": "1.1",
    "publishedDate": "2027-01-10T09:00:00Z",
    "publisher": {"name": "Ministerie van Defensie"},
    "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    "releases": [
        {
            "ocid": "ocds-xxxxxx-1",
            "id": "ocds-xxxxxx-1-tender",
            "date": "2027-01-10T09:00:00Z",
            "tag": ["tender"],
            "initiationType": "tender",
            "language": "nl",
            "buyer": {"id": "NL-MINDEF", "name": "Ministerie van Defensie"},
            "tender": {"id": "ocds-xxxxxx-1-tender", "title": "Counter-UAS", "status": "active"},
        }
    ],
}
_SCHEMA = {
    "type": "object",
    "required": ["uri", "publisher", "publishedDate", "releases", "version"],
    "description": "An OCDS 1.1 release package: https://standard.open-contracting.org/1.1/en/schema/release_package/",
}
_PACKAGE = {
    "description": "An OCDS 1.1 release package.",
    "content": {"application/json": {"schema": _SCHEMA, "example": _EXAMPLE}},
}


def _json(data: dict[str, Any], links: dict[str, str] | None = None) -> JSONResponse:
    headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())} if links else None
    return JSONResponse(data, headers=headers)


@router.get(
    "/ocds",
    name="ocds_packages",
    summary="OCDS release package of all public challenges, newest first, paged",
    responses={200: _PACKAGE, 404: {"description": "The page holds no challenge."}},
)
def ocds_packages(
    request: Request,
    db: DbSession,
    page: int = Query(default=1, ge=1, le=100_000, description="Page number, from 1."),
    page_size: int = Query(default=20, ge=1, le=100, description="Challenges per page."),
) -> JSONResponse:
    """Every release of each public challenge; the challenges newest first by publication. ``links.next`` and
    ``links.prev`` (and the ``Link`` header) point at the neighbouring pages."""
    made = service.all_packages_page(
        db,
        page=page,
        page_size=page_size,
        prefix=request.app.state.settings.ocid_prefix,
        links=request.app.state.links,
    )
    if made.package is None:
        raise NotFound()
    return _json(made.package, made.package.get("links"))


@router.get(
    "/ocds/{slug}",
    name="ocds_challenge",
    summary="OCDS release package of one public challenge",
    responses={200: _PACKAGE, 404: {"description": "No public challenge has this slug."}},
)
def ocds_challenge(request: Request, slug: str, db: DbSession) -> JSONResponse:
    """The challenge's releases, oldest first: publication, each correction and Nota version, the cancellation,
    each release of decisions, and each later change of what may be published about the winners."""
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    return _json(
        service.challenge_package(
            db, challenge=challenge, prefix=request.app.state.settings.ocid_prefix, links=request.app.state.links
        )
    )
