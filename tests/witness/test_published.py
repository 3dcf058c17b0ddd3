"""The head is published: kept in the transaction of each Nota version and decision release, printed on the
Nota page, the company's decision page and the Nota e-mail, and listed on the public transparency page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, PublishedHead
from app.audit.service import ChainHead, chain_head, record_event
from app.clock import FrozenClock
from app.evaluations.decisions import service as decision_service
from app.evaluations.enums import DecisionOutcome
from app.evaluations.results import service as results_service
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.schemas import DecisionForm
from app.notifications.models import OutboxMessage
from app.questions import service as question_service
from app.questions.nota import service as nota_service
from tests.evaluations.helpers import Scenario, after_deadline, approve, build_scenario
from tests.evaluations.helpers import actor as evaluation_actor
from tests.factories import LINKS, create_challenge, create_user, csrf, log_in
from tests.questions.helpers import actor, answer, ask, create_coordinator


def _head_text(head: PublishedHead) -> str:
    return f"{head.event_count}:{head.head_hash}"


def _publish_nota(session: Session, challenge: Any, coordinator: Any, asker: Any, now: Any) -> PublishedHead:
    entry = ask(session, challenge, asker, now=now)
    answer(session, challenge, entry, coordinator, now=now)
    version = nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=now, links=LINKS)
    session.commit()
    head = session.scalars(
        select(PublishedHead).where(
            PublishedHead.object_type == "nota_version", PublishedHead.object_id == str(version.id)
        )
    ).one()
    return head


@pytest.fixture
def nota_world(session: Session, clock: FrozenClock) -> dict[str, Any]:
    now = clock.now()
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=now)
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha")
    follower = create_user(session, email="follower@example.nl", language="en")
    question_service.set_following(
        session, challenge=challenge, user=follower, follow=True, actor=actor(follower), now=now
    )
    session.commit()
    return {"challenge": challenge, "coordinator": coordinator, "asker": asker}


# --- the Nota van Inlichtingen ------------------------------------------------------------------------


def test_nota_publication_keeps_the_head_at_its_own_event(
    session: Session, clock: FrozenClock, nota_world: dict[str, Any]
) -> None:
    head = _publish_nota(session, nota_world["challenge"], nota_world["coordinator"], nota_world["asker"], clock.now())
    publish_event = session.scalars(select(AuditEvent).where(AuditEvent.action == "nota.publish")).one()
    assert (head.occasion, head.event_id, head.head_hash) == ("nota.publish", publish_event.id, publish_event.hash)
    assert ChainHead(head.event_count, head.head_hash) == chain_head(session)
    assert (head.published_at, head.data) == (clock.now(), {"challenge": "test-challenge", "version": 1})


def test_nota_pages_and_email_print_the_head_of_their_version(
    client: TestClient, session: Session, clock: FrozenClock, nota_world: dict[str, Any]
) -> None:
    world = nota_world
    first = _publish_nota(session, world["challenge"], world["coordinator"], world["asker"], clock.now())
    second = _publish_nota(session, world["challenge"], world["coordinator"], world["asker"], clock.now())
    assert second.event_count > first.event_count
    latest = client.get("/challenges/test-challenge/nota").text
    assert f'<code class="audit-head">{_head_text(second)}</code>' in latest
    assert "<dt>Kop van het audittrail</dt>" in latest
    assert _head_text(first) not in latest
    earlier = client.get("/challenges/test-challenge/nota/1").text
    assert f'<code class="audit-head">{_head_text(first)}</code>' in earlier
    mails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "nota_published").order_by(OutboxMessage.id)
    ).all()
    assert [m.to_address for m in mails] == ["follower@example.nl", "follower@example.nl"]
    assert f"Head of the portal's audit trail at this publication: {_head_text(first)}" in mails[0].body_text
    assert f"Head of the portal's audit trail at this publication: {_head_text(second)}" in mails[1].body_text


def test_nota_publication_through_the_web_publishes_the_head(
    client: TestClient, session: Session, clock: FrozenClock, nota_world: dict[str, Any]
) -> None:
    world = nota_world
    entry = ask(session, world["challenge"], world["asker"], now=clock.now())
    answer(session, world["challenge"], entry, world["coordinator"], now=clock.now())
    log_in(client, session, world["coordinator"], now=clock.now())
    response = client.post("/manage/challenges/test-challenge/nota/publish", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    head = session.scalars(select(PublishedHead)).one()
    assert ChainHead(head.event_count, head.head_hash) == chain_head(session)
    client.cookies.clear()
    assert f'<code class="audit-head">{_head_text(head)}</code>' in client.get("/challenges/test-challenge/nota").text


# --- decisions --------------------------------------------------------------------------------------


def _release(session: Session, s: Scenario, now: Any) -> PublishedHead:
    coordinator = evaluation_actor(s.coordinator)
    for proposal in s.proposals:
        results_service.record_consensus(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            entries={"effect": ("2", "Samen besproken."), "safety": ("1", "Samen besproken.")},
            actor=coordinator,
            now=now,
        )
        decision_service.prepare_decision(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            form=DecisionForm(outcome=DecisionOutcome.AWARD, feedback="Goed voorstel."),
            actor=coordinator,
            now=now,
        )
    approve(session, s, now)  # four eyes: a second coordinator approves
    session.commit()
    decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=coordinator,
        now=now,
        links=LINKS,
        policy=EvaluationPolicy(),
    )
    session.commit()
    return session.scalars(select(PublishedHead).where(PublishedHead.occasion == "decision.release")).one()


def test_decision_release_keeps_the_head_at_its_release_event(session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    after_deadline(clock)
    head = _release(session, s, clock.now())
    release = session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.release")).one()
    assert (head.event_id, head.head_hash, head.object_type, head.object_id) == (
        release.id,
        release.hash,
        "challenge_stage",
        str(s.stage.id),
    )
    assert head.event_count == len(session.scalars(select(AuditEvent.id).where(AuditEvent.id <= release.id)).all())
    assert head.data == {"challenge": s.challenge.slug, "stage": s.stage.key}
    notice = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "decision_released")).one()
    assert notice.to_address == s.companies[0].email
    assert f"{head.event_count}:{head.head_hash}" in notice.body_text  # the decision notice carries the head


@pytest.mark.parametrize("language", ["nl", "en"])
def test_company_decision_page_prints_the_head_of_the_release(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    after_deadline(clock)
    head = _release(session, s, clock.now())
    log_in(client, session, s.companies[0], now=clock.now())
    client.cookies.set("portal_lang", language)
    page = client.get(f"/proposals/{s.proposals[0].id}/decision")
    assert page.status_code == 200
    assert f'<code class="audit-head">{_head_text(head)}</code>' in page.text
    label = "Kop van het audittrail" if language == "nl" else "Audit trail head"
    assert f"<dt>{label}</dt>" in page.text


# --- the transparency page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "nota_label", "decisions_label"),
    [
        ("nl", "Transparantie: het audittrail", "Nota van Inlichtingen versie 1", "Besluiten bekendgemaakt"),
        ("en", "Transparency: the audit trail", "Nota van Inlichtingen version 1", "Decisions released"),
    ],
)
def test_transparency_page_shows_the_current_head_and_every_published_one(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    language: str,
    title: str,
    nota_label: str,
    decisions_label: str,
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    coordinator = create_coordinator(session, s.challenge, email="nota@mindef.example", now=clock.now())
    asker = create_user(session, email="asker@example.nl")
    nota_head = _publish_nota(session, s.challenge, coordinator, asker, clock.now())
    after_deadline(clock)
    release_head = _release(session, s, clock.now())
    record_event(session, actor=actor(asker), action="test.later", object_type="thing", object_id=1, at=clock.now())
    session.commit()
    current = chain_head(session)
    assert current.count > release_head.event_count

    client.cookies.set("portal_lang", language)
    page = client.get("/transparency")
    assert page.status_code == 200
    assert f"<h1>{title}</h1>" in page.text
    assert f'<code class="audit-head">{current}</code>' in page.text
    assert f"portal audit verify --head {current}" in page.text
    nota_link = f'<a href="/challenges/{s.challenge.slug}/nota/1">{nota_label}</a>'
    assert nota_link in page.text
    assert f"{decisions_label}: {s.challenge.title(language)}" in page.text
    rows = [page.text.index(_head_text(release_head)), page.text.index(_head_text(nota_head))]
    assert rows == sorted(rows)  # newest first
    assert s.companies[0].email not in page.text and s.organisations[0].legal_name not in page.text


def test_transparency_page_before_any_publication_and_linked_from_the_footer(client: TestClient) -> None:
    page = client.get("/transparency")
    assert page.status_code == 200
    assert f'<code class="audit-head">{ChainHead(0, "0" * 64)}</code>' in page.text
    assert "Er is nog geen kop gepubliceerd" in page.text
    home = client.get("/")
    assert '<a href="/transparency">Transparantie: het audittrail</a>' in home.text
