"""Blind means blind: an evaluator of a blind challenge reaches no page, text, e-mail, download or download name
that names a company of the consortium, its numbers or its people, in any state the evaluation passes
through; the documents they download are copies without metadata, made after the deadline; coordinators keep
the originals."""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeCoordinator
from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.blind import service as blind_service
from app.evaluations.blind.models import BlindDocument
from app.evaluations.models import Assignment, Evaluation
from app.evaluations.pool import service as pool_service
from app.notifications.models import OutboxMessage
from app.organisations.models import Membership, Organisation
from app.proposals.models import Proposal
from app.storage import LocalBlobStore
from tests.evaluations.blind_documents import BODY_TEXT, docx_with_properties, pdf_with_metadata
from tests.evaluations.helpers import AFTER_DEADLINE, actor, post
from tests.factories import BASE_DEFINITION, LINKS, create_challenge, create_user, csrf, log_in
from tests.proposals.helpers import act_for, start, submit, upload

# Everything that names a company of a proposal, a number of one, or a person working there (compared in lower case).
FORBIDDEN = (
    "acme",
    "12345678",
    "12.34.56.78",
    "bravo optics",
    "987654",
    "charlie sensoren",
    "87654321",
    "jan jansen",
    "petra pieters",
    "delta defence",
    "34567890",
    "dirk dekker",
)
SUMMARY = (
    "ACME  drones (KvK 12.34.56.78) bouwt met Bravo-Optics en charlie sensoren een passieve radar; "
    "zie acmedrones.nl of bel Jan Jansen. Petra Pieters leidt de proeven."
)


def _stage() -> dict[str, Any]:
    stage = dict(BASE_DEFINITION["stages"][0])
    stage["questions"] = [
        {"key": "summary", "type": "long_text", "label": {"nl": "Samenvatting", "en": "Summary"}, "max_words": 300},
        {
            "key": "brief",
            "type": "document",
            "label": {"nl": "Schets", "en": "Brief"},
            "allowed_types": ["pdf"],
            "max_size_mb": 5,
            "max_pages": 5,
        },
        {
            "key": "plan",
            "type": "document",
            "label": {"nl": "Plan", "en": "Plan"},
            "allowed_types": ["docx"],
            "max_size_mb": 5,
        },
    ]
    return stage


ACME_PDF = pdf_with_metadata(
    author="Jan Jansen", creator="Acme Drones B.V.", title="Offerte Acme Drones 12345678", producer="Acme PDF"
)
ACME_DOCX = docx_with_properties(
    creator="Jan Jansen", last_modified_by="Petra Pieters", company="Acme Drones B.V.", title="Plan van Acme"
)
DELTA_PDF = pdf_with_metadata(author="Dirk Dekker", creator="Delta Defence B.V.", title="Delta", producer="Delta")


@dataclass
class World:
    challenge: Challenge
    coordinator: Any
    evaluators: list[Any]
    proposals: list[Proposal]
    assignments: dict[tuple[int, int], Assignment]

    @property
    def base(self) -> str:
        return f"/manage/challenges/{self.challenge.slug}/evaluation/brief"


def _company(session: Session, *, name: str, kvk: str, people: list[str], at: Any, parent: str | None = None) -> Any:
    organisation = Organisation(
        legal_name=name, kvk_number=kvk, country="NL", created_at=at, parent_name=parent, parent_country="NL"
    )
    session.add(organisation)
    session.flush()
    users = []
    for index, person in enumerate(people):
        email = f"{person.split()[0].lower()}@{kvk}.example"
        user = create_user(session, email=email, name=person)
        session.add(Membership(organisation_id=organisation.id, user_id=user.id, role="admin", joined_at=at))
        users.append(user)
        del index
    session.commit()
    return users[0], organisation


