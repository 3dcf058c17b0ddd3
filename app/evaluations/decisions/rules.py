"""Decisions bind (pure): a positive decision only for a proposal that has a consensus score on every criterion
and passes every knock-out rule."""

from __future__ import annotations

from app.errors import FieldError
from app.evaluations.enums import DecisionOutcome
from app.evaluations.scoring.rules import KnockOut
from app.i18n import N_

# An award, and an invitation to the next stage, are positive decisions.
POSITIVE_OUTCOMES = frozenset({DecisionOutcome.AWARD.value, DecisionOutcome.INVITE.value})

MSG_NO_CONSENSUS = N_(
    "%(reference)s cannot be awarded or invited to the next stage: it has no consensus score on every criterion yet."
)
MSG_KNOCKED_OUT = N_("%(reference)s cannot be awarded or invited to the next stage: it fails a knock-out rule.")


def outcome_problem(outcome: str, *, reference: str, knock_out: KnockOut, path: str = "__all__") -> FieldError | None:
    """Why this outcome cannot be decided for the proposal, or None: a negative outcome is always possible."""
    if outcome not in POSITIVE_OUTCOMES:
        return None
    if not knock_out.complete:
        return FieldError(path, MSG_NO_CONSENSUS, {"reference": reference})
    if not knock_out.passes:
        return FieldError(path, MSG_KNOCKED_OUT, {"reference": reference})
    return None
