"""The pages added with propositions, market dialogue, follow-up, the portfolio dashboard, statistics, the audit
viewer, the outbox, regions, subscriptions and the account's new sections do not scroll sideways on a phone (390 by
844 pixels) either, with long names and titles in them (see test_phone_width.py for the journeys' pages)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext
from sqlalchemy import select

from app.challenges.events import service as event_service
from app.challenges.events.schemas import EventForm
from app.evaluations.models import Decision
from app.organisations.regions.models import Region, RegionMember
from app.proposals.propositions import service as proposition_service
from app.proposals.propositions.schemas import PropositionForm
from tests.browser.harness import LiveServer
from tests.browser.test_phone_width import LONG_NAME, _fits, _open, contexts  # noqa: F401 (a fixture)
from tests.evaluations.helpers import actor, build_scenario
from tests.events.helpers import event_form
from tests.factories import LINKS, create_user

pytestmark = pytest.mark.browser

LONG_TITLE = "Passieve-radar-gebaseerde-detectie-van-kleine-onbemande-luchtvaartuigen-in-stedelijke-omgevingen"


@dataclass
class Recent:
    slug: str
    company: Any
    coordinator: Any
    regional: Any
    admin: Any
    proposition_id: int
    event_id: int
    proposal_id: int
    region_id: int


def _recent(server: LiveServer) -> Recent:
    prefix = f"r{secrets.token_hex(3)}"
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=1, evaluators=1, prefix=prefix)
        company, organisation, proposal = s.companies[0], s.organisations[0], s.proposals[0]
        organisation.legal_name, organisation.province = LONG_NAME, "NL-ZH"
        form = PropositionForm(
            title=LONG_TITLE, effect="Ziet drones " * 40, nld_area="quantum", trl=5, description="Radar " * 200
        )
        proposition = proposition_service.submit_proposition(
            session, organisation=organisation, user=company, form=form, actor=actor(company), now=now, links=LINKS
        )
        regional = create_user(
            session, email=f"{prefix}zw@mindef.example", name="Ziggy Zuidwest", roles=("coordinator",)
        )
        region_id = session.scalars(select(Region.id).where(Region.key == "zuidwest")).one()
        session.merge(RegionMember(user_id=regional.id, region_id=region_id, assigned_at=now))
        event = event_service.create_event(
            session,
            challenge=s.challenge,
            form=EventForm.model_validate(event_form(title_nl=LONG_TITLE, title_en=LONG_TITLE, capacity="20")),
            actor=actor(s.coordinator),
            now=now,
        )
        event_service.register(
            session, event=event, user=company, organisation_id=organisation.id, actor=actor(company), now=now,
            links=LINKS,
        )  # fmt: skip
        session.add(
            Decision(
                proposal_id=proposal.id, outcome="award", feedback="Goed.", status="released", prepared_at=now,
                released_at=now,
            )
        )  # fmt: skip
        admin = create_user(session, email=f"{prefix}admin@mindef.example", name="Adam Admin", roles=("administrator",))
        session.commit()
        recent = Recent(
            s.challenge.slug, company, s.coordinator, regional, admin, proposition.id, event.id, proposal.id, region_id
        )
        session.expunge_all()
    return recent


def test_no_recently_added_page_scrolls_sideways_on_a_phone(
    browser: Browser,
    server: LiveServer,
    contexts: list[BrowserContext],  # noqa: F811
) -> None:
    r = _recent(server)
    for language in ("nl", "en"):
        anonymous = _open(browser, server, contexts, None, language)
        for path in (
            f"/challenges/{r.slug}/events",
            f"/challenges/{r.slug}/events/{r.event_id}",
            "/statistics",
            "/statements/privacy",
            "/subscriptions",
        ):
            _fits(anonymous, f"anonymous ({language})", path)
        company = _open(browser, server, contexts, r.company, language)
        for path in (
            "/propositions",
            "/propositions/new",
            f"/propositions/{r.proposition_id}",
            f"/challenges/{r.slug}/events/{r.event_id}",
            f"/proposals/{r.proposal_id}/follow-up",
            "/account",
        ):
            _fits(company, f"company ({language})", path)
    regional = _open(browser, server, contexts, r.regional, "nl")
    for path in ("/manage/propositions", f"/manage/propositions/{r.proposition_id}", "/manage/portfolio"):
        _fits(regional, "regional coordinator", path)
    coordinator = _open(browser, server, contexts, r.coordinator, "nl")
    for path in (
        f"/manage/challenges/{r.slug}/events",
        f"/manage/challenges/{r.slug}/events/new",
        f"/manage/challenges/{r.slug}/events/{r.event_id}",
        f"/manage/challenges/{r.slug}/follow-up",
        f"/manage/challenges/{r.slug}/follow-up/{r.proposal_id}",
        "/account",
    ):
        _fits(coordinator, "coordinator", path)
    admin = _open(browser, server, contexts, r.admin, "en")
    for path in ("/admin/audit", "/admin/outbox", "/admin/regions", f"/admin/regions/{r.region_id}"):
        _fits(admin, "administrator", path)
