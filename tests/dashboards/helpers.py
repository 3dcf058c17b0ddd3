"""A known portfolio for the dashboard and statistics tests.

- ``closed`` (NLD sensoren, published 1 November 2026 12:00 UTC, deadline 26 February 2027): four submitted
  proposals (SME single TRL 4; SME with one partner TRL 5; not an SME with two partners TRL 5; SME single TRL 6)
  and one draft; assessed TRL 3 and 5 (median 3), 5, and 4, 4, 6 (median 4) for the first three; decisions
  released 11 March 2027 09:00 UTC, 129 whole days after publication.
- ``open`` (NLD quantum, published 10 January 2027, deadline 1 June 2027): two submitted proposals (sealed) and
  one draft.
- ``draft``: never published.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.evaluations.enums import DecisionOutcome
from app.evaluations.models import Assignment, Evaluation
from app.proposals.models import Proposal, ProposalVersion
from tests.evaluations.helpers import RECEIVED, Scenario, build_scenario, content_for, make_organisation
from tests.factories import BASE_DEFINITION, create_challenge, create_user
from tests.ocds.helpers import release

AFTER_DEADLINE = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
RELEASED = datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
OPEN_PUBLISHED = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    name: str
    sme: bool
    partners: int
    trl: int
    assessed: tuple[int, ...]
    said: dict[str, Any] = field(default_factory=dict)  # more of what the standing version says


CLOSED = (
    Entry("Anna Sensing B.V.", sme=True, partners=0, trl=4, assessed=(3, 5)),
    Entry("Bert Radar B.V.", sme=True, partners=1, trl=5, assessed=(5,)),
    Entry("Cees Optics B.V.", sme=False, partners=2, trl=5, assessed=(4, 4, 6)),
    Entry("Dirk Acoustics B.V.", sme=True, partners=0, trl=6, assessed=()),
)


def partner(index: int) -> dict[str, Any]:
    return {
        "legal_name": f"Partner {index} B.V.",
        "kvk_number": f"4900000{index}",
        "country": "NL",
        "share": 10,
        "role": "x",
    }


def submit(
    session: Session,
    challenge: Challenge,
    *,
    name: str,
    kvk: str,
    sme: bool,
    partners: int,
    trl: int,
    said: dict[str, Any] | None = None,
) -> Proposal:
    """A submitted proposal whose standing version holds the SME flag, its partners and its claimed TRL."""
    organisation = make_organisation(session, name=name, kvk=kvk)
    organisation.is_sme = sme
    stage = challenge.stages[0]
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=stage.id,
        organisation_id=organisation.id,
        status="submitted",
        draft={},
        challenge_version=challenge.current_version,
        version_count=1,
        created_at=RECEIVED,
        updated_at=RECEIVED,
        submitted_at=RECEIVED,
    )
    session.add(proposal)
    session.flush()
    content = content_for(
        proposal, organisation, challenge, stage, partners=[partner(i) for i in range(partners)], trl=trl
    )
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            kind="submit",
            challenge_version=challenge.current_version,
            content={**content, "sme": sme, "publication": {"name": False}, **(said or {})},
            receipt_hash="d" * 64,
            received_at=RECEIVED,
            idempotency_key=f"portfolio-{proposal.id}",
        )
    )
    session.commit()
    return proposal


def draft(session: Session, challenge: Challenge, *, name: str, kvk: str) -> Proposal:
    organisation = make_organisation(session, name=name, kvk=kvk)
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=challenge.stages[0].id,
        organisation_id=organisation.id,
        draft={},
        created_at=RECEIVED,
        updated_at=RECEIVED,
    )
    session.add(proposal)
    session.commit()
    return proposal


def assess(session: Session, proposal: Proposal, levels: tuple[int, ...], evaluators: list[Any]) -> None:
    """Submitted evaluations of the proposal with these assessed TRLs, one per evaluator."""
    for level, evaluator in zip(levels, evaluators, strict=False):
        assignment = Assignment(
            proposal_id=proposal.id,
            evaluator_id=evaluator.id,
            stage_id=proposal.stage_id,
            status="accepted",
            assigned_at=AFTER_DEADLINE,
        )
        session.add(assignment)
        session.flush()
        session.add(
            Evaluation(
                assignment_id=assignment.id,
                status="submitted",
                assessed_trl=level,
                created_at=AFTER_DEADLINE,
                updated_at=AFTER_DEADLINE,
                submitted_at=AFTER_DEADLINE,
            )
        )
    session.commit()


def closed_challenge(
    session: Session, entries: tuple[Entry, ...] = CLOSED, *, prefix: str = "closed", block: int = 1
) -> Scenario:
    """The closed challenge with its proposals and one draft; nothing decided yet. ``prefix`` and ``block`` (of
    KvK numbers) keep two apart."""
    s = build_scenario(session, proposals=0, evaluators=0, prefix=prefix)
    evaluators = [
        create_user(session, email=f"{prefix}-trl{i}@mindef.example", name=f"TRL {i}", roles=("evaluator",))
        for i in range(3)
    ]
    for index, entry in enumerate(entries):
        proposal = submit(
            session,
            s.challenge,
            name=entry.name,
            kvk=f"4{block}{index:06d}",
            sme=entry.sme,
            partners=entry.partners,
            trl=entry.trl,
            said=entry.said,
        )
        s.proposals.append(proposal)
        assess(session, proposal, entry.assessed, evaluators)
    draft(session, s.challenge, name="Eddy Draft B.V.", kvk=f"4{block}999999")
    return s


def decide(session: Session, s: Scenario, clock: FrozenClock) -> None:
    """Every proposal of the closed challenge decided (the first awarded) and released on RELEASED."""
    clock.set(RELEASED)
    outcomes = tuple(DecisionOutcome.AWARD if i == 0 else DecisionOutcome.REJECT for i in range(len(s.proposals)))
    release(session, s, clock.now(), outcomes=outcomes)


def open_challenge(session: Session) -> Challenge:
    stage = {**BASE_DEFINITION["stages"][0], "opens_at": "2027-01-11T09:00:00", "deadline": "2027-06-01T17:00:00"}
    challenge = create_challenge(
        session, slug="open-quantum", at=OPEN_PUBLISHED, tags={"nld": ["quantum"], "basis": []}, stages=[stage]
    )
    submit(session, challenge, name="Frits Quantum B.V.", kvk="43000001", sme=True, partners=3, trl=2)
    submit(session, challenge, name="Gerda Qubits B.V.", kvk="43000002", sme=False, partners=0, trl=3)
    draft(session, challenge, name="Hans Draft B.V.", kvk="43000003")
    return challenge


def portfolio(session: Session, clock: FrozenClock, entries: tuple[Entry, ...] = CLOSED) -> Scenario:
    """All three challenges, the closed one decided; the clock on LATER."""
    s = closed_challenge(session, entries)
    open_challenge(session)
    create_challenge(session, slug="never-published", publish=False)
    decide(session, s, clock)
    clock.set(LATER)
    return s


def table(html: str, key: str) -> list[list[str]]:
    """The rows of a figure's table (``table-KEY``): per row its label and its cells, as shown."""
    match = re.search(rf'<table id="table-{re.escape(key)}">(.*?)</table>', html, re.S)
    assert match is not None, f"no table {key}"
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", match.group(1), re.S)
    return [[label, *re.findall(r'<td class="numeric"[^>]*>(.*?)</td>', cells)] for label, cells in rows]


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
