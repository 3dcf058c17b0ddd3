"""The company's side of a proposal through HTTP: start, answers, consortium, documents, submit, amend, withdraw."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.proposals.models import Blob, Proposal, ProposalVersion
from tests.factories import create_challenge, csrf, log_in
from tests.pdfs import pdf_bytes, pdf_with_javascript
from tests.proposals.helpers import (
    GOOD_ANSWERS,
    act_for,
    all_types_stage,
    create_company,
    ready_proposal,
    save,
    start,
    submit,
    upload,
)

DEADLINE_UTC_AFTER = timedelta(days=120)


def _company(session: Session, clock: FrozenClock, n: int = 1, language: str = "nl"):  # type: ignore[no-untyped-def]
    return create_company(
        session,
        email=f"owner{n}@company{n}.example",
        name=f"Company{n} Drones B.V.",
        kvk=f"{n:08d}",
        at=clock.now(),
        language=language,
    )


def test_start_without_organisation_explains_how_to_register(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.factories import create_user

    challenge = create_challenge(session)
    user = create_user(session, email="solo@example.nl")
    log_in(client, session, user, now=clock.now())
    response = client.get(f"/challenges/{challenge.slug}/apply")
    assert response.status_code == 200
    assert "Registreer eerst uw organisatie" in response.text
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_start_creates_one_draft_for_the_acting_organisation(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    first = start(client, session, challenge.slug)
    again = start(client, session, challenge.slug)
    assert first.id == again.id
    assert first.organisation_id == organisation.id and first.status == "draft"
    page = client.get(f"/challenges/{challenge.slug}/apply")
    assert page.status_code == 303 and page.headers["location"] == f"/proposals/{first.id}"


def test_answers_are_kept_as_typed_and_checked(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    response = save(
        client,
        proposal.id,
        q_summary="one two three four five six seven",
        q_range_km="eighty",
        q_demo="2026-06-01",
        q_sensors=["radar", "rf"],  # type: ignore[arg-type]
        trl="12",
    )
    assert response.status_code == 303  # a draft is saved whatever it holds
    page = client.get(f"/proposals/{proposal.id}/answers")
    assert "Gebruik hoogstens 5 woorden; deze tekst heeft er 7." in page.text
    assert "Vul een getal in." in page.text
    assert "Kies hoogstens 1 opties." in page.text
    assert "one two three four five six seven" in page.text  # nothing lost
    session.expire_all()
    assert session.get(Proposal, proposal.id).draft["answers"]["q_range_km".removeprefix("q_")] == "eighty"  # type: ignore[union-attr]


def test_every_question_type_is_on_the_form_in_english(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set("portal_lang", "en")
    proposal = start(client, session, challenge.slug)
    page = client.get(f"/proposals/{proposal.id}/answers").text
    for fragment in (
        'name="q_name"',
        'data-max-words="5"',
        'name="q_range_km"',
        'type="radio" id="q_domain-1"',
        'type="checkbox" id="q_sensors-1"',
        'name="q_tested" value="yes"',
        'type="date" id="q_demo"',
        "At most 5 words.",
        "A number from 0 to 50.",
        "TRL 3 — outside the challenge&#39;s window",
        "TRL 5 — within the challenge&#39;s window",
    ):
        assert fragment in page, fragment
    assert 'name="q_brief"' not in page  # documents have their own page


def test_consortium_partners_and_shares(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock, 1)
    _, registered = _company(session, clock, 2)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    url = f"/proposals/{proposal.id}/consortium"
    token = csrf(client)
    assert (
        client.post(
            url + "/partners", data={"partner_kvk_number": "0000 0002", "partner_role": "Radar", "csrf_token": token}
        ).status_code
        == 303
    )
    refused = client.post(
        url + "/partners", data={"partner_kvk_number": "123", "partner_role": "", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Een KvK-nummer heeft 8 cijfers." in refused.text and 'value="123"' in refused.text
    foreign = client.post(
        url + "/partners",
        data={
            "partner_country": "DE",
            "partner_registry_id": "HRB 1234",
            "partner_legal_name": "Drohnen GmbH",
            "partner_role": "Test",
            "csrf_token": token,
        },
    )
    assert foreign.status_code == 303
    wrong_sum = client.post(
        url,
        data={
            "lead_share": "50",
            "partner_0_share": "30",
            "partner_1_share": "10",
            "partner_0_role": "Radar",
            "partner_1_role": "Test",
            "csrf_token": token,
        },
    )
    assert wrong_sum.status_code == 422
    assert "De aandelen in het werk tellen op tot 90%, niet 100%." in wrong_sum.text
    right = client.post(
        url,
        data={
            "lead_share": "60",
            "partner_0_share": "30",
            "partner_1_share": "10",
            "partner_0_role": "Radar",
            "partner_1_role": "Test",
            "csrf_token": token,
        },
    )
    assert right.status_code == 303
    session.expire_all()
    partners = session.get(Proposal, proposal.id).draft["partners"]  # type: ignore[union-attr]
    assert [(p["legal_name"], p["organisation_id"], p["share"]) for p in partners] == [
        (registered.legal_name, registered.id, "30"),
        ("Drohnen GmbH", None, "10"),
    ]


def test_consortium_shares_over_100_are_refused_at_the_field_and_cannot_be_submitted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock, 1)
    _, registered = _company(session, clock, 2)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    url = f"/proposals/{proposal.id}/consortium"
    partner = {"partner_kvk_number": registered.kvk_number, "partner_role": "Radar", "csrf_token": csrf(client)}
    assert client.post(url + "/partners", data=partner).status_code == 303
    shares = {"lead_share": "60", "partner_0_share": "50", "partner_0_role": "Radar", "csrf_token": csrf(client)}
    over = client.post(url, data=shares)
    assert over.status_code == 422
    message = "De aandelen in het werk tellen op tot 110%, niet 100%."
    at_field = f'<p class="error-message" id="lead_share-error"><span class="visually-hidden">Fout:</span> {message}'
    assert at_field in over.text
    refused = submit(client, proposal.id)
    assert refused.status_code == 422
    assert message in refused.text
    assert session.scalar(select(func.count()).select_from(ProposalVersion)) == 0
    session.expire_all()
    assert session.get(Proposal, proposal.id).status == "draft"  # type: ignore[union-attr]


def test_submit_makes_a_version_with_a_receipt_once(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    first = submit(client, proposal.id, key="same-key")
    again = submit(client, proposal.id, key="same-key")  # a double click, or the form sent twice
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"] == f"/proposals/{proposal.id}/versions/1"
    versions = session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)).all()
    assert len(versions) == 1
    version = versions[0]
    assert version.received_at == clock.now()
    assert (
        version.content["documents"]["brief"]["sha256"] == __import__("hashlib").sha256(pdf_bytes(pages=2)).hexdigest()
    )
    receipt = client.get(f"/proposals/{proposal.id}/versions/1")
    assert version.receipt_hash in receipt.text and "1 december 2026, 11:00 CET" in receipt.text
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "proposal_receipt")).all()
    assert [m.to_address for m in mails] == [user.email]
    assert version.receipt_hash in mails[0].body_text
    check = client.get(f"/proposals/{proposal.id}", params={"receipt": version.receipt_hash})
    assert "De inhoud en elk document zijn precies zoals ontvangen." in check.text
    wrong = client.get(f"/proposals/{proposal.id}", params={"receipt": "0" * 64})
    assert "Deze code hoort bij geen enkele versie van dit voorstel." in wrong.text


def test_submit_refuses_incomplete_with_reasons_and_keeps_ticks(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    response = submit(client, proposal.id, declarations=("unclassified",))
    assert response.status_code == 422
    assert "Upload dit document." in response.text
    assert "Vink deze verklaring aan om in te dienen." in response.text
    assert 'value="unclassified" checked' in response.text
    assert session.scalar(select(func.count()).select_from(ProposalVersion)) == 0


def test_amend_withdraw_and_submit_again(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    assert submit(client, proposal.id, key="k1").status_code == 303
    clock.advance(timedelta(minutes=10))
    save(client, proposal.id, q_summary="Een betere samenvatting", trl="6")
    assert submit(client, proposal.id, key="k2").headers["location"].endswith("/versions/2")
    assert client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": csrf(client)}).status_code == 303
    session.expire_all()
    assert session.get(Proposal, proposal.id).status == "withdrawn"  # type: ignore[union-attr]
    assert submit(client, proposal.id, key="k3").headers["location"].endswith("/versions/3")
    session.expire_all()
    stored = session.get(Proposal, proposal.id)
    assert stored is not None and stored.status == "submitted"
    assert [(v.number, v.kind) for v in stored.versions] == [(1, "submit"), (2, "amend"), (3, "resubmit")]
    assert stored.versions[1].content["answers"]["summary"] == "Een betere samenvatting"
    overview = client.get(f"/proposals/{proposal.id}").text
    assert overview.count('<code class="hash">') == 3


def test_after_the_deadline_everything_is_read_only_and_typed_text_is_kept(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    form = client.get(f"/proposals/{proposal.id}/submit")  # opened before the deadline...
    assert form.status_code == 200
    clock.set(challenge.stages[0].deadline_at)  # ...posted at the deadline
    log_in(client, session, user, now=clock.now())  # (the login session itself has expired by then)
    late = save(client, proposal.id, q_summary="Laat getypte tekst", trl="5")
    assert late.status_code == 422
    assert "De deadline van 26 februari 2027, 17:00 CET is verstreken." in late.text
    session.expire_all()
    assert session.get(Proposal, proposal.id).draft["answers"]["summary"] == "Laat getypte tekst"  # type: ignore[union-attr]
    refused = submit(client, proposal.id)
    assert refused.status_code == 422 and "26 februari 2027, 17:00 CET" in refused.text
    assert upload(client, proposal.id, "brief", pdf_bytes()).status_code == 422
    assert (
        client.post(
            f"/proposals/{proposal.id}/consortium/partners",
            data={"partner_kvk_number": "00000002", "partner_role": "x", "csrf_token": csrf(client)},
        ).status_code
        == 422
    )
    assert session.scalar(select(func.count()).select_from(ProposalVersion)) == 0


def test_refused_upload_keeps_the_document_already_there(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    refused = upload(client, proposal.id, "brief", pdf_with_javascript(), name="evil.pdf")
    assert refused.status_code == 422
    assert "JavaScript" in refused.text
    assert "brief.pdf" in refused.text  # the earlier document is still the current one
    too_many_pages = upload(client, proposal.id, "brief", pdf_bytes(pages=6), name="long.pdf")
    assert too_many_pages.status_code == 422 and "5" in too_many_pages.text
    session.expire_all()
    assert [d.original_name for d in session.get(Proposal, proposal.id).documents] == ["brief.pdf"]  # type: ignore[union-attr]


def test_replacing_a_document_keeps_the_blob_a_version_refers_to(
    client: TestClient, session: Session, clock: FrozenClock, app
) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    submitted_sha = hashlib.sha256(pdf_bytes(pages=2)).hexdigest()
    assert submit(client, proposal.id).status_code == 303
    assert upload(client, proposal.id, "brief", pdf_bytes(pages=1, text="draft one")).status_code == 303
    draft_only = hashlib.sha256(pdf_bytes(pages=1, text="draft one")).hexdigest()
    assert upload(client, proposal.id, "brief", pdf_bytes(pages=1, text="draft two")).status_code == 303
    blobs = app.state.blobs
    assert blobs.exists(submitted_sha) and session.get(Blob, submitted_sha) is not None
    assert not blobs.exists(draft_only) and session.get(Blob, draft_only) is None
    download = client.get(f"/proposals/{proposal.id}/versions/1/documents/brief")
    assert download.status_code == 200 and download.content == pdf_bytes(pages=2)
    assert download.headers["content-disposition"].startswith("attachment;")


def test_too_large_upload_is_cut_off_with_a_message(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, stages=all_types_stage())  # brief: at most 1 MB
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set("portal_lang", "en")
    proposal = start(client, session, challenge.slug)
    response = upload(client, proposal.id, "brief", b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file is larger than 1 MB." in response.text
    assert session.scalar(select(func.count()).select_from(Blob)) == 0


def test_upload_with_bytes_after_the_closing_boundary_is_refused_at_the_field(
    client: TestClient, session: Session, clock: FrozenClock, app
) -> None:  # type: ignore[no-untyped-def]
    """The file part is within the slot's 1 MB, the body is sent chunked (no Content-Length) and goes on
    after the closing boundary: the cap on the whole body refuses it, and nothing is stored."""
    challenge = create_challenge(session, stages=all_types_stage())  # brief: at most 1 MB
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set("portal_lang", "en")
    proposal = start(client, session, challenge.slug)
    boundary = "portal-test-epilogue"
    content = pdf_bytes(pages=1)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf(client)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="brief.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head + content + f"\r\n--{boundary}--\r\n".encode()
        for _ in range(48):
            yield b"\0" * (64 * 1024)  # 3 MB after the end of the form

    response = client.post(
        f"/proposals/{proposal.id}/documents/brief",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert '<p class="error-message" id="document_brief-error">' in response.text
    assert "The file is larger than 1 MB." in response.text
    assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert not app.state.blobs.exists(hashlib.sha256(content).hexdigest())
    session.expire_all()
    assert session.get(Proposal, proposal.id).documents == []  # type: ignore[union-attr]


def test_my_proposals_lists_status_and_deadline(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    submit(client, proposal.id)
    page = client.get("/proposals")
    assert page.status_code == 200
    assert proposal.reference in page.text and "Ingediend" in page.text and "26 februari 2027, 17:00 CET" in page.text


def test_answers_of_all_types_submit_typed(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = _company(session, clock)
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    assert save(client, proposal.id, **GOOD_ANSWERS).status_code == 303
    assert upload(client, proposal.id, "brief", pdf_bytes()).status_code == 303
    assert submit(client, proposal.id).status_code == 303
    version = session.scalars(select(ProposalVersion)).one()
    assert version.content["answers"] == {
        "name": "SkyNet Light",
        "summary": "Detects small drones early",
        "range_km": "12.5",
        "domain": "land",
        "sensors": ["radar"],
        "tested": True,
        "demo": "2027-03-01",
    }
    assert version.content["trl"] == 6
    assert version.content["lead"] == {"role": "", "share": 100}
