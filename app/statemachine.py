"""State machines: every status field changes through one table of allowed transitions.

Each domain declares its machine next to its statuses (``enums.py``): the states, the table, the audit
object type, and the label (an English msgid) and CSS class of each state. ``move`` is the only way a
status is written: it checks the table, sets the status and records the audit event, in that order, so a
refused change writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)


class HasStatus(Protocol):
    id: Any
    status: Any


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    """One status field's states, allowed transitions, audit object type, labels and CSS classes."""

    name: str  # the audit action prefix, e.g. "proposal" gives "proposal.submitted"
    states: type[S]
    transitions: Mapping[S, frozenset[S]]
    labels: Mapping[S, str]  # English msgids, translated where shown
    classes: Mapping[S, str] = field(default_factory=dict)  # CSS class of the state's badge
    object_type: str = ""  # the audited object; defaults to ``name``

    def __post_init__(self) -> None:
        missing = [state for state in self.states if state not in self.transitions or state not in self.labels]
        if missing:
            raise ValueError(f"state machine {self.name}: no transitions or label for {missing}")

    def allows(self, current: S | str, target: S | str) -> bool:
        return self.states(target) in self.transitions[self.states(current)]

    def check(self, current: S | str, target: S | str) -> None:
        """Raise ``InvalidTransition`` unless the table allows ``current`` to become ``target``."""
        if not self.allows(current, target):
            raise InvalidTransition(current=str(current), to=str(target))

    def label(self, state: S | str) -> str:
        return self.labels[self.states(state)]

    def css_class(self, state: S | str) -> str:
        return self.classes.get(self.states(state), "")

    def move(
        self,
        session: Session,
        obj: HasStatus,
        target: S,
        *,
        actor: Actor,
        now: datetime,
        object_id: str | int | None = None,
        action: str | None = None,
        data: Mapping[str, Any] | None = None,
        born: S | None = None,
    ) -> S:
        """Check the table, set ``obj.status`` and record the audit event; returns the previous state.

        ``action`` defaults to ``<name>.<target>``; ``object_id`` to ``obj.id`` (give it for composite keys).
        ``born``: for a row the caller has just inserted in ``target`` already (one statement rather than an
        insert and an update), the state it starts from: the move is checked and recorded from there.
        """
        previous = self.states(born if born is not None else obj.status)
        self.check(previous, target)
        obj.status = target.value
        record_event(
            session,
            actor=actor,
            action=action or f"{self.name}.{target.value}",
            object_type=self.object_type or self.name,
            object_id=object_id if object_id is not None else obj.id,
            at=now,
            data={"from": previous.value, "to": target.value, **(data or {})},
        )
        return previous
