"""Companies with an unsubmitted draft are reminded 7 days, 1 day and 2 hours before the deadline, each once,
in each member's language; not after submission, not when switched off, not after the deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.clock import FrozenClock
from app.notifications.reminders.models import SentNotice
from app.proposals.enums import PROPOSAL_MACHINE, ProposalStatus
from app.proposals.reminders.service import send_draft_reminders, threshold_due
from tests.factories import LINKS
from tests.reminders.helpers import DEADLINE, actor, draft_world, mails

NL_SUBJECT = "Herinnering: uw voorstel voor Testchallenge sensoren is niet ingediend"
EN_SUBJECT = "Reminder: your proposal for Test challenge sensors is not submitted"


def _run(session: Session, clock: FrozenClock) -> int:
    sent = send_draft_reminders(session, now=clock.now(), links=LINKS)
    session.commit()
    return sent


def test_threshold_due_picks_the_nearest_passed_threshold() -> None:
    assert threshold_due(DEADLINE, DEADLINE - timedelta(days=7, seconds=1)) is None
    assert threshold_due(DEADLINE, DEADLINE - timedelta(days=7)) == "7d"
    assert threshold_due(DEADLINE, DEADLINE - timedelta(days=1)) == "1d"
    assert threshold_due(DEADLINE, DEADLINE - timedelta(hours=3)) == "1d"
    assert threshold_due(DEADLINE, DEADLINE - timedelta(hours=2)) == "2h"
    assert threshold_due(DEADLINE, DEADLINE) is None


def test_draft_reminders_each_threshold_once_in_each_members_language(session: Session, clock: FrozenClock) -> None:
    world = draft_world(session, now=clock.now())
    clock.set(DEADLINE - timedelta(days=8))
    assert _run(session, clock) == 0
    for before in (timedelta(days=7), timedelta(days=1), timedelta(hours=2)):
        clock.set(DEADLINE - before + timedelta(minutes=1))
        assert _run(session, clock) == 2
        assert _run(session, clock) == 0  # the same pass again: nothing more
    clock.set(DEADLINE + timedelta(minutes=1))
    assert _run(session, clock) == 0

    sent = mails(session, "draft_deadline_reminder")
    assert [(m.to_address, m.language, m.subject) for m in sent] == [
        ("anna@firma.example", "nl", NL_SUBJECT),
        ("ben@firma.example", "en", EN_SUBJECT),
    ] * 3
    assert "De deadline is over zeven dagen." in sent[0].body_text
    assert "The deadline is in two hours." in sent[5].body_text
    assert f"http://testserver/proposals/{world.proposal.id}" in sent[0].body_text
    assert "Herinneringen zet u uit op uw accountpagina: http://testserver/account" in sent[0].body_text
    keys = session.scalars(select(SentNotice.key).where(SentNotice.object_id == world.proposal.id)).all()
    assert sorted(keys) == ["1d@2027-02-26T16:00", "2h@2027-02-26T16:00", "7d@2027-02-26T16:00"]


def test_draft_reminders_a_worker_that_was_away_sends_only_the_nearest(session: Session, clock: FrozenClock) -> None:
    draft_world(session, now=clock.now())
    clock.set(DEADLINE - timedelta(hours=1))
    assert _run(session, clock) == 2
    assert ["The deadline is in two hours." in m.body_text for m in mails(session, "draft_deadline_reminder")] == [
        False,
        True,
    ]


def test_draft_reminders_none_after_submission(session: Session, clock: FrozenClock) -> None:
    world = draft_world(session, now=clock.now())
    PROPOSAL_MACHINE.move(
        session, world.proposal, ProposalStatus.SUBMITTED, actor=actor(world.members[0]), now=clock.now()
    )
    session.commit()
    clock.set(DEADLINE - timedelta(hours=1))
    assert _run(session, clock) == 0
    assert mails(session, "draft_deadline_reminder") == []


def test_draft_reminders_none_for_a_member_who_switched_them_off(session: Session, clock: FrozenClock) -> None:
    world = draft_world(session, now=clock.now())
    anna = world.members[0]
    reminder_service.set_reminders(session, user=anna, enabled=False, actor=actor(anna), now=clock.now())
    session.commit()
    clock.set(DEADLINE - timedelta(days=1))
    assert _run(session, clock) == 1
    assert [m.to_address for m in mails(session, "draft_deadline_reminder")] == ["ben@firma.example"]


def test_draft_reminders_an_extended_deadline_gets_its_own(session: Session, clock: FrozenClock) -> None:
    world = draft_world(session, now=clock.now())
    clock.set(DEADLINE - timedelta(hours=1))
    assert _run(session, clock) == 2
    stage = world.challenge.stages[0]
    stage.deadline_at = DEADLINE + timedelta(days=3)
    session.commit()
    assert _run(session, clock) == 2  # the new deadline is 3 days and 1 hour ahead: its 7-day reminder
    assert _run(session, clock) == 0
    clock.set(DEADLINE + timedelta(days=2, hours=23))
    assert _run(session, clock) == 2  # and its 2-hour reminder
    keys = session.scalars(select(SentNotice.key).where(SentNotice.object_id == world.proposal.id)).all()
    assert sorted(keys) == ["2h@2027-02-26T16:00", "2h@2027-03-01T16:00", "7d@2027-03-01T16:00"]
