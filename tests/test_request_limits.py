"""Request bodies: one limit per route whatever carries the CSRF token, files only where a route takes them,
and the token of an upload in the part before the file, never in the URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.proposals.documents.views import UPLOAD_LIMIT
from app.proposals.models import ProposalDocument
from app.routing import leaf_routes
from app.security import FORM as FORM_LIMIT
from app.security import SMALL_FORM, RouteLimits, route_body_limit
from tests.factories import create_challenge, create_user, csrf, log_in
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import act_for, all_types_stage, create_company, start

KIB = 1024
FORM = {"content-type": "application/x-www-form-urlencoded"}
TOO_LARGE = "Wat u verstuurde is groter dan deze pagina aanneemt."


def _login_body(size: int) -> bytes:
    body = b"email=a%40example.nl&password=violet+tractor+sings+loudly&pad="
    return body + b"x" * (size - len(body))


def test_login_with_the_token_in_the_header_refuses_a_body_past_64_kib(client: TestClient) -> None:
    headers = {**FORM, "X-CSRF-Token": csrf(client)}
    assert client.post("/login", content=_login_body(64 * KIB), headers=headers).status_code == 422
    refused = client.post("/login", content=_login_body(64 * KIB + 1), headers=headers)
    assert refused.status_code == 413
    assert refused.headers["connection"] == "close"
    assert refused.headers["content-type"].startswith("text/html")
    assert TOO_LARGE in refused.text


def test_login_with_the_token_in_the_body_refuses_a_body_past_64_kib(client: TestClient) -> None:
    body = b"csrf_token=" + csrf(client).encode() + b"&" + _login_body(64 * KIB)
    assert client.post("/login", content=body, headers=FORM).status_code == 413


def test_a_chunked_body_is_counted_as_it_streams_in(client: TestClient) -> None:
    headers = {**FORM, "X-CSRF-Token": csrf(client)}

    def chunks() -> Iterator[bytes]:
        yield _login_body(8 * KIB)
        for _ in range(16):
            yield b"x" * (8 * KIB)  # 136 KiB in all, no Content-Length

    refused = client.post("/login", content=chunks(), headers=headers)
    assert "content-length" not in refused.request.headers
    assert refused.status_code == 413
    assert TOO_LARGE in refused.text


def test_other_forms_take_up_to_one_mib(client: TestClient) -> None:
    # "/" only answers GET: getting past the limits shows as 405.
    headers = {**FORM, "X-CSRF-Token": csrf(client)}
    assert client.post("/", content=b"a=" + b"x" * (1024 * KIB - 2), headers=headers).status_code == 405
    assert client.post("/", content=b"a=" + b"x" * (1024 * KIB - 1), headers=headers).status_code == 413


def test_a_length_that_is_not_a_number_is_refused(client: TestClient) -> None:
    headers = {**FORM, "X-CSRF-Token": csrf(client), "content-length": "12abc"}
    response = client.post("/login", content=b"email=a", headers=headers)
    assert response.status_code == 400


def test_a_form_route_refuses_files(client: TestClient) -> None:
    headers = {"X-CSRF-Token": csrf(client)}
    files = {"file": ("a.txt", b"x" * 100)}
    refused = client.post("/login", data={"email": "a@example.nl", "password": "x"}, files=files, headers=headers)
    assert refused.status_code == 415
    assert "Deze pagina neemt geen bestanden aan." in refused.text


def _company_proposal(client: TestClient, session: Session, clock: FrozenClock) -> int:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = create_company(
        session, email="owner@company.example", name="Company Drones B.V.", kvk="00000001", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    return start(client, session, challenge.slug).id


def _stored(session: Session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(ProposalDocument.question_key)))


def test_upload_token_in_the_part_before_the_file_is_accepted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal_id = _company_proposal(client, session, clock)
    files = {"file": ("brief.pdf", pdf_bytes(pages=1), "application/pdf")}
    response = client.post(f"/proposals/{proposal_id}/documents/brief", data={"csrf_token": csrf(client)}, files=files)
    assert response.status_code == 303
    assert _stored(session) == ["brief"]


def test_upload_token_after_the_file_or_in_the_url_is_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal_id = _company_proposal(client, session, clock)
    boundary = "portal-token-after-file"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="brief.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf_bytes(pages=1)
    body += f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf(client)}\r\n'.encode()
    body += f"--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    after = client.post(f"/proposals/{proposal_id}/documents/brief", content=body, headers=headers)
    assert after.status_code == 403
    files = {"file": ("brief.pdf", pdf_bytes(pages=1), "application/pdf")}
    in_url = client.post(f"/proposals/{proposal_id}/documents/brief?csrf_token={csrf(client)}", files=files)
    assert in_url.status_code == 403
    assert _stored(session) == []


def test_upload_forms_carry_the_token_before_the_file_and_not_in_the_url(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal_id = _company_proposal(client, session, clock)
    page = client.get(f"/proposals/{proposal_id}/documents").text
    assert "?csrf_token=" not in page
    form = page.split('enctype="multipart/form-data"')[1]
    assert form.index('name="csrf_token"') < form.index('type="file"')


def test_upload_route_refuses_a_declared_length_past_its_ceiling(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal_id = _company_proposal(client, session, clock)
    headers = {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(201 * 1024 * KIB)}
    refused = client.post(f"/proposals/{proposal_id}/documents/brief", content=b"--b--\r\n", headers=headers)
    assert refused.status_code == 413


def test_a_logged_in_user_gets_no_store_on_every_page_but_static_files(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    anonymous = client.get("/")
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    user = create_user(session, email="firm@example.nl")
    log_in(client, session, user, now=clock.now())
    for path in ("/", "/account", "/proposals", "/organisations"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/favicon.svg").headers.get("cache-control", "")


def test_the_table_of_limits_names_the_limit_of_the_route_the_router_picks(app: FastAPI) -> None:
    """The middleware's flat table of every route's pattern and limit answers as the router's own search
    does, for every route's path (and paths just beside them), for every method that carries a body."""
    search = partial(route_body_limit, app.router.routes)
    table = RouteLimits(app.router.routes)
    paths = set()
    for leaf in leaf_routes(app.router.routes):
        pattern = re.sub(r"\{[^}]+\}", "7", getattr(leaf, "path_format", "") or getattr(leaf, "path", ""))
        paths.update({pattern, pattern + "x", pattern.replace("7", "seven"), pattern + "/7"})
    limits = set()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in sorted(paths):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            assert table(scope) == search(scope), (method, path)
            limits.add(table(scope))
    assert {FORM_LIMIT, SMALL_FORM, UPLOAD_LIMIT} <= limits
