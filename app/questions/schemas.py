"""Input of the question forms: asking a question, and a coordinator's edit and answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

QUESTION_MAX = 4000
ANSWER_MAX = 10000

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=ANSWER_MAX)]


class AskForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=QUESTION_MAX)]
    section: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""


class AnswerForm(BaseModel):
    """Everything may be blank while saving a draft; approving for publication needs all four texts."""

    model_config = ConfigDict(extra="ignore")

    question_nl: Text = ""
    question_en: Text = ""
    answer_nl: Text = ""
    answer_en: Text = ""
    section: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""
