"""Extracts and the publication's signature in the domain: only a published entry has
extracts, the statement a verifier signs names what is published, and publications recorded
before signatures existed replay unchanged."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.civil_record import CivilRecord
from domain.errors import InvalidStateError
from domain.extract import fields_digest, publication_statement
from domain.record_kind import RecordKind

CLERK = Actor("clerk.026.1", Role.CLERK)
CLERK_2 = Actor("clerk.026.2", Role.CLERK)
VERIFIER = Actor("verifier.026.1", Role.VERIFIER)
FIELDS = {
    "child.full_name": "Giàng Seo Pó",
    "child.sex": "nam",
    "child.birth_date": "12/03/1990",
    "registration_date": "01/04/1990",
}


def verified_entry() -> CivilRecord:
    entry = CivilRecord.key(
        actor=CLERK,
        register_id=uuid4(),
        district="026",
        commune_code="00718",
        kind=RecordKind.BIRTH,
        entry_number=2,
        pages=[1],
        fields=dict(FIELDS),
    )
    entry.second_key(actor=CLERK_2, fields=dict(FIELDS))
    entry.verify(actor=VERIFIER)
    return entry


def test_only_a_published_entry_has_extracts() -> None:
    entry = verified_entry()
    with pytest.raises(InvalidStateError) as refused:
        entry.issue_extract(actor=VERIFIER, extract={"sha256": "0" * 64})
    assert refused.value.code == "extract_only_published"
    entry.publish(actor=VERIFIER)
    entry.issue_extract(actor=VERIFIER, extract={"sha256": "0" * 64})
    assert [e["sha256"] for e in entry.extracts] == ["0" * 64]


def test_the_statement_names_the_entry_its_next_version_and_the_fields_it_publishes() -> None:
    entry = verified_entry()
    text = publication_statement(
        entry_id=str(entry.id),
        register_id=str(entry.register_id),
        entry_number=2,
        version=entry.version + 1,
        fields=entry.fields,
    )
    assert text.splitlines()[0] == "hotich.publication/1"
    assert f"version: {entry.version + 1}" in text
    assert f"fields_sha256: {fields_digest(entry.fields)}" in text
    changed = {**entry.fields, "child.sex": "nữ"}
    assert fields_digest(changed) != fields_digest(entry.fields)


def test_a_publication_recorded_before_signatures_replays_without_one() -> None:
    entry = verified_entry()
    entry.publish(actor=VERIFIER)
    events = entry.collect_events()
    del events[-1].__dict__["official_signature"]  # as events stored before this change
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    assert isinstance(replayed, CivilRecord)
    assert replayed.published_fields == entry.published_fields
    assert replayed.official_signature is None
