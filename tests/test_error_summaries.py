"""Every form's error summary names each field and links to it: each line's link points at an element of the page
with that id, each linked line starts with the field's label, and no two lines of the summary are the same."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.evaluations.helpers import after_deadline, build_scenario
from tests.events.helpers import MANAGE
from tests.factories import create_challenge, create_user, csrf, log_in
from tests.manage.helpers import assign, form_data, staff
from tests.proposals.helpers import act_for, all_types_stage, create_company, save, start
from tests.propositions.helpers import company_in, proposition_form, regional_coordinator, send

Opened = Callable[[TestClient, Session, FrozenClock], Any]


def _post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def _register(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    client.get("/register")
    return _post(client, "/register", {"email": "geen-adres", "name": "", "password": "kort", "password_confirm": "x"})


def _login(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    client.get("/login")
    return _post(client, "/login", {"email": "", "password": ""})


def _organisation(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    user = create_user(session, email="nieuw@bedrijf.example", name="Nina Nieuw")
    log_in(client, session, user, now=clock.now())
    return _post(client, "/organisations/new", {"kvk_number": "12", "country": "", "postcode": "x"})


def _proposition(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province=None, at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    data = proposition_form(title="", effect="", nld_area="", trl="12", description="")
    return _post(client, "/propositions/new", data)


def _proposition_regions(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=clock.now()
    )
    proposition = send(client, session, user, organisation, now=clock.now())
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=clock.now())
    client.cookies.clear()
    log_in(client, session, coordinator, now=clock.now())
    return _post(client, f"/manage/propositions/{proposition.id}/regions", {"regions": "geen"})


def _coordinator_areas(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    coordinator = create_user(session, email="cora@mindef.example", roles=("coordinator",))
    log_in(
        client, session, create_user(session, email="adam@mindef.example", roles=("administrator",)), now=clock.now()
    )
    return _post(client, f"/admin/users/{coordinator.id}/areas", {"areas": "geen"})


def _question(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="q@vraag.example", name="Vraag B.V.", kvk="12345679", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    return _post(client, f"/challenges/{challenge.slug}/questions", {"section": "nergens", "text": ""})


def _event(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    challenge = create_challenge(session)
    assign(session, challenge, staff(client, session, clock, email="coco@mindef.example"), clock)
    data = {"kind": "", "title_nl": "", "title_en": "", "starts_at": "morgen", "ends_at": "", "capacity": "0"}
    return _post(client, MANAGE + "/new", {**data, "online_url": "http://x", "registration_deadline_at": ""})


def _challenge(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    staff(client, session, clock, email="coco@mindef.example")
    blank = {"criteria.0.title.en": "", "criteria.1.title.en": "", "effects.0.key": "", "action": "save"}
    return _post(client, "/manage/challenges/new", {**form_data(slug="web-made"), **blank})


def _due_date(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    return _post(client, f"{s.base}/due-date", {"due_on": "10-03-2027"})


def _statement(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    admin = create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    return _post(client, "/admin/statements/cookies/en", {"body": "<b>bold</b>"})


def _portfolio(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    user = create_user(session, email="pia@mindef.example", name="Pia Portfolio", roles=("coordinator",))
    log_in(client, session, user, now=clock.now())
    params = {"published_from": "gisteren", "published_until": "morgen", "nld": "<script>"}
    return client.get("/manage/portfolio", params=params)


def _audit(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    admin = create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    params = {"date_from": "gisteren", "date_to": "morgen", "size": "201", "action": "user\nblock", "actor": "a\nb"}
    return client.get("/admin/audit", params=params)


def _answers(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = create_company(
        session, email="a@b.example", name="Bedrijf B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    saved = save(client, proposal.id, q_domain="air", q_sensors="sonar", trl="12")
    assert saved.status_code == 303
    return client.get(f"/proposals/{proposal.id}/answers")


FORMS: dict[str, Opened] = {
    "registration": _register,
    "login": _login,
    "organisation registration": _organisation,
    "proposition": _proposition,
    "proposition region tags": _proposition_regions,
    "coordinator areas": _coordinator_areas,
    "question": _question,
    "event": _event,
    "challenge form": _challenge,
    "due date": _due_date,
    "statement editor": _statement,
    "portfolio filter": _portfolio,
    "audit viewer filter": _audit,
    "answers": _answers,
}


def _summary_lines(page: str) -> list[str]:
    start = page.index('class="error-summary"')
    block = page[start : page.index("</ul>", start)]
    return [line.strip() for line in re.findall(r"<li>(.*?)</li>", block, flags=re.S)]


@pytest.mark.parametrize("form", list(FORMS))
def test_error_summary_lines_name_and_link_each_field_once(
    client: TestClient, session: Session, clock: FrozenClock, form: str
) -> None:
    response = FORMS[form](client, session, clock)
    page = response.text
    lines = _summary_lines(page)
    assert response.status_code == 422 or form == "answers", f"{form}: {response.status_code}"
    assert lines, f"{form}: no error summary"
    assert len(lines) == len(set(lines)), f"{form}: a line appears twice: {lines}"
    linked = [re.fullmatch(r'<a href="#([^"]+)">(.*)</a>', line, flags=re.S) for line in lines]
    for line, match in zip(lines, linked, strict=True):
        assert match is not None, f"{form}: a line without a link to its field: {line}"
        field, text = match.groups()
        assert page.count(f'id="{field}"') == 1, f"{form}: no element with id {field!r} for {line}"
        label, _, message = html.unescape(text).partition(": ")
        assert label and message, f"{form}: the line does not name its field: {line}"
