"""The evaluation domain's one router: the sub-packages' pages, which app.main includes."""

from __future__ import annotations

from fastapi import APIRouter

from app.evaluations import overview
from app.evaluations.affiliations import views as affiliation_views
from app.evaluations.assignments import views as assignment_views
from app.evaluations.deadlines import views as deadline_views
from app.evaluations.decisions import views as decision_views
from app.evaluations.eligibility import views as eligibility_views
from app.evaluations.publication import views as publication_views
from app.evaluations.results import views as results_views
from app.evaluations.route import views as route_views
from app.evaluations.scoring import views as scoring_views
from app.evaluations.security import views as security_views

router = APIRouter()
for _module in (
    affiliation_views,
    scoring_views,
    security_views,
    decision_views,
    overview,
    eligibility_views,
    assignment_views,
    deadline_views,
    results_views,
    route_views,
    publication_views,
):
    router.include_router(_module.router)
