"""Re-confirmation after a correction (pure): the submitted version checked against the corrected definition.

A company re-confirms the version it submitted; the correction may have made a question required that the
version leaves unanswered, or asked for a document it lacks. Re-confirmation is then refused with the
question named: the company amends the proposal instead.
"""

from __future__ import annotations

from typing import Any

from app.challenges.schemas import Stage
from app.errors import FieldError
from app.i18n import N_
from app.proposals.drafts import answers as answer_rules

MSG_ANSWER_NOW_REQUIRED = N_(
    "The corrected challenge requires an answer to “%(question)s”: amend the proposal and answer it first."
)
MSG_DOCUMENT_NOW_REQUIRED = N_(
    "The corrected challenge requires the document “%(question)s”: amend the proposal and upload it first."
)


def reconfirmation_problems(spec: Stage, content: dict[str, Any]) -> list[FieldError]:
    """Each required question of the corrected stage that the submitted version leaves unanswered.

    ``params["question"]`` is the question's key; the page names the question in the reader's language.
    """
    questions = list(spec.questions)
    answers = content.get("answers") or {}
    documents = content.get("documents") or {}
    problems = [
        FieldError(answer_rules.field_name(q.key), MSG_ANSWER_NOW_REQUIRED, {"question": q.key})
        for q in answer_rules.form_questions(questions)
        if q.required and answers.get(q.key) in ("", None, [])
    ]
    problems += [
        FieldError(f"document_{q.key}", MSG_DOCUMENT_NOW_REQUIRED, {"question": q.key})
        for q in answer_rules.document_questions(questions)
        if q.required and q.key not in documents
    ]
    return problems
