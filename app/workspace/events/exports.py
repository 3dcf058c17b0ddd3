"""The attendee list of an event as CSV, every text cell made safe against formula injection."""

from __future__ import annotations

import csv
import io

from app.challenges.events.enums import REGISTRATION_MACHINE
from app.challenges.events.service import Attendee
from app.evaluations.results.exports import safe_cell
from app.formatting import format_local_datetime
from app.i18n import N_, translate


def attendees_csv(attendees: list[Attendee], *, language: str) -> bytes:
    """Status, name, e-mail, organisation and time of registration; UTF-8 with a BOM (spreadsheets read it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [N_("Status"), N_("Name"), N_("E-mail address"), N_("Organisation"), N_("Registered at")]
    writer.writerow([translate(language, title) for title in header])
    for attendee in attendees:
        registration = attendee.registration
        row = [
            translate(language, REGISTRATION_MACHINE.label(registration.status)),
            registration.attendee_name,
            attendee.email,
            attendee.organisation,
            format_local_datetime(registration.registered_at, language),
        ]
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")
