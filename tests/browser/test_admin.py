"""An administrator grants a staff role in a real browser, in Dutch and English, with zero axe violations."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts import sessions
from app.accounts.models import UserRole
from tests.browser.harness import LiveServer, assert_accessible, tab_to
from tests.factories import create_user

pytestmark = pytest.mark.browser


def _log_in_administrator(page: Page, server: LiveServer, email: str) -> None:
    """An administrator with an enrolled authenticator and a session that passed the second factor."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        admin = create_user(session, email=email, name="Browser Admin", roles=("administrator",))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=admin, now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        auth.mfa_verified_at = now
        session.commit()
    page.context.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_administrator_grants_evaluator_role(page: Page, server: LiveServer, language: str) -> None:
    suffix = secrets.token_hex(4)
    _log_in_administrator(page, server, f"admin-{suffix}@mindef.example")
    with server.db.unit_of_work() as session:
        target = create_user(session, email=f"new-evaluator-{suffix}@company.example", name=f"Nieuwe {suffix}")
        target_id = target.id

    page.goto(f"/language/{language}?next=/admin/users")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Gebruikers en rollen" if language == "nl" else "Users and roles"
    )
    assert_accessible(page)

    tab_to(page, "el.id === 'q'")
    page.keyboard.type(suffix)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/users?q={suffix}")
    expect(page.locator("tbody tr")).to_have_count(2)  # the administrator and the new user share the suffix
    assert_accessible(page)

    page.get_by_role("link", name=f"Nieuwe {suffix}").click()
    page.wait_for_url(f"**/admin/users/{target_id}")
    assert_accessible(page)

    page.locator("#role").select_option("evaluator")
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('form') !== null && el.form.action.endsWith('/roles')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/users/{target_id}?done=granted")
    expect(page.get_by_role("status")).to_have_text(
        "De rol is toegekend." if language == "nl" else "The role was granted."
    )
    revoke = "Rol Beoordelaar intrekken" if language == "nl" else "Revoke role Evaluator"
    expect(page.get_by_role("button", name=revoke)).to_be_visible()
    assert_accessible(page)

    with server.db.session() as session:
        roles = list(session.scalars(select(UserRole.role).where(UserRole.user_id == target_id)))
    assert roles == ["evaluator"]
