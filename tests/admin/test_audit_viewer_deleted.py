"""The audit viewer names the actor of a deleted account "deleted user" (with its number), in the page and the
CSV, instead of the e-mail address its events keep; a search by that address no longer finds them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.privacy.service import anonymise_account
from app.audit.service import Actor, record_event
from app.clock import FrozenClock
from tests.factories import create_user, log_in
from tests.markup import without_labels

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
GONE = "gone@org-a.example"
KEPT = "kept@org-b.example"


def _actors(html: str) -> list[str]:
    """The actor cell of each row, newest first."""
    return [
        re.sub(r"<br>.*", "", cell).strip()
        for cell in re.findall(r"<tr>\s*<td>\d+</td>\s*<td>[^<]*</td>\s*<td>(.*?)</td>", without_labels(html), re.S)
    ]


def _deleted_and_kept(session: Session, clock: FrozenClock) -> tuple[int, int]:
    gone = create_user(session, email=GONE, name="Gerrit Gone")
    kept = create_user(session, email=KEPT, name="Karin Kept")
    for user, action in ((gone, "proposal.submit"), (kept, "proposal.amend")):
        actor = Actor(user_id=user.id, label=user.email, ip="192.0.2.9")
        record_event(session, actor=actor, action=action, object_type="proposal", object_id=1, at=DAY)
    anonymise_account(session, user=gone, now=clock.now())
    session.commit()
    return gone.id, kept.id


def _admin(client: TestClient, session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())


def test_audit_viewer_shows_a_deleted_account_as_deleted_user(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    gone, kept = _deleted_and_kept(session, clock)
    _admin(client, session, clock)
    page = client.get("/admin/audit", params={"object_type": "proposal"})
    assert page.status_code == 200
    assert _actors(page.text) == [f"{KEPT} (#{kept})", f"verwijderde gebruiker (#{gone})"]
    assert GONE not in page.text
    assert _actors(client.get("/admin/audit", params={"actor": str(gone)}).text) == [f"verwijderde gebruiker (#{gone})"]
    assert "Geen gebeurtenissen gevonden." in client.get("/admin/audit", params={"actor": "gone@"}).text
    client.get("/language/en")
    english = client.get("/admin/audit", params={"object_type": "proposal"}).text
    assert _actors(english)[1] == f"deleted user (#{gone})"


def test_audit_export_shows_a_deleted_account_as_deleted_user(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    gone, kept = _deleted_and_kept(session, clock)
    _admin(client, session, clock)
    response = client.get("/admin/audit/export.csv", params={"object_type": "proposal"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert [(row[2], row[3], row[5]) for row in rows[1:]] == [
        (str(kept), KEPT, "proposal.amend"),
        (str(gone), "verwijderde gebruiker", "proposal.submit"),
    ]
    assert GONE not in response.text
