"""Response schemas (``…Public``): what clients see, never the aggregates themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.civil_record import CivilRecord
from domain.register import Register
from projections.catalogue import EntryRow, RegisterRow


class DependencyPublic(BaseModel):
    up: bool
    detail: str | None = Field(None, description="why it is down (null when up)")


class HealthPublic(BaseModel):
    status: str = Field(
        examples=["ok"], description="ok: every dependency answers; degraded: one does not"
    )
    events: int | None = Field(
        description="notification id of the newest stored event; null: the event store did "
        "not answer"
    )
    dependencies: dict[str, DependencyPublic] = Field(
        default_factory=dict,
        description="each dependency (event_store, service_database, read_store, blob_store, "
        "kafka when configured) and whether it answered within 2 s",
    )


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


# ----- the portal (api/routes/portal.py) and its audit (api/routes/audit.py) -----------------
class ActorPublic(BaseModel):
    id: str
    role: str


class ProvenanceEventPublic(BaseModel):
    """One signed event of the record (fetch it in the evidence bundle to check it)."""

    version: int
    event_type: str = Field(examples=["CivilRecord.EntryPublished"])
    actor: ActorPublic
    occurred_at: dt.datetime
    hash: str = Field(description="SHA-256 (hex) of the event's canonical JSON (RFC 8785)")
    key_id: str = Field(description="the Ed25519 key that signed the hash (GET /keys)")


class ScanPagePublic(BaseModel):
    page: int
    sha256: str
    size: int
    media_type: str
    view_url: str | None = Field(description="short-lived link to the scan")


class _PublishedEntryBase(BaseModel):
    """Which entry a published record is, and where it was kept."""

    id: UUID
    register_id: UUID
    entry_number: int
    kind: str
    district: str
    commune_code: str


class PortalRecordPublic(_PublishedEntryBase):
    """A published entry: its last published version, where it is written, its provenance."""

    book_number: str | None
    year_from: int | None
    year_to: int | None
    subject_name: str | None
    subject_personal_id: str | None
    sex: str | None
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    birth_date_lunar: bool
    other_names: list[str]
    personal_ids: list[str]
    fields: dict[str, Any] = Field(description="the published fields the portal may see")
    published_at: dt.datetime
    published_version: int
    publication_count: int = Field(description="more than 1 once a correction was published")
    pages: list[ScanPagePublic]
    links_expire_at: dt.datetime = Field(description="when the pages' view links stop working")
    provenance: list[ProvenanceEventPublic] = Field(
        description="the entry's events up to the published version, oldest first"
    )


class PortalRecordPage(BaseModel):
    items: list[PortalRecordPublic]
    next: str | None = Field(
        description="cursor for the next page; null on the last page. A name search's page "
        "may be short and still have a next one (names holding the query inside them)"
    )


class EvidenceKeyPublic(BaseModel):
    key_id: str = Field(description="first 16 hex digits of SHA-256 of the raw public key")
    algorithm: str = Field(examples=["Ed25519"])
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64")
    public_key_pem: str


class EvidenceKeySetPublic(BaseModel):
    format: str = Field(examples=["hotich.keys/1"])
    keys: list[EvidenceKeyPublic] = Field(description="the keys that signed the events")


class EvidenceRecordPublic(_PublishedEntryBase):
    """The published record as its signed events give it: docs/check_evidence.py recomputes
    every member from the events (the portal's other members are readings of ``fields``, or
    come from the book's events, which the bundle does not carry)."""

    fields: dict[str, Any] = Field(description="the published fields the portal may see")
    published_at: dt.datetime
    published_version: int
    publication_count: int = Field(description="more than 1 once a correction was published")
    provenance: list[ProvenanceEventPublic] = Field(
        description="the entry's events up to the published version, oldest first"
    )


class InclusionProofPublic(BaseModel):
    """RFC 9162 inclusion proof, as GET /log/proof/inclusion answers it (hashes in base64)."""

    index: int
    size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || the event's 32 hash bytes)")
    hashes: list[str] = Field(description="the audit path, the leaf's sibling first")


class EventProofPublic(BaseModel):
    """Where one event (``events[i]``, same version) is in the log."""

    version: int
    leaf_index: int | None = Field(description="null until a signed checkpoint holds it")
    inclusion_proof: InclusionProofPublic | None = Field(
        description="against the bundle's checkpoint; null until a signed checkpoint holds it"
    )
    not_yet_checkpointed: bool = Field(
        description="the event is newer than the bundle's checkpoint (the log signs one about "
        "once a second): its signature still binds it; fetch the bundle again to prove it"
    )


class EvidenceLogPublic(BaseModel):
    verifier_key: str = Field(description="the log's key, as GET /log/key gives it")
    checkpoint: str | None = Field(
        description="a checkpoint the log signed (C2SP signed note, the log's signature only); "
        "null before the log signed any"
    )
    proofs: list[EventProofPublic] = Field(description="one per event, in the events' order")


class EvidenceBundlePublic(BaseModel):
    """A record with the signed events it rests on, the keys that signed them, and where the
    events are in the verifiable log: every member is checked by docs/check_evidence.py."""

    format: str = Field(examples=["hotich.evidence/2"])
    record: EvidenceRecordPublic
    events: list[dict[str, Any]] = Field(
        description="the entry's signed event envelopes, versions 1 to the published version, "
        "as stored"
    )
    keys: EvidenceKeySetPublic
    log: EvidenceLogPublic


class PortalReadPublic(BaseModel):
    """One audited portal read or search."""

    request_id: str
    at: dt.datetime
    actor: ActorPublic
    action: str
    query: dict[str, Any]
    record_ids: list[UUID]


class PortalAuditPage(BaseModel):
    items: list[PortalReadPublic]
    next: str | None = Field(description="cursor for the next page; null on the last page")
