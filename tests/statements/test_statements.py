"""The statement pages (privacy, accessibility, contact, cookies): shown in both languages, linked from every
page's footer, kept by the page cache, and edited by administrators only, as plain text, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.sessions import SESSION_COOKIE
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.public.statements.models import Statement
from app.public.statements.rules import KINDS
from app.security.csrf import CSRF_COOKIE
from app.web import LANGUAGE_COOKIE
from tests.databases import TransactionalDatabase
from tests.factories import create_user, csrf, log_in
from tests.test_page_cache import Visitor, warm

EDIT = "/admin/statements/privacy/nl"


@pytest.fixture
def admin(client: TestClient, session: Session, clock: FrozenClock) -> User:
    user = create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))
    log_in(client, session, user, now=clock.now())
    return user


@pytest.fixture
def visitor(client: TestClient, tdb: TransactionalDatabase) -> Visitor:
    return Visitor(client, tdb)


def _save(client: TestClient, body: str, url: str = EDIT) -> object:
    return client.post(url, data={"body": body, "csrf_token": csrf(client)})


def test_statement_pages_show_the_shipped_text_in_dutch_and_english(client: TestClient) -> None:
    dutch = client.get("/statements/accessibility")
    assert dutch.status_code == 200
    assert "<h1>Toegankelijkheidsverklaring</h1>" in dutch.text
    assert "WCAG 2.1 op niveau AA" in dutch.text
    assert "axe-core" in dutch.text
    assert '<a href="mailto:toegankelijkheid@challenges.example.nl">' in dutch.text
    assert "3 december 2026" in dutch.text
    client.cookies.set(LANGUAGE_COOKIE, "en")
    english = client.get("/statements/accessibility")
    assert "<h1>Accessibility statement</h1>" in english.text
    assert "WCAG 2.1 at level AA" in english.text
    assert "<h2>Known limitations</h2>" in english.text


def test_unknown_statement_is_not_found(client: TestClient) -> None:
    assert client.get("/statements/terms").status_code == 404


def test_every_page_links_the_four_statements_in_its_footer(client: TestClient) -> None:
    for path in ("/", "/receipts", "/login", "/statements/contact"):
        page = client.get(path).text
        footer = page[page.index('<footer class="site-footer">') :]
        for kind in KINDS:
            assert f'href="/statements/{kind}"' in footer, (path, kind)
    assert "Privacyverklaring" in client.get("/").text


def test_cookie_statement_names_the_portals_cookies(client: TestClient) -> None:
    for language in ("nl", "en"):
        client.cookies.set(LANGUAGE_COOKIE, language)
        page = client.get("/statements/cookies").text
        for name in (SESSION_COOKIE, CSRF_COOKIE, LANGUAGE_COOKIE, "__Host-"):
            assert name in page, (language, name)


def test_admin_changes_a_statement_and_visitors_see_it_at_once(
    client: TestClient, visitor: Visitor, session: Session, admin: User
) -> None:
    warm(visitor, "/statements/privacy")
    assert "Nieuwe privacytekst" not in visitor.kept("/statements/privacy").text
    saved = _save(client, "# Nieuwe privacytekst\n\nVragen? privacy@defensie.example.nl\n\n- een\n- twee")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/statements?done=saved"
    page = visitor.get("/statements/privacy").text
    assert "<h2>Nieuwe privacytekst</h2>" in page
    assert '<a href="mailto:privacy@defensie.example.nl">privacy@defensie.example.nl</a>' in page
    assert "<ul><li>een</li><li>twee</li></ul>" in page
    client.cookies.set(LANGUAGE_COOKIE, "en")
    assert "Nieuwe privacytekst" not in visitor.get("/statements/privacy").text  # only the Dutch text changed
    row = session.scalar(select(Statement).where(Statement.kind == "privacy", Statement.language == "nl"))
    assert row is not None and row.revision == 2 and row.updated_by_id == admin.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "statement.update"))
    assert event is not None and event.object_id == str(row.id)
    assert event.data == {"kind": "privacy", "language": "nl", "revision": 2}


def test_admin_list_shows_every_statement_and_language(client: TestClient, admin: User) -> None:
    page = client.get("/admin/statements").text
    for kind in KINDS:
        for language in ("nl", "en"):
            assert f'href="/admin/statements/{kind}/{language}"' in page
    assert page.count("de tekst die met het portaal is meegeleverd") == 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Vul de tekst van de pagina in."),
        ("Hallo <script>alert(1)</script>", "Schrijf platte tekst zonder HTML-tags"),
        ("x" * 20_001, "Gebruik hoogstens 20.000 tekens."),
    ],
)
def test_a_text_that_cannot_be_saved_is_shown_again_with_the_message(
    client: TestClient, session: Session, admin: User, body: str, message: str
) -> None:
    refused = _save(client, body)
    assert refused.status_code == 422
    assert message in refused.text
    assert 'href="#body">Tekst van de pagina: ' in refused.text
    if body.strip():
        assert body.replace("<", "&lt;").replace(">", "&gt;") in refused.text  # nothing typed is lost
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "statement.update")) is None


def test_markup_typed_into_the_database_is_escaped(client: TestClient, session: Session) -> None:
    session.execute(
        text("UPDATE statement SET body = :body WHERE kind = 'contact' AND language = 'nl'"),
        {"body": '<img src=x onerror="alert(1)"> https://example.org/"><script>'},
    )
    session.commit()
    page = client.get("/statements/contact").text
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x" in page
    assert '<a href="https://example.org/">https://example.org/</a>' in page


def test_only_administrators_reach_the_editor(client: TestClient, session: Session, clock: FrozenClock) -> None:
    assert client.get("/admin/statements").headers["location"].startswith("/login")
    coordinator = create_user(session, email="coco@mindef.example", name="Coco", roles=("coordinator",))
    log_in(client, session, coordinator, now=clock.now())
    assert client.get("/admin/statements").status_code == 404
    assert client.get(EDIT).status_code == 404
    assert _save(client, "Overgenomen").status_code == 404
    assert "Overgenomen" not in client.get("/statements/privacy").text


def test_unknown_kind_or_language_in_the_editor_is_not_found(client: TestClient, admin: User) -> None:
    assert client.get("/admin/statements/terms/nl").status_code == 404
    assert client.get("/admin/statements/privacy/de").status_code == 404
    assert _save(client, "Tekst", url="/admin/statements/privacy/de").status_code == 404


def test_a_save_without_the_csrf_token_is_refused(client: TestClient, admin: User) -> None:
    refused = client.post(EDIT, data={"body": "Zonder token"})
    assert refused.status_code == 403
    assert "Zonder token" not in client.get("/statements/privacy").text
