"""Subscriptions to new challenges: requested by anyone, confirmed by a link (double opt-in), ended by the link
in every message; and the worker's job that tells confirmed subscribers of a newly published challenge.

The request answers the same whatever the address (nothing says whether it is already subscribed) and is
throttled like every form that e-mails an address someone typed (``app.accounts.mail_throttle``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts import mail_throttle
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus, TaxonomyKind
from app.challenges.models import Challenge
from app.challenges.subscriptions.models import ChallengeSubscription
from app.clock import ensure_utc
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.reminders.service import claim
from app.notifications.service import queue_email
from app.tokens import hash_token, new_token, same, sign

CONFIRM_VALID = timedelta(hours=48)
KIND = "new_challenge"
RECENT = timedelta(days=7)  # a challenge published longer ago is not news any more (a worker that was away)


class LinkInvalid(DomainError):
    message = N_("This link has expired or has already been used.")


def area_names(session: Session, *, language: str) -> dict[str, str]:
    """The active NLD-gebieden, key -> name in ``language``, in their order."""
    return {t.key: t.name(language) for t in challenge_service.list_taxonomy(session, kind=TaxonomyKind.NLD)}


def request_subscription(
    session: Session, *, email: str, areas: list[str], language: str, ip: str | None, now: datetime, links: Links
) -> None:
    """Store a pending subscription and e-mail its confirmation link, unless the address had enough of those.

    Raises ``ValidationFailed`` for an unknown area and ``mail_throttle.TooManyRequests`` when the source is
    past its allowance; otherwise the caller answers the same whether or not a message went out.
    """
    names = area_names(session, language=language)
    if not areas or any(area not in names for area in areas):
        raise ValidationFailed(errors=[FieldError("areas", N_("Choose areas from the list."))])
    if not mail_throttle.admit(session, kind=mail_throttle.SUBSCRIBE, email=email, ip=ip, now=now):
        return
    token = new_token()
    session.add(
        ChallengeSubscription(
            email=email,
            language=language,
            areas=sorted(areas),
            created_at=now,
            token_hash=hash_token(token),
            token_expires_at=now + CONFIRM_VALID,
        )
    )
    session.flush()
    queue_email(
        session,
        to=email,
        template="subscription_confirm",
        language=language,
        context={"areas": [names[a] for a in sorted(areas)], "link": links.url("subscription_confirm", token=token)},
        now=now,
    )


def pending(session: Session, *, token: str, now: datetime) -> ChallengeSubscription:
    """The unconfirmed subscription a confirmation link belongs to, while the link is valid."""
    row = session.scalar(select(ChallengeSubscription).where(ChallengeSubscription.token_hash == hash_token(token)))
    if row is None or row.token_expires_at is None or ensure_utc(row.token_expires_at) <= ensure_utc(now):
        raise LinkInvalid()
    return row


def confirm(session: Session, *, token: str, now: datetime) -> ChallengeSubscription:
    """Confirm a subscription; it replaces every other subscription (and pending request) of its address."""
    row = pending(session, token=token, now=now)
    session.execute(
        delete(ChallengeSubscription).where(
            ChallengeSubscription.email == row.email, ChallengeSubscription.id != row.id
        )
    )
    row.confirmed_at, row.token_hash, row.token_expires_at = now, None, None
    session.flush()
    return row


def unsubscribe_token(secret: str, subscription_id: int) -> str:
    """The token in every message's unsubscribe link: the subscription's id, signed with the secret key."""
    return f"{subscription_id}.{sign(secret, f'unsubscribe:{subscription_id}')}"


def check_unsubscribe_token(secret: str, token: str) -> int:
    number, _, signature = token.partition(".")
    if not number.isdigit() or len(number) > 12 or not same(signature, sign(secret, f"unsubscribe:{number}")):
        raise LinkInvalid()
    return int(number)


def unsubscribe(session: Session, *, token: str, secret: str) -> None:
    """End the subscription a valid link names; ending one that is already gone answers the same."""
    subscription_id = check_unsubscribe_token(secret, token)
    session.execute(delete(ChallengeSubscription).where(ChallengeSubscription.id == subscription_id))
    session.flush()


def send_new_challenge_notices(session: Session, *, now: datetime, links: Links, secret: str) -> int:
    """One e-mail per confirmed subscriber per challenge published (after they confirmed) in one of their areas.

    Also drops pending requests whose link expired. Returns the messages queued; the caller commits.
    """
    now = ensure_utc(now)
    session.execute(delete(ChallengeSubscription).where(ChallengeSubscription.token_expires_at <= now))
    challenges = session.scalars(
        select(Challenge)
        .where(Challenge.status == ChallengeStatus.PUBLISHED.value, Challenge.published_at > now - RECENT)
        .order_by(Challenge.published_at, Challenge.id)
    )
    subscribers = list(
        session.scalars(select(ChallengeSubscription).where(ChallengeSubscription.confirmed_at.is_not(None)))
    )
    sent = 0
    for challenge in list(challenges):
        assert challenge.published_at is not None
        areas = {t.key for t in challenge.tags if t.kind == TaxonomyKind.NLD.value}
        for subscriber in subscribers:
            assert subscriber.confirmed_at is not None
            if ensure_utc(subscriber.confirmed_at) > ensure_utc(challenge.published_at) or not areas & set(
                subscriber.areas
            ):
                continue
            if not claim(session, kind=KIND, object_id=subscriber.id, key=f"challenge:{challenge.id}", now=now):
                continue
            _tell(session, subscriber=subscriber, challenge=challenge, now=now, links=links, secret=secret)
            sent += 1
    return sent


def _tell(
    session: Session,
    *,
    subscriber: ChallengeSubscription,
    challenge: Challenge,
    now: datetime,
    links: Links,
    secret: str,
) -> None:
    language = subscriber.language
    queue_email(
        session,
        to=subscriber.email,
        template="new_challenge",
        language=language,
        context={
            "challenge_title": challenge.title(language),
            "summary": challenge.summary(language),
            "areas": [t.name(language) for t in challenge.tags if t.kind == TaxonomyKind.NLD.value],
            "link": links.url("challenge_detail", slug=challenge.slug),
            "unsubscribe_link": links.url("subscription_unsubscribe", token=unsubscribe_token(secret, subscriber.id)),
        },
        now=now,
    )
