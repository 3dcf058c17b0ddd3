"""``/receipts``: anyone checks a receipt code; the answer says received or not, when and for which challenge,
and nothing else; bad codes get a clear message; each source is throttled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.main import create_app
from app.notifications.models import OutboxMessage
from app.proposals.models import ProposalVersion
from app.public.receipts.service import RECEIPT_CHECKS
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.factories import create_challenge, csrf
from tests.proposals.helpers import act_for, create_company, ready_proposal, submit

COMPANY = "Geheimzinnig Drone B.V."
KVK = "87654321"
UNKNOWN = "0123456789abcdef" * 4


@pytest.fixture
def submitted(client: TestClient, session: Session, clock: FrozenClock) -> ProposalVersion:
    """A company's submitted version; the client is logged out again afterwards (a stranger checks)."""
    create_challenge(session)
    user, organisation = create_company(session, email="sanne@drone.example", name=COMPANY, kvk=KVK, at=clock.now())
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, "test-challenge")
    assert submit(client, proposal.id).status_code == 303
    session.expire_all()
    version = session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id))
    assert version is not None
    client.cookies.clear()
    return version


@contextmanager
def client_at(app: FastAPI, address: str) -> Iterator[TestClient]:
    """A browser (or a proxy) connecting from ``address``."""
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as browser:
        yield browser


def _check(client: TestClient, code: str, **headers: str) -> object:
    return client.post("/receipts", data={"code": code, "csrf_token": csrf(client)}, headers=headers)


def test_form_is_public_in_both_languages(client: TestClient) -> None:
    page = client.get("/receipts")
    assert page.status_code == 200
    assert "<h1>Een ontvangstbewijs controleren</h1>" in page.text
    assert 'name="csrf_token"' in page.text
    client.get("/language/en?next=/")
    assert "<h1>Check a receipt</h1>" in client.get("/receipts").text


def test_known_code_gives_time_and_challenge_and_nothing_else(client: TestClient, submitted: ProposalVersion) -> None:
    response = _check(client, submitted.receipt_hash)
    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.text  # type: ignore[attr-defined]
    assert "Het portaal heeft een versie met deze ontvangstcode ontvangen." in body
    assert "1 december 2026, 11:00 CET" in body
    assert '<a href="/challenges/test-challenge">Testchallenge sensoren</a>' in body
    assert submitted.receipt_hash in body
    for secret in (
        COMPANY,
        KVK,
        "sanne@drone.example",
        submitted.proposal.reference,
        "Vroege detectie",
        "Oplossingsschets",
    ):
        assert secret not in body, secret


def test_code_is_read_forgivingly(client: TestClient, submitted: ProposalVersion) -> None:
    code = submitted.receipt_hash.upper()
    spaced = " ".join(code[i : i + 16] for i in range(0, 64, 16)) + "\n"
    body = _check(client, spaced).text  # type: ignore[attr-defined]
    assert "Het portaal heeft een versie met deze ontvangstcode ontvangen." in body


def test_unknown_code_is_not_received(client: TestClient, submitted: ProposalVersion) -> None:
    response = _check(client, UNKNOWN)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Het portaal heeft geen versie met deze ontvangstcode ontvangen." in response.text  # type: ignore[attr-defined]
    assert "Testchallenge sensoren" not in response.text  # type: ignore[attr-defined]


def test_withdrawn_proposal_still_proves_its_receipt(
    client: TestClient, session: Session, submitted: ProposalVersion, clock: FrozenClock
) -> None:
    from app.audit.service import Actor
    from app.proposals.submissions import service as submissions
    from tests.factories import LINKS

    proposal = submitted.proposal
    submissions.withdraw_proposal(
        session, proposal=proposal, actor=Actor(None, label="t"), now=clock.now(), links=LINKS
    )
    session.commit()
    body = _check(client, submitted.receipt_hash).text  # type: ignore[attr-defined]
    assert "Het portaal heeft een versie met deze ontvangstcode ontvangen." in body


@pytest.mark.parametrize(
    ("code", "language", "message"),
    [
        ("abc", "nl", "Een ontvangstcode heeft 64 tekens: de cijfers 0 tot en met 9 en de letters a tot en met f."),
        ("g" * 64, "en", "A receipt code has 64 characters: the digits 0 to 9 and the letters a to f."),
        ("", "nl", "Een ontvangstcode heeft 64 tekens"),
        ("a" * 65, "en", "A receipt code has 64 characters"),
    ],
)
def test_malformed_code_gets_a_clear_message(client: TestClient, code: str, language: str, message: str) -> None:
    client.get(f"/language/{language}?next=/")
    response = _check(client, code)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in response.text  # type: ignore[attr-defined]
    assert 'aria-invalid="true"' in response.text  # type: ignore[attr-defined]


def test_checks_are_throttled_per_source(client: TestClient, session: Session, clock: FrozenClock) -> None:
    for _ in range(RECEIPT_CHECKS.per_source):
        assert _check(client, UNKNOWN).status_code == 200  # type: ignore[attr-defined]
    refused = _check(client, UNKNOWN)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert int(refused.headers["retry-after"]) == 3600  # type: ignore[attr-defined]
    assert "Te veel verzoeken" in refused.text  # type: ignore[attr-defined]
    # A forged X-Forwarded-For from a connection that is no trusted proxy changes nothing.
    assert _check(client, UNKNOWN, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429  # type: ignore[attr-defined]
    # A malformed code is refused before the throttle (nothing was looked up).
    assert _check(client, "nonsense").status_code == 422  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=30))
    assert _check(client, UNKNOWN).status_code == 429  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=31))
    assert _check(client, UNKNOWN).status_code == 200  # type: ignore[attr-defined]


def test_throttle_counts_the_client_behind_a_trusted_proxy_and_ipv6_per_64(
    settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock
) -> None:
    behind = settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"})
    app = create_app(behind, db=tdb, clock=clock)  # type: ignore[arg-type]
    with client_at(app, "10.1.2.3") as proxy:
        for index in range(RECEIPT_CHECKS.per_source):
            forwarded = {"X-Forwarded-For": f"2001:db8:1:2::{index + 1:x}"}
            assert _check(proxy, UNKNOWN, **forwarded).status_code == 200  # type: ignore[attr-defined]
        # Another address in the same /64 is the same source; another /64 or another client is not.
        assert _check(proxy, UNKNOWN, **{"X-Forwarded-For": "2001:db8:1:2::ffff"}).status_code == 429  # type: ignore[attr-defined]
        assert _check(proxy, UNKNOWN, **{"X-Forwarded-For": "2001:db8:1:3::1"}).status_code == 200  # type: ignore[attr-defined]
        assert _check(proxy, UNKNOWN, **{"X-Forwarded-For": "192.0.2.7"}).status_code == 200  # type: ignore[attr-defined]


def test_receipt_page_and_email_say_where_to_verify(client: TestClient, session: Session, clock: FrozenClock) -> None:
    create_challenge(session)
    user, organisation = create_company(session, email="sanne@drone.example", name=COMPANY, kvk=KVK, at=clock.now())
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, "test-challenge")
    assert submit(client, proposal.id).status_code == 303
    page = client.get(f"/proposals/{proposal.id}/versions/1").text
    assert '<a href="/receipts">Een ontvangstbewijs controleren</a>' in page
    body = session.scalar(
        select(OutboxMessage.body_text).where(
            OutboxMessage.template == "proposal_receipt", OutboxMessage.to_address == "sanne@drone.example"
        )
    )
    assert body is not None and "http://testserver/receipts" in body
