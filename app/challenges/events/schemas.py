"""Input of the market-dialogue forms: an event as the coordinator enters it, its summary, a registration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.challenges.events.enums import EventKind
from app.clock import local_to_utc
from app.forms import single_line
from app.i18n import N_

TITLE_MAX = 200
TEXT_MAX = 10000

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX)]
MSG_DATETIME = N_("Enter a date and time.")
MSG_HTTPS = N_("Enter a link that starts with https://.")
MSG_PLACE_OR_LINK = N_("Enter a place, an online link, or both.")
MSG_ENDS = N_("The end must be after the start.")
MSG_REGISTRATION = N_("Registration must close before the event starts.")


def _local_datetime(value: object) -> datetime:
    """A ``datetime-local`` field (Europe/Amsterdam wall-clock time) as UTC."""
    try:
        parsed = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValueError(MSG_DATETIME) from None
    return local_to_utc(parsed)


class EventForm(BaseModel):
    """An event as the coordinator enters it; the times are Dutch time, kept as UTC."""

    model_config = ConfigDict(extra="ignore")

    kind: EventKind
    title_nl: Title
    title_en: Title
    description_nl: Text = ""
    description_en: Text = ""
    starts_at: datetime
    ends_at: datetime
    place: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    online_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    capacity: Annotated[int, Field(ge=1, le=100000)]
    registration_deadline_at: datetime

    @field_validator("starts_at", "ends_at", "registration_deadline_at", mode="before")
    @classmethod
    def _times(cls, value: object) -> datetime:
        return _local_datetime(value)

    @field_validator("title_nl", "title_en", "place")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return single_line(value) or ""

    @field_validator("online_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.hostname or not value.isprintable() or " " in value:
                raise ValueError(MSG_HTTPS)
        return value

    def problems(self) -> list[tuple[str, str]]:
        """What the fields say together: (field, message) for each inconsistency."""
        found: list[tuple[str, str]] = []
        if not self.place and not self.online_url:
            found.append(("place", MSG_PLACE_OR_LINK))
        if self.ends_at <= self.starts_at:
            found.append(("ends_at", MSG_ENDS))
        if self.registration_deadline_at >= self.starts_at:
            found.append(("registration_deadline_at", MSG_REGISTRATION))
        return found


class SummaryForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary_nl: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
    summary_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
