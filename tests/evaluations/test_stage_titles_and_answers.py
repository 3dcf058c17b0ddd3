"""Where a person reads about a stage they read its title in their language, not its key ("brief"); a yes/no
answer reads "Yes"/"No" (Ja/Nee) wherever it is shown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from app.organisations.models import Organisation
from app.proposals.models import Proposal, ProposalVersion
from tests.evaluations.helpers import (
    RECEIVED,
    Scenario,
    actor,
    after_deadline,
    build_scenario,
    content_for,
    make_organisation,
)
from tests.factories import LINKS, create_user, log_in
from tests.markup import without_labels
from tests.proposals.helpers import all_types_stage

TITLE = {"nl": "Oplossingsschets", "en": "Solution brief"}
STAGE = {"nl": "Fase", "en": "Stage"}
WORDS = {"nl": ("Ja", "Nee"), "en": ("Yes", "No")}


def _as(client: TestClient, session: Session, user: object, clock: FrozenClock, language: str) -> None:
    log_in(client, session, user, now=clock.now())
    client.cookies.set("portal_lang", language)


def _submitted(session: Session, s: Scenario, organisation: Organisation, answers: dict[str, object]) -> Proposal:
    """A submitted proposal whose standing version holds ``answers`` (versions cannot change once stored)."""
    proposal = Proposal(
        challenge_id=s.challenge.id,
        stage_id=s.stage.id,
        organisation_id=organisation.id,
        status="submitted",
        draft={},
        challenge_version=s.challenge.current_version,
        version_count=1,
        created_at=RECEIVED,
        updated_at=RECEIVED,
        submitted_at=RECEIVED,
    )
    session.add(proposal)
    session.flush()
    content = {**content_for(proposal, organisation, s.challenge, s.stage), "answers": answers}
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            kind="submit",
            challenge_version=s.challenge.current_version,
            content=content,
            receipt_hash="b" * 64,
            received_at=RECEIVED,
            idempotency_key=f"key-{proposal.id}",
        )
    )
    session.commit()
    return proposal


def _assign(session: Session, s: Scenario, clock: FrozenClock, *, declare: bool) -> list[int]:
    """The first evaluator assigned to every proposal (and declared free of conflicts when ``declare``)."""
    evaluator = s.evaluators[0]
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
    )
    ids = []
    for proposal in s.proposals:
        assignment = assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            evaluator_id=evaluator.id,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
        )
        if declare:
            opened = evaluator_service.open_assignment(
                session, assignment_id=assignment.id, user=evaluator, now=clock.now()
            )
            form = DeclarationForm(has_conflict=False)
            evaluator_service.declare(
                session, opened=opened, form=form, actor=actor(evaluator), now=clock.now(), links=LINKS
            )
        ids.append(assignment.id)
    session.commit()
    return ids


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_pages_name_the_stage_by_its_title(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    title = TITLE[language]
    _as(client, session, s.coordinator, clock, language)
    manage = client.get(f"/manage/challenges/{s.challenge.slug}")
    assert manage.status_code == 200
    assert f'<th scope="row">{title}</th>' in manage.text
    extend = client.get(f"/manage/challenges/{s.challenge.slug}/extend")
    assert extend.status_code == 200
    assert f'<option value="brief" selected>{title} (' in extend.text
    after_deadline(clock)
    _as(client, session, s.coordinator, clock, language)
    overview = client.get(f"/manage/challenges/{s.challenge.slug}/evaluation")
    assert overview.status_code == 200
    assert f"<td>{title}</td>" in without_labels(overview.text)
    assert "<td>brief</td>" not in without_labels(overview.text)
    results = client.get(f"{s.base}/results")
    assert results.status_code == 200
    assert f'<li aria-current="page">{STAGE[language]}: {title}</li>' in results.text
    listing = client.get(f"/manage/challenges/{s.challenge.slug}/proposals")
    assert listing.status_code == 200
    assert f"{STAGE[language]} 1: {title} · " in listing.text
    _assign(session, s, clock, declare=False)
    _as(client, session, s.evaluators[0], clock, language)
    queue = client.get("/evaluate")
    assert queue.status_code == 200
    assert f"({title})</td>" in queue.text
    assert "(brief)" not in queue.text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_evaluator_reads_yes_no_answers_as_words(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=0, evaluators=1, definition={"stages": all_types_stage()})
    for index, tested in enumerate((True, False)):
        organisation = make_organisation(session, name=f"Firma{index} B.V.", kvk=f"{20_000_000 + index}")
        s.proposals.append(_submitted(session, s, organisation, {"name": "SkyNet", "tested": tested}))
    after_deadline(clock)
    ids = _assign(session, s, clock, declare=True)
    _as(client, session, s.evaluators[0], clock, language)
    yes, no = WORDS[language]
    label = "Getest?" if language == "nl" else "Tested?"
    for assignment_id, word in zip(ids, (yes, no), strict=True):
        page = client.get(f"/evaluate/assignments/{assignment_id}")
        assert page.status_code == 200
        assert f"<dt>{label}</dt>\n    <dd>{word}</dd>" in page.text
        assert "✓" not in page.text and "✗" not in page.text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_coordinator_and_company_read_yes_no_answers_as_words(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    """The staff proposal page (after the deadline) and the company's own version page, both through the
    shared ``answer_value`` macro: each answer a word, never a check mark or a cross."""
    s = build_scenario(session, proposals=0, evaluators=1, definition={"stages": all_types_stage()})
    members = []
    for index, tested in enumerate((True, False)):
        member = create_user(session, email=f"lid{index}@firma{index}.example", name=f"Lid {index}")
        organisation = make_organisation(session, name=f"Firma{index} B.V.", kvk=f"{20_000_000 + index}", member=member)
        s.proposals.append(_submitted(session, s, organisation, {"name": "SkyNet", "tested": tested}))
        members.append(member)
    after_deadline(clock)
    yes, no = WORDS[language]
    label = "Getest?" if language == "nl" else "Tested?"
    _as(client, session, s.coordinator, clock, language)
    for proposal, word in zip(s.proposals, (yes, no), strict=True):
        page = client.get(f"/manage/challenges/{s.challenge.slug}/proposals/{proposal.id}")
        assert page.status_code == 200
        assert f"<dt>{label}</dt>\n  <dd>{word}</dd>" in page.text
        assert "✓" not in page.text and "✗" not in page.text
    for member, proposal, word in zip(members, s.proposals, (yes, no), strict=True):
        _as(client, session, member, clock, language)
        page = client.get(f"/proposals/{proposal.id}/versions/1")
        assert page.status_code == 200
        assert f"<dt>{label}</dt>\n  <dd>{word}</dd>" in page.text
        assert "✓" not in page.text and "✗" not in page.text
