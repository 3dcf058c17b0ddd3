"""The shared layout's kept parts (``app.layout``): each visitor still sees their own menus, language and token."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.admin import service as admin_service
from app.clock import FrozenClock
from tests.factories import CLI_ACTOR, create_challenge, create_user, log_in


def _menu(html: str) -> str:
    return html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


def _logout_token(html: str) -> str:
    match = re.search(r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert match, "no logout form"
    return match.group(1)


def test_menus_follow_the_roles_held_at_each_request(client: TestClient, session: Session, clock: FrozenClock) -> None:
    create_challenge(session)
    user = create_user(session, email="eva@example.nl", roles=("evaluator",))
    log_in(client, session, user, now=clock.now())

    menu = _menu(client.get("/?lang=en").text)
    assert 'href="/evaluate"' in menu and "Evaluations" in menu
    assert 'href="/manage"' not in menu and 'href="/admin/users"' not in menu

    admin_service.grant_role(session, user=user, role=Role.COORDINATOR, actor=CLI_ACTOR, now=clock.now())
    session.commit()
    menu = _menu(client.get("/?lang=en").text)
    assert "Challenge management" in menu and "Evaluations" in menu

    admin_service.revoke_role(session, user=user, role=Role.EVALUATOR, actor=CLI_ACTOR, now=clock.now())
    session.commit()
    menu = _menu(client.get("/?lang=en").text)
    assert "Challenge management" in menu
    assert "Evaluations" not in menu and 'href="/evaluate"' not in menu


def test_the_kept_parts_are_in_the_page_language(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="eva@example.nl", roles=("evaluator",))
    log_in(client, session, user, now=clock.now())
    english = client.get("/account?lang=en").text
    dutch = client.get("/account?lang=nl").text
    assert "Privacy statement" in english and "Evaluations" in _menu(english)
    assert "Privacyverklaring" in dutch and "Beoordelingen" in _menu(dutch)
    assert "Privacy statement" not in dutch and "Evaluations" not in _menu(dutch)
    assert 'href="/feeds/challenges.atom?lang=nl"' in dutch and 'href="/feeds/challenges.atom?lang=en"' in english


def test_signed_out_and_other_users_never_get_someone_elses_parts(
    app: FastAPI, session: Session, clock: FrozenClock
) -> None:
    admin = create_user(session, email="admin@example.nl", roles=("administrator",))
    plain = create_user(session, email="company@example.nl")
    with TestClient(app) as first, TestClient(app) as second, TestClient(app) as anonymous:
        log_in(first, session, admin, now=clock.now())
        log_in(second, session, plain, now=clock.now())
        admin_page = first.get("/account?lang=en").text
        plain_page = second.get("/account?lang=en").text
        public_page = anonymous.get("/?lang=en").text

    assert "Users and roles" in _menu(admin_page)
    assert "Users and roles" not in _menu(plain_page) and "My proposals" in _menu(plain_page)
    assert _logout_token(admin_page) != _logout_token(plain_page)
    public_menu = _menu(public_page)
    assert "Log in" in public_menu and "My proposals" not in public_menu and "/logout" not in public_menu
