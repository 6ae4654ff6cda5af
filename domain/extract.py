"""Extracts (trích lục) of published entries, and what a verifier signs when publishing.

**The publication statement.** A verifier who publishes an entry may sign it with their own
certificate: a detached CMS signature over this text, which names the entry, the version its
publication event takes and the SHA-256 of the fields it publishes (JSON, keys sorted, UTF-8,
no spaces). The signature cannot cover the hash of the very event that carries it; the
statement binds what that event publishes instead, and the event's own hash and seal then bind
the signature. ``openssl cms -verify -binary -content statement.txt`` checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from domain.record_kind import RecordKind

STATEMENT_SPEC = "hotich.publication/1"

TITLES: dict[RecordKind, str] = {
    RecordKind.BIRTH: "TRÍCH LỤC KHAI SINH",
    RecordKind.DEATH: "TRÍCH LỤC KHAI TỬ",
    RecordKind.MARRIAGE: "TRÍCH LỤC KẾT HÔN",
}
DEFAULT_TITLE = "TRÍCH LỤC HỘ TỊCH"
PURPOSE_MAX = 200


def extract_title(kind: RecordKind) -> str:
    return TITLES.get(kind, DEFAULT_TITLE)


def fields_digest(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the fields as JSON: keys sorted, UTF-8, no spaces."""
    text = json.dumps(dict(fields), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publication_statement(
    *, entry_id: str, register_id: str, entry_number: int, version: int, fields: Mapping[str, Any]
) -> str:
    """The text a verifier signs to publish an entry at ``version`` with ``fields``."""
    return (
        f"{STATEMENT_SPEC}\n"
        f"entry: {entry_id}\n"
        f"register: {register_id}\n"
        f"entry_number: {entry_number}\n"
        f"version: {version}\n"
        f"fields_sha256: {fields_digest(fields)}\n"
    )
