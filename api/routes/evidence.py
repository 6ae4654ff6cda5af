"""The evidence bundle of a published record: its signed events, the keys that signed them and
where each event is in the verifiable log, with the record as those events give it (README,
"Checking an evidence bundle"; docs/check_evidence.py checks every member). Audited first, as
every portal read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from api.deps import ServicesDep
from api.routes.portal import AUDITED, one_record, portal_services
from api.schemas import (
    EvidenceBundlePublic,
    EvidenceKeyPublic,
    EvidenceKeySetPublic,
    EvidenceLogPublic,
    EvidenceRecordPublic,
)
from api.security import CurrentUser
from digitization.ports import VerifiableLog
from domain.access import Permission, require

router = APIRouter(prefix="/portal", tags=["portal"])

EVIDENCE_FORMAT = "hotich.evidence/2"


def _members(given: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The members of ``given`` that ``model`` has (the bundle carries no others)."""
    return {name: given[name] for name in model.model_fields}


@router.get("/records/{entry_id}/evidence", response_model=EvidenceBundlePublic, responses=AUDITED)
def get_evidence(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> EvidenceBundlePublic:
    """A self-contained bundle: the record as its events give it, its signed events as stored,
    the public keys that signed them, and each event's place in the verifiable log (leaf index
    and inclusion proof against the signed checkpoint the bundle carries). Anyone can check
    every member of it without hotich: docs/check_evidence.py (README, "Checking an evidence
    bundle"); pin the keys with GET /keys and GET /log/key."""
    require(user, Permission.PORTAL_READ)
    portal, _ = portal_services(services)
    if services.envelopes is None or services.log is None:
        raise HTTPException(503, "evidence is not served by this instance")
    answer = portal.get_answer(entry_id)
    public = json.loads(
        one_record(user, services, "get_evidence", {"entry_id": str(entry_id)}, answer)
    )
    events = services.envelopes(entry_id, int(public["published_version"]))
    signed_by = {e.get("signature", {}).get("key_id") for e in events}
    keys = services.public_keys()
    return EvidenceBundlePublic(
        format=EVIDENCE_FORMAT,
        record=EvidenceRecordPublic.model_validate(_members(public, EvidenceRecordPublic)),
        events=events,
        keys=EvidenceKeySetPublic(
            format=keys["format"],
            keys=[
                EvidenceKeyPublic.model_validate(_members(key, EvidenceKeyPublic))
                for key in keys["keys"]
                if key["key_id"] in signed_by
            ],
        ),
        log=_in_the_log(services.log, entry_id, [int(e["version"]) for e in events]),
    )


def _in_the_log(log: VerifiableLog, entry_id: UUID, versions: list[int]) -> EvidenceLogPublic:
    """Each event's leaf and inclusion proof against the newest checkpoint the log signed.

    An event newer than that checkpoint is said to be so, not proved: the route does not have
    the log signed for it. Checkpoints are signed by one keeper, at most once per interval, so
    that every checkpoint can be witnessed and kept; a read that made the log sign would let
    any reader make it sign at the rate of its requests (and a worker of `hotich serve
    --workers` only reads the log). The keeper signs within about a second."""
    note = log.signed_checkpoint()
    size = int(note.split("\n", 2)[1]) if note is not None else 0
    leaves = log.leaves_of(entry_id, versions)
    proofs = []
    for version in versions:
        index = leaves.get(version)
        proof = log.inclusion_proof(index, size) if index is not None and index < size else None
        proofs.append(
            {
                "version": version,
                "leaf_index": None if proof is None else index,
                "inclusion_proof": proof,
                "not_yet_checkpointed": proof is None,
            }
        )
    return EvidenceLogPublic.model_validate(
        {"verifier_key": log.verifier_key(), "checkpoint": note, "proofs": proofs}
    )