def _submit_acme(client: TestClient, session: Session, clock: FrozenClock, slug: str) -> Proposal:
    """The consortium proposal, through the company's pages: Acme leads, a German and a Dutch partner."""
    user, organisation = _company(
        session,
        name="Acme Drones B.V.",
        kvk="12345678",
        people=["Jan Jansen", "Petra Pieters"],
        at=clock.now(),
        parent="Acme Holding N.V.",
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, slug)
    answers = {"q_summary": SUMMARY, "trl": "5", "csrf_token": csrf(client)}
    assert client.post(f"/proposals/{proposal.id}/answers", data=answers).status_code == 303
    url = f"/proposals/{proposal.id}/consortium"
    for partner in (
        {"partner_country": "DE", "partner_registry_id": "HRB 987654", "partner_legal_name": "Bravo Optics GmbH"},
        {"partner_kvk_number": "87654321", "partner_legal_name": "Charlie Sensoren B.V."},
    ):
        response = client.post(
            url + "/partners", data={**partner, "partner_role": "Sensoren", "csrf_token": csrf(client)}
        )
        assert response.status_code == 303, response.text
    shares = {
        "lead_share": "60",
        "partner_0_share": "30",
        "partner_1_share": "10",
        "partner_0_role": "Optiek",
        "partner_1_role": "Sensoren",
        "csrf_token": csrf(client),
    }
    assert client.post(url, data=shares).status_code == 303
    assert upload(client, proposal.id, "brief", ACME_PDF, name="Acme Drones offerte.pdf").status_code == 303
    plan = client.post(
        f"/proposals/{proposal.id}/documents/plan",
        data={"csrf_token": csrf(client)},  # the part before the file
        files={"file": ("Acme plan.docx", ACME_DOCX, "application/octet-stream")},
    )
    assert plan.status_code == 303, plan.text
    assert submit(client, proposal.id, key=f"acme-{proposal.id}").status_code == 303
    return proposal


def _submit_delta(client: TestClient, session: Session, clock: FrozenClock, slug: str) -> Proposal:
    """A second proposal, which the consensus will knock out."""
    user, organisation = _company(
        session, name="Delta Defence B.V.", kvk="34567890", people=["Dirk Dekker"], at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, slug)
    answers = {"q_summary": "Delta Defence (34 56 78 90) levert radar. Dirk Dekker.", "trl": "5"}
    assert (
        client.post(f"/proposals/{proposal.id}/answers", data={**answers, "csrf_token": csrf(client)}).status_code
        == 303
    )
    assert upload(client, proposal.id, "brief", DELTA_PDF, name="Delta Defence.pdf").status_code == 303
    plan = docx_with_properties(creator="Dirk Dekker", last_modified_by="Dirk Dekker", company="Delta", title="Plan")
    response = client.post(
        f"/proposals/{proposal.id}/documents/plan",
        data={"csrf_token": csrf(client)},  # the part before the file
        files={"file": ("plan.docx", plan, "application/octet-stream")},
    )
    assert response.status_code == 303
    assert submit(client, proposal.id, key=f"delta-{proposal.id}").status_code == 303
    return proposal


def _world(client: TestClient, session: Session, clock: FrozenClock, *, blind: bool = True) -> World:
    challenge = create_challenge(session, blind_scoring=blind, stages=[_stage()])
    coordinator = create_user(session, email="coco@mindef.example", name="Coco Coördinator", roles=("coordinator",))
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=coordinator.id, assigned_at=clock.now()))
    evaluators = [
        create_user(session, email=f"eval{i}@mindef.example", name=f"Evaluator {i}", roles=("evaluator",))
        for i in range(2)
    ]
    session.commit()
    proposals = [
        _submit_acme(client, session, clock, challenge.slug),
        _submit_delta(client, session, clock, challenge.slug),
    ]
    client.cookies.clear()
    clock.set(AFTER_DEADLINE)
    assignments = {}
    for evaluator, proposal in ((0, 0), (0, 1), (1, 0)):
        pool_service.add_to_pool(
            session, challenge=challenge, user_id=evaluators[evaluator].id, actor=actor(coordinator), now=clock.now()
        )
        assignments[(evaluator, proposal)] = assignment_service.assign(
            session,
            challenge=challenge,
            stage=challenge.stages[0],
            proposal_id=proposals[proposal].id,
            evaluator_id=evaluators[evaluator].id,
            actor=actor(coordinator),
            now=clock.now(),
            links=LINKS,
        )
    session.commit()
    return World(challenge, coordinator, evaluators, proposals, assignments)


