"""OCDS 1.1 releases made from what the portal stored when it happened, with no database and no web.

Each release has an id and a date taken from a stored event (the publication, a definition version, a Nota
version, the cancellation, a release of decisions, a publication choice), so the same release comes out every
time it is made. Texts are Dutch with the English beside them (``title_en``), as OCDS 1.1 writes languages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.challenges.schemas import ChallengeDefinition
from app.challenges.service import DEFAULT_QUESTION_PERIOD
from app.clock import local_to_utc

OCDS_VERSION = "1.1"
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
BUYER = {"id": "NL-MINDEF", "name": "Ministerie van Defensie"}


def ocds_date(value: datetime) -> str:
    """RFC 3339 in UTC, as OCDS asks (``2027-02-26T16:00:00Z``)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make_ocid(prefix: str, challenge_id: int) -> str:
    return f"{prefix}-{challenge_id}"


@dataclass(frozen=True)
class Links:
    """The public addresses a release points at."""

    page: str  # the challenge's public page (the notice)
    api: str  # the challenge in the JSON API (questions, criteria, scale)
    nota: dict[int, str] = field(default_factory=dict)  # Nota version -> its page


@dataclass(frozen=True)
class Amendment:
    release_id: str
    date: datetime
    rationale: str
    description: str
    description_en: str


@dataclass(frozen=True)
class Award:
    """One award of a released stage; ``suppliers`` only where names may be published."""

    id: str
    status: str  # active | unsuccessful
    suppliers: list[dict[str, Any]]


def _text(value: Any, key: str) -> dict[str, str]:
    return {key: value.nl, f"{key}_en": value.en}


def _period(start: datetime, end: datetime) -> dict[str, str]:
    return {"startDate": ocds_date(local_to_utc(start)), "endDate": ocds_date(local_to_utc(end))}


def _milestones(definition: ChallengeDefinition) -> list[dict[str, Any]]:
    """Each stage as a milestone due at its deadline, its opening and question period in the description."""
    milestones = []
    for stage in definition.stages:
        opens = ocds_date(local_to_utc(stage.opens_at))
        milestones.append(
            {
                "id": f"stage-{stage.key}",
                **_text(stage.title, "title"),
                "type": "engagement",
                "description": f"{stage.description.nl} (Opent {opens}"
                + ("; alleen op uitnodiging" if stage.invitation_only else "")
                + ")",
                "description_en": f"{stage.description.en} (Opens {opens}"
                + ("; by invitation only" if stage.invitation_only else "")
                + ")",
                "dueDate": ocds_date(local_to_utc(stage.deadline)),
                "status": "scheduled",
            }
        )
    return milestones


def _criteria(definition: ChallengeDefinition) -> dict[str, str]:
    total = sum(c.weight for c in definition.criteria)
    nl = "; ".join(f"{c.title.nl} (weging {c.weight} van {total})" for c in definition.criteria)
    en = "; ".join(f"{c.title.en} (weight {c.weight} of {total})" for c in definition.criteria)
    return {"awardCriteria": "ratedCriteria", "awardCriteriaDetails": nl, "awardCriteriaDetails_en": en}


def _effects(definition: ChallengeDefinition) -> list[dict[str, Any]]:
    """The desired operational effects, each an item: what Defence wants to achieve, and how success is measured."""
    return [
        {
            "id": effect.key,
            "description": f"{effect.title.nl}: {effect.description.nl} Succes: {effect.success_measure.nl}",
            "description_en": f"{effect.title.en}: {effect.description.en} Success: {effect.success_measure.en}",
        }
        for effect in definition.effects
    ]


def documents(links: Links, nota: dict[int, datetime], published_at: datetime) -> list[dict[str, Any]]:
    """The documents of the call: the notice, the full definition in the API, the Nota versions published so far."""
    made = [
        {
            "id": "notice",
            "documentType": "tenderNotice",
            "title": "Challenge",
            "url": links.page,
            "format": "text/html",
            "datePublished": ocds_date(published_at),
        },
        {
            "id": "definition",
            "documentType": "biddingDocuments",
            "title": "Challenge definition: questions, criteria, weights and scale",
            "url": links.api,
            "format": "application/json",
            "datePublished": ocds_date(published_at),
        },
    ]
    for number, at in sorted(nota.items()):
        made.append(
            {
                "id": f"nota-{number}",
                "documentType": "clarifications",
                "title": f"Nota van Inlichtingen {number}",
                "url": links.nota.get(number, links.page),
                "format": "text/html",
                "datePublished": ocds_date(at),
            }
        )
    return made


