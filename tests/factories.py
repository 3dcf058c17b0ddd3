"""Factories: a valid challenge definition to vary per test, and challenges stored through the service."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges import service
from app.challenges.models import Challenge
from app.challenges.schemas import ChallengeDefinition
from app.links import Links
from app.settings import Settings


def _text(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


BASE_DEFINITION: dict[str, Any] = {
    "slug": "test-challenge",
    "title": _text("Testchallenge sensoren", "Test challenge sensors"),
    "summary": _text("Een korte samenvatting.", "A short summary."),
    "problem_statement": _text("Het probleem.\n\nMeer over het probleem.", "The problem.\n\nMore on the problem."),
    "effects": [
        {
            "key": "detect",
            "title": _text("Detecteren", "Detect"),
            "description": _text("Vroeg detecteren.", "Detect early."),
            "success_measure": _text("90% binnen 2 km.", "90% within 2 km."),
        }
    ],
    "tags": {"nld": ["sensoren"], "basis": []},
    "trl": {"min": 4, "max": 7},
    "eligibility": {"text": _text("Bedrijven en consortia.", "Companies and consortia.")},
    "procurement": {"military_equipment": True, "sensitive": True, "estimated_value_eur": 2_000_000},
    "stages": [
        {
            "key": "brief",
            "title": _text("Oplossingsschets", "Solution brief"),
            "description": _text("Een korte schets.", "A short brief."),
            "opens_at": "2026-11-02T09:00:00",
            "deadline": "2027-02-26T17:00:00",
            "questions": [
                {"key": "summary", "type": "long_text", "label": _text("Samenvatting", "Summary"), "max_words": 300},
                {
                    "key": "brief",
                    "type": "document",
                    "label": _text("Schets", "Brief"),
                    "allowed_types": ["pdf"],
                    "max_size_mb": 10,
                    "max_pages": 5,
                },
            ],
        }
    ],
    "scale": {
        "min": 0,
        "max": 2,
        "levels": [
            {
                "value": v,
                "label": _text(f"Niveau {v}", f"Level {v}"),
                "descriptor": _text(f"Beschrijving {v}", f"Descriptor {v}"),
            }
            for v in range(3)
        ],
    },
    "criteria": [
        {"key": "effect", "title": _text("Effect", "Effect"), "description": _text("Effect.", "Effect."), "weight": 60},
        {
            "key": "safety",
            "title": _text("Veiligheid", "Safety"),
            "description": _text("Veilig.", "Safe."),
            "weight": 40,
            "minimum": 1,
        },
    ],
}


def definition_data(**overrides: Any) -> dict[str, Any]:
    """A deep copy of a valid definition with top-level fields replaced."""
    data = copy.deepcopy(BASE_DEFINITION)
    data.update(copy.deepcopy(overrides))
    return data


def make_definition(**overrides: Any) -> ChallengeDefinition:
    return ChallengeDefinition.model_validate(definition_data(**overrides))


CLI_ACTOR = Actor(user_id=None, label="test")
EARLIER = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def create_challenge(session: Session, *, publish: bool = True, at: datetime = EARLIER, **overrides: Any) -> Challenge:
    """Store a challenge through the service (as an operator would) and commit."""
    definition = make_definition(**overrides)
    service.save_definition(session, definition=definition, actor=CLI_ACTOR, now=at, publish=publish)
    session.commit()
    return service.get_challenge_by_slug(session, slug=definition.slug)


# --- users and sessions ---------------------------------------------------------------------------

DEFAULT_PASSWORD = "a long and unusual passphrase 42"


@lru_cache(maxsize=16)
def _hashed(password: str) -> str:
    """Argon2 is slow on purpose; tests reuse one hash per password."""
    from app.accounts.passwords import hash_password

    return hash_password(password)


def create_user(
    session: Session,
    *,
    email: str = "user@example.nl",
    name: str = "Test User",
    password: str = DEFAULT_PASSWORD,
    roles: tuple[str, ...] = (),
    totp: bool = False,
    confirmed: bool = True,
    language: str = "nl",
    at: datetime = EARLIER,
) -> Any:
    """A user stored directly (not through registration), with roles and an enrolled authenticator if asked."""
    import pyotp

    from app.accounts.models import User, UserRole

    user = User(
        email=email.lower(),
        name=name,
        password_hash=_hashed(password),
        language=language,
        is_active=True,
        created_at=at,
        email_confirmed_at=at if confirmed else None,
    )
    if totp or roles:
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = at
    user.roles = [UserRole(role=role, granted_at=at) for role in roles]
    session.add(user)
    session.commit()
    return user


def log_in(client: Any, session: Session, user: Any, *, now: datetime, second_factor: bool = True) -> str:
    """Give the test client a live session for the user (as after a full login); returns the cookie value."""
    from datetime import timedelta

    from app.accounts import sessions

    policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    token, auth = sessions.start_session(session, user=user, now=now, policy=policy, ip="testclient", user_agent="t")
    if second_factor and user.totp_enabled:
        auth.mfa_verified_at = now
    session.commit()
    client.cookies.set(sessions.SESSION_COOKIE, token)
    return token


def csrf(client: Any) -> str:
    """The CSRF token for the client's cookies (fetching a page first gives it one): bound to its session."""
    from app.accounts.sessions import session_cookie_name
    from app.security import CSRF_COOKIE, cookie_name, csrf_token_for

    settings = client.app.state.settings
    name = cookie_name(CSRF_COOKIE, https=settings.https)
    if name not in client.cookies:
        client.get("/healthz")
    session = client.cookies.get(session_cookie_name(settings)) or ""
    return csrf_token_for(settings.resolved_secret_key(), client.cookies[name], session)


def _links() -> Links:
    from app.main import build_links

    return build_links(Settings(base_url="http://testserver"))


# The links services write into e-mails, as the test client's app builds them.
LINKS = _links()
