"""What the portal answers of a published record, kept with it by the portal view: the record
as ``PortalRecordPublic`` (api/schemas.py) holds it, but for its pages and their links, which
are signed for each answer (``PortalAnswer``: the document and the scans to link).

The view stores the document when the projection stores the record, so an answer reads rows
and writes their bytes: no record is rebuilt, no other view is asked for its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections.portal_model import PageScan, PortalRecord


def answer_document(record: PortalRecord) -> dict[str, Any]:
    """The record's answer without ``pages`` and ``links_expire_at``; ``provenance`` last."""
    return {
        "id": record.id,
        "register_id": record.register_id,
        "entry_number": record.entry_number,
        "kind": record.kind,
        "district": record.district,
        "commune_code": record.commune_code,
        "book_number": record.book_number,
        "year_from": record.year_from,
        "year_to": record.year_to,
        "subject_name": record.subject_name,
        "subject_personal_id": record.subject_personal_id,
        "sex": record.sex,
        "birth_year": record.birth_year,
        "birth_month": record.birth_month,
        "birth_day": record.birth_day,
        "birth_date_lunar": record.birth_date_lunar,
        "other_names": record.other_names,
        "personal_ids": record.personal_ids,
        "fields": record.fields,
        "published_at": record.published_at,
        "published_version": record.published_version,
        "publication_count": record.publication_count,
        "provenance": [
            {
                "version": p.version,
                "event_type": p.event_type,
                "actor": {"id": p.actor_id, "role": p.actor_role},
                "occurred_at": p.occurred_at,
                "hash": p.hash,
                "key_id": p.key_id,
            }
            for p in record.provenance
        ],
    }


@dataclass(frozen=True)
class PortalAnswer:
    """A published record as the portal answers it: ``document``, the JSON object of
    :func:`answer_document` as stored, and the scans of its pages, to link."""

    id: UUID
    district: str
    document: bytes
    scans: tuple[PageScan, ...]
