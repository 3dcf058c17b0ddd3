"""Organisation A's proposition without a challenge in the authorization matrix's world: as private as a draft.

Its NLD-gebied (quantum) tags no challenge the world's coordinator coordinates, and organisation A has no
province, so no regional team triages it: every actor but A's member gets 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


def proposition_of_a(session: Session, organisation: Any, user: Any, blobs: Any, now: datetime, secret: str) -> int:
    from app.challenges.models import TaxonomyTerm
    from app.proposals.models import Blob
    from app.proposals.propositions.models import Proposition
    from tests.pdfs import pdf_bytes

    area = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == "quantum")).one()
    data = pdf_bytes(pages=1, text=f"{secret} (propositie)")  # bytes of its own, not the proposal's brief
    sha = blobs.put_bytes(data)
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size_bytes=len(data), media_type="application/pdf", created_at=now))
    proposition = Proposition(
        organisation_id=organisation.id,
        submitted_by_id=user.id,
        title="Alpha propositie",
        effect=secret,
        nld_term_id=area.id,
        trl=4,
        description=secret,
        status="submitted",
        submitted_at=now,
        document_sha256=sha,
        document_name="alpha-geheim.pdf",
        document_kind="pdf",
        document_size=len(data),
    )
    session.add(proposition)
    session.commit()
    return proposition.id
