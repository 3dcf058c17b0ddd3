"""The world the authorization matrix runs in: two organisations with a member each, staff, a challenge.

Each object carries a distinctive text, so a row can check that it does not leak into a response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import create_challenge, create_user

ACTORS = ("anonymous", "member_a", "member_b", "evaluator", "coordinator", "administrator")


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, Any] = field(default_factory=dict)
    # Texts that belong to organisation A (or its members) and must never reach anyone else.
    secrets_a: tuple[str, ...] = ()


def build_world(session: Session, now: datetime) -> World:
    from app.organisations.models import Membership, Organisation

    users = {
        "member_a": create_user(session, email="alice@org-a.example", name="Alice Alpha"),
        "member_b": create_user(session, email="bob@org-b.example", name="Bob Bravo"),
        "evaluator": create_user(session, email="eva@mindef.example", name="Eva Evaluator", roles=("evaluator",)),
        "coordinator": create_user(
            session, email="coco@mindef.example", name="Coco Coordinator", roles=("coordinator",)
        ),
        "administrator": create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",)),
    }
    org_a = Organisation(
        legal_name="Alpha Geheim Defence B.V.",
        kvk_number="11111111",
        country="NL",
        city="Alphen",
        created_at=now,
        created_by_id=users["member_a"].id,
    )
    org_b = Organisation(
        legal_name="Bravo Systems B.V.",
        kvk_number="22222222",
        country="NL",
        city="Breda",
        created_at=now,
        created_by_id=users["member_b"].id,
    )
    session.add_all([org_a, org_b])
    session.flush()
    session.add_all(
        [
            Membership(organisation_id=org_a.id, user_id=users["member_a"].id, role="admin", joined_at=now),
            Membership(organisation_id=org_b.id, user_id=users["member_b"].id, role="admin", joined_at=now),
        ]
    )
    session.commit()
    challenge = create_challenge(session)
    world = World(users=users, secrets_a=("Alpha Geheim Defence", "11111111", "alice@org-a.example"))
    world.ids.update(
        org_a=org_a.id,
        org_b=org_b.id,
        challenge_slug=challenge.slug,
        challenge_id=challenge.id,
        **{f"user_{name}": user.id for name, user in users.items()},
    )
    return world
