"""Request bodies of the write endpoints (``…Command``): what clients send."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.civil_record import CorrectionKind
from domain.record_kind import RecordKind
from domain.register import MAX_PAGES

# Every integer a client sends has a range, so an out-of-range one is a 422 naming the field
# before any work (events hold integers within ±2^53 only), and is strict: false or "3" is none.
MAX_ENTRY_NUMBER = 1_000_000
MAX_VERSION = 1_000_000_000
FIRST_YEAR, LAST_YEAR = 1800, 2200  # the years a book may cover (domain/register.py)
Page = Annotated[int, Field(strict=True, ge=1, le=MAX_PAGES, description="a page of the book")]
Pages = Annotated[
    list[Page], Field(min_length=1, max_length=MAX_PAGES, description="the page(s) it lies on")
]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(_Command):
    expected_version: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=MAX_VERSION,
        description="the version you read; a stale one gets 409 (or send If-Match)",
    )


class CatalogueCommand(_Command):
    commune_code: str = Field(pattern=r"^\d{5}$", examples=["00718"])
    kind: RecordKind
    year_from: int = Field(strict=True, ge=FIRST_YEAR, le=LAST_YEAR)
    year_to: int = Field(strict=True, ge=FIRST_YEAR, le=LAST_YEAR)
    book_number: str = Field(examples=["01"])
    page_count: int = Field(strict=True, ge=1, le=MAX_PAGES)
    estimated_entries: int = Field(strict=True, ge=0, le=MAX_ENTRY_NUMBER)


class KeyCommand(_Command):
    entry_number: int = Field(
        strict=True, ge=1, le=MAX_ENTRY_NUMBER, description="số: the entry's number in the book"
    )
    pages: Pages
    fields: dict[str, Any] = Field(description="kind-specific fields, e.g. child.full_name")


class RekeyCommand(Versioned):
    pages: Pages
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
