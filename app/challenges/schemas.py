"""The challenge definition format: one Pydantic schema for the files in ``challenges/`` and the web form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from app.challenges.enums import DocumentType

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", min_length=1, max_length=64)]


def _has_letter(slug: str) -> str:
    """Digits alone would look like the numeric ids of old ``/manage/challenges/{id}`` links, which redirect."""
    if not any("a" <= character <= "z" for character in slug):
        raise ValueError("a slug needs at least one letter")
    return slug


Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=3, max_length=80),
    AfterValidator(_has_letter),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(StrictModel):
    """A text in Dutch and English; both are required."""

    nl: Text
    en: Text

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nl


class Effect(StrictModel):
    key: Key
    title: LocalizedText
    description: LocalizedText
    success_measure: LocalizedText


class Tags(StrictModel):
    nld: list[Key] = Field(default_factory=list, description="NLD-gebieden (taxonomy keys).")
    basis: list[Key] = Field(default_factory=list, description="Defensie-basisgebieden (taxonomy keys).")

    @field_validator("nld", "basis")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("tags must not repeat")
        return value


class TrlWindow(StrictModel):
    min: int = Field(ge=1, le=9)
    max: int = Field(ge=1, le=9)

    @model_validator(mode="after")
    def _ordered(self) -> TrlWindow:
        if self.min > self.max:
            raise ValueError("trl.min must not exceed trl.max")
        return self


class Eligibility(StrictModel):
    text: LocalizedText
    sme_only: bool = False
    consortium_allowed: bool = True
    max_partners: int | None = Field(default=None, ge=1, le=50)
    lead_countries: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list, description="ISO 3166 alpha-2 codes allowed for the lead; empty means any."
    )


class Option(StrictModel):
    key: Key
    label: LocalizedText


class QuestionBase(StrictModel):
    key: Key
    label: LocalizedText
    hint: LocalizedText | None = None
    required: bool = True
    section: Key | None = Field(default=None, description="Groups questions on the form.")


class ShortTextQuestion(QuestionBase):
    type: Literal["short_text"]
    max_length: int = Field(default=200, ge=1, le=1000)


class LongTextQuestion(QuestionBase):
    type: Literal["long_text"]
    max_words: int = Field(ge=1, le=10000)


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: LocalizedText | None = None

    @model_validator(mode="after")
    def _bounds(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class ChoiceQuestion(QuestionBase):
    options: list[Option] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _unique_options(cls, value: list[Option]) -> list[Option]:
        keys = [option.key for option in value]
        if len(set(keys)) != len(keys):
            raise ValueError("option keys must be unique")
        return value


class SingleChoiceQuestion(ChoiceQuestion):
    type: Literal["single_choice"]


class MultipleChoiceQuestion(ChoiceQuestion):
    type: Literal["multiple_choice"]
    min_selected: int = Field(default=0, ge=0)
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _selection_bounds(self) -> MultipleChoiceQuestion:
        upper = self.max_selected if self.max_selected is not None else len(self.options)
        if self.min_selected > upper or upper > len(self.options):
            raise ValueError("min_selected and max_selected must fit the number of options")
        return self


class YesNoQuestion(QuestionBase):
    type: Literal["yes_no"]


class DateQuestion(QuestionBase):
    type: Literal["date"]
    min_date: date | None = None
    max_date: date | None = None

    @model_validator(mode="after")
    def _date_bounds(self) -> DateQuestion:
        if self.min_date is not None and self.max_date is not None and self.min_date > self.max_date:
            raise ValueError("min_date must not be after max_date")
        return self


class DocumentQuestion(QuestionBase):
    type: Literal["document"]
    allowed_types: list[DocumentType] = Field(min_length=1)
    max_size_mb: int = Field(ge=1, le=200)
    max_pages: int | None = Field(default=None, ge=1, le=1000, description="Applies to PDF documents.")


Question = Annotated[
    ShortTextQuestion
    | LongTextQuestion
    | NumberQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | YesNoQuestion
    | DateQuestion
    | DocumentQuestion,
    Field(discriminator="type"),
]


class Stage(StrictModel):
    key: Key
    title: LocalizedText
    description: LocalizedText
    opens_at: datetime = Field(description="Europe/Amsterdam local time, without offset.")
    deadline: datetime = Field(description="Europe/Amsterdam local time, without offset.")
    question_deadline: datetime | None = Field(
        default=None, description="Last moment to ask questions; default 10 days before the deadline."
    )
    invitation_only: bool = False
    questions: list[Question] = Field(min_length=1)

    @field_validator("opens_at", "deadline", "question_deadline")
    @classmethod
    def _local_time(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("give local Europe/Amsterdam time without an offset")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Stage:
        if self.deadline <= self.opens_at:
            raise ValueError("deadline must come after opens_at")
        if self.question_deadline is not None and not self.opens_at <= self.question_deadline <= self.deadline:
            raise ValueError("question_deadline must lie between opens_at and deadline")
        keys = [question.key for question in self.questions]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"question keys must be unique within a stage: {', '.join(duplicates)}")
        return self


class ScaleLevel(StrictModel):
    value: int
    label: LocalizedText
    descriptor: LocalizedText


class Scale(StrictModel):
    min: int = Field(ge=0)
    max: int = Field(le=100)
    levels: list[ScaleLevel]

    @model_validator(mode="after")
    def _covers_range(self) -> Scale:
        if self.min >= self.max:
            raise ValueError("scale.min must be below scale.max")
        values = sorted(level.value for level in self.levels)
        if values != list(range(self.min, self.max + 1)):
            raise ValueError(f"levels must describe every value from {self.min} to {self.max} exactly once")
        return self


class Criterion(StrictModel):
    key: Key
    title: LocalizedText
    description: LocalizedText
    weight: int = Field(ge=1, le=100)
    minimum: int | None = Field(default=None, description="Knock-out: a consensus score below it rejects.")


class Procurement(StrictModel):
    military_equipment: bool = Field(description="Concerns arms, munitions or war material (Article 346 TFEU).")
    sensitive: bool = Field(default=False, description="Military or sensitive equipment, works or services (ADV).")
    estimated_value_eur: int | None = Field(default=None, ge=0)


class ChallengeDefinition(StrictModel):
    """One challenge as a coordinator writes it; validated the same way from a file or the web form."""

    slug: Slug
    title: LocalizedText
    summary: LocalizedText
    problem_statement: LocalizedText
    effects: list[Effect] = Field(min_length=1)
    tags: Tags = Field(default_factory=Tags)
    trl: TrlWindow
    eligibility: Eligibility
    procurement: Procurement
    blind_scoring: bool = False
    stages: list[Stage] = Field(min_length=1)
    scale: Scale
    criteria: list[Criterion] = Field(min_length=1)
    knockout_total_minimum: float | None = Field(
        default=None, ge=0, description="Minimum weighted total (on the scale) to be ranked."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeDefinition:
        errors: list[str] = []
        total = sum(criterion.weight for criterion in self.criteria)
        if total != 100:
            errors.append(f"criteria weights must sum to 100, not {total}")
        for name, keys in (
            ("criterion", [c.key for c in self.criteria]),
            ("stage", [s.key for s in self.stages]),
            ("effect", [e.key for e in self.effects]),
        ):
            if len(set(keys)) != len(keys):
                errors.append(f"{name} keys must be unique")
        for criterion in self.criteria:
            if criterion.minimum is not None and not self.scale.min <= criterion.minimum <= self.scale.max:
                errors.append(f"criterion {criterion.key}: minimum must lie on the scale")
        if self.knockout_total_minimum is not None and self.knockout_total_minimum > self.scale.max:
            errors.append("knockout_total_minimum must lie on the scale")
        for previous, stage in zip(self.stages, self.stages[1:], strict=False):
            if stage.opens_at < previous.deadline:
                errors.append(f"stage {stage.key} must open after stage {previous.key} closes")
        if self.stages[0].invitation_only:
            errors.append("the first stage cannot be by invitation only")
        if errors:
            raise ValueError("; ".join(errors))
        return self


# --- the public API's answers ---------------------------------------------------------------------


class StageOut(BaseModel):
    key: str
    title: LocalizedText
    opens_at: datetime = Field(description="UTC.")
    deadline: datetime = Field(description="UTC. Submissions completing after it are refused.")
    question_deadline: datetime = Field(description="UTC.")
    invitation_only: bool
    open: bool


class TagOut(BaseModel):
    kind: str
    key: str
    name: LocalizedText


class CancellationOut(BaseModel):
    reason: str = Field(description="Why the challenge was cancelled, as the coordinator wrote it.")
    cancelled_at: datetime | None = Field(description="UTC.")


class ChallengeSummaryOut(BaseModel):
    slug: str
    title: LocalizedText
    summary: LocalizedText
    status: str
    cancellation: CancellationOut | None = Field(
        default=None, description="Set when the challenge is cancelled (status 'cancelled'): its reason and date."
    )
    phase: str = Field(description="upcoming, open or closed for applicants, by the server clock.")
    tags: list[TagOut]
    next_deadline: datetime | None = Field(description="UTC deadline of the current or next stage.")
    version: int
    url: str


class ChallengeDetailOut(ChallengeSummaryOut):
    problem_statement: LocalizedText
    effects: list[Effect]
    trl: TrlWindow
    eligibility: Eligibility
    blind_scoring: bool
    stages: list[StageOut]
    stage_questions: dict[str, list[Question]]
    scale: Scale
    criteria: list[Criterion]
    knockout_total_minimum: float | None


class ChallengeListOut(BaseModel):
    count: int
    challenges: list[ChallengeSummaryOut]


# --- coordinator forms besides the definition -----------------------------------------------------


class TaxonomyTermForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    kind: Literal["nld", "basis", "programme"]
    key: Key
    name_nl: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    position: int = Field(default=0, ge=0, le=1000)
    active: bool = False
