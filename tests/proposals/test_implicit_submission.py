"""Enter in a field submits the field's form with that form's default button (HTML's implicit submission: the
first submit button in tree order whose form owner is the form). On the consortium page that must be "Save
roles and shares", never a partner's "Remove" (which once stood first, with a ``formaction``).

The browser journey (tests/browser/test_consortium.py) presses Enter in Chromium; this test applies the same
rule to the page's HTML over HTTP, so it also runs where no browser is installed."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.i18n import translate
from app.proposals.models import Proposal
from tests.factories import create_challenge, csrf
from tests.proposals.helpers import act_for, create_company, start


@dataclass
class Form:
    key: str  # its id, or its position when it has none
    action: str


@dataclass
class Control:
    owner: str | None  # the key of its form owner
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def is_submit(self) -> bool:
        if self.tag not in {"button", "input"}:
            return False
        kind = self.attrs.get("type", "submit" if self.tag == "button" else "text").lower()
        return kind in {"submit", "image"}


class FormOwners(HTMLParser):
    """Forms and their controls as a browser owns them: a ``form`` attribute names the owner, else the nearest
    enclosing form. (Forms do not nest in HTML, so one open form at a time is enough.)"""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, Form] = {}
        self.controls: list[Control] = []
        self._open: str | None = None
        self._button: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            key = values.get("id") or f"form-{len(self.forms)}"
            self.forms[key] = Form(key, values.get("action", ""))
            self._open = key
        elif tag in {"button", "input", "select", "textarea"}:
            control = Control(values.get("form", self._open), tag, values)
            self.controls.append(control)
            if tag == "button":
                self._button = control

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.text.append(data)

    def owned_by(self, key: str) -> list[Control]:
        return [control for control in self.controls if control.owner == key]

    def default_button(self, key: str) -> Control | None:
        return next((control for control in self.owned_by(key) if control.is_submit), None)

    def form_of(self, name: str) -> Form:
        """The form that owns the field called ``name``."""
        control = next(control for control in self.controls if control.attrs.get("name") == name)
        assert control.owner is not None, f"{name} belongs to no form"
        return self.forms[control.owner]


def _press_enter(client: TestClient, page: str, field_name: str, typed: dict[str, str]) -> tuple[str, object]:
    """What a browser sends when Enter is pressed in ``field_name``: the owner form's fields (with ``typed``
    filled in) to the default button's ``formaction``, or else to the form's action."""
    parsed = FormOwners()
    parsed.feed(page)
    form = parsed.form_of(field_name)
    button = parsed.default_button(form.key)
    assert button is not None, "the form has no submit button: Enter would do nothing"
    data = {
        control.attrs["name"]: typed.get(control.attrs["name"], control.attrs.get("value", ""))
        for control in parsed.owned_by(form.key)
        if control.tag == "input" and control.attrs.get("name") and control.attrs.get("type") != "submit"
    }
    target = button.attrs.get("formaction") or form.action
    return "".join(button.text).strip(), client.post(target, data=data)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_enter_in_the_lead_share_saves_the_shares_and_keeps_every_partner(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="lead@lead.example", name="Lead Drones B.V.", kvk="00000001", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set("portal_lang", language)
    proposal = start(client, session, challenge.slug)
    url = f"/proposals/{proposal.id}/consortium"
    for registry, name, role in (("HRB 98765", "Abwehr Sensorik GmbH", "Radar"), ("HRB 4321", "Optik AG", "Camera")):
        added = client.post(
            url + "/partners",
            data={
                "partner_country": "DE",
                "partner_registry_id": registry,
                "partner_legal_name": name,
                "partner_role": role,
                "csrf_token": csrf(client),
            },
        )
        assert added.status_code == 303
    page = client.get(url)
    assert page.status_code == 200

    typed = {"lead_share": "50", "partner_0_share": "30", "partner_1_share": "20"}
    button, response = _press_enter(client, page.text, "lead_share", typed)
    assert button == translate(language, "Save roles and shares")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/proposals/{proposal.id}?saved=consortium"  # type: ignore[attr-defined]
    session.expire_all()
    draft = session.get_one(Proposal, proposal.id).draft
    assert draft["lead"]["share"] == "50"
    assert [(p["legal_name"], p["role"], p["share"]) for p in draft["partners"]] == [
        ("Abwehr Sensorik GmbH", "Radar", "30"),
        ("Optik AG", "Camera", "20"),
    ]


def test_every_remove_button_belongs_to_a_form_that_removes_that_partner(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    """Clicking a partner's "Remove" still removes that partner, and only that one."""
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="lead@lead.example", name="Lead Drones B.V.", kvk="00000001", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = start(client, session, challenge.slug)
    url = f"/proposals/{proposal.id}/consortium"
    for registry, name in (("HRB 1", "Eins GmbH"), ("HRB 2", "Zwei GmbH")):
        data = {"partner_country": "DE", "partner_registry_id": registry, "partner_legal_name": name}
        added = client.post(url + "/partners", data={**data, "partner_role": "Test", "csrf_token": csrf(client)})
        assert added.status_code == 303
    parsed = FormOwners()
    parsed.feed(client.get(url).text)
    remove = next(
        c for c in parsed.controls if c.tag == "button" and "".join(c.text).strip() == "Eins GmbH verwijderen"
    )
    assert remove.owner is not None
    owner = parsed.forms[remove.owner]
    assert owner.action == f"/proposals/{proposal.id}/consortium/partners/0/remove"
    token = next(c.attrs["value"] for c in parsed.owned_by(owner.key) if c.attrs.get("name") == "csrf_token")
    assert client.post(owner.action, data={"csrf_token": token}).status_code == 303
    session.expire_all()
    assert [p["legal_name"] for p in session.get_one(Proposal, proposal.id).draft["partners"]] == ["Zwei GmbH"]
