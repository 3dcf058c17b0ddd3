"""Who may do what within an organisation: small named predicates used by the service, views and templates."""

from __future__ import annotations

from app.organisations.enums import MemberRole
from app.organisations.models import Membership


def is_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role == MemberRole.ADMIN.value


def can_manage_members(membership: Membership | None) -> bool:
    """Invite, remove, change roles and edit the details: the organisation's administrators."""
    return is_admin(membership)