def tender(
    definition: ChallengeDefinition, *, ocid: str, status: str, docs: list[dict[str, Any]], amendments: list[Amendment]
) -> dict[str, Any]:
    """The tender as a definition version describes it."""
    first = definition.stages[0]
    made: dict[str, Any] = {
        "id": f"{ocid}-tender",
        **_text(definition.title, "title"),
        "description": f"{definition.summary.nl}\n\n{definition.problem_statement.nl}",
        "description_en": f"{definition.summary.en}\n\n{definition.problem_statement.en}",
        "status": status,
        "procuringEntity": dict(BUYER),
        "items": _effects(definition),
        "procurementMethod": "selective" if first.invitation_only else "open",
        "procurementMethodDetails": "Industry challenge: a desired operational effect, solutions open",
        **_criteria(definition),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": _period(first.opens_at, first.deadline),
        # Without its own question deadline a stage takes questions until the default period before the deadline.
        "enquiryPeriod": _period(first.opens_at, first.question_deadline or first.deadline - DEFAULT_QUESTION_PERIOD),
        **_text(definition.eligibility.text, "eligibilityCriteria"),
        "documents": docs,
        "milestones": _milestones(definition),
    }
    if amendments:
        made["amendments"] = [
            {
                "id": a.release_id,
                "date": ocds_date(a.date),
                "rationale": a.rationale,
                "description": a.description,
                "description_en": a.description_en,
                "releaseID": a.release_id,
            }
            for a in amendments
        ]
    return made


def release(ocid: str, suffix: str, date: datetime, tags: list[str], **sections: Any) -> dict[str, Any]:
    """One release: its id unique within the ocid, the buyer named, then the given sections."""
    return {
        "ocid": ocid,
        "id": f"{ocid}-{suffix}",
        "date": ocds_date(date),
        "tag": tags,
        "initiationType": "tender",
        "language": "nl",
        "buyer": dict(BUYER),
        "parties": [{**BUYER, "roles": ["buyer", "procuringEntity"]}, *sections.pop("suppliers", [])],
        **sections,
    }


def supplier_party(name: str, kvk_number: str | None, country: str | None, registry_id: str | None) -> dict[str, Any]:
    """A winner as an OCDS party: identified by its KvK number (``NL-KVK``) or its country's registry id."""
    if kvk_number:
        identifier = {"scheme": "NL-KVK", "id": kvk_number, "legalName": name}
        party_id = f"NL-KVK-{kvk_number}"
    else:
        identifier = {"id": registry_id or name, "legalName": name}
        party_id = f"{country or 'XX'}-{registry_id or name}"
    return {
        "id": party_id,
        "name": name,
        "identifier": identifier,
        "roles": ["supplier"],
    }


def awards_section(
    *, ocid: str, stage_title: Any, date: datetime, awards: list[Award], final: bool, tenderers: int, route: str | None
) -> dict[str, Any]:
    """The tender's state and awards after a stage's decisions were released."""
    awarded = any(a.status == "active" for a in awards)
    section: dict[str, Any] = {
        "tender": {
            "id": f"{ocid}-tender",
            "status": ("complete" if awarded else "unsuccessful") if final else "active",
            "numberOfTenderers": tenderers,
            **({"procurementMethodRationale": ROUTE_RATIONALE[route]} if route in ROUTE_RATIONALE else {}),
        }
    }
    if awards:
        section["awards"] = [
            {
                "id": award.id,
                "title": f"Gunning: {stage_title.nl}",
                "title_en": f"Award: {stage_title.en}",
                "status": award.status,
                "date": ocds_date(date),
                **(
                    {"suppliers": [{"id": s["id"], "name": s["name"]} for s in award.suppliers]}
                    if award.suppliers
                    else {}
                ),
            }
            for award in awards
        ]
    return section


ROUTE_RATIONALE = {
    "article_346": "Artikel 346 VWEU (Article 346 TFEU)",
    "adv": "Aanbestedingswet op defensie- en veiligheidsgebied (ADV)",
    "aanbestedingswet_2012": "Aanbestedingswet 2012",
}


def package(
    releases: list[dict[str, Any]], *, uri: str, publisher: str, links: dict[str, str] | None = None
) -> dict[str, Any]:
    """A release package; its date is the newest release's, so the same data gives the same package."""
    newest = max((r["date"] for r in releases), default=ocds_date(datetime(2000, 1, 1, tzinfo=UTC)))
    made: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": newest,
        "publisher": {"name": publisher},
        "license": LICENSE,
        "releases": releases,
    }
    if links:
        made["links"] = links
    return made
