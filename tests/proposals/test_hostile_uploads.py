"""A competitor's uploads through HTTP: files built to be costly are answered quickly or refused at the limits,
hostile content is refused with what was found, and a download's name follows the type its bytes showed."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.proposals.models import Proposal
from app.web import LANGUAGE_COOKIE
from tests import pdfs
from tests.factories import BASE_DEFINITION, create_challenge
from tests.proposals.helpers import act_for, create_company, start, upload

ALL_KINDS = ["pdf", "docx", "xlsx", "pptx", "png", "jpeg"]


def _stage_with_open_slot() -> list[dict[str, Any]]:
    stage = dict(BASE_DEFINITION["stages"][0])
    stage["questions"] = [
        {
            "key": "brief",
            "type": "document",
            "label": {"nl": "Bijlage", "en": "Attachment"},
            "allowed_types": ALL_KINDS,
            "max_size_mb": 60,
        }
    ]
    return [stage]


def _draft(client: TestClient, session: Session, clock: FrozenClock, *, language: str = "en") -> Proposal:
    challenge = create_challenge(session, stages=_stage_with_open_slot())
    user, organisation = create_company(
        session,
        email="owner@rival.example",
        name="Rival Drones B.V.",
        kvk="00000001",
        at=clock.now(),
        language=language,
    )
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set(LANGUAGE_COOKIE, language)
    return start(client, session, challenge.slug)


def _documents(session: Session, proposal: Proposal) -> list[tuple[str, str]]:
    session.expire_all()
    stored = session.get(Proposal, proposal.id)
    assert stored is not None
    return [(d.original_name, d.kind) for d in stored.documents]


def test_a_pdf_that_cost_minutes_to_check_is_accepted_within_the_cpu_limit(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    # 2,000 index entries over 2 MB of packed whitespace: about 4 minutes of CPU for the check before. Accepted
    # means checked within the check's CPU limit (2 s by default); the wall-clock bound only guards a hang.
    data = pdfs.costly_pdf(entries=2000, padding=2_000_000)
    assert len(data) < 4096
    proposal = _draft(client, session, clock)
    started = time.monotonic()
    response = upload(client, proposal.id, "brief", data, name="costly.pdf")
    assert time.monotonic() - started < 60
    assert response.status_code == 303
    assert _documents(session, proposal) == [("costly.pdf", "pdf")]


def test_a_costly_pdf_with_javascript_inside_is_refused_within_seconds(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    data = pdfs.costly_pdf(entries=2000, padding=2_000_000).replace(
        b"<< /Type /Catalog", b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> /Type /Catalog"
    )
    proposal = _draft(client, session, clock)
    started = time.monotonic()
    response = upload(client, proposal.id, "brief", data, name="costly.pdf")
    assert time.monotonic() - started < 60
    assert response.status_code == 422
    assert "The PDF file contains JavaScript, which is not accepted." in response.text
    assert _documents(session, proposal) == []


def test_a_pdf_uploaded_as_an_exe_downloads_as_a_pdf(client: TestClient, session: Session, clock: FrozenClock) -> None:
    proposal = _draft(client, session, clock)
    assert upload(client, proposal.id, "brief", pdfs.pdf_bytes(), name="brief.exe").status_code == 303
    assert _documents(session, proposal) == [("brief.exe", "pdf")]
    download = client.get(f"/proposals/{proposal.id}/documents/brief")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == ("attachment; filename=\"brief.pdf\"; filename*=UTF-8''brief.pdf")


def test_a_word_file_with_a_dde_field_is_refused_saying_what_was_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal = _draft(client, session, clock, language="nl")
    data = pdfs.docx_with_field(b" DDEAUTO cmd.exe ")
    response = upload(client, proposal.id, "brief", data, name="plan.docx")
    assert response.status_code == 422
    assert "Het Word (.docx)-bestand bevat een DDE-veld of -koppeling (DDEAUTO cmd.exe)" in response.text
    assert _documents(session, proposal) == []


def test_a_pdf_with_a_link_to_a_web_address_is_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal = _draft(client, session, clock)
    response = upload(client, proposal.id, "brief", pdfs.pdf_with_action("/URI"), name="brief.pdf")
    assert response.status_code == 422
    assert "The PDF file contains an action that reaches outside the document (URI: a web address" in response.text


def test_a_plain_presentation_is_accepted_where_the_slot_allows_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal = _draft(client, session, clock)
    assert upload(client, proposal.id, "brief", pdfs.pptx_bytes(), name="pitch").status_code == 303
    assert _documents(session, proposal) == [("pitch", "pptx")]
    download = client.get(f"/proposals/{proposal.id}/documents/brief")
    assert download.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert 'filename="pitch.pptx"' in download.headers["content-disposition"]
