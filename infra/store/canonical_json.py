"""Canonical JSON (RFC 8785, JCS) for the values hotich hashes.

Envelopes hold only JSON-native values: objects with string keys, arrays, strings,
integers, booleans and null. Floats are refused on purpose: a decades-long record
should not depend on how a platform prints binary fractions, and no civil-status
field needs one. With that restriction RFC 8785 reduces to: UTF-8, no insignificant
whitespace, strings escaped minimally (as ``json`` does with ``ensure_ascii=False``),
object members sorted by the UTF-16 code units of their names.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODE_STRING = json.encoder.encode_basestring


class CanonicalJsonError(TypeError):
    """A value cannot be written as canonical JSON."""


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _needs_utf16_sort(keys: list[str]) -> bool:
    # Code-point order equals UTF-16 order unless a key holds a character beyond the BMP.
    return any(not k.isascii() and any(ord(c) > 0xFFFF for c in k) for k in keys)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_ENCODE_STRING(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -(2**53) < value < 2**53:
            raise CanonicalJsonError(f"integer {value} is outside the interoperable range ±2^53")
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        keys = list(value)
        for key in keys:
            if not isinstance(key, str):
                raise CanonicalJsonError(f"object key {key!r} is not a string")
        keys.sort(key=_utf16_key if _needs_utf16_sort(keys) else None)
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(_ENCODE_STRING(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, float):
        raise CanonicalJsonError("floats are not allowed in canonical envelopes; use integers")
    else:
        raise CanonicalJsonError(f"{type(value).__name__} is not a JSON value")


_MAX_INT = 2**53


def _check_scalar(v: Any) -> None:
    t = type(v)
    if t is int:
        if not -_MAX_INT < v < _MAX_INT:
            raise CanonicalJsonError(f"integer {v} is outside the interoperable range ±2^53")
    elif t is float:
        raise CanonicalJsonError("floats are not allowed in canonical envelopes; use integers")
    else:
        raise CanonicalJsonError(f"{t.__name__} is not a JSON value")


def _plain_json_sort_is_canonical(value: Any) -> bool:
    """Check every value is JSON-native; False when a key needs UTF-16 ordering."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is dict:
        simple = True
        for key in value:
            if type(key) is not str:
                raise CanonicalJsonError(f"object key {key!r} is not a string")
            if not key.isascii() and any(ord(c) > 0xFFFF for c in key):
                simple = False
        items = value.values()
    elif t is list:
        simple, items = True, value
    else:
        _check_scalar(value)
        return True
    for item in items:
        ti = type(item)
        if ti is str or ti is bool or item is None:
            continue  # the common case, without a call
        simple = _plain_json_sort_is_canonical(item) and simple
    return simple


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-native value."""
    try:
        if _plain_json_sort_is_canonical(value):
            # Code-point order equals UTF-16 order here, so the C encoder's output is canonical.
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        else:
            out: list[str] = []
            _write(value, out)
            text = "".join(out)
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise CanonicalJsonError(f"a string holds a lone surrogate: {e.reason}") from e
