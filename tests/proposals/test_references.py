"""Proposal references: short, readable, random (a reference says nothing about how many proposals exist)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.proposals.references import ALPHABET, new_reference, normalise_reference
from tests.factories import create_challenge
from tests.proposals.helpers import act_for, create_company, start

NEW = re.compile(rf"^P-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def test_a_new_reference_is_short_readable_and_random() -> None:
    references = [new_reference() for _ in range(2000)]
    assert all(NEW.match(reference) for reference in references)
    assert len(set(references)) == 2000
    assert not set("01IOL") & set("".join(r[2:] for r in references))  # no look-alikes
    assert all(any(c.isalpha() for c in r[2:]) for r in references)  # never mistaken for P-000123


@given(st.sampled_from(["P-7KQ4-M2XD"]), st.sampled_from(["{}", " {} ", "{lower}", "{compact}", "{spaced}"]))
def test_a_reference_is_understood_however_it_is_written(reference: str, form: str) -> None:
    written = form.format(
        reference, lower=reference.lower(), compact=reference.replace("-", ""), spaced=reference.replace("-", " ")
    )
    assert normalise_reference(written) == reference


def test_old_sequential_references_still_parse_and_nonsense_does_not() -> None:
    assert normalise_reference("p-123") == "P-000123"
    assert normalise_reference("P000123") == "P-000123"
    for nonsense in ("", "P-", "Q-7KQ4-M2XD", "P-7KQ4-M2X", "P-7KQ4-M2XO", "P-" + "7" * 40):
        assert normalise_reference(nonsense) is None


def test_proposals_of_one_challenge_get_unrelated_references(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    proposals = []
    for number in range(3):
        user, organisation = create_company(
            session,
            email=f"c{number}@example.nl",
            name=f"Bedrijf {number} B.V.",
            kvk=f"1234567{number}",
            at=clock.now(),
        )
        act_for(client, session, user, organisation, now=clock.now())
        proposal = start(client, session, challenge.slug)
        proposals.append(proposal)
        assert NEW.match(proposal.reference), proposal.reference
        assert proposal.reference in client.get(f"/proposals/{proposal.id}").text
        client.cookies.clear()
    assert len({p.reference for p in proposals}) == 3
    assert not any(p.reference == f"P-{p.id:06d}" for p in proposals)
