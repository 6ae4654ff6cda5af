"""Opaque page cursors: the sort key of the last item served, bound to the query it came from.

A cursor is base64url (no padding) of a JSON array: the query's fingerprint, then the key. It
is not secret (a forged one only moves the start of the page: filters and district scopes are
applied again on every page), but one made for another query is refused, naming the field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from domain.errors import InvalidValueError
from domain.rules import Code

FIELD = "cursor"


def fingerprint(query: Mapping[str, Any]) -> str:
    """A short digest of what selects and orders the items (never the cursor or page size)."""
    text = json.dumps(query, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(query_fingerprint: str, key: Sequence[Any]) -> str:
    text = json.dumps([query_fingerprint, *key], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")


def _is(value: Any, kind: type) -> bool:
    if type(value) is not kind:  # exact: a bool is no int here
        return False
    return not isinstance(value, int) or -(2**53) < value < 2**53  # what both databases hold


def decode_cursor(cursor: str, query_fingerprint: str, types: Sequence[type]) -> list[Any]:
    """The key in ``cursor``, whose items have ``types``; InvalidValueError if it is not a
    cursor, or one of another query."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as e:
        raise InvalidValueError(FIELD, Code.CURSOR_UNKNOWN) from e
    if (
        not isinstance(values, list)
        or len(values) != len(types) + 1
        or not all(_is(v, t) for v, t in zip(values[1:], types, strict=True))
    ):
        raise InvalidValueError(FIELD, Code.CURSOR_UNKNOWN)
    if values[0] != query_fingerprint:
        raise InvalidValueError(FIELD, Code.CURSOR_OTHER_QUERY)
    return values[1:]
