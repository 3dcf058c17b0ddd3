"""The dashboards' region filter and the figures of organisations new to Defence and of propositions, against the
known portfolio (tests/dashboards/helpers.py) with region tags, what each organisation said about Defence, and
propositions added here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.models import Challenge, TaxonomyTerm
from app.challenges.regions.models import ChallengeRegion
from app.clock import FrozenClock
from app.organisations.models import Organisation
from app.organisations.regions.models import Region
from app.proposals.propositions.models import Proposition, PropositionRegion
from tests.dashboards.helpers import CLOSED, csv_rows, portfolio, table
from tests.factories import create_user, log_in

DASHBOARD = "/manage/portfolio"
# What the standing versions of the closed challenge's four proposals say (None: the key is absent, an older
# version); Dirk's organisation says "worked for Defence before" on its profile, which only staff may fall back to.
SAID = (True, False, True, None)
# (NLD-gebied, region tags (the first: the team it was sent from), status, day sent)
PROPOSITIONS = (
    ("quantum", ("zuidwest",), "submitted", datetime(2027, 1, 12, 9, 0, tzinfo=UTC)),
    ("sensoren", ("noord",), "declined", datetime(2026, 11, 5, 9, 0, tzinfo=UTC)),
    # Tagged by its triagers with Noord too: counted under both teams, once overall.
    ("sensoren", ("zuidwest", "noord"), "watched", datetime(2027, 2, 1, 9, 0, tzinfo=UTC)),
)


def _region_id(session: Session, key: str) -> int:
    return session.scalars(select(Region.id).where(Region.key == key)).one()


def _known(session: Session, clock: FrozenClock) -> None:
    """The portfolio; the closed challenge tagged Zuidwest, the open one Noord; what each organisation said."""
    entries = tuple(
        replace(entry, said={} if said is None else {"new_to_defence": said})
        for entry, said in zip(CLOSED, SAID, strict=True)
    )
    s = portfolio(session, clock, entries)
    for slug, key in (("closed-challenge", "zuidwest"), ("open-quantum", "noord")):
        challenge = session.scalars(select(Challenge).where(Challenge.slug.startswith(slug))).one()
        session.add(ChallengeRegion(challenge_id=challenge.id, region_id=_region_id(session, key)))
    dirk = session.get(Organisation, s.proposals[3].organisation_id)
    assert dirk is not None
    dirk.new_to_defence = False
    owner = s.proposals[0].organisation_id
    for area, keys, status, sent in PROPOSITIONS:
        term = session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == area))
        proposition = Proposition(
            organisation_id=owner,
            title="Geheime propositie",
            effect="e",
            nld_term_id=term.one(),
            region_id=_region_id(session, keys[0]),
            trl=3,
            description="d",
            status=status,
            submitted_at=sent,
        )
        session.add(proposition)
        session.flush()
        session.add_all(
            [PropositionRegion(proposition_id=proposition.id, region_id=_region_id(session, k)) for k in keys]
        )
    session.commit()


def _coordinator(client: TestClient, session: Session, clock: FrozenClock, *, language: str = "nl") -> None:
    user = create_user(session, email="dashx@mindef.example", name="Dirk Dash", roles=("coordinator",))
    log_in(client, session, user, now=clock.now())
    if language == "en":
        client.get("/language/en")


def test_dashboard_new_to_defence_counts_each_organisation_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _known(session, clock)
    _coordinator(client, session, clock)
    html = client.get(DASHBOARD).text
    # Dirk's version does not say: staff fall back to the profile. The open challenge's two are sealed.
    assert table(html, "new-to-defence") == [
        ["Nieuw bij Defensie", "2", "50,0 %"],
        ["Werkte eerder voor Defensie", "2", "50,0 %"],
        ["Onbekend", "0", "0,0 %"],
    ]
    assert '<title id="chart-new-to-defence-title">Aandeel organisaties nieuw bij Defensie</title>' in html
    assert csv_rows(client.get(f"{DASHBOARD}/new-to-defence.csv")) == [
        ["Organisatie", "Organisaties", "Aandeel (%)"],
        ["Nieuw bij Defensie", "2", "50.0"],
        ["Werkte eerder voor Defensie", "2", "50.0"],
        ["Onbekend", "0", "0.0"],
    ]


def test_dashboard_propositions_by_status(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _known(session, clock)
    _coordinator(client, session, clock, language="en")
    html = client.get(DASHBOARD).text
    assert table(html, "propositions-by-status") == [
        ["Awaiting triage", "1"],
        ["Referred to a challenge", "0"],
        ["Routed to another programme", "0"],
        ["On the watch list", "1"],
        ["Declined", "1"],
    ]
    assert html.count('role="img"') == 9
    assert "Geheime propositie" not in html
    rows = csv_rows(client.get(f"{DASHBOARD}/propositions-by-status.csv", params={"region": "zuidwest"}))
    assert rows == [
        ["Status", "Propositions"],
        ["Awaiting triage", "1"],
        ["Referred to a challenge", "0"],
        ["Routed to another programme", "0"],
        ["On the watch list", "1"],
        ["Declined", "0"],
    ]


@pytest.mark.parametrize(
    ("params", "propositions"),
    [
        ({"nld": "sensoren", "region": "zuidwest"}, ["0", "0", "0", "1", "0"]),
        ({"published_from": "2027-01-10", "published_until": "2027-01-31"}, ["1", "0", "0", "0", "0"]),
        ({"region": "noord", "nld": "sensoren", "published_until": "2026-11-05"}, ["0", "0", "0", "0", "1"]),
        # The watched one carries Noord as its second tag.
        ({"region": "noord"}, ["0", "0", "0", "1", "1"]),
        ({"region": "noord", "nld": "sensoren", "published_from": "2027-01-01"}, ["0", "0", "0", "1", "0"]),
        ({"region": "oost"}, ["0", "0", "0", "0", "0"]),
    ],
)
def test_dashboard_propositions_honour_the_filters(
    client: TestClient, session: Session, clock: FrozenClock, params: dict[str, str], propositions: list[str]
) -> None:
    _known(session, clock)
    _coordinator(client, session, clock)
    html = client.get(DASHBOARD, params=params).text
    assert [row[1] for row in table(html, "propositions-by-status")] == propositions


def test_dashboard_filtered_by_region_counts_challenges_tagged_with_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _known(session, clock)
    _coordinator(client, session, clock)
    zuidwest = client.get(DASHBOARD, params={"region": "zuidwest"})
    assert zuidwest.status_code == 200
    html = zuidwest.text
    assert table(html, "proposals") == [["Begonnen", "5"], ["Ingediend", "4"]]
    assert [row[1] for row in table(html, "challenges-by-status")] == ["0", "0", "0", "1", "0", "0"]
    assert table(html, "sme-share") == [["Mkb", "3", "75,0 %"], ["Geen mkb", "1", "25,0 %"]]
    assert '<option value="zuidwest" selected>ODIN Zuidwest (MindBase Delft)</option>' in html
    assert 'href="/manage/portfolio/sme-share.csv?region=zuidwest"' in html
    assert csv_rows(client.get(f"{DASHBOARD}/proposals.csv", params={"region": "noord"}))[1:] == [
        ["Begonnen", "3"],
        ["Ingediend", "2"],
    ]
    both = client.get(DASHBOARD, params={"region": "noord", "nld": "sensoren"}).text
    assert table(both, "proposals") == [["Begonnen", "0"], ["Ingediend", "0"]]
    assert 'href="/manage/portfolio/trl.csv?nld=sensoren&amp;region=noord"' in both
    untagged = client.get(DASHBOARD, params={"region": "oost"}).text
    assert table(untagged, "new-to-defence") == [
        ["Nieuw bij Defensie", "0", "geen"],
        ["Werkte eerder voor Defensie", "0", "geen"],
        ["Onbekend", "0", "geen"],
    ]


def test_dashboard_unknown_region_gets_a_message_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _coordinator(client, session, clock)
    response = client.get(DASHBOARD, params={"region": "atlantis"})
    assert response.status_code == 422
    error = response.text.split('id="region-error">', 1)[1].split("</p>", 1)[0]
    assert "Kies een van de mogelijkheden." in error
    assert '<a href="#region">' in response.text
    assert client.get(f"{DASHBOARD}/propositions-by-status.csv", params={"region": "atlantis"}).status_code == 422


def test_statistics_show_new_to_defence_but_never_propositions(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _known(session, clock)
    html = client.get("/statistics").text
    # The public reads only what the sealed versions say: Dirk's says nothing, so he is unknown.
    assert table(html, "new-to-defence") == [
        ["Nieuw bij Defensie", "minder dan 3", "minder dan 3"],
        ["Werkte eerder voor Defensie", "minder dan 3", "minder dan 3"],
        ["Onbekend", "minder dan 3", "minder dan 3"],
    ]
    assert csv_rows(client.get("/statistics/new-to-defence.csv")) == [
        ["Organisatie", "Organisaties", "Aandeel (%)"],
        ["Nieuw bij Defensie", "minder dan 3", "minder dan 3"],
        ["Werkte eerder voor Defensie", "minder dan 3", "minder dan 3"],
        ["Onbekend", "minder dan 3", "minder dan 3"],
    ]
    assert "propositions-by-status" not in html
    assert "Proposities" not in html
    assert client.get("/statistics/propositions-by-status.csv").status_code == 404