# --- the walk -------------------------------------------------------------------------------------

SKIPPED = ("/static/", "/logout", "/language/")
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


def _local(href: str) -> str | None:
    href = html.unescape(href).split("#", 1)[0]
    if href.startswith("http://testserver"):
        href = href[len("http://testserver") :]
    if not href.startswith("/") or href.startswith("//") or href.startswith(SKIPPED):
        return None
    return href


def _leaks(data: bytes) -> list[str]:
    lowered = data.lower()
    found = []
    for name in FORBIDDEN:
        for encoding in ("utf-8", "utf-16-be"):
            if name.encode(encoding) in lowered:
                found.append(f"{name} ({encoding})")
    return found


def _walk(client: TestClient, start: str = "/evaluate") -> dict[str, Any]:
    """Every page reachable by links from ``start`` (the evaluator's landing page), each checked for names."""
    seen: dict[str, Any] = {}
    queue = [start]
    while queue and len(seen) < 200:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response
        disposition = response.headers.get("content-disposition", "")
        assert not _leaks(disposition.encode()), (path, disposition)
        if "text/html" in response.headers.get("content-type", ""):
            text = CSRF_VALUE.sub("", response.text)
            assert not _leaks(text.encode()), (path, _leaks(text.encode()))
            queue += [p for p in map(_local, re.findall(r'href="([^"]+)"', text)) if p and p not in seen]
        else:
            assert not _leaks(response.content), (path, _leaks(response.content))
    assert len(seen) < 200
    return seen


def _scores(values: tuple[int, int], action: str, justification: str = "Goed onderbouwd.") -> dict[str, str]:
    return {
        "action": action,
        "assessed_trl": "5",
        "score_effect": str(values[0]),
        "justification_effect": justification,
        "score_safety": str(values[1]),
        "justification_safety": justification,
    }


def _assessment(action: str) -> dict[str, str]:
    data = {"action": action}
    for factor in ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities"):
        data[f"rating_{factor}"] = "low"
        data[f"factor_justification_{factor}"] = "Beperkt."
    return data


