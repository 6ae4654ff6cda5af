"""Request bodies of the write endpoints (``…Command``): what clients send."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.civil_record import CorrectionKind
from domain.record_kind import RecordKind


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(_Command):
    expected_version: int | None = Field(
        None, ge=1, description="the version you read; a stale one gets 409 (or send If-Match)"
    )


class CatalogueCommand(_Command):
    commune_code: str = Field(pattern=r"^\d{5}$", examples=["00718"])
    kind: RecordKind
    year_from: int
    year_to: int
    book_number: str = Field(examples=["01"])
    page_count: int
    estimated_entries: int


class KeyCommand(_Command):
    entry_number: int = Field(description="số: the entry's number in the book")
    pages: list[int] = Field(min_length=1, description="the page(s) the entry lies on")
    fields: dict[str, Any] = Field(description="kind-specific fields, e.g. child.full_name")


class RekeyCommand(Versioned):
    pages: list[int] = Field(min_length=1)
    fields: dict[str, Any]


class SecondKeyCommand(Versioned):
    fields: dict[str, Any]


class ReconcileCommand(Versioned):
    resolutions: dict[str, Any] = Field(
        min_length=1, description="field → the value the book says (null: empty)"
    )


class RejectCommand(Versioned):
    reason: str = Field(min_length=1)


class CorrectCommand(Versioned):
    kind: CorrectionKind
    changes: dict[str, Any] = Field(min_length=1)
    reason: str = Field(min_length=1)
    decision_number: str | None = None
    decision_date: str | None = None
    decision_issuer: str | None = None


class PlanTargetCommand(_Command):
    district_code: str = Field(pattern=r"^\d{3}$")
    target_date: str = Field(examples=["2024-12-31"])
