"""OCDS release packages of the public challenges, made from the stored events each time they are asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.challenges import service as challenge_service
from app.challenges.enums import PUBLIC_STATUSES
from app.challenges.models import Challenge, ChallengeVersion
from app.links import Links
from app.public.ocds import rules
from app.public.outcomes import service as outcome_service
from app.public.outcomes.service import Outcome, StageOutcome
from app.questions.models import NotaVersion

PUBLISHER = "Ministerie van Defensie"


@dataclass(frozen=True)
class History:
    """What one challenge's releases are made of."""

    challenge: Challenge
    ocid: str
    versions: list[ChallengeVersion]
    published: ChallengeVersion
    nota: dict[int, datetime]
    cancellation: outcome_service.Cancellation | None
    outcome: Outcome
    links: rules.Links


def _history(session: Session, challenge: Challenge, *, prefix: str, links: Links) -> History:
    assert challenge.published_at is not None
    versions = sorted(challenge.versions, key=lambda v: v.number)
    before = [v for v in versions if v.created_at <= challenge.published_at]
    nota = {
        number: at
        for number, at in session.execute(
            select(NotaVersion.number, NotaVersion.published_at).where(NotaVersion.challenge_id == challenge.id)
        )
    }
    return History(
        challenge=challenge,
        ocid=rules.make_ocid(prefix, challenge.id),
        versions=versions,
        published=before[-1] if before else versions[0],
        nota=nota,
        cancellation=outcome_service.cancellation(session, challenge=challenge),
        outcome=outcome_service.challenge_outcome(session, challenge=challenge),
        links=rules.Links(
            page=links.url("challenge_detail", slug=challenge.slug),
            api=links.url("get_challenge", slug=challenge.slug),
            nota={n: links.url("nota_version", slug=challenge.slug, number=n) for n in nota},
        ),
    )


def _definition_at(history: History, at: datetime) -> Any:
    version = max(
        (v for v in history.versions if v.number >= history.published.number and v.created_at <= at),
        key=lambda v: v.number,
        default=history.published,
    )
    return challenge_service.version_definition(version)


def _tender_release(
    history: History, suffix: str, at: datetime, tags: list[str], amendments: list[rules.Amendment], status: str
) -> dict[str, Any]:
    docs = rules.documents(
        history.links, {n: d for n, d in history.nota.items() if d <= at}, history.challenge.published_at or at
    )
    tender = rules.tender(
        _definition_at(history, at), ocid=history.ocid, status=status, docs=docs, amendments=amendments
    )
    return rules.release(history.ocid, suffix, at, tags, tender=tender)


def _amendment_events(history: History) -> list[tuple[datetime, int, int, rules.Amendment]]:
    """Corrections and extensions (new definition versions) and Nota versions, as amendments in date order."""
    events = []
    for version in history.versions:
        if version.number > history.published.number:
            suffix = f"v{version.number}"
            amendment = rules.Amendment(
                release_id=f"{history.ocid}-{suffix}",
                date=version.created_at,
                rationale=version.reason or "",
                description=f"Correctie: versie {version.number} van de challenge",
                description_en=f"Correction: version {version.number} of the challenge",
            )
            events.append((version.created_at, 0, version.number, amendment))
    for number, at in history.nota.items():
        amendment = rules.Amendment(
            release_id=f"{history.ocid}-nota-{number}",
            date=at,
            rationale="Nota van Inlichtingen",
            description=f"Nota van Inlichtingen versie {number}",
            description_en=f"Nota van Inlichtingen (clarifications) version {number}",
        )
        events.append((at, 1, number, amendment))
    return sorted(events, key=lambda e: (e[0], e[1], e[2]))


def _tender_releases(history: History) -> list[dict[str, Any]]:
    published_at = history.challenge.published_at
    assert published_at is not None
    made = [_tender_release(history, "tender", published_at, ["tender"], [], "active")]
    done: list[rules.Amendment] = []
    for at, _, _, amendment in _amendment_events(history):
        done.append(amendment)
        suffix = amendment.release_id.removeprefix(f"{history.ocid}-")
        made.append(_tender_release(history, suffix, at, ["tenderAmendment"], list(done), "active"))
    if history.cancellation is not None:
        cancelled = _tender_release(
            history, "cancellation", history.cancellation.at, ["tenderCancellation"], list(done), "cancelled"
        )
        cancelled["tender"]["statusDetails"] = history.cancellation.reason
        made.append(cancelled)
    return made


