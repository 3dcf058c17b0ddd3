"""The public statistics page and each figure's CSV (anyone; kept by the page cache for visitors without a
session)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.evaluations.portfolio import display
from app.public.statistics import service
from app.web import DbSession, Language, Now, render

router = APIRouter()


@router.get("/statistics", name="statistics")
def statistics(request: Request, db: DbSession, now: Now, language: Language) -> Response:
    figures = service.list_statistics(db, now=now)
    return render(request, "public/statistics.html", {"figures": [display.show(f, language=language) for f in figures]})


@router.get("/statistics/{figure}.csv", name="statistics_csv")
def statistics_csv(figure: str, db: DbSession, now: Now, language: Language) -> Response:
    data = display.csv_of(service.get_statistic(db, key=figure, now=now), language=language)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statistics-{figure}.csv"'},
    )
