"""Loading definitions into the database: versions, stages, tags, status transitions and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges import service
from app.challenges.enums import ChallengeStatus, Phase
from app.challenges.models import Challenge, ChallengeVersion
from app.errors import InvalidTransition, ValidationFailed
from tests.factories import CLI_ACTOR, EARLIER, create_challenge, definition_data, make_definition


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_save_definition_new_slug_creates_draft_with_stage_times_in_utc(session: Session) -> None:
    challenge = create_challenge(session, publish=False)
    assert challenge.status == "draft"
    assert challenge.current_version == 1
    stage = challenge.stages[0]
    # 26 February 2027 17:00 in Amsterdam is winter time (CET, UTC+1).
    assert stage.deadline_at == datetime(2027, 2, 26, 16, 0, tzinfo=UTC)
    assert stage.question_deadline_at == stage.deadline_at - timedelta(days=10)
    assert [term.key for term in challenge.tags] == ["sensoren"]
    assert _actions(session) == ["challenge.create"]


def test_save_definition_same_content_is_unchanged(session: Session) -> None:
    create_challenge(session)
    outcome = service.save_definition(session, definition=make_definition(), actor=CLI_ACTOR, now=EARLIER)
    assert outcome.result == "unchanged"
    assert session.scalar(select(func.count()).select_from(ChallengeVersion)) == 1
    assert _actions(session) == ["challenge.create", "challenge.published"]


def test_save_definition_changed_content_adds_version(session: Session) -> None:
    create_challenge(session)
    changed = make_definition(summary={"nl": "Nieuwe samenvatting.", "en": "New summary."})
    outcome = service.save_definition(session, definition=changed, actor=CLI_ACTOR, now=EARLIER)
    session.commit()
    challenge = service.get_challenge_by_slug(session, slug="test-challenge")
    assert outcome.result == "updated"
    assert challenge.current_version == 2
    assert challenge.summary_en == "New summary."
    assert service.current_definition(challenge).summary.nl == "Nieuwe samenvatting."
    assert [v.number for v in challenge.versions] == [1, 2]


def test_save_definition_summer_deadline_uses_cest(session: Session) -> None:
    stages = definition_data()["stages"]
    stages[0]["deadline"] = "2027-06-15T12:00:00"
    challenge = create_challenge(session, stages=stages)
    assert challenge.stages[0].deadline_at == datetime(2027, 6, 15, 10, 0, tzinfo=UTC)


def test_save_definition_unknown_tag_is_refused_and_stores_nothing(session: Session) -> None:
    with pytest.raises(ValidationFailed) as failure:
        service.save_definition(
            session, definition=make_definition(tags={"nld": ["cyber"]}), actor=CLI_ACTOR, now=EARLIER
        )
    assert [(e.path, e.message) for e in failure.value.errors] == [("tags.nld[0]", "unknown nld tag 'cyber'")]
    assert session.scalar(select(func.count()).select_from(Challenge)) == 0


def test_load_definitions_duplicate_slug_loads_nothing(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        service.load_definitions(
            session, definitions=[make_definition(), make_definition()], actor=CLI_ACTOR, now=EARLIER
        )


def test_transition_challenge_not_in_table_is_refused(session: Session) -> None:
    challenge = create_challenge(session, publish=False)
    with pytest.raises(InvalidTransition):
        service.transition_challenge(
            session, challenge=challenge, to=ChallengeStatus.DECIDED, actor=CLI_ACTOR, now=EARLIER
        )
    assert challenge.status == "draft"


def test_phase_of_follows_the_clock(session: Session) -> None:
    challenge = create_challenge(session)
    assert service.phase_of(challenge, datetime(2026, 11, 1, tzinfo=UTC)) == Phase.UPCOMING
    assert service.phase_of(challenge, datetime(2026, 12, 1, tzinfo=UTC)) == Phase.OPEN
    assert service.phase_of(challenge, datetime(2027, 2, 26, 15, 59, 59, tzinfo=UTC)) == Phase.OPEN
    assert service.phase_of(challenge, datetime(2027, 2, 26, 16, 0, tzinfo=UTC)) == Phase.CLOSED


def test_phase_of_draft_is_closed(session: Session) -> None:
    challenge = create_challenge(session, publish=False)
    assert service.phase_of(challenge, datetime(2026, 12, 1, tzinfo=UTC)) == Phase.CLOSED


def test_list_public_challenges_hides_drafts_and_filters(session: Session) -> None:
    create_challenge(session)
    create_challenge(session, slug="draft-one", publish=False)
    create_challenge(
        session, slug="space-one", tags={"nld": ["ruimtevaart"]}, title={"nl": "Satellieten", "en": "Satellites"}
    )
    now = datetime(2026, 12, 1, tzinfo=UTC)
    slugs = lambda **kw: [i.challenge.slug for i in service.list_public_challenges(session, now=now, **kw)]  # noqa: E731
    assert sorted(slugs()) == ["space-one", "test-challenge"]
    assert slugs(tag="ruimtevaart") == ["space-one"]
    assert slugs(text="satell") == ["space-one"]
    assert slugs(text="100%") == []
    assert slugs(phase=Phase.UPCOMING) == []
