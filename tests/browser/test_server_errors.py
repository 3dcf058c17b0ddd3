"""The 5xx sentinel every browser test runs under (the ``server_errors`` fixture): what it writes down from the
browser's side and from the live server's side, with the URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tests.browser.harness import LiveServer, RecordServerErrors


@pytest.mark.browser
def test_sentinel_writes_down_a_5xx_the_browser_receives(
    page: Page, server: LiveServer, server_errors: list[str], console_errors: list[str]
) -> None:
    def unavailable(route: Route) -> None:
        route.fulfill(status=503, body="down")

    page.route("**/sentinel-probe?x=1", unavailable)
    page.goto("/sentinel-probe?x=1")
    assert server_errors == [f"the browser received 503 for GET {server.url('/sentinel-probe?x=1')}"]
    # Expected here, so taken out of what would fail the test; the browser logs the status on its console too.
    server_errors.clear()
    console_errors.clear()


def test_sentinel_writes_down_a_5xx_the_server_answers_to_any_client() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/raises":
            raise RuntimeError("boom")
        status = 502 if scope["path"] == "/bad" else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    errors: list[str] = []
    client = TestClient(RecordServerErrors(app, errors), raise_server_exceptions=False)
    assert [client.get(path).status_code for path in ("/bad?x=1", "/fine", "/raises")] == [502, 200, 500]
    assert errors == ["the server answered 502 to GET /bad?x=1", "the server raised RuntimeError on GET /raises"]
