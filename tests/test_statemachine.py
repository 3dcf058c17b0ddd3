"""The one way a status changes: the table is checked, the status set and the audit event recorded; a refused
change writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.errors import InvalidTransition
from app.statemachine import StateMachine

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"


LIGHTS = StateMachine(
    name="light",
    states=Light,
    transitions={
        Light.RED: frozenset({Light.GREEN}),
        Light.GREEN: frozenset({Light.AMBER}),
        Light.AMBER: frozenset({Light.RED}),
    },
    labels={Light.RED: "Red", Light.GREEN: "Green", Light.AMBER: "Amber"},
    classes={Light.RED: "badge-closed"},
)


@dataclass
class Lamp:
    id: int
    status: str


def _events(session: Session) -> list[tuple[str, str, dict[str, object]]]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "light").order_by(AuditEvent.id))
    return [(row.action, row.object_id, row.data) for row in rows]


def test_move_checks_sets_and_records(session: Session) -> None:
    lamp = Lamp(7, "red")
    previous = LIGHTS.move(session, lamp, Light.GREEN, actor=Actor(None, label="test"), now=NOW, data={"why": "go"})
    assert previous is Light.RED and lamp.status == "green"
    assert _events(session) == [("light.green", "7", {"from": "red", "to": "green", "why": "go"})]


def test_move_outside_the_table_writes_nothing(session: Session) -> None:
    lamp = Lamp(7, "red")
    with pytest.raises(InvalidTransition):
        LIGHTS.move(session, lamp, Light.AMBER, actor=Actor(None, label="test"), now=NOW)
    assert lamp.status == "red"
    assert _events(session) == []


def test_a_row_born_in_the_target_is_checked_and_recorded_from_where_it_starts(session: Session) -> None:
    lamp = Lamp(8, "green")  # inserted green already: the move is from red
    previous = LIGHTS.move(session, lamp, Light.GREEN, actor=Actor(None, label="test"), now=NOW, born=Light.RED)
    assert previous is Light.RED and lamp.status == "green"
    assert _events(session) == [("light.green", "8", {"from": "red", "to": "green"})]
    with pytest.raises(InvalidTransition):  # a start the table does not allow is refused all the same
        LIGHTS.move(session, Lamp(9, "amber"), Light.AMBER, actor=Actor(None, label="test"), now=NOW, born=Light.RED)
    assert len(_events(session)) == 1


def test_labels_and_classes_come_from_the_machine() -> None:
    assert (LIGHTS.label("red"), LIGHTS.css_class("red"), LIGHTS.css_class(Light.GREEN)) == ("Red", "badge-closed", "")


def test_a_machine_without_a_label_for_every_state_is_refused() -> None:
    with pytest.raises(ValueError, match="amber"):
        StateMachine(
            name="broken",
            states=Light,
            transitions={state: frozenset() for state in Light},
            labels={Light.RED: "Red", Light.GREEN: "Green"},
        )
