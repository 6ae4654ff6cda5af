"""The portal view's rows and the records they hold, both ways."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import orjson
import pydantic_core

from infra.read_store.database import Row, row_params
from projections.portal_answers import PortalAnswer, answer_document
from projections.portal_model import SCAN_OWN, PageScan, PortalRecord, Provenance, WorkingEntry


def json_text(value: Any) -> str:
    """Compact JSON, keys sorted, non-ASCII as is: what ``json.dumps(value,
    ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` writes, written in C."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def scanjson_text(scan: PageScan) -> dict[str, Any]:
    return {name: getattr(scan, name) for name in SCAN_OWN}


def provenance_text(items: tuple[Provenance, ...]) -> str:
    """Each item's fields in their order, its time in ISO 8601 (as its row would hold them)."""
    return json_text([row_params(p) for p in items])


def provenance_of_text(text: str) -> tuple[Provenance, ...]:
    return tuple(
        Provenance(v, e, a, r, dt.datetime.fromisoformat(at), h, k)
        for v, e, a, r, at, h, k in orjson.loads(text)
    )


def answer_text(record: PortalRecord) -> str:
    """The record's answer document as stored (pydantic's JSON: times as the API writes them)."""
    return pydantic_core.to_json(answer_document(record)).decode()


ANSWER_COLUMNS = "p.id, p.district, p.register_id, p.entry_number, p.search_key, p.scans, p.answer"


def answer_of_row(row: Row) -> PortalAnswer:
    """A row of ``ANSWER_COLUMNS`` (and more)."""
    register_id = UUID(row["register_id"])
    return PortalAnswer(
        id=UUID(row["id"]),
        district=row["district"],
        document=row["answer"].encode(),
        scans=tuple(PageScan(register_id=register_id, **s) for s in orjson.loads(row["scans"])),
    )


def record_of_row(row: Row) -> PortalRecord:
    register_id = UUID(row["register_id"])
    return PortalRecord(
        id=UUID(row["id"]),
        register_id=register_id,
        district=row["district"],
        commune_code=row["commune_code"],
        kind=row["kind"],
        book_number=row["book_number"],
        year_from=row["year_from"],
        year_to=row["year_to"],
        entry_number=row["entry_number"],
        fields=orjson.loads(row["fields"]),
        subject_name=row["subject_name"],
        search_key=row["search_key"],
        accent_key=row["accent_key"],
        other_names=tuple(orjson.loads(row["other_names"])),
        personal_ids=tuple(orjson.loads(row["personal_ids"])),
        subject_personal_id=row["subject_personal_id"],
        birth_year=row["birth_year"],
        birth_month=row["birth_month"],
        birth_day=row["birth_day"],
        birth_date_lunar=bool(row["birth_date_lunar"]),
        sex=row["sex"],
        pages=tuple(orjson.loads(row["pages"])),
        scans=tuple(PageScan(register_id=register_id, **s) for s in orjson.loads(row["scans"])),
        published_at=dt.datetime.fromisoformat(row["published_at"]),
        published_version=row["published_version"],
        publication_count=row["publication_count"],
        provenance=provenance_of_text(row["provenance"]),
    )


def record_params(r: PortalRecord) -> tuple[Any, ...]:
    return (
        str(r.id),
        str(r.register_id),
        r.district,
        r.commune_code,
        r.kind,
        r.book_number,
        r.year_from,
        r.year_to,
        r.entry_number,
        json_text(r.fields),
        r.subject_name,
        r.search_key,
        r.accent_key,
        json_text(list(r.other_names)),
        json_text(list(r.personal_ids)),
        r.subject_personal_id,
        r.birth_year,
        r.birth_month,
        r.birth_day,
        int(r.birth_date_lunar),
        r.sex,
        json_text(list(r.pages)),
        json_text([scanjson_text(s) for s in r.scans]),
        r.published_at.isoformat(),
        r.published_version,
        r.publication_count,
        provenance_text(r.provenance),
        answer_text(r),
    )


def working_of_row(row: Row) -> WorkingEntry:
    before = row["fields_before_correction"]
    return WorkingEntry(
        id=UUID(row["id"]),
        register_id=UUID(row["register_id"]),
        district=row["district"],
        commune_code=row["commune_code"],
        kind=row["kind"],
        entry_number=row["entry_number"],
        pages=tuple(orjson.loads(row["pages"])),
        fields=orjson.loads(row["fields"]),
        fields_before_correction=orjson.loads(before) if before is not None else None,
        version=row["version"],
        publication_count=row["publication_count"],
        provenance=provenance_of_text(row["provenance"]),
    )
