"""The coordinator's publication choice for a challenge: outcome and number of proposals, and whether the
winners' names may be published too (only those whose company agreed at submission)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges.dependencies import ManagedChallenge
from app.evaluations.dependencies import BASE
from app.evaluations.publication import service
from app.web import DbSession, Now, PostedForm, actor_of, render, see_other

router = APIRouter()
CHOICES = ("outcome", "names")


def _page(request: Request, db: DbSession, challenge: ManagedChallenge, *, error: bool = False) -> Response:
    context = {
        "challenge": challenge,
        "stage": None,
        "choice": service.current_choice(db, challenge_id=challenge.id),
        "history": list(reversed(service.choice_history(db, challenge_id=challenge.id))),
        "error": error,
    }
    return render(request, "evaluations/publication.html", context, status_code=422 if error else 200)


@router.get(BASE + "/publication", name="eval_publication", include_in_schema=False)
def publication_page(request: Request, challenge: ManagedChallenge, db: DbSession) -> Response:
    return _page(request, db, challenge)


@router.post(BASE + "/publication", include_in_schema=False)
def publication_save(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, db: DbSession, now: Now, user: StaffUser
) -> Response:
    value = str(posted.get("publish", ""))
    if value not in CHOICES:
        return _page(request, db, challenge, error=True)
    service.set_choice(db, challenge=challenge, publish_names=value == "names", actor=actor_of(request, user), now=now)
    db.commit()
    return see_other(request, "eval_publication", slug=challenge.slug)
