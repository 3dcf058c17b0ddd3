"""After publication: corrections (frozen criteria, re-confirmation), deadline extensions, coordinators, taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges import service
from app.challenges.models import ChallengeCoordinator, TaxonomyTerm
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.proposals.models import Proposal
from tests.factories import create_challenge, log_in
from tests.manage.helpers import form_data, post, proposal_for, staff
from tests.markup import without_labels


def _correct(client: TestClient, slug: str, **changes: str) -> object:
    data = {**form_data(), "action": "save", **changes}
    return post(client, f"/manage/challenges/{slug}/edit", data)


def test_correction_of_a_criterion_text_makes_a_version_and_requires_reconfirmation(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    submitted = proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=clock)
    draft = proposal_for(session, challenge, email="draft@bravo.example", status="draft", clock=clock)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _correct(client, challenge.slug, **{"criteria.0.title.en": "Operational effect", "_reason": "Clearer"})
    assert response.status_code == 303
    session.expire_all()
    assert challenge.current_version == 2
    assert challenge.versions[-1].reason == "Clearer"
    assert service.current_definition(challenge).criteria[0].title.en == "Operational effect"
    assert session.get(Proposal, submitted.id).reconfirmation_required_at == clock.now()
    assert session.get(Proposal, draft.id).reconfirmation_required_at is None
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(challenge.id), AuditEvent.object_type == "challenge")
        .order_by(AuditEvent.id)  # without it PostgreSQL may return them in any order
    ).all()
    assert actions[-2:] == ["challenge.update", "challenge.correct"]


def test_correction_without_a_reason_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _correct(client, challenge.slug, **{"summary.nl": "Andere samenvatting", "_reason": ""})
    assert response.status_code == 422
    assert 'id="_reason-error"' in response.text
    assert "Andere samenvatting" in response.text
    session.expire_all()
    assert challenge.current_version == 1


def test_correction_cannot_change_weights(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _correct(
        client, challenge.slug, **{"criteria.0.weight": "50", "criteria.1.weight": "50", "_reason": "Andere weging"}
    )
    assert response.status_code == 422
    assert "Criteria, hun gewichten en minima liggen na publicatie vast." in response.text
    session.expire_all()
    assert challenge.current_version == 1


def test_correction_close_to_the_deadline_needs_an_extension(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    clock.set(datetime(2027, 2, 22, 12, 0, tzinfo=UTC))  # deadline 26 February 17:00 CET: 4 days left
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _correct(client, challenge.slug, **{"summary.en": "Corrected", "_reason": "Typo"})
    assert response.status_code == 422
    assert 'id="stages.0.deadline-error"' in response.text
    response = _correct(
        client,
        challenge.slug,
        **{"summary.en": "Corrected", "_reason": "Typo", "stages.0.deadline": "2027-03-05T17:00"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert challenge.stages[0].deadline_at == datetime(2027, 3, 5, 16, 0, tzinfo=UTC)
    assert service.current_definition(challenge).stages[0].deadline == datetime(2027, 3, 5, 17, 0)


def test_extension_moves_the_deadline_keeps_the_definition_in_step_and_notifies(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=clock)
    proposal_for(session, challenge, email="draft@bravo.example", status="draft", clock=clock)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {"stage": "brief", "deadline": "2027-03-12T12:00", "reason": "Meer tijd voor consortia"}
    response = post(client, f"/manage/challenges/{challenge.slug}/extend", data)
    assert response.status_code == 303
    session.expire_all()
    assert challenge.stages[0].deadline_at == datetime(2027, 3, 12, 11, 0, tzinfo=UTC)
    assert service.current_definition(challenge).stages[0].deadline == datetime(2027, 3, 12, 12, 0)
    assert challenge.versions[-1].reason == "Meer tijd voor consortia"
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Deadline extended"))).all()
    assert sorted(m.to_address for m in mails) == ["draft@bravo.example", "sub@alpha.example"]


def test_extension_needs_a_reason_and_a_later_deadline(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    url = f"/manage/challenges/{challenge.slug}/extend"
    response = post(client, url, {"stage": "brief", "deadline": "2027-03-12T12:00", "reason": ""})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text
    response = post(client, url, {"stage": "brief", "deadline": "2027-02-01T12:00", "reason": "Eerder"})
    assert response.status_code == 422
    assert "De nieuwe deadline moet later zijn dan de huidige." in response.text
    session.expire_all()
    assert challenge.current_version == 1


def test_dashboard_shows_counts_per_stage(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=clock)
    proposal_for(session, challenge, email="draft@bravo.example", status="draft", clock=clock)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    page = client.get(f"/manage/challenges/{challenge.slug}")
    assert page.status_code == 200
    assert "<td>1</td><td>1</td><td>0</td>" in without_labels(page.text)
    assert "sub@alpha.example B.V." not in page.text  # sealed: counts only


def test_administrator_assigns_and_removes_a_coordinator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    from tests.factories import create_user

    coco = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    url = f"/manage/challenges/{challenge.slug}/coordinators"
    bad = post(client, url, {"email": "nobody@mindef.example"})
    assert bad.status_code == 422
    assert 'id="coordinator_email-error"' in bad.text
    assert post(client, url, {"email": "COCO@mindef.example"}).status_code == 303
    assert session.get(ChallengeCoordinator, (challenge.id, coco.id)) is not None
    assert post(client, f"{url}/{coco.id}/remove").status_code == 303
    session.expire_all()
    assert session.get(ChallengeCoordinator, (challenge.id, coco.id)) is None


def test_coordinator_cannot_assign_coordinators(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user = staff(client, session, clock, email="coco@mindef.example")
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=clock.now()))
    session.commit()
    url = f"/manage/challenges/{challenge.slug}/coordinators"
    assert post(client, url, {"email": "coco@mindef.example"}).status_code == 404


def test_administrator_adds_and_changes_a_taxonomy_term(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {
        "kind": "basis",
        "key": "logistiek",
        "name_nl": "Logistiek",
        "name_en": "Logistics",
        "position": "3",
        "active": "1",
    }
    assert post(client, "/manage/taxonomy", data).status_code == 303
    term = session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.key == "logistiek"))
    assert term is not None and (term.kind, term.name_en, term.active) == ("basis", "Logistics", True)
    again = post(client, "/manage/taxonomy", data)
    assert again.status_code == 422
    assert "Deze sleutel staat al in de lijst." in again.text
    changed = {**data, "name_en": "Logistics and supply"}
    changed.pop("active")
    assert post(client, f"/manage/taxonomy/{term.id}", changed).status_code == 303
    session.expire_all()
    assert (term.name_en, term.active) == ("Logistics and supply", False)
    assert client.get("/manage/taxonomy").status_code == 200


def test_coordinator_cannot_see_the_taxonomy(client: TestClient, session: Session, clock: FrozenClock) -> None:
    staff(client, session, clock, email="coco@mindef.example")
    assert client.get("/manage/taxonomy").status_code == 404
    assert (
        post(client, "/manage/taxonomy", {"kind": "nld", "key": "x", "name_nl": "x", "name_en": "x"}).status_code == 404
    )


def test_not_reconfirmed_proposals_show_after_the_deadline(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    proposal = proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=clock)
    proposal.reconfirmation_required_at = clock.now()
    session.commit()
    admin = staff(client, session, clock, email="adam@mindef.example", role="administrator")
    assert "niet herbevestigd bij de deadline" not in client.get(f"/manage/challenges/{challenge.slug}").text
    clock.set(challenge.stages[0].deadline_at + timedelta(minutes=1))
    log_in(client, session, admin, now=clock.now())
    assert "1 niet herbevestigd bij de deadline" in client.get(f"/manage/challenges/{challenge.slug}").text


def test_extension_after_the_deadline_is_refused_at_the_stage(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    clock.set(challenge.stages[0].deadline_at + timedelta(hours=1))
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {"stage": "brief", "deadline": "2027-03-12T12:00", "reason": "Te laat"}
    response = post(client, f"/manage/challenges/{challenge.slug}/extend", data)
    assert response.status_code == 422
    assert 'id="stage-error"' in response.text
    assert "De deadline is verstreken; die kan niet meer verschuiven." in response.text
    session.expire_all()
    assert challenge.current_version == 1


def test_a_change_reaches_each_person_once(client: TestClient, session: Session, clock: FrozenClock) -> None:
    """A correction with an extension: companies get the e-mails about what it means for them (re-confirm,
    new deadline), not a third about the new Nota version; a follower without a proposal gets that one."""
    from app.questions.models import ChallengeFollower, NotaVersion
    from tests.factories import create_user

    challenge = create_challenge(session)
    proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=clock)
    proposal_for(session, challenge, email="draft@bravo.example", status="draft", clock=clock)
    follower = create_user(session, email="follow@charlie.example", name="Fiona Follower")
    session.add(ChallengeFollower(challenge_id=challenge.id, user_id=follower.id, followed_at=clock.now()))
    session.commit()
    clock.set(challenge.stages[0].deadline_at - timedelta(days=3))
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _correct(
        client,
        challenge.slug,
        **{"criteria.0.title.en": "Operational effect", "stages.0.deadline": "2027-03-12T17:00", "_reason": "Helder"},
    )
    assert response.status_code == 303, response.text[:300]
    mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    by_person: dict[str, list[str]] = {}
    for mail in mails:
        by_person.setdefault(mail.to_address, []).append(mail.template)
    assert sorted(by_person["sub@alpha.example"]) == ["challenge_deadline_extended", "proposal_reconfirm"]
    assert by_person["draft@bravo.example"] == ["challenge_deadline_extended"]
    assert by_person["follow@charlie.example"] == ["nota_published"]
    # Every link is absolute, under the portal's base URL (the Nota e-mail of a correction had none).
    nota_mail = next(m for m in mails if m.template == "nota_published")
    assert f"http://testserver/challenges/{challenge.slug}/nota" in nota_mail.body_text
    reconfirm = next(m for m in mails if m.template == "proposal_reconfirm")
    assert "http://testserver/proposals/" in reconfirm.body_text
    # One Nota version for the whole correction, holding both notices.
    assert len(session.scalars(select(NotaVersion).where(NotaVersion.challenge_id == challenge.id)).all()) == 1
