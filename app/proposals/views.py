"""Proposal pages for companies: my proposals and one proposal's overview; the domain's one router.

The other pages are in the sub-packages' views (``drafts``: start, answers, consortium; ``documents``;
``submissions``: submit, versions, withdraw, re-confirm); staff pages are in ``staff.views``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser
from app.proposals import service
from app.proposals.archives import views as archive_views
from app.proposals.documents import views as document_views
from app.proposals.drafts import views as draft_views
from app.proposals.partners import service as partner_service
from app.proposals.partners import views as partner_views
from app.proposals.staff import views as staff_views
from app.proposals.submissions import receipt_check
from app.proposals.submissions import service as submission_service
from app.proposals.submissions import views as submission_views
from app.web import DbSession, Now, render

router = APIRouter()
router.include_router(document_views.router)
router.include_router(staff_views.router)
router.include_router(draft_views.router)
router.include_router(submission_views.router)
router.include_router(partner_views.router)
router.include_router(archive_views.router)


# --- my proposals and one proposal ----------------------------------------------------------------


@router.get("/proposals", name="proposal_list")
def proposal_list(request: Request, db: DbSession, user: CurrentUser) -> Response:
    items = service.list_for_user(db, user_id=user.id)
    unsubmitted = {item.proposal.id for item in items if service.has_unsubmitted_changes(item.proposal)}
    return render(request, "proposals/list.html", {"items": items, "unsubmitted": unsubmitted})


@router.get("/proposals/{proposal_id}", name="proposal_detail")
def proposal_detail(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, receipt: str = ""
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = service.page_context(db, proposal, now)
    context["sections"] = submission_service.sections_complete(
        submission_service.submission_problems(db, proposal=proposal)
    )
    context["check"] = (
        receipt_check.check_receipt(db, proposal=proposal, code=receipt, store=request.app.state.blobs)
        if receipt
        else None
    )
    context["receipt_code"] = receipt
    context.update(partner_service.lead_context(db, proposal=proposal))
    return render(request, "proposals/detail.html", context)
