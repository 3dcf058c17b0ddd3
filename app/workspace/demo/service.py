"""The demo's evaluated challenge (``portal demo``): a published challenge whose deadline has passed, with
submitted proposals (one knocked out, the others of varied quality), evaluators assigned, some scores and
essential-security-interest assessments, and consensus on two proposals, so that the evaluation and decision
pages can be tried at once.

Everything goes through the use cases the web uses (loading and publishing a definition, registering an
organisation, a draft with answers and a checked document, submitting, eligibility, the pool, assignments,
declarations, scores, assessments, consensus), each at the moment it would have happened: the ``now`` of each
call moves from before the stage opened to the present, as the tests move the clock. Made once: when the
challenge exists, nothing is done.
"""

from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges.definitions import parse_definition
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.clock import local_to_utc, to_local
from app.evaluations.assignments import service as assignment_service
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.pool import service as pool_service
from app.evaluations.results import service as results_service
from app.evaluations.schemas import DeclarationForm, EligibilityForm, parse_assessment
from app.evaluations.scoring import service as scoring_service
from app.evaluations.security import service as security_service
from app.links import Links
from app.organisations import service as organisation_service
from app.organisations.schemas import parse_organisation
from app.proposals.documents import service as document_service
from app.proposals.documents.checks import inspect_document
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal
from app.proposals.submissions import service as submission_service
from app.storage import BlobStore
from app.workspace.administration import service as administration
from app.workspace.demo.documents import brief_pdf
from app.workspace.lifecycle import service as lifecycle
from app.workspace.loading import service as loading

DEFINITION_FILE = Path(__file__).with_name("evaluation.toml")
SLUG = "demo-perimeter-sensors"
CRITERIA = ("operational-effect", "maturity", "cost")
DECLARATIONS = frozenset({"unclassified", "truthful", "consent"})


@dataclass(frozen=True)
class DemoCompany:
    legal_name: str
    kvk_number: str
    city: str
    summary: str
    trl: str


COMPANIES = (
    DemoCompany(
        "Radarwacht B.V.",
        "90000011",
        "Enschede",
        "Een keten van kleine radars langs het hek, gekoppeld aan warmtebeeldcamera's die elke melding bevestigen. "
        "Getest op twee kazerneterreinen: 97% van de naderingen gezien, 0,4 valse meldingen per nacht per kilometer.",
        "7",
    ),
    DemoCompany(
        "Glasvezel Sensing B.V.",
        "90000012",
        "Delft",
        "Een glasvezel in de grond langs het hek meet trillingen van voetstappen en voertuigen. "
        "In het laboratorium bewezen; een veldproef op een kazerneterrein volgt.",
        "5",
    ),
    DemoCompany(
        "Hekwerk Alarm B.V.",
        "90000013",
        "Zwolle",
        "Wij plaatsen bewegingsmelders op de hekpalen. Over valse meldingen bij regen en dieren zijn nog geen "
        "gegevens.",
        "5",
    ),
    DemoCompany(
        "Noordzee Detectie B.V.",
        "90000014",
        "Den Helder",
        "Akoestische sensoren en camera's met herkenning van mensen en voertuigen, al ingezet bij havens; "
        "aanpassing aan kazerneterreinen binnen een halfjaar.",
        "6",
    ),
)

# Per proposal (in COMPANIES' order): each panel evaluator's scores on CRITERIA, or None to leave it unscored.
PANEL_SCORES: tuple[tuple[tuple[int, int, int] | None, ...], ...] = (
    ((5, 4, 4), (4, 4, 3)),
    ((4, 2, 3), (1, 2, 3)),  # a disagreement on the operational effect
    ((1, 2, 3), (1, 1, 2)),
    ((4, 3, 2), None),
)
# The demo evaluator's own part: scored (index 0), declared only (1), not yet opened (3).
EVALUATOR_SCORES = {0: (4, 4, 3)}
EVALUATOR_DECLARED = (0, 1)
EVALUATOR_ASSIGNED = (0, 1, 3)
# Consensus: the first proposal in full, the third below the operational effect's minimum (knocked out).
CONSENSUS = {0: (4, 4, 3), 2: (1, 2, 2)}


@dataclass(frozen=True)
class DemoPeople:
    """Who acts in the demo: coordinators (the first prepares), the demo evaluator whose login is printed, two
    more evaluators whose scores are already in, and one company user per company in ``COMPANIES``."""

    coordinators: list[User]
    evaluator: User
    panel: list[User]
    companies: list[User]


@dataclass(frozen=True)
class DemoOutcome:
    slug: str
    stage_key: str
    created: bool


def as_actor(user: User) -> Actor:
    return Actor(user.id, label=user.email)


