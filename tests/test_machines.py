"""Every state machine of the portal, found in the domains' ``enums.py``: each transition outside its table is
refused and writes nothing, each one inside it sets the status and records one audit event."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import app
from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.errors import InvalidTransition
from app.statemachine import StateMachine

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

# Every status field that the domains keep (the outbox's delivery status is the worker's bookkeeping, not one of them).
EXPECTED = {
    "assignment",
    "award_milestone",
    "challenge",
    "decision",
    "decision_set",
    "evaluation",
    "market_event",
    "market_event_registration",
    "nota_entry",
    "organisation",
    "organisation_dispute",
    "procurement_route",
    "proposal",
    "proposal_partner",
    "proposition",
    "security_assessment",
    "two_factor_reset",
    "user_account",
}


def _machines() -> dict[str, StateMachine[Any]]:
    found: dict[str, StateMachine[Any]] = {}
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if module.name.rsplit(".", 1)[-1] != "enums":
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, StateMachine):
                found[value.name] = value
    return found


MACHINES = _machines()


@dataclass
class Thing:
    id: int
    status: str


def _pairs(machine: StateMachine[Any], *, allowed: bool) -> list[tuple[Any, Any]]:
    return [(a, b) for a in machine.states for b in machine.states if machine.allows(a, b) is allowed]


def _events(session: Session) -> int:
    return session.scalar(select(func.count(AuditEvent.id))) or 0


def test_every_machine_is_found_and_covered() -> None:
    assert set(MACHINES) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_machine_refuses_every_transition_outside_its_table(session: Session, name: str) -> None:
    machine = MACHINES[name]
    refused = _pairs(machine, allowed=False)
    assert refused, name
    for current, target in refused:
        thing = Thing(1, current.value)
        with pytest.raises(InvalidTransition):
            machine.move(session, thing, target, actor=Actor(None, label="test"), now=NOW)
        assert thing.status == current.value, (name, current, target)
    assert _events(session) == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_machine_moves_along_its_table_with_one_audit_event_each(session: Session, name: str) -> None:
    machine = MACHINES[name]
    allowed = _pairs(machine, allowed=True)
    for current, target in allowed:
        thing = Thing(1, current.value)
        assert machine.move(session, thing, target, actor=Actor(None, label="test"), now=NOW) == current
        assert thing.status == target.value
    assert _events(session) == len(allowed)
