"""The public pages and the public API, in both languages, including the 404s."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import create_challenge


def test_list_shows_open_challenge_with_deadline_in_cet(client: TestClient, session: Session) -> None:
    create_challenge(session)
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-language"] == "nl"
    assert '<html lang="nl">' in response.text
    assert "Testchallenge sensoren" in response.text
    assert "26 februari 2027, 17:00 CET" in response.text
    assert "nog 87 dagen" in response.text
    assert "1 challenge gevonden" in response.text


def test_list_hides_draft_challenges(client: TestClient, session: Session) -> None:
    create_challenge(session, slug="secret-draft", publish=False, title={"nl": "Geheim concept", "en": "Draft"})
    response = client.get("/")
    assert "Geheim concept" not in response.text
    assert client.get("/challenges/secret-draft").status_code == 404


def test_list_filters_by_status_tag_and_text(client: TestClient, session: Session) -> None:
    create_challenge(session)
    create_challenge(
        session, slug="space-one", tags={"nld": ["ruimtevaart"]}, title={"nl": "Satellieten", "en": "Sats"}
    )
    by_tag = client.get("/", params={"tag": "ruimtevaart"}).text
    assert "Satellieten" in by_tag and "Testchallenge sensoren" not in by_tag
    by_text = client.get("/", params={"q": "sensoren"}).text
    assert "Testchallenge sensoren" in by_text and "Satellieten" not in by_text
    upcoming = client.get("/", params={"status": "upcoming"}).text
    assert "Geen challenges gevonden" in upcoming
    # Unknown filter values are ignored rather than breaking the page.
    assert client.get("/", params={"status": "bogus", "tag": "bogus"}).status_code == 200


def test_detail_shows_effects_stages_questions_and_criteria(client: TestClient, session: Session) -> None:
    create_challenge(session)
    response = client.get("/challenges/test-challenge")
    assert response.status_code == 200
    body = response.text
    for expected in (
        "Vroeg detecteren.",
        "90% binnen 2 km.",
        "26 februari 2027, 17:00 CET",
        "Tekst, hoogstens 300 woorden",
        "Document: PDF, hoogstens 10 MB, hoogstens 5 pagina&#39;s",
        "60%",
        "Niveau 2",
        "Beschrijving 1",
        "tot en met 7",
    ):
        assert expected in body, expected


def test_language_switch_sticks_and_translates(client: TestClient, session: Session) -> None:
    create_challenge(session)
    switch = client.get("/language/en", params={"next": "/challenges/test-challenge"})
    assert switch.status_code == 303
    assert switch.headers["location"] == "/challenges/test-challenge"
    page = client.get("/challenges/test-challenge")
    assert '<html lang="en">' in page.text
    assert "Test challenge sensors" in page.text
    assert "26 February 2027, 17:00 CET" in page.text
    assert "Desired operational effects" in page.text
    assert client.get("/").headers["content-language"] == "en"


def test_language_switch_refuses_external_target(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/en", params={"next": target})
        assert response.headers["location"] == "/"


def test_unknown_slug_is_404_page_in_users_language(client: TestClient) -> None:
    response = client.get("/challenges/does-not-exist")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.text
    client.cookies.set("portal_lang", "en")
    assert "Page not found" in client.get("/challenges/does-not-exist").text


def test_unknown_route_is_html_404_not_json(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_api_lists_published_challenges(client: TestClient, session: Session) -> None:
    create_challenge(session)
    create_challenge(session, slug="draft-one", publish=False)
    body = client.get("/api/v1/challenges").json()
    assert body["count"] == 1
    item = body["challenges"][0]
    assert item["slug"] == "test-challenge"
    assert item["phase"] == "open"
    assert item["next_deadline"] == "2027-02-26T16:00:00Z"
    assert item["tags"] == [{"kind": "nld", "key": "sensoren", "name": {"nl": "Sensoren", "en": "Sensors"}}]
    assert item["url"] == "http://testserver/challenges/test-challenge"


def test_api_detail_and_404(client: TestClient, session: Session) -> None:
    create_challenge(session)
    body = client.get("/api/v1/challenges/test-challenge").json()
    assert [c["weight"] for c in body["criteria"]] == [60, 40]
    assert body["stages"][0]["open"] is True
    assert body["stage_questions"]["brief"][1]["max_pages"] == 5
    missing = client.get("/api/v1/challenges/draft-or-missing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Pagina niet gevonden"}


def test_api_bad_query_is_422_json(client: TestClient) -> None:
    response = client.get("/api/v1/challenges", params={"phase": "sometime"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "phase"]


def test_openapi_documents_the_public_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/v1/challenges", "/api/v1/challenges/{slug}"} <= set(spec["paths"])
    assert "ChallengeDetailOut" in spec["components"]["schemas"]


def test_pages_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in headers


def test_template_output_is_escaped(client: TestClient, session: Session) -> None:
    create_challenge(session, title={"nl": "<script>alert(1)</script>", "en": "x"})
    body = client.get("/challenges/test-challenge").text
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_links_come_from_the_base_url_never_from_the_host_header(client: TestClient, session: Session) -> None:
    create_challenge(session)
    hostile = {"Host": "evil.example"}
    item = client.get("/api/v1/challenges", headers=hostile).json()["challenges"][0]
    assert item["url"] == "http://testserver/challenges/test-challenge"
    assert client.get("/api/v1/challenges/test-challenge", headers=hostile).json()["url"] == item["url"]
    for path in ("/", "/challenges/test-challenge", "/login", "/register"):
        page = client.get(path, headers=hostile)
        assert page.status_code == 200, path
        assert "evil.example" not in page.text, path