def demo_definition(now: datetime) -> ChallengeDefinition:
    """The definition file with its stage opened five weeks and closed two weeks before ``now`` (local time)."""
    data: dict[str, Any] = tomllib.loads(DEFINITION_FILE.read_text(encoding="utf-8"))
    today = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    stage = data["stages"][0]
    stage["opens_at"] = today - timedelta(days=35) + timedelta(hours=9)
    stage["question_deadline"] = today - timedelta(days=21) + timedelta(hours=17)
    stage["deadline"] = today - timedelta(days=14) + timedelta(hours=17)
    definition, errors = parse_definition(data)
    if definition is None:  # the file ships with the code: a mistake in it is ours
        raise RuntimeError(f"{DEFINITION_FILE}: {errors}")
    return definition


def build_evaluation_demo(
    session: Session, *, people: DemoPeople, store: BlobStore, actor: Actor, now: datetime, links: Links
) -> DemoOutcome:
    """Make the demo's evaluated challenge (see the module), or nothing when it exists already."""
    existing = session.scalar(select(Challenge).where(Challenge.slug == SLUG))
    if existing is not None:
        return DemoOutcome(SLUG, existing.stages[0].key, created=False)
    definition = demo_definition(now)
    opens = local_to_utc(definition.stages[0].opens_at)
    published = opens - timedelta(days=1)
    loading.load_definitions(
        session,
        definitions=[definition],
        reason=None,
        publish=True,
        demo=False,
        actor=actor,
        now=published,
        links=links,
        extension_days=0,
    )
    challenge = session.scalars(select(Challenge).where(Challenge.slug == SLUG)).one()
    for coordinator in people.coordinators:
        administration.assign_coordinator(
            session, challenge=challenge, email=coordinator.email, actor=actor, now=published
        )
    stage = challenge.stages[0]
    proposals = [
        _submit(session, challenge, stage, user=user, company=company, index=index, store=store, links=links)
        for index, (user, company) in enumerate(zip(people.companies, COMPANIES, strict=True))
    ]
    lead = as_actor(people.coordinators[0])
    lifecycle.change_status(
        session, challenge=challenge, to=ChallengeStatus.EVALUATION, reason=None, actor=lead, now=now, links=links
    )
    assigned = _assign(session, challenge, stage, proposals, people=people, now=now, links=links)
    _score(session, assigned, proposals, people=people, now=now, links=links)
    for index, scores in CONSENSUS.items():
        entries = {
            key: (str(value), "Consensus van het panel (demo).") for key, value in zip(CRITERIA, scores, strict=True)
        }
        results_service.record_consensus(
            session,
            challenge=challenge,
            stage=stage,
            proposal_id=proposals[index].id,
            entries=entries,
            actor=lead,
            now=now,
        )
    session.flush()
    return DemoOutcome(SLUG, stage.key, created=True)


def _submit(
    session: Session,
    challenge: Challenge,
    stage: ChallengeStage,
    *,
    user: User,
    company: DemoCompany,
    index: int,
    store: BlobStore,
    links: Links,
) -> Proposal:
    """One company registers its organisation, writes a draft with a checked document, and submits it."""
    at = stage.opens_at + timedelta(days=3 + index, hours=index)
    actor = as_actor(user)
    values = {
        "legal_name": company.legal_name,
        "country": "NL",
        "kvk_number": company.kvk_number,
        "street": "Kazernelaan 1",
        "postcode": "1234 AB",
        "city": company.city,
        "is_sme": "yes",
        "ownership": "independent",
        "new_to_defence": "no",  # the form asks whether it worked for Defence before: no
    }
    form, errors = parse_organisation(values)
    if form is None or errors:
        raise RuntimeError(f"demo organisation {company.legal_name}: {errors}")
    organisation = organisation_service.create_organisation(
        session, form=form, user=user, auth_session_id=None, actor=actor, now=at
    )
    proposal = draft_service.start_proposal(
        session, challenge=challenge, stage=stage, organisation=organisation, user=user, actor=actor, now=at
    )
    answers = {"q_solution-summary": company.summary, "trl": company.trl}
    draft_service.save_answers(session, proposal=proposal, values=answers, actor=actor, now=at)
    document = _checked_document(store, company)
    document_service.attach_document(
        session, proposal=proposal, question_key="brief", document=document, actor=actor, now=at
    )
    submission_service.submit_proposal(
        session,
        proposal=proposal,
        declarations=set(DECLARATIONS),
        idempotency_key=f"demo-{SLUG}-{index}",
        store=store,
        user=user,
        actor=actor,
        now=at + timedelta(minutes=30),
        links=links,
    )
    return proposal


def _checked_document(store: BlobStore, company: DemoCompany) -> document_service.StoredDocument:
    """The company's brief, checked as an upload is (type from the bytes, page count) and stored by hash."""
    data = brief_pdf([f"{company.legal_name}: toelichting (demo)", company.summary[:90], company.summary[90:180]])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "brief.pdf"
        path.write_bytes(data)
        inspection = inspect_document(path, allowed=["pdf"], max_pages=3)
    sha256 = store.put_bytes(data)
    return document_service.StoredDocument(
        sha256=sha256,
        size_bytes=len(data),
        original_name="toelichting.pdf",
        kind=inspection.kind.value,
        media_type=inspection.media_type,
        pages=inspection.pages,
    )


