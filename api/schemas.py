"""Response schemas (``…Public``): what clients see, never the aggregates themselves."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.civil_record import CivilRecord
from domain.register import Register
from projections.catalogue import EntryRow, RegisterRow


class HealthPublic(BaseModel):
    status: str = Field(examples=["ok"])
    events: int = Field(description="notification id of the newest stored event")


class PublicKeyPublic(BaseModel):
    key_id: str
    algorithm: str
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64")
    public_key_pem: str
    created_at: str


class KeySetPublic(BaseModel):
    format: str
    current: str | None = None
    keys: list[PublicKeyPublic]


class DistrictPublic(BaseModel):
    code: str
    name: str
    communes: int


class RegisterPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    district: str
    commune_code: str
    kind: str
    year_from: int
    year_to: int
    book_number: str
    page_count: int
    estimated_entries: int

    @classmethod
    def of(cls, r: Register | RegisterRow) -> RegisterPublic:
        return cls.model_validate(r)


class _EntryBase(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    register_id: UUID
    district: str
    commune_code: str
    kind: str
    entry_number: int
    status: str


class EntrySummaryPublic(_EntryBase):
    subject_name: str | None
    open_discrepancies: int
    published: bool

    @classmethod
    def of(cls, r: EntryRow) -> EntrySummaryPublic:
        return cls.model_validate(r)


class EntryPublic(_EntryBase):
    pages: list[int]
    fields: dict[str, Any]
    discrepancies: dict[str, dict[str, Any]]
    keyed_by: list[str]
    second_keyed_by: list[str]
    verified_by: str | None
    rejection_reason: str | None
    published_fields: dict[str, Any] | None = Field(
        description="what the portal sees: the last published version (pending corrections aside)"
    )
    corrections: list[dict[str, Any]]

    @classmethod
    def of(cls, e: CivilRecord) -> EntryPublic:
        return cls.model_validate(e)


class RegisterPage(BaseModel):
    items: list[RegisterPublic]
    next: str | None = Field(description="cursor for the next page; null on the last page")


class EntryPage(BaseModel):
    items: list[EntrySummaryPublic]
    total: int
    next: str | None = Field(description="cursor for the next page; null on the last page")
