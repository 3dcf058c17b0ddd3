"""The coordinators' portfolio dashboard against a known portfolio (tests/dashboards/helpers.py): every figure's
table and CSV, the filters and their messages, sealed content before the deadline, and who may see it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.dashboards.helpers import CLOSED, closed_challenge, csv_rows, open_challenge, portfolio, table
from tests.factories import create_user, log_in

DASHBOARD = "/manage/portfolio"


def _coordinator(client: TestClient, session: Session, clock: FrozenClock, *, language: str = "nl") -> None:
    user = create_user(
        session, email="portfolio@mindef.example", name="Pia Portfolio", roles=("coordinator",), language=language
    )
    log_in(client, session, user, now=clock.now())
    if language == "en":
        client.get("/language/en")


def test_dashboard_figures_match_the_known_portfolio(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock)
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    html = page.text
    assert table(html, "challenges-by-status") == [
        ["Concept", "1"],
        ["Gepubliceerd", "1"],
        ["Beoordeling", "0"],
        ["Besloten", "1"],
        ["Gearchiveerd", "0"],
        ["Geannuleerd", "0"],
    ]
    assert table(html, "proposals") == [["Begonnen", "8"], ["Ingediend", "6"]]
    # Only the closed challenge's four proposals: the open one's two are sealed.
    assert table(html, "sme-share") == [["Mkb", "3", "75,0 %"], ["Geen mkb", "1", "25,0 %"]]
    assert table(html, "consortium-share") == [["Een consortium", "2", "50,0 %"], ["Eén organisatie", "2", "50,0 %"]]
    assert table(html, "new-to-defence") == [  # none of the four said
        ["Nieuw bij Defensie", "0", "0,0 %"],
        ["Werkte eerder voor Defensie", "0", "0,0 %"],
        ["Onbekend", "4", "100,0 %"],
    ]
    assert table(html, "propositions-by-status")[0] == ["In afwachting van triage", "0"]
    assert table(html, "consortium-sizes") == [["1", "2"], ["2", "1"], ["3", "1"]]
    assert table(html, "trl") == [
        ["1", "0", "0"],
        ["2", "0", "0"],
        ["3", "0", "1"],
        ["4", "1", "1"],
        ["5", "2", "1"],
        ["6", "1", "0"],
        ["7", "0", "0"],
        ["8", "0", "0"],
        ["9", "0", "0"],
    ]
    assert table(html, "time-to-decision") == [["Mediaan", "129"], ["Kortste", "129"], ["Langste", "129"]]
    assert "Challenges met bekendgemaakte besluiten: 1" in html
    for entry in CLOSED:
        assert entry.name not in html


def test_dashboard_charts_are_accessible_images(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock)
    html = client.get(DASHBOARD).text
    assert html.count('role="img"') == 9
    assert 'aria-labelledby="chart-trl-title chart-trl-desc"' in html
    assert '<title id="chart-trl-title">Opgegeven en beoordeelde TRL</title>' in html
    assert "Opgegeven: 2</text>" in html  # each bar names its series in text, not by colour alone


def test_dashboard_csv_holds_the_same_figures(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock)
    sme = client.get(f"{DASHBOARD}/sme-share.csv")
    assert sme.headers["content-disposition"] == 'attachment; filename="portfolio-sme-share.csv"'
    assert csv_rows(sme) == [
        ["Indienende organisatie", "Voorstellen", "Aandeel (%)"],
        ["Mkb", "3", "75.0"],
        ["Geen mkb", "1", "25.0"],
    ]
    assert csv_rows(client.get(f"{DASHBOARD}/consortium-sizes.csv")) == [
        ["Organisaties in het voorstel", "Voorstellen"],
        ["1", "2"],
        ["2", "1"],
        ["3", "1"],
    ]
    assert csv_rows(client.get(f"{DASHBOARD}/trl.csv"))[3:7] == [
        ["3", "0", "1"],
        ["4", "1", "1"],
        ["5", "2", "1"],
        ["6", "1", "0"],
    ]
    assert csv_rows(client.get(f"{DASHBOARD}/time-to-decision.csv")) == [
        ["Maat", "Dagen"],
        ["Mediaan", "129"],
        ["Kortste", "129"],
        ["Langste", "129"],
    ]


def test_dashboard_in_english(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock, language="en")
    html = client.get(DASHBOARD).text
    assert "<h1>Portfolio dashboard</h1>" in html
    assert table(html, "sme-share") == [["SME", "3", "75.0 %"], ["Not an SME", "1", "25.0 %"]]
    assert csv_rows(client.get(f"{DASHBOARD}/proposals.csv")) == [
        ["Proposals", "Number of proposals"],
        ["Started", "8"],
        ["Submitted", "6"],
    ]


def test_dashboard_filtered_by_nld_gebied(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock)
    html = client.get(DASHBOARD, params={"nld": "quantum"}).text
    assert table(html, "proposals") == [["Begonnen", "3"], ["Ingediend", "2"]]
    assert table(html, "sme-share") == [["Mkb", "0", "geen"], ["Geen mkb", "0", "geen"]]  # sealed until 1 June
    assert '<option value="quantum" selected>' in html
    assert 'href="/manage/portfolio/proposals.csv?nld=quantum"' in html
    rows = csv_rows(client.get(f"{DASHBOARD}/proposals.csv", params={"nld": "quantum"}))
    assert rows[1:] == [["Begonnen", "3"], ["Ingediend", "2"]]


def test_dashboard_filtered_by_publication_period(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    _coordinator(client, session, clock)
    since = client.get(DASHBOARD, params={"published_from": "2027-01-10"}).text
    assert table(since, "proposals") == [["Begonnen", "3"], ["Ingediend", "2"]]
    assert table(since, "time-to-decision") == [["Mediaan", "geen"], ["Kortste", "geen"], ["Langste", "geen"]]
    until = client.get(DASHBOARD, params={"published_from": "1-11-2026", "published_until": "1-11-2026"}).text
    assert table(until, "challenges-by-status")[0] == ["Concept", "0"]  # never published: no publication date
    assert table(until, "challenges-by-status")[3] == ["Besloten", "1"]
    assert table(until, "proposals") == [["Begonnen", "5"], ["Ingediend", "4"]]
    assert 'href="/manage/portfolio/trl.csv?published_from=2026-11-01&amp;published_until=2026-11-01"' in until


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"published_from": "31-02-2027"}, "published_from", "Vul een datum in als dag, maand en jaar"),
        ({"published_until": "morgen"}, "published_until", "Vul een datum in als dag, maand en jaar"),
        (
            {"published_from": "2027-03-01", "published_until": "2027-02-01"},
            "published_until",
            "Het einde van de periode kan niet voor het begin liggen.",
        ),
        ({"nld": "<script>"}, "nld", "Kies een van de mogelijkheden."),
    ],
)
def test_dashboard_bad_filter_gets_a_message_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock, params: dict[str, str], field: str, message: str
) -> None:
    _coordinator(client, session, clock)
    response = client.get(DASHBOARD, params=params)
    assert response.status_code == 422
    error = response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert f'<a href="#{field}">' in response.text  # the error summary links to the field
    assert 'role="img"' not in response.text
    assert "<script>" not in response.text
    assert client.get(f"{DASHBOARD}/trl.csv", params=params).status_code == 422


def test_dashboard_counts_only_sealed_numbers_before_the_deadline(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    closed_challenge(session)
    open_challenge(session)
    _coordinator(client, session, clock)  # 1 December 2026: both stages still open
    html = client.get(DASHBOARD).text
    assert table(html, "proposals") == [["Begonnen", "8"], ["Ingediend", "6"]]
    assert table(html, "sme-share") == [["Mkb", "0", "geen"], ["Geen mkb", "0", "geen"]]
    assert table(html, "consortium-sizes") == [["1", "0"]]
    assert all(row[1:] == ["0", "0"] for row in table(html, "trl"))


def test_dashboard_csv_of_an_unknown_figure_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _coordinator(client, session, clock)
    assert client.get(f"{DASHBOARD}/nothing.csv").status_code == 404


@pytest.mark.parametrize("path", [DASHBOARD, f"{DASHBOARD}/sme-share.csv"])
@pytest.mark.parametrize("who", ["company", "evaluator"])
def test_dashboard_refuses_companies_and_evaluators(
    client: TestClient, session: Session, clock: FrozenClock, path: str, who: str
) -> None:
    portfolio(session, clock)
    roles: tuple[Any, ...] = ("evaluator",) if who == "evaluator" else ()
    user = create_user(session, email=f"{who}@example.nl", name="Niet Staf", roles=roles)
    log_in(client, session, user, now=clock.now())
    response = client.get(path)
    assert response.status_code == 404
    assert "75,0" not in response.text


@pytest.mark.parametrize("path", [DASHBOARD, f"{DASHBOARD}/sme-share.csv"])
def test_dashboard_sends_anonymous_visitors_to_log_in(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