def _assign(
    session: Session,
    challenge: Challenge,
    stage: ChallengeStage,
    proposals: list[Proposal],
    *,
    people: DemoPeople,
    now: datetime,
    links: Links,
) -> dict[tuple[int, int], int]:
    """Every proposal admissible; the panel on every proposal, the demo evaluator on three. Returns the
    assignment ids by (proposal id, evaluator id)."""
    lead = as_actor(people.coordinators[0])
    admissible = EligibilityForm(admissible=True, reason="")
    for proposal in proposals:
        eligibility_service.set_eligibility(
            session, challenge=challenge, stage=stage, proposal_id=proposal.id, form=admissible, actor=lead, now=now
        )
    pairs = [(proposal, member) for proposal in proposals for member in people.panel]
    pairs += [(proposals[index], people.evaluator) for index in EVALUATOR_ASSIGNED]
    for evaluator in [*people.panel, people.evaluator]:
        pool_service.add_to_pool(session, challenge=challenge, user_id=evaluator.id, actor=lead, now=now)
    assigned: dict[tuple[int, int], int] = {}
    for proposal, evaluator in pairs:
        assigned[proposal.id, evaluator.id] = assignment_service.assign(
            session,
            challenge=challenge,
            stage=stage,
            proposal_id=proposal.id,
            evaluator_id=evaluator.id,
            actor=lead,
            now=now,
            links=links,
        ).id
    return assigned


def _score(
    session: Session,
    assigned: dict[tuple[int, int], int],
    proposals: list[Proposal],
    *,
    people: DemoPeople,
    now: datetime,
    links: Links,
) -> None:
    """The panel's declarations, scores and (the first member's) security assessments; the demo evaluator's part."""
    for index, proposal in enumerate(proposals):
        for member, scores in zip(people.panel, PANEL_SCORES[index], strict=True):
            first = member is people.panel[0]
            assignment_id = assigned[proposal.id, member.id]
            _evaluate(session, assignment_id, member, scores=scores, assess=first, now=now, links=links)
    for index in EVALUATOR_DECLARED:
        scores = EVALUATOR_SCORES.get(index)
        assignment_id = assigned[proposals[index].id, people.evaluator.id]
        _evaluate(session, assignment_id, people.evaluator, scores=scores, assess=False, now=now, links=links)


def _evaluate(
    session: Session,
    assignment_id: int,
    evaluator: User,
    *,
    scores: tuple[int, int, int] | None,
    assess: bool,
    now: datetime,
    links: Links,
) -> None:
    """One evaluator declares no conflict, then scores (when ``scores``) and assesses (when ``assess``)."""
    actor = as_actor(evaluator)
    opened = scoring_service.open_assignment(session, assignment_id=assignment_id, user=evaluator, now=now)
    scoring_service.declare(
        session, opened=opened, form=DeclarationForm(has_conflict=False), actor=actor, now=now, links=links
    )
    if scores is not None:
        opened = scoring_service.open_assignment(session, assignment_id=assignment_id, user=evaluator, now=now)
        raw = {key: (str(value), _justification(value)) for key, value in zip(CRITERIA, scores, strict=True)}
        scoring_service.save_evaluation(
            session, opened=opened, raw=raw, assessed_trl="6", submit=True, actor=actor, now=now
        )
    if assess and scores is not None:
        opened = scoring_service.open_assignment(session, assignment_id=assignment_id, user=evaluator, now=now)
        factors = parse_assessment(
            {
                "rating_security_risks": "medium",
                "factor_justification_security_risks": "Bewaking van defensieterreinen raakt de beveiliging.",
                "rating_policy_goals": "low",
                "factor_justification_policy_goals": "Geen bijzondere beleidsdoelen in het geding.",
                "rating_armed_forces": "medium",
                "factor_justification_armed_forces": "Inzetgereedheid hangt mede af van veilige terreinen.",
                "rating_industrial_capabilities": "low",
                "factor_justification_industrial_capabilities": "Nederlandse leverancier, productie in Nederland.",
            }
        )
        security_service.save_assessment(session, opened=opened, factors=factors, submit=True, actor=actor, now=now)


def _justification(value: int) -> str:
    return {
        1: "Het effect is niet aangetoond.",
        2: "Gedeeltelijk onderbouwd; belangrijke vragen blijven open.",
        3: "Redelijk onderbouwd met enkele zwakke punten.",
        4: "Overtuigend onderbouwd met testresultaten.",
        5: "Volledig onderbouwd met metingen in het veld.",
    }.get(value, "Niet behandeld.")