def _awards(history: History, stage: StageOutcome, at: datetime) -> list[rules.Award]:
    if not stage.final:
        return []
    if not stage.winners:
        return [rules.Award(id=f"{stage.stage.key}-none", status="unsuccessful", suppliers=[])]
    named = {w.proposal_id for w in history.outcome.named(stage, at)}
    return [
        rules.Award(
            id=f"{stage.stage.key}-{index}",
            status="active",
            suppliers=[rules.supplier_party(w.name, w.kvk_number, w.country, w.registry_id)]
            if w.proposal_id in named
            else [],
        )
        for index, w in enumerate(stage.winners, start=1)
    ]


def _stage_title(history: History, stage: StageOutcome) -> Any:
    specs = _definition_at(history, stage.released_at).stages
    return next(spec.title for spec in specs if spec.key == stage.stage.key)


def _award_release(history: History, stage: StageOutcome, suffix: str, at: datetime, tags: list[str]) -> dict[str, Any]:
    awards = _awards(history, stage, at)
    section = rules.awards_section(
        ocid=history.ocid,
        stage_title=_stage_title(history, stage),
        date=stage.released_at,
        awards=awards,
        final=stage.final,
        tenderers=stage.proposals,
        route=stage.route,
    )
    suppliers = [party for award in awards for party in award.suppliers]
    return rules.release(history.ocid, suffix, at, tags, suppliers=suppliers, **section)


def _decision_releases(history: History) -> list[dict[str, Any]]:
    made = []
    for stage in history.outcome.stages:
        tags = ["award"] if stage.final else ["tenderUpdate"]
        made.append(_award_release(history, stage, f"decisions-{stage.stage.key}", stage.released_at, tags))
        if stage.final and stage.winners:
            for choice in history.outcome.history:
                if choice.chosen_at is not None and choice.chosen_at > stage.released_at:
                    suffix = f"publication-{choice.event_id}"
                    made.append(_award_release(history, stage, suffix, choice.chosen_at, ["awardUpdate"]))
    return made


def challenge_releases(session: Session, *, challenge: Challenge, prefix: str, links: Links) -> list[dict[str, Any]]:
    """Every release of one public challenge, oldest first."""
    history = _history(session, challenge, prefix=prefix, links=links)
    releases = _tender_releases(history) + _decision_releases(history)
    return sorted(releases, key=lambda r: r["date"])


def _public() -> Any:
    return select(Challenge).where(
        Challenge.status.in_([s.value for s in PUBLIC_STATUSES]), Challenge.published_at.is_not(None)
    )


def challenge_package(session: Session, *, challenge: Challenge, prefix: str, links: Links) -> dict[str, Any]:
    releases = challenge_releases(session, challenge=challenge, prefix=prefix, links=links)
    return rules.package(releases, uri=links.url("ocds_challenge", slug=challenge.slug), publisher=PUBLISHER)


@dataclass(frozen=True)
class Page:
    package: dict[str, Any] | None  # None: the page holds no challenge
    next_url: str | None
    prev_url: str | None


def all_packages_page(session: Session, *, page: int, page_size: int, prefix: str, links: Links) -> Page:
    """The public challenges newest first (by publication), ``page_size`` per page, each with all its releases."""
    total = session.scalar(select(func.count()).select_from(_public().subquery())) or 0
    challenges = session.scalars(
        _public()
        .options(selectinload(Challenge.versions), selectinload(Challenge.stages))
        .order_by(Challenge.published_at.desc(), Challenge.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    base = links.url("ocds_packages")

    def url(number: int) -> str:
        return f"{base}?page={number}&page_size={page_size}"

    next_url = url(page + 1) if page * page_size < total else None
    prev_url = url(page - 1) if page > 1 and (page - 1) * page_size < max(total, 1) else None
    if not challenges:
        return Page(None, None, prev_url)
    releases = [
        release
        for challenge in challenges
        for release in challenge_releases(session, challenge=challenge, prefix=prefix, links=links)
    ]
    links_section = {k: v for k, v in (("next", next_url), ("prev", prev_url)) if v}
    package = rules.package(releases, uri=url(page), publisher=PUBLISHER, links=links_section or None)
    return Page(package, next_url, prev_url)
