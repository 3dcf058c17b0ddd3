"""Input of the regional-team forms (administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.forms import single_line
from app.organisations.regions.enums import Province

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", min_length=1, max_length=64)]


class RegionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    key: Key
    name_nl: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    position: int = Field(default=0, ge=0, le=1000)
    active: bool = False
    provinces: list[Province] = Field(default_factory=list)

    _one_line = field_validator("name_nl", "name_en")(single_line)

    @field_validator("provinces", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """A checkbox group: absent, one value or several."""
        if value in ("", None):
            return []
        return [value] if isinstance(value, str) else value
