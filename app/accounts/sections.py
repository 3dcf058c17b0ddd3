"""Sections other domains add to the account page, without the accounts layer importing them.

A section is a function ``(session, user, language) -> AccountSection | None`` (None: nothing to show this user).
``app.main`` hands the app's sections to the account page at start-up (``app.state.account_sections``), in
their order: the coordinator's regional team (``app.organisations.regions``) and NLD-gebieden
(``app.challenges.areas``) are two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.accounts.models import User


@dataclass(frozen=True)
class AccountSection:
    """A heading (a msgid), lines already in the reader's language, and a msgid shown when there are no lines."""

    key: str
    title: str
    lines: tuple[str, ...] = ()
    empty: str = ""
    hint: str = ""


AccountSectionSource = Callable[[Session, User, str], AccountSection | None]


@dataclass
class AccountSections:
    """The sections of one app, in order."""

    sources: Sequence[AccountSectionSource] = field(default_factory=tuple)

    def for_user(self, session: Session, user: User, language: str) -> list[AccountSection]:
        shown = (source(session, user, language) for source in self.sources)
        return [section for section in shown if section is not None]
