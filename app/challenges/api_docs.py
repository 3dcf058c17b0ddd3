"""What the OpenAPI description says about the challenge API besides its response models: the error bodies the
portal really sends, and an example of each answer (``tests/test_openapi.py`` checks every example against its
response model)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """The body of every error answer of the API (404 and the like)."""

    detail: str = Field(description="What went wrong, in the visitor's language.")


class ValidationProblemOut(BaseModel):
    loc: list[str | int] = Field(description="Where the bad value is, e.g. ['query', 'phase'].")
    msg: str
    type: str = Field(description="The kind of problem, e.g. 'int_parsing'.")


class ValidationErrorOut(BaseModel):
    """The body of a 422 answer: one entry per value that was not in the expected form."""

    detail: list[ValidationProblemOut]


def _text(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


SUMMARY_EXAMPLE: dict[str, Any] = {
    "slug": "counter-uas",
    "title": _text(
        "Counter-UAS: drones detecteren, identificeren en neutraliseren",
        "Counter-UAS: detect, identify and neutralise drones",
    ),
    "summary": _text(
        "Defensie zoekt oplossingen die kleine drones tijdig detecteren, identificeren en neutraliseren.",
        "Defence is looking for solutions that detect, identify and neutralise small drones in time.",
    ),
    "status": "published",
    "cancellation": None,
    "phase": "open",
    "tags": [{"kind": "nld", "key": "sensoren", "name": _text("Sensoren", "Sensors")}],
    "next_deadline": "2027-02-26T11:00:00Z",
    "version": 1,
    "url": "https://challenges.example.nl/challenges/counter-uas",
}

LIST_EXAMPLE: dict[str, Any] = {"count": 1, "challenges": [SUMMARY_EXAMPLE]}

_LEVELS = [
    (0, "Niet beantwoord", "Not addressed"),
    (1, "Onvoldoende", "Poor"),
    (2, "Matig", "Fair"),
    (3, "Voldoende", "Adequate"),
    (4, "Goed", "Good"),
    (5, "Uitstekend", "Excellent"),
]

DETAIL_EXAMPLE: dict[str, Any] = {
    **SUMMARY_EXAMPLE,
    "problem_statement": _text(
        "Kleine drones vormen een groeiende dreiging voor eenheden en objecten.",
        "Small drones are a growing threat to units and sites.",
    ),
    "effects": [
        {
            "key": "detect-identify",
            "title": _text("Tijdig detecteren en identificeren", "Timely detection and identification"),
            "description": _text(
                "Kleine drones worden tijdig gedetecteerd en geïdentificeerd.",
                "Small drones are detected and identified in time.",
            ),
            "success_measure": _text(
                "Ten minste 90% van de naderende drones wordt gedetecteerd.",
                "At least 90% of approaching drones are detected.",
            ),
        }
    ],
    "trl": {"min": 5, "max": 8},
    "eligibility": {
        "text": _text("Bedrijven en kennisinstellingen, ook als consortium.", "Companies and knowledge institutions."),
        "sme_only": False,
        "consortium_allowed": True,
        "max_partners": 8,
        "lead_countries": [],
    },
    "blind_scoring": False,
    "stages": [
        {
            "key": "solution-brief",
            "title": _text("Fase 1: solution brief", "Stage 1: solution brief"),
            "opens_at": "2026-11-02T08:00:00Z",
            "deadline": "2027-02-26T11:00:00Z",
            "question_deadline": "2027-02-12T16:00:00Z",
            "invitation_only": False,
            "open": True,
        }
    ],
    "stage_questions": {
        "solution-brief": [
            {
                "key": "solution-name",
                "type": "short_text",
                "label": _text("Naam van de oplossing", "Name of the solution"),
                "required": True,
                "max_length": 120,
            }
        ]
    },
    "scale": {
        "min": 0,
        "max": 5,
        "levels": [
            {
                "value": value,
                "label": _text(nl, en),
                "descriptor": _text(f"Score {value}: {nl}.", f"Score {value}: {en}."),
            }
            for value, nl, en in _LEVELS
        ],
    },
    "criteria": [
        {
            "key": "operational-effect",
            "title": _text("Operationeel effect", "Operational effect"),
            "description": _text(
                "De mate waarin de oplossing het effect bereikt.", "How far the solution achieves the effect."
            ),
            "weight": 100,
            "minimum": 2,
        }
    ],
    "knockout_total_minimum": 2.5,
}


def json_example(example: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"example": example}}}


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorOut,
        "description": "No published challenge has this slug.",
        **json_example({"detail": "Page not found"}),
    }
}
INVALID_PARAMETER: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ValidationErrorOut,
        "description": "A parameter was not in the expected form.",
        **json_example(
            {
                "detail": [
                    {"loc": ["query", "phase"], "msg": "Input should be 'upcoming', 'open' or 'closed'", "type": "enum"}
                ]
            }
        ),
    }
}
