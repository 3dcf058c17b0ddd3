"""Details a company stumbles over: two members saving the same answers (the second is told and sees both),
error summaries that name their fields once, the note after a submitted proposal is changed, file sizes."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.formatting import format_file_size
from app.organisations.models import Membership
from app.proposals.models import Proposal
from tests.factories import create_challenge, create_user
from tests.proposals.helpers import (
    GOOD_ANSWERS,
    act_for,
    all_types_stage,
    create_company,
    ready_proposal,
    save,
    start,
    submit,
)


def _seen(page: str) -> str:
    found = re.search(r'name="answers_seen" value="([0-9a-f]{32})"', page)
    assert found is not None
    return found.group(1)


def _two_members(app: FastAPI, client: TestClient, session: Session, clock: FrozenClock) -> tuple[Proposal, TestClient]:
    """A started proposal; ``client`` is its organisation's first member, the returned client the second."""
    challenge = create_challenge(session)
    first, organisation = create_company(
        session, email="eva@bedrijf.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, first, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    second = create_user(session, email="piet@bedrijf.example", name="Piet")
    session.add(Membership(organisation_id=organisation.id, user_id=second.id, role="member", joined_at=clock.now()))
    session.commit()
    other = TestClient(app, follow_redirects=False)
    act_for(other, session, second, organisation, now=clock.now())
    return proposal, other


def test_the_second_save_over_the_same_answers_is_told_and_sees_both(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal, other = _two_members(app, client, session, clock)
    url = f"/proposals/{proposal.id}/answers"
    seen_by_first = _seen(client.get(url).text)
    seen_by_second = _seen(other.get(url).text)
    assert seen_by_first == seen_by_second
    clock.advance(timedelta(minutes=3))
    assert save(other, proposal.id, q_summary="Radar van Piet", trl="4", answers_seen=seen_by_second).status_code == 303
    clock.advance(timedelta(minutes=2))
    refused = save(client, proposal.id, q_summary="Optiek van Eva", trl="7", answers_seen=seen_by_first)
    assert refused.status_code == 409
    page = refused.text
    assert "Een ander lid van uw organisatie heeft deze antwoorden opgeslagen" in page
    conflict = page[page.index('id="conflict"') : page.index("</section>")]
    assert "Optiek van Eva" in conflict and "Radar van Piet" in conflict
    assert '<td data-label="Uw niet-opgeslagen invoer">7</td>' in conflict
    assert '<td data-label="Opgeslagen door het andere lid">4</td>' in conflict
    assert ">Optiek van Eva</textarea>" in page  # her own input stays in the form
    session.expire_all()
    stored = session.get(Proposal, proposal.id)
    assert stored is not None and stored.draft["answers"]["summary"] == "Radar van Piet"  # nothing overwritten
    # Saving again from the page that showed both versions keeps hers, deliberately.
    again = save(client, proposal.id, q_summary="Optiek van Eva", trl="7", answers_seen=_seen(page))
    assert again.status_code == 303
    session.expire_all()
    assert session.get(Proposal, proposal.id).draft["answers"]["summary"] == "Optiek van Eva"  # type: ignore[union-attr]
    other.close()


def test_saving_twice_from_ones_own_fresh_page_is_no_conflict(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal, other = _two_members(app, client, session, clock)
    url = f"/proposals/{proposal.id}/answers"
    assert (
        save(client, proposal.id, q_summary="Een", trl="5", answers_seen=_seen(client.get(url).text)).status_code == 303
    )
    assert (
        save(client, proposal.id, q_summary="Twee", trl="5", answers_seen=_seen(client.get(url).text)).status_code
        == 303
    )
    # The other member's page, opened after both saves, is current too.
    assert (
        save(other, proposal.id, q_summary="Drie", trl="5", answers_seen=_seen(other.get(url).text)).status_code == 303
    )
    session.expire_all()
    assert session.get(Proposal, proposal.id).draft["answers"]["summary"] == "Drie"  # type: ignore[union-attr]
    other.close()


def test_a_conflict_with_identical_answers_lists_no_differences(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal, other = _two_members(app, client, session, clock)
    stale = _seen(client.get(f"/proposals/{proposal.id}/answers").text)
    assert save(other, proposal.id, q_summary="Gelijk", trl="5").status_code == 303
    refused = save(client, proposal.id, q_summary="Gelijk", trl="5", answers_seen=stale)
    assert refused.status_code == 409
    assert "De opgeslagen antwoorden zijn gelijk aan uw invoer." in refused.text
    other.close()


def test_error_summary_names_each_field_once_and_links_to_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = create_company(
        session, email="a@b.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    page = save(client, proposal.id, **{**GOOD_ANSWERS, "q_domain": "air", "q_sensors": "sonar", "trl": "12"})
    assert page.status_code == 303
    form = client.get(f"/proposals/{proposal.id}/answers").text
    summary = form[form.index('class="error-summary"') : form.index("</ul>", form.index('class="error-summary"'))]
    assert '<a href="#q_domain">Domein: Kies een van de mogelijkheden.</a>' in summary
    assert '<a href="#q_sensors">Sensoren: Kies een van de mogelijkheden.</a>' in summary
    lines = re.findall(r"<li>(.*?)</li>", summary, flags=re.S)
    assert len(lines) == len(set(lines)) == 2


def test_error_summary_leaves_out_a_line_it_already_shows(client: TestClient) -> None:
    template = client.app.state.templates.env.from_string(  # type: ignore[attr-defined]
        '{% from "macros/forms.html" import error_summary with context %}{{ error_summary(errors, labels) }}'
    )
    same = {"a": "Same.", "b": "Same.", "__all__": "Same."}
    html = template.render(errors=same, labels=None, _=lambda text: text)
    assert html.count("<li>") == 1
    assert '<a href="#a">Same.</a>' in html and '<a href="#b">' not in html
    named = template.render(errors=same, labels={"a": "Name", "b": "Role"}, _=lambda text: text)
    assert named.count("<li>") == 3
    assert '<a href="#a">Name: Same.</a>' in named and '<a href="#b">Role: Same.</a>' in named


def test_a_submitted_proposal_changed_since_says_the_changes_are_not_submitted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="a@b.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    assert submit(client, proposal.id, key="k1").status_code == 303
    notice = "Deze wijzigingen zijn niet ingediend"
    assert notice not in client.get(f"/proposals/{proposal.id}").text
    assert "Gewijzigd sinds indienen" not in client.get("/proposals").text
    clock.advance(timedelta(minutes=5))
    assert save(client, proposal.id, q_summary="Een betere samenvatting", trl="6").status_code == 303
    for path in (f"/proposals/{proposal.id}", f"/proposals/{proposal.id}/answers", f"/proposals/{proposal.id}/submit"):
        assert notice in client.get(path).text, path
    assert "Gewijzigd sinds indienen: pas ingediend als u opnieuw indient" in client.get("/proposals").text
    clock.advance(timedelta(minutes=5))
    assert submit(client, proposal.id, key="k2").status_code == 303
    assert notice not in client.get(f"/proposals/{proposal.id}").text
    assert "Gewijzigd sinds indienen" not in client.get("/proposals").text


def test_after_the_deadline_unsubmitted_changes_are_named_as_not_counted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="a@b.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    assert submit(client, proposal.id, key="k1").status_code == 303
    clock.advance(timedelta(minutes=5))
    assert save(client, proposal.id, q_summary="Later", trl="6").status_code == 303
    clock.advance(timedelta(days=100))  # past the deadline of 26 February 2027
    act_for(client, session, user, organisation, now=clock.now())
    page = client.get(f"/proposals/{proposal.id}").text
    assert "niet vóór de deadline ingediend: versie 1 telt" in page
    assert "Deze wijzigingen zijn niet ingediend" not in page


def test_file_sizes_under_a_megabyte_are_shown_in_kilobytes() -> None:
    assert format_file_size(0, "nl") == "0 kB"
    assert format_file_size(1, "en") == "1 kB"
    assert format_file_size(512 * 1024, "nl") == "512 kB"
    assert format_file_size(1024 * 1024 - 1, "nl") == "1 MB"
    assert format_file_size(1024 * 1024, "en") == "1 MB"
    assert format_file_size(1536 * 1024, "nl") == "1,5 MB"
    assert format_file_size(1536 * 1024, "en") == "1.5 MB"
    assert format_file_size(25 * 1024 * 1024 + 123_456, "nl") == "25,12 MB"


def test_a_small_document_is_listed_in_kilobytes(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="a@b.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    assert re.search(r"\(PDF, \d+ kB, 2 pagina", client.get(f"/proposals/{proposal.id}/documents").text)
    assert submit(client, proposal.id, key="k1").status_code == 303
    assert re.search(r"\(PDF, \d+ kB, 2 pagina", client.get(f"/proposals/{proposal.id}/versions/1").text)
    assert " MB" not in client.get(f"/proposals/{proposal.id}/versions/1").text.split("<footer")[0]