def test_an_evaluator_of_a_blind_challenge_reaches_no_name_in_any_state(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    w = _world(client, session, clock)
    mine = [w.assignments[(0, 0)], w.assignments[(0, 1)]]
    a_url = f"/evaluate/assignments/{mine[0].id}"

    # Assigned, not yet declared: the queue and the declarations name no organisation, only lead and partners.
    log_in(client, session, w.evaluators[0], now=clock.now())
    seen = _walk(client)
    assert {"/evaluate", a_url, f"/evaluate/assignments/{mine[1].id}"} <= set(seen)
    declaration = seen[a_url].text
    assert "<li>Penvoerder</li><li>Partner 1</li><li>Partner 2</li>" in declaration, declaration[
        declaration.find("<ul>") :
    ][:300]
    assert "blind beoordeeld" in declaration

    # Declared: the proposal, the security assessment and the documents.
    for assignment in mine:
        declared = post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
        assert declared.status_code == 303
    seen = _walk(client)
    documents = {f"{a_url}/documents/brief", f"{a_url}/documents/plan", f"{a_url}/security"}
    assert documents <= set(seen)
    page = seen[a_url].text
    assert "bouwt met […] en […] een passieve radar; zie […].nl of bel […]. […] leidt de proeven." in page
    pdf = seen[f"{a_url}/documents/brief"]
    assert pdf.headers["content-disposition"] == f'attachment; filename="{w.proposals[0].reference}-brief.pdf"'
    assert PdfReader(io.BytesIO(pdf.content)).metadata is None
    assert BODY_TEXT in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    plan = zipfile.ZipFile(io.BytesIO(seen[f"{a_url}/documents/plan"].content))
    assert b"<w:t>" + BODY_TEXT.encode() + b"</w:t>" in plan.read("word/document.xml")

    # Drafts saved, then the other evaluator submits with names in the justifications, then this one submits
    # (the knocked-out proposal with a safety score below the minimum).
    assert post(client, f"{a_url}/scores", _scores((2, 2), "save")).status_code == 303
    assert post(client, f"{a_url}/security", _assessment("save")).status_code == 303
    _walk(client)
    log_in(client, session, w.evaluators[1], now=clock.now())
    other = w.assignments[(1, 0)]
    assert post(client, f"/evaluate/assignments/{other.id}/declaration", {"has_conflict": "none"}).status_code == 303
    named = "Acme Drones B.V. (KvK 12345678) en Jan Jansen overtuigen."
    assert post(client, f"/evaluate/assignments/{other.id}/scores", _scores((1, 1), "submit", named)).status_code == 303
    log_in(client, session, w.evaluators[0], now=clock.now())
    assert post(client, f"{a_url}/scores", _scores((2, 2), "submit")).status_code == 303
    assert post(client, f"{a_url}/security", _assessment("submit")).status_code == 303
    knocked = f"/evaluate/assignments/{mine[1].id}/scores"
    assert post(client, knocked, _scores((2, 0), "submit")).status_code == 303
    seen = _walk(client)
    assert "[…] (KvK […]) en […] overtuigen." in seen[a_url].text  # the other evaluator's justification

    # The coordinator knocks the second proposal out and reopens the first evaluation with a reason naming it.
    log_in(client, session, w.coordinator, now=clock.now())
    consensus = {"score_effect": "2", "rationale_effect": "Goed.", "score_safety": "0", "rationale_safety": "Onveilig."}
    assert post(client, f"{w.base}/proposals/{w.proposals[1].id}/consensus", consensus).status_code == 303
    assert "onder het minimum" in client.get(f"{w.base}/results").text
    evaluation = session.scalar(select(Evaluation).where(Evaluation.assignment_id == mine[0].id))
    reason = {"reason": "Kijk nog eens naar de radar van Acme Drones (Jan Jansen)."}
    assert post(client, f"{w.base}/evaluations/{evaluation.id}/reopen", reason).status_code == 303  # type: ignore[union-attr]
    log_in(client, session, w.evaluators[0], now=clock.now())
    seen = _walk(client)
    assert "Kijk nog eens naar de radar van […] ([…])." in seen[a_url].text
    mail = session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == w.evaluators[0].email).order_by(OutboxMessage.id)
    ).all()
    assert [m.template for m in mail] == ["evaluation_assigned", "evaluation_assigned", "evaluation_reopened"]
    for message in mail:
        assert not _leaks((message.subject + message.body_text).encode()), message.body_text


