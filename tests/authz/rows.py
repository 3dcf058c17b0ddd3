"""Row type of the authorization matrix; every domain lists its routes in ``tests/authz/rows_<domain>.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.authz.world import ACTORS

OK = 200
LOGIN = "login"  # a 303 to the login page
NOT_FOUND = 404
FORBIDDEN = 403
REDIRECT = 303  # any other 303 (after a successful POST)
MOVED = 308  # a permanent redirect from an old URL to its new one


@dataclass(frozen=True)
class Row:
    """One route and what each actor gets from it.

    ``route`` is the path template as the app declares it; ``url`` is formatted with ``World.ids``.
    ``expect`` maps actor -> status (or LOGIN); actors left out get ``default``. ``data`` is the form
    sent with a POST (a valid CSRF token is always added). ``private_to`` lists the actors allowed to
    see organisation A's secrets in the response; everyone else's body is checked for them.
    """

    method: str
    route: str
    url: str
    expect: dict[str, int | str]
    default: int | str = NOT_FOUND
    data: dict[str, Any] = field(default_factory=dict)
    private_to: tuple[str, ...] = ACTORS
    # Run the row with the clock past the world challenge's first deadline (proposals unsealed).
    after_deadline: bool = False

    def expected(self, actor: str) -> int | str:
        return self.expect.get(actor, self.default)


EVERYONE = dict.fromkeys(ACTORS, OK)
