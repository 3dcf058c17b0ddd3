"""The form of the account page's language setting."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class LanguageForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mail_language: Literal["nl", "en"]