def test_without_blind_scoring_the_evaluator_sees_the_names_and_the_original_documents(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    w = _world(client, session, clock, blind=False)
    a_url = f"/evaluate/assignments/{w.assignments[(0, 0)].id}"
    log_in(client, session, w.evaluators[0], now=clock.now())
    assert "Acme Drones B.V. (KvK 12345678)" in client.get(a_url).text
    assert post(client, f"{a_url}/declaration", {"has_conflict": "none"}).status_code == 303
    assert SUMMARY in html.unescape(client.get(a_url).text)
    assert client.get(f"{a_url}/documents/brief").content == ACME_PDF
    assert session.scalar(select(func.count()).select_from(BlindDocument)) == 0


def test_blind_copies_are_made_at_the_first_download_after_the_deadline_and_coordinators_keep_the_originals(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    w = _world(client, session, clock)
    blobs = client.app.state.blobs  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(BlindDocument)) == 0  # none before anyone needs one
    a_url = f"/evaluate/assignments/{w.assignments[(0, 0)].id}"
    log_in(client, session, w.evaluators[0], now=clock.now())
    assert client.get(f"{a_url}/documents/brief").status_code == 404  # not before the declaration
    assert post(client, f"{a_url}/declaration", {"has_conflict": "none"}).status_code == 303
    first = client.get(f"{a_url}/documents/brief")
    again = client.get(f"{a_url}/documents/brief")
    assert first.status_code == 200 and first.content == again.content != ACME_PDF
    rows = session.scalars(select(BlindDocument)).all()
    assert len(rows) == 1
    copy = rows[0]
    assert copy.sha256 != copy.original_sha256 and copy.created_at == AFTER_DEADLINE
    assert blobs.verify(copy.sha256) and blobs.open(copy.sha256).read() == first.content
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.blind_copy")).all()
    assert [(e.object_id, e.data["copy"]) for e in events] == [(copy.original_sha256, copy.sha256)]

    # A lost copy is made again, the same bytes under the same hash; still one row and one event.
    blobs.delete(copy.sha256)
    assert client.get(f"{a_url}/documents/brief").content == first.content
    assert blobs.verify(copy.sha256)
    assert (
        session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document.blind_copy"))
        == 1
    )

    log_in(client, session, w.coordinator, now=clock.now())
    staff = f"/manage/challenges/{w.challenge.slug}/proposals/{w.proposals[0].id}/documents"
    original = client.get(f"{staff}/brief")
    assert original.content == ACME_PDF
    assert PdfReader(io.BytesIO(original.content)).metadata.author == "Jan Jansen"  # type: ignore[union-attr]
    assert (
        b"Acme Drones B.V." in client.get(f"{staff}/plan").content
        or "Acme" in zipfile.ZipFile(io.BytesIO(client.get(f"{staff}/plan").content)).read("docProps/app.xml").decode()
    )


def test_a_document_that_cannot_be_copied_is_refused_not_handed_out(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    w = _world(client, session, clock)
    blobs = client.app.state.blobs  # type: ignore[attr-defined]
    sha = w.proposals[0].versions[-1].content["documents"]["brief"]["sha256"]
    # A file the PDF library cannot rewrite (here: the stored bytes replaced behind the portal's back).
    blobs._path(sha).write_bytes(b"%PDF-1.7\nnot a PDF body\n")
    a_url = f"/evaluate/assignments/{w.assignments[(0, 0)].id}"
    log_in(client, session, w.evaluators[0], now=clock.now())
    assert post(client, f"{a_url}/declaration", {"has_conflict": "none"}).status_code == 303
    refused = client.get(f"{a_url}/documents/brief")
    assert refused.status_code == 400
    assert "kon niet zonder metadata worden gekopieerd" in refused.text
    assert b"not a PDF body" not in refused.content
    assert session.scalar(select(func.count()).select_from(BlindDocument)) == 0


def test_two_first_downloads_at_once_store_one_copy_one_row_and_one_event(
    session: Session, tmp_path: Any, monkeypatch: Any
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    sha = blobs.put_bytes(ACME_PDF)
    by = Actor(None, label="evaluator")
    first = blind_service.blind_copy(session, blobs=blobs, sha256=sha, kind="pdf", actor=by, now=AFTER_DEADLINE)
    session.commit()
    # The second download looked for the copy before the first one's row was committed, so it makes it again.
    real_get = session.get
    monkeypatch.setattr(
        session, "get", lambda model, key, **kw: None if model is BlindDocument else real_get(model, key, **kw)
    )
    second = blind_service.blind_copy(session, blobs=blobs, sha256=sha, kind="pdf", actor=by, now=AFTER_DEADLINE)
    session.commit()
    assert (second.original_sha256, second.sha256) == (first.original_sha256, first.sha256)
    assert session.scalar(select(func.count()).select_from(BlindDocument)) == 1
    events = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document.blind_copy")
    assert session.scalar(events) == 1
    root = tmp_path / "blobs"
    stored = sorted(p.name for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp")
    assert stored == sorted([sha, first.sha256])
