"""What a submitted version holds and the receipt the company gets for it: the canonical content (answers in
their own types, the consortium with each member's ownership and control, every document by its hash, the
declarations) and the SHA-256 over it, the version number and the time of receipt. No session, no web: anyone
holding a version can recompute its receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.canonical import canonical_json, sha256_hex
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import Stage
from app.organisations import ownership
from app.organisations.models import Organisation
from app.proposals.drafts import answers as answer_rules
from app.proposals.drafts import consortium
from app.proposals.enums import Declaration
from app.proposals.models import Proposal
from app.proposals.service import working_copy


def version_content(
    proposal: Proposal,
    challenge: Challenge,
    stage: ChallengeStage,
    organisation: Organisation,
    spec: Stage,
    *,
    partner_organisations: Mapping[int, Organisation] | None = None,
    publish_name: bool = False,
) -> dict[str, Any]:
    """The content of a new version: the working copy checked and typed, with the documents in its slots, and
    the ownership and control of every consortium member as registered at this moment (``partner_organisations``:
    the registered partners by id), so that a later change of an organisation does not change what is assessed. The SME flag and the company's
    answer to whether its name may be published if it wins (``publish_name``) are kept the same way."""
    draft = working_copy(proposal)
    registered = partner_organisations or {}
    return {
        "proposal": proposal.reference,
        "challenge": challenge.slug,
        "challenge_version": challenge.current_version,
        "stage": stage.key,
        "organisation": {
            "id": organisation.id,
            "legal_name": organisation.legal_name,
            "kvk_number": organisation.kvk_number,
            "country": organisation.country,
            "registry_id": organisation.registry_id,
        },
        "lead": consortium.lead_of(draft),
        "partners": consortium.partners_of(draft),
        "ownership": {
            "lead": ownership.frozen(organisation),
            "partners": [
                ownership.frozen(registered.get(p.organisation_id) if p.organisation_id is not None else None)
                for p in draft.partners
            ],
        },
        "trl": int(draft.trl),
        "answers": answer_rules.typed_answers(list(spec.questions), draft.answers),
        "documents": {
            d.question_key: {
                "sha256": d.sha256,
                "name": d.original_name,
                "size": d.size_bytes,
                "kind": d.kind,
                "pages": d.pages,
            }
            for d in proposal.documents
        },
        "declarations": sorted(d.value for d in Declaration),
        "sme": organisation.is_sme,
        "new_to_defence": organisation.new_to_defence,
        "publication": {"name": publish_name},
    }


def receipt_hash(content: dict[str, Any], *, number: int, received_at: datetime) -> str:
    """SHA-256 over the canonical content, the version number and the time of receipt (documents by hash)."""
    return sha256_hex(canonical_json({"content": content, "version": number, "received_at": received_at.isoformat()}))
