"""Questions and the Nota van Inlichtingen: asking until the deadline, answering, publishing, notifying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.canonical import canonical_json, sha256_hex
from app.clock import FrozenClock
from app.errors import DeadlinePassed, InvalidTransition, NotPermitted, ValidationFailed
from app.notifications.models import OutboxMessage
from app.organisations.models import Membership, Organisation
from app.questions import service
from app.questions.enums import ENTRY_MACHINE, EntryStatus
from app.questions.models import NotaEntry
from app.questions.nota import service as nota_service
from tests.factories import LINKS, create_challenge, create_user
from tests.questions.helpers import (
    ASKER_TEXT,
    QUESTION_DEADLINE,
    actor,
    answer,
    answer_form,
    ask,
    create_coordinator,
)


@pytest.fixture
def world(session: Session, clock: FrozenClock):  # type: ignore[no-untyped-def]
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=clock.now())
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha")
    return challenge, coordinator, asker


def _outbox(session: Session, template: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.to_address)
    return list(session.scalars(query))


# --- asking ---------------------------------------------------------------------------------------


def test_ask_question_before_deadline_is_received_and_confirmed(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    entry = ask(session, challenge, asker, now=clock.now(), section="stage:brief")
    assert (entry.status, entry.section, entry.original_text, entry.question_nl, entry.question_en) == (
        "received",
        "stage:brief",
        ASKER_TEXT,
        ASKER_TEXT,
        "",
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "question.ask")).one()
    assert event.object_id == str(entry.id)
    [mail] = _outbox(session, "question_received")
    assert mail.to_address == "alice@alpha.example"
    assert ASKER_TEXT in mail.body_text


def test_ask_question_in_english_fills_the_english_text(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    entry = ask(session, challenge, asker, now=clock.now(), text="How heavy?", language="en")
    assert (entry.language, entry.question_nl, entry.question_en) == ("en", "", "How heavy?")


def test_ask_question_one_second_before_deadline_is_accepted(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    clock.set(QUESTION_DEADLINE - timedelta(seconds=1))
    assert ask(session, challenge, asker, now=clock.now()).status == "received"


def test_ask_question_at_deadline_is_refused_with_the_deadline(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    clock.set(QUESTION_DEADLINE)
    with pytest.raises(DeadlinePassed) as refused:
        ask(session, challenge, asker, now=clock.now())
    assert refused.value.params == {"deadline": QUESTION_DEADLINE}
    assert session.scalar(select(NotaEntry.id)) is None


def test_ask_question_on_cancelled_challenge_is_not_permitted(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    challenge.status = "cancelled"
    session.flush()
    with pytest.raises(NotPermitted):
        ask(session, challenge, asker, now=clock.now())


def test_ask_question_about_unknown_section_is_refused(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    with pytest.raises(ValidationFailed) as refused:
        ask(session, challenge, asker, now=clock.now(), section="stage:nope")
    assert [e.path for e in refused.value.errors] == ["section"]


def test_section_labels_follow_the_challenge_page(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, _ = world
    from app.challenges.service import current_definition

    labels = service.section_labels(current_definition(challenge))
    assert list(labels) == ["problem", "effects", "eligibility", "stage:brief", "criteria", "other"]
    assert labels["stage:brief"] == {"nl": "Oplossingsschets", "en": "Solution brief"}
    assert labels["problem"] == {"nl": "Probleemstelling", "en": "Problem statement"}


# --- answering ------------------------------------------------------------------------------------


def test_save_answer_incomplete_stays_received_and_keeps_original(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = ask(session, challenge, asker, now=clock.now())
    form = answer_form(question_nl="Mag een prototype 2 kg wegen?", answer_en="")
    service.save_answer(
        session, challenge=challenge, entry=entry, form=form, approve=False, actor=actor(coordinator), now=clock.now()
    )
    assert (entry.status, entry.original_text, entry.question_nl) == (
        "received",
        ASKER_TEXT,
        "Mag een prototype 2 kg wegen?",
    )


def test_save_answer_complete_is_answered_then_approved(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = ask(session, challenge, asker, now=clock.now())
    assert answer(session, challenge, entry, coordinator, now=clock.now(), approve=False).status == "answered"
    assert answer(session, challenge, entry, coordinator, now=clock.now(), approve=True).status == "approved"
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "nota_entry")))
    assert actions == ["question.ask", "question.edit", "question.approve"]


def test_approve_without_every_text_lists_the_missing_fields(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = ask(session, challenge, asker, now=clock.now())
    with pytest.raises(ValidationFailed) as refused:
        service.save_answer(
            session,
            challenge=challenge,
            entry=entry,
            form=answer_form(question_en="", answer_nl=""),
            approve=True,
            actor=actor(coordinator),
            now=clock.now(),
        )
    assert [e.path for e in refused.value.errors] == ["question_en", "answer_nl"]


def test_count_open_questions_counts_unpublished_questions_only(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    first = ask(session, challenge, asker, now=clock.now())
    ask(session, challenge, asker, now=clock.now())
    assert service.count_open_questions(session, challenge_id=challenge.id) == 2
    answer(session, challenge, first, coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    assert service.count_open_questions(session, challenge_id=challenge.id) == 1


# --- publishing -----------------------------------------------------------------------------------


def test_publish_without_approved_entries_is_refused(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    ask(session, challenge, asker, now=clock.now())
    with pytest.raises(ValidationFailed) as refused:
        nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    assert [e.path for e in refused.value.errors] == ["publish"]


def test_publish_numbers_entries_stably_across_versions(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    first, second, third = (ask(session, challenge, asker, now=clock.now(), text=f"Vraag {n}") for n in range(3))
    answer(session, challenge, first, coordinator, now=clock.now())
    answer(session, challenge, third, coordinator, now=clock.now())
    v1 = nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()
    clock.advance(timedelta(days=1))
    answer(session, challenge, second, coordinator, now=clock.now())
    v2 = nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()
    assert (first.number, third.number, second.number) == (1, 2, 3)
    assert (v1.number, v2.number) == (1, 2)
    assert [e["number"] for e in v1.content["entries"]] == [1, 2]
    assert [(e["number"], e["first_version"]) for e in v2.content["entries"]] == [(1, 1), (2, 1), (3, 2)]
    assert v2.content["previous_sha256"] == v1.content_hash
    assert v1.content["entries"] == v2.content["entries"][:2]


def test_publish_records_the_content_hash_in_the_audit_chain(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    version = nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "nota.publish")).one()
    assert event.data == {"challenge": challenge.slug, "version": 1, "sha256": version.content_hash, "entries": [1]}
    assert version.content_hash == sha256_hex(canonical_json(version.content))
    assert event.object_id == str(version.id)
    assert verify_chain(session).ok


def test_published_content_never_names_the_asker(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    organisation = Organisation(legal_name="Alpha Geheim Defence B.V.", kvk_number="11111111", created_at=clock.now())
    session.add(organisation)
    session.commit()
    entry = ask(session, challenge, asker, now=clock.now(), organisation_id=organisation.id)
    answer(session, challenge, entry, coordinator, now=clock.now())
    version = nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    published = canonical_json(version.content)
    for secret in ("Alice Alpha", "alice@alpha.example", "Alpha Geheim", "11111111", "Alphen", ASKER_TEXT):
        assert secret not in published
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "nota.publish")).one()
    assert "alice" not in canonical_json(event.data)


def test_published_entry_can_no_longer_be_changed(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    with pytest.raises(InvalidTransition):
        service.save_answer(
            session,
            challenge=challenge,
            entry=entry,
            form=answer_form(answer_nl="Nee."),
            approve=False,
            actor=actor(coordinator),
            now=clock.now(),
        )
    assert entry.answer_nl == "Ja, tot 5 kg."


def test_nota_version_rows_refuse_update(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("UPDATE nota_version SET content_hash = 'x'"))
    savepoint.rollback()


def test_announce_publishes_a_new_version_with_the_announcement(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    follower = create_user(session, email="follower@example.nl")
    service.set_following(
        session, challenge=challenge, user=follower, follow=True, actor=actor(follower), now=clock.now()
    )
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    nota_service.add_announcement(
        session,
        challenge=challenge,
        title_nl="Termijn verlengd",
        title_en="Deadline extended",
        text_nl="De termijn is verlengd tot 5 maart.",
        text_en="The deadline is extended to 5 March.",
        actor=actor(coordinator),
        now=clock.now(),
    )
    version = nota_service.publish_announcements(
        session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS
    )
    entries = version.content["entries"]
    assert [(e["number"], e["kind"]) for e in entries] == [(1, "question"), (2, "announcement")]
    assert entries[1]["title"] == {"nl": "Termijn verlengd", "en": "Deadline extended"}
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("nota.%"))))
    assert actions == ["nota.announce", "nota.publish"]
    assert service.count_open_questions(session, challenge_id=challenge.id) == 0
    assert [m.to_address for m in _outbox(session, "nota_published")] == ["follower@example.nl"]


def test_announce_without_a_title_is_refused(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, _ = world
    with pytest.raises(ValidationFailed) as refused:
        nota_service.add_announcement(
            session,
            challenge=challenge,
            title_nl=" ",
            title_en="Deadline extended",
            text_nl="Tekst.",
            text_en="Text.",
            actor=actor(coordinator),
            now=clock.now(),
        )
    assert [e.path for e in refused.value.errors] == ["title_nl"]
    assert service.latest_version(session, challenge_id=challenge.id) is None


# --- following and notifications -----------------------------------------------------------------


def test_publish_mails_followers_and_members_each_once_in_their_language(
    session: Session,
    clock: FrozenClock,
    world,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    challenge, coordinator, asker = world
    now = clock.now()
    follower = create_user(session, email="follower@example.nl", language="en")
    both = create_user(session, email="both@bravo.example")
    member = create_user(session, email="member@bravo.example")
    stopped = create_user(session, email="stopped@example.nl")
    create_user(session, email="bystander@example.nl")
    organisation = Organisation(legal_name="Bravo B.V.", kvk_number="22222222", created_at=now)
    session.add(organisation)
    session.flush()
    session.add_all(
        [
            Membership(organisation_id=organisation.id, user_id=both.id, role="admin", joined_at=now),
            Membership(organisation_id=organisation.id, user_id=member.id, role="member", joined_at=now),
        ]
    )
    for user in (follower, both, stopped):
        service.set_following(session, challenge=challenge, user=user, follow=True, actor=actor(user), now=now)
    service.set_following(session, challenge=challenge, user=stopped, follow=False, actor=actor(stopped), now=now)
    session.commit()
    monkeypatch.setattr(
        nota_service, "organisation_ids_with_proposals", lambda session, *, challenge_id: {organisation.id}
    )
    answer(session, challenge, ask(session, challenge, asker, now=now), coordinator, now=now)
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=now, links=LINKS)
    mails = _outbox(session, "nota_published")
    assert [(m.to_address, m.language) for m in mails] == [
        ("both@bravo.example", "nl"),
        ("follower@example.nl", "en"),
        ("member@bravo.example", "nl"),
    ]
    assert mails[1].subject == "Nota van Inlichtingen version 1: Test challenge sensors"
    assert mails[0].subject == "Nota van Inlichtingen versie 1: Testchallenge sensoren"
    assert f"http://testserver/challenges/{challenge.slug}/nota" in mails[0].body_text
    for mail in mails:
        assert "alice" not in mail.body_text.lower()
        assert ASKER_TEXT not in mail.body_text


def test_notification_recipients_are_members_of_organisations_with_proposals(
    session: Session,
    clock: FrozenClock,
    world,  # type: ignore[no-untyped-def]
) -> None:
    from app.proposals.models import Proposal

    challenge, _, _ = world
    other = create_challenge(session, slug="other-challenge")
    now = clock.now()
    organisations = [
        Organisation(legal_name=f"Org {n} B.V.", kvk_number=f"3333333{n}", created_at=now) for n in range(3)
    ]
    session.add_all(organisations)
    session.flush()
    places = [(challenge, "draft"), (challenge, "submitted"), (other, "submitted")]
    for organisation, (where, status) in zip(organisations, places, strict=True):
        session.add(
            Proposal(
                challenge_id=where.id,
                stage_id=where.stages[0].id,
                organisation_id=organisation.id,
                status=status,
                draft={},
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    members = []
    for n, organisation in enumerate(organisations):
        member = create_user(session, email=f"member{n}@org.example")
        session.add(Membership(organisation_id=organisation.id, user_id=member.id, role="admin", joined_at=now))
        members.append(member)
    session.commit()
    recipients = nota_service.notification_recipients(session, challenge_id=challenge.id)
    assert [user.email for user in recipients] == ["member0@org.example", "member1@org.example"]


def test_set_following_twice_records_one_event(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, _, asker = world
    for _ in range(2):
        service.set_following(
            session, challenge=challenge, user=asker, follow=True, actor=actor(asker), now=clock.now()
        )
    assert service.is_following(session, challenge_id=challenge.id, user_id=asker.id)
    events = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("challenge.%follow"))))
    assert events == ["challenge.follow"]


def test_entry_statuses_for_the_asker(session: Session, clock: FrozenClock, world) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = ask(session, challenge, asker, now=clock.now())
    other = create_user(session, email="other@example.nl")
    ask(session, challenge, other, now=clock.now(), text="Andere vraag")
    answer(session, challenge, entry, coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    mine = service.list_my_questions(session, challenge_id=challenge.id, user_id=asker.id)
    assert [(e.status, e.number) for e in mine] == [(EntryStatus.PUBLISHED.value, 1)]


def test_entry_change_outside_the_table_is_refused_and_writes_nothing(
    session: Session, clock: FrozenClock, world
) -> None:  # type: ignore[no-untyped-def]
    challenge, coordinator, asker = world
    entry = answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()
    events = list(session.scalars(select(AuditEvent.id)))
    with pytest.raises(InvalidTransition):
        service.save_answer(
            session,
            challenge=challenge,
            entry=entry,
            form=answer_form(answer_nl="Nee."),
            approve=True,
            actor=actor(coordinator),
            now=clock.now(),
        )
    with pytest.raises(InvalidTransition):
        ENTRY_MACHINE.move(session, entry, EntryStatus.APPROVED, actor=actor(coordinator), now=clock.now())
    assert (entry.status, entry.answer_nl) == ("published", "Ja, tot 5 kg.")
    assert list(session.scalars(select(AuditEvent.id))) == events
