"""The asker hears when the answer to their question is published; coordinators get a daily digest of new,
unanswered questions on their challenges, once a day, from 07:00 Amsterdam time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.clock import FrozenClock
from app.questions.digest.service import send_question_digests
from app.questions.nota import service as nota_service
from tests.factories import LINKS, create_challenge, create_user
from tests.questions.helpers import actor, answer, ask, create_coordinator
from tests.reminders.helpers import mails

# 1 December 2026: 07:00 in Amsterdam is 06:00 UTC.
MORNING = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_question_answered_the_asker_is_told_in_their_language(session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=clock.now())
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha", language="en")
    other = create_user(session, email="bob@beta.example", name="Bob Beta")
    entry = ask(session, challenge, asker, now=clock.now())
    ask(session, challenge, other, now=clock.now(), text="Een vraag die nog niet is beantwoord?")
    answer(session, challenge, entry, coordinator, now=clock.now())
    nota_service.publish(session, challenge=challenge, actor=actor(coordinator), now=clock.now(), links=LINKS)
    session.commit()

    [mail] = mails(session, "question_answered")
    assert (mail.to_address, mail.language) == ("alice@alpha.example", "en")
    assert mail.subject == "Your question about Test challenge sensors has been answered"
    assert "Question:\nMay a prototype weigh 2 kg?\n\nAnswer:\nYes, up to 5 kg." in mail.body_text
    assert "The Nota van Inlichtingen: http://testserver/challenges/test-challenge/nota" in mail.body_text


def _digest(session: Session, now: datetime) -> int:
    sent = send_question_digests(session, now=now, links=LINKS)
    session.commit()
    return sent


def test_question_digest_once_a_day_with_new_questions_only(session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=clock.now())
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha")
    ask(session, challenge, asker, now=clock.now())
    ask(session, challenge, asker, now=clock.now(), text="Tweede vraag?")

    assert _digest(session, MORNING - timedelta(minutes=1)) == 0  # before 07:00
    assert _digest(session, MORNING) == 1
    assert _digest(session, MORNING + timedelta(hours=5)) == 0  # the same day
    assert _digest(session, MORNING + timedelta(days=1)) == 0  # nothing new since
    ask(session, challenge, asker, now=MORNING + timedelta(days=1, hours=2), text="Derde vraag?")
    assert _digest(session, MORNING + timedelta(days=1, hours=3)) == 1  # that day's digest: one new question
    ask(session, challenge, asker, now=MORNING + timedelta(days=1, hours=4), text="Vierde vraag?")
    assert _digest(session, MORNING + timedelta(days=1, hours=5)) == 0  # one digest a day at most
    sent = mails(session, "question_digest")
    assert [(m.to_address, m.subject) for m in sent] == [
        ("coco@mindef.example", "Nieuwe vragen over uw challenges")
    ] * 2
    assert "- Testchallenge sensoren: 2 nieuw, 2 onbeantwoord in totaal" in sent[0].body_text
    assert "- Testchallenge sensoren: 1 nieuw, 3 onbeantwoord in totaal" in sent[1].body_text
    assert _digest(session, MORNING + timedelta(days=2)) == 1
    assert (
        "- Testchallenge sensoren: 1 nieuw, 4 onbeantwoord in totaal" in mails(session, "question_digest")[2].body_text
    )
    assert "http://testserver/manage/challenges/test-challenge/questions" in sent[0].body_text
    assert coordinator.id == sent[0].user_id


def test_question_digest_none_when_switched_off_or_answered(session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=clock.now())
    second = create_coordinator(session, challenge, email="dirk@mindef.example", now=clock.now())
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha")
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), coordinator, now=clock.now())
    assert _digest(session, MORNING) == 0  # the only question is answered
    ask(session, challenge, asker, now=MORNING, text="Nog een vraag?")
    reminder_service.set_reminders(session, user=second, enabled=False, actor=actor(second), now=clock.now())
    session.commit()
    assert _digest(session, MORNING + timedelta(days=1)) == 1
    assert [m.to_address for m in mails(session, "question_digest")] == ["coco@mindef.example"]
