"""Coordinator pages for challenges."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
