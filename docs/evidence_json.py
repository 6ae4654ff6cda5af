"""The JSON of hotich evidence, for check_evidence.py beside it: RFC 8785 canonical JSON of the
values envelopes hold (objects, arrays, strings, integers, booleans and null: never floats, so
RFC 8785 reduces to UTF-8, no whitespace, minimal string escapes, members sorted by the UTF-16
code units of their names), event hashes, and the small readers every check uses: members,
canonical base64, integers, times."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from typing import Any

SEALED = ("hash", "signature")


def _string(text: str) -> str:
    # json.dumps escapes exactly what RFC 8785 escapes: " and \, \b \f \n \r \t, and other
    # control characters as \u00xx (lowercase hex); everything else is written as UTF-8
    return json.dumps(text, ensure_ascii=False)


def canonical(value: Any) -> str:
    """The RFC 8785 canonical JSON text of a JSON value without floats."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if not -(2**53) < value < 2**53:
            raise ValueError(f"integer {value} is outside the interoperable range ±2^53")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_string(n) + ":" + canonical(value[n]) for n in names) + "}"
    raise ValueError(f"{type(value).__name__} values (e.g. floats) are not in hotich envelopes")


def content_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in SEALED}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def same(a: Any, b: Any) -> bool:
    """The same JSON value, types included (1 is not true, "1" is not 1)."""
    try:
        return canonical(a) == canonical(b)
    except ValueError:
        return False


def members(value: Any, names: tuple[str, ...], where: str) -> list[str]:
    """What is missing from an object, or is not a member of the format."""
    if not isinstance(value, dict):
        return [f"{where}: is not a JSON object"]
    wrong = [f"{where}: {name} is missing" for name in names if name not in value]
    wrong += [
        f"{where}: {name} is not a member of the format" for name in value if name not in names
    ]
    return wrong


def per_version(
    items: list[Any], events: list[Any], names: tuple[str, ...], what: str, problems: list[str]
) -> Iterator[tuple[int, dict[str, Any], Any, str]]:
    """Each item (one per event) whose members are the format's, with its version number, its
    event and its label; the members wrong in the others are added to ``problems``."""
    for number, item in enumerate(items, start=1):
        label = f"{what} of version {number}"
        wrong = members(item, names, label)
        if wrong:
            problems += wrong
            continue
        yield number, item, events[number - 1], label


def b64(text: Any, size: int | None = None) -> bytes:
    """Canonical standard base64 (its unused bits zero), of ``size`` bytes if given."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    if size is not None and len(raw) != size:
        raise ValueError(f"not {size} bytes")
    return raw


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def same_time(shown: Any, signed: Any) -> bool:
    """``shown`` is the event's time as the event writes it, or with Z for +00:00."""
    if not isinstance(shown, str) or not isinstance(signed, str):
        return False
    return shown == signed or (signed.endswith("+00:00") and shown == signed[:-6] + "Z")
