"""Subscriptions to new challenges by e-mail: double opt-in, the same answer whatever the address, throttled
like every anonymous form that sends mail, an unsubscribe link in every message, one message per new challenge
in a chosen area."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.subscriptions.models import ChallengeSubscription
from app.challenges.subscriptions.service import send_new_challenge_notices
from app.clock import FrozenClock
from app.settings import Settings
from tests.factories import LINKS, create_challenge, csrf
from tests.reminders.helpers import mails

CONFIRM_LINK = re.compile(r"http://testserver(/subscriptions/confirm/[A-Za-z0-9_-]+)")
UNSUBSCRIBE_LINK = re.compile(r"http://testserver(/subscriptions/unsubscribe/[0-9]+\.[0-9a-f]+)")


def _subscribe(client: TestClient, email: str = "iris@example.nl", **data: object) -> object:
    form = {"email": email, "areas": ["sensoren", "quantum"], "language": "nl", **data}
    return client.post("/subscriptions", data={**form, "csrf_token": csrf(client)})


def _confirmed(client: TestClient, session: Session, email: str = "iris@example.nl", **data: object) -> None:
    assert _subscribe(client, email, **data).status_code == 303
    path = CONFIRM_LINK.search(mails(session, "subscription_confirm")[-1].body_text).group(1)  # type: ignore[union-attr]
    assert client.post(path, data={"csrf_token": csrf(client)}).status_code == 303


def test_subscription_form_shows_the_nld_gebieden(client: TestClient) -> None:
    assert '<a href="/subscriptions">nieuwe challenges in uw gebieden per e-mail</a>' in client.get("/").text
    page = client.get("/subscriptions")
    assert page.status_code == 200
    assert '<input type="checkbox" id="areas-5" name="areas" value="sensoren">' in page.text


def test_subscription_request_sends_one_confirmation_and_answers_the_same(client: TestClient, session: Session) -> None:
    first = _subscribe(client)
    assert (first.status_code, first.headers["location"]) == (303, "/subscriptions?done=sent")  # type: ignore[attr-defined]
    [mail] = mails(session, "subscription_confirm")
    assert (mail.to_address, mail.language, mail.subject) == (
        "iris@example.nl",
        "nl",
        "Bevestig uw abonnement op nieuwe challenges",
    )
    assert "- Quantum\n- Sensoren\n" in mail.body_text
    _confirmed(client, session)
    again = _subscribe(client)  # already subscribed: the same answer
    assert (again.status_code, again.headers["location"]) == (303, "/subscriptions?done=sent")  # type: ignore[attr-defined]
    page = client.get("/subscriptions?done=sent")
    assert "Kijk in uw e-mail: we hebben een link gestuurd" in page.text


def test_subscription_bad_input_gets_messages_next_to_the_fields(client: TestClient, session: Session) -> None:
    response = _subscribe(client, "not-an-address", areas=[])
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert '<a href="#email">E-mailadres: Vul een e-mailadres in zoals naam@voorbeeld.nl.</a>' in response.text  # type: ignore[attr-defined]
    assert '<a href="#areas">Gebieden (NLD-gebieden): Kies ten minste één gebied.</a>' in response.text  # type: ignore[attr-defined]
    unknown = _subscribe(client, areas=["atlantis"])
    assert '<a href="#areas">Gebieden (NLD-gebieden): Kies gebieden uit de lijst.</a>' in unknown.text  # type: ignore[attr-defined]
    assert mails(session, "subscription_confirm") == []


def test_subscription_requests_are_throttled_per_source_and_recipient(client: TestClient, session: Session) -> None:
    statuses = [_subscribe(client, f"person{n % 2}@example.nl").status_code for n in range(11)]  # type: ignore[attr-defined]
    assert statuses == [303] * 10 + [429]
    # Three messages per address an hour; the others were answered the same but sent nothing.
    assert (
        sorted(m.to_address for m in mails(session, "subscription_confirm"))
        == ["person0@example.nl"] * 3 + ["person1@example.nl"] * 3
    )


def test_subscription_confirm_link_once_and_bad_links_refused(client: TestClient, session: Session) -> None:
    _subscribe(client)
    path = CONFIRM_LINK.search(mails(session, "subscription_confirm")[0].body_text).group(1)  # type: ignore[union-attr]
    page = client.get(path)
    assert page.status_code == 200 and "Abonnement bevestigen" in page.text
    assert client.post(path, data={"csrf_token": csrf(client)}).headers["location"] == "/subscriptions?done=confirmed"
    assert client.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": csrf(client)}).status_code == 410
    assert client.get("/subscriptions/confirm/made-up-token").status_code == 410
    [row] = session.scalars(select(ChallengeSubscription)).all()
    assert (row.email, row.areas, row.token_hash) == ("iris@example.nl", ["quantum", "sensoren"], None)


def test_subscription_confirm_link_expires_after_48_hours(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _subscribe(client)
    path = CONFIRM_LINK.search(mails(session, "subscription_confirm")[0].body_text).group(1)  # type: ignore[union-attr]
    clock.advance(timedelta(hours=48))
    assert client.get(path).status_code == 410


def test_subscription_new_challenge_one_message_with_unsubscribe_link(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    create_challenge(session)  # published before anyone subscribed: not news to them
    _confirmed(client, session)
    _confirmed(client, session, "jan@example.nl", areas=["ruimtevaart"], language="en")
    create_challenge(session, slug="new-sensors", at=clock.now() + timedelta(hours=1))
    secret = settings.resolved_secret_key()
    later = clock.now() + timedelta(hours=2)
    assert send_new_challenge_notices(session, now=later, links=LINKS, secret=secret) == 1
    session.commit()
    assert send_new_challenge_notices(session, now=later, links=LINKS, secret=secret) == 0
    [mail] = mails(session, "new_challenge")
    assert (mail.to_address, mail.subject) == ("iris@example.nl", "Nieuwe challenge: Testchallenge sensoren")
    assert "Lees de challenge: http://testserver/challenges/new-sensors" in mail.body_text

    path = UNSUBSCRIBE_LINK.search(mail.body_text).group(1)  # type: ignore[union-attr]
    assert client.get(path).status_code == 200
    assert (
        client.post(path, data={"csrf_token": csrf(client)}).headers["location"] == "/subscriptions?done=unsubscribed"
    )
    assert client.post(path, data={"csrf_token": csrf(client)}).status_code == 303  # already gone: the same answer
    assert [row.email for row in session.scalars(select(ChallengeSubscription))] == ["jan@example.nl"]
    forged = path.rsplit(".", 1)[0] + ".0123abcd"
    assert client.get(forged).status_code == 410
    assert client.post(forged, data={"csrf_token": csrf(client)}).status_code == 410
