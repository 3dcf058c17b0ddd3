"""The portfolio dashboard at ``/manage/portfolio`` (coordinators and administrators; 404 for anyone else) and
each figure's CSV, with the same filters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CoordinatorUser
from app.evaluations.portfolio import display
from app.evaluations.portfolio.filters import FIELDS
from app.forms import translate_errors
from app.web import DbSession, Language, Now, render
from app.workspace.portfolio import service

router = APIRouter()


def _values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:100] for name in FIELDS}


@router.get("/manage/portfolio", name="portfolio_dashboard")
def portfolio_dashboard(
    request: Request, db: DbSession, now: Now, language: Language, user: CoordinatorUser
) -> Response:
    values = _values(request)
    filters, errors = service.read_filters(db, values=values, now=now)
    figures = [] if errors else service.dashboard_figures(db, filters=filters)
    context = {
        "figures": [display.show(figure, language=language) for figure in figures],
        "choices": service.list_choices(db, language=language),
        "values": values,
        "errors": translate_errors(language, errors),
        "csv_params": filters.query(),
    }
    return render(request, "portfolio/dashboard.html", context, status_code=422 if errors else 200)


@router.get("/manage/portfolio/{figure}.csv", name="portfolio_csv")
def portfolio_csv(
    request: Request, figure: str, db: DbSession, now: Now, language: Language, user: CoordinatorUser
) -> Response:
    values = _values(request)
    filters, errors = service.read_filters(db, values=values, now=now)
    if errors:
        context = {
            "figures": [],
            "choices": service.list_choices(db, language=language),
            "values": values,
            "csv_params": {},
        }
        context["errors"] = translate_errors(language, errors)
        return render(request, "portfolio/dashboard.html", context, status_code=422)
    data = display.csv_of(service.dashboard_figure(db, key=figure, filters=filters), language=language)
    name = f"portfolio-{figure}.csv"
    return Response(
        data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
