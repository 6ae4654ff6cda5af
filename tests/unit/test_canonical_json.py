"""Canonical JSON (RFC 8785) of the values hotich hashes, checked against the reference library."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from infra.store.canonical_json import CanonicalJsonError, canonical_json

MAX_SAFE = 2**53 - 1

# Characters that JSON escaping and UTF-16 key ordering treat specially, mixed into arbitrary
# unicode so that hypothesis meets them often.
SPECIAL_CHARS = [
    '"',
    "\\",
    "/",
    "\x00",
    "\x08",
    "\t",
    "\n",
    "\x0c",
    "\r",
    "\x0f",
    "\x1f",
    "\x7f",
    "\u0080",
    "\u2028",
    "\u2029",
    "\ud7ff",
    "\ue000",
    "\ufb01",
    "\ufeff",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
    "ễ",
]

# codec="utf-8" leaves out lone surrogates, so every generated string is valid Unicode text.
json_chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS))
json_text = st.text(json_chars, max_size=12)
json_ints = st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE)
json_scalars = st.none() | st.booleans() | json_ints | json_text
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(json_text, children, max_size=5)
    ),
    max_leaves=25,
)

# Keys from a small alphabet of BMP and astral characters, so UTF-16 and code-point order
# disagree often.
ORDER_ALPHABET = ["a", "\u00f6", "\u20ac", "\ufb01", "\ufb33", "\uffff", "\U00010000", "\U0001f600"]
ordering_keys = st.text(st.sampled_from(ORDER_ALPHABET), max_size=3)


# --- agreement with the reference implementation -------------------------------------------


@given(json_values)
def test_canonical_json_equals_the_reference_implementation(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.dictionaries(ordering_keys, json_ints, min_size=2, max_size=8))
def test_objects_with_bmp_and_astral_keys_sort_like_the_reference(value: dict[str, int]) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(json_values)
def test_output_parses_back_to_the_same_value(value: Any) -> None:
    assert json.loads(canonical_json(value).decode("utf-8")) == value


@given(json_values)
def test_canonical_json_is_idempotent(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once


@given(st.dictionaries(json_text, json_scalars, min_size=1, max_size=8), st.randoms())
def test_member_insertion_order_does_not_matter(value: dict[str, Any], rnd: Any) -> None:
    items = list(value.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(value)


# --- key ordering ------------------------------------------------------------------------------


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    value = {"\ufb01": 1, "\U0001f600": 2}
    # Code-point order puts U+FB01 first; UTF-16 puts the emoji (surrogates D83D DE00) first.
    assert sorted(value) == ["\ufb01", "\U0001f600"]
    assert canonical_json(value) == '{"\U0001f600":2,"\ufb01":1}'.encode()
    assert canonical_json(value) == rfc8785.dumps(value)


def test_astral_key_sorts_among_bmp_keys_by_its_high_surrogate() -> None:
    value = {"\uffff": 1, "\ud7ff": 2, "\U00010000": 3, "\ue000": 4, "a": 5}
    out = canonical_json(value).decode("utf-8")
    assert [k for k in json.loads(out)] == ["a", "\ud7ff", "\U00010000", "\ue000", "\uffff"]


def test_rfc8785_sorting_example() -> None:
    # The member names of the sorting example in RFC 8785 section 3.2.3.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    out = canonical_json(value)
    assert list(json.loads(out)) == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]
    assert out == rfc8785.dumps(value)


def test_nested_objects_are_sorted_too() -> None:
    value = {"b": [{"z": 1, "y": 2}], "a": {"d": None, "c": True}}
    assert canonical_json(value) == b'{"a":{"c":true,"d":null},"b":[{"y":2,"z":1}]}'


def test_array_order_is_kept() -> None:
    assert canonical_json([3, 1, 2, "b", "a"]) == b'[3,1,2,"b","a"]'


# --- output form -------------------------------------------------------------------------------


def test_output_is_utf8_bytes_without_whitespace() -> None:
    value = {"name": "Nguyễn Thị Ánh", "list": [1, 2, {"x": None}], "ok": False, "n": -7}
    out = canonical_json(value)
    assert isinstance(out, bytes)
    assert out == '{"list":[1,2,{"x":null}],"n":-7,"name":"Nguyễn Thị Ánh","ok":false}'.encode()
    # Non-ASCII text is written as UTF-8, not as \u escapes.
    assert "Nguyễn".encode() in out
    assert b"\\u" not in out


def test_whitespace_inside_strings_is_kept() -> None:
    assert canonical_json({"a b": " c "}) == b'{"a b":" c "}'


def test_empty_containers() -> None:
    assert canonical_json({}) == b"{}"
    assert canonical_json([]) == b"[]"
    assert canonical_json("") == b'""'
    assert canonical_json({"": [[], {}]}) == b'{"":[[],{}]}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"null"),
        (True, b"true"),
        (False, b"false"),
        (0, b"0"),
        (-1, b"-1"),
        (MAX_SAFE, b"9007199254740991"),
        (-MAX_SAFE, b"-9007199254740991"),
    ],
)
def test_scalars(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_booleans_are_not_written_as_integers() -> None:
    assert canonical_json([True, 1, False, 0]) == b"[true,1,false,0]"


# --- string escapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x0f", rb'"\u000f"'),
        ("\x1f", rb'"\u001f"'),
        ("\x00", rb'"\u0000"'),
        ("\x0b", rb'"\u000b"'),
        ("\n", rb'"\n"'),
        ("\r", rb'"\r"'),
        ("\t", rb'"\t"'),
        ("\x08", rb'"\b"'),
        ("\x0c", rb'"\f"'),
        ('"', rb'"\""'),
        ("\\", rb'"\\"'),
        ("/", b'"/"'),
        ("\x7f", b'"\x7f"'),
        ("\u2028", '"\u2028"'.encode()),
        ("\u2029", '"\u2029"'.encode()),
        ("\U0001f600", '"\U0001f600"'.encode()),
    ],
)
def test_strings_are_escaped_minimally(text: str, expected: bytes) -> None:
    assert canonical_json(text) == expected
    assert canonical_json(text) == rfc8785.dumps(text)


def test_control_escapes_use_lowercase_hex() -> None:
    out = canonical_json("".join(chr(c) for c in range(0x20)))
    assert b"\\u001f" in out
    assert b"\\u000e" in out
    assert b"\\u001F" not in out
    assert b"\\u000E" not in out


def test_rfc8785_string_example() -> None:
    # The string of the example in RFC 8785 section 3.2.2.2 (JSON source
    # "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/").
    text = '\u20ac$\x0f\nA\'B"\\\\"/'
    expected = '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()
    assert canonical_json(text) == expected
    assert canonical_json(text) == rfc8785.dumps(text)


def test_keys_are_escaped_like_values() -> None:
    value = {'q"\\\n\x0f': '"\\\n\x0f'}
    assert canonical_json(value) == rb'{"q\"\\\n\u000f":"\"\\\n\u000f"}'


# --- refused values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        0.0,
        -0.0,
        0.5,
        1e300,
        math.inf,
        -math.inf,
        math.nan,
        [1, 2.5],
        {"a": {"b": [0.1]}},
    ],
)
def test_floats_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJsonError, match="float"):
        canonical_json(value)


@given(st.floats())
def test_every_float_is_refused(value: float) -> None:
    with pytest.raises(CanonicalJsonError):
        canonical_json({"x": [value]})


@pytest.mark.parametrize(
    "value",
    [2**53, -(2**53), 2**53 + 1, -(2**53) - 1, 2**63, -(2**64), 10**100, [1, 2**53], {"a": 2**60}],
)
def test_integers_beyond_2_53_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJsonError, match="integer"):
        canonical_json(value)


@given(st.integers(min_value=MAX_SAFE + 1) | st.integers(max_value=-MAX_SAFE - 1))
def test_every_unsafe_integer_is_refused(value: int) -> None:
    with pytest.raises(CanonicalJsonError):
        canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [{1: "a"}, {None: 1}, {True: 1}, {(1, 2): 1}, {b"key": 1}, {"ok": {2: 3}}, {"a": 1, 1: "a"}],
    ids=["int", "none", "bool", "tuple", "bytes", "nested", "mixed"],
)
def test_non_string_keys_are_refused(value: dict[Any, Any]) -> None:
    with pytest.raises(CanonicalJsonError, match="not a string"):
        canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [
        (1, 2),
        (),
        {1, 2},
        frozenset({"a"}),
        object(),
        b"bytes",
        bytearray(b"x"),
        Decimal("1"),
        dt.date(2026, 1, 1),
        UUID(int=0),
        [("nested", "tuple")],
        {"a": {"set"}},
    ],
    ids=lambda v: type(v).__name__,
)
def test_non_json_types_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJsonError, match="not a JSON value"):
        canonical_json(value)


def test_canonical_json_error_is_a_type_error() -> None:
    assert issubclass(CanonicalJsonError, TypeError)


@pytest.mark.parametrize("value", ["\ud800", {"k": "a\udfff"}, {"\ud83d": 1}])
def test_lone_surrogates_are_refused_with_canonical_json_error(value: Any) -> None:
    # What json.loads makes of '"\\ud800"' is not Unicode text: it has no canonical form.
    with pytest.raises(CanonicalJsonError):
        canonical_json(value)


def test_lone_surrogates_are_refused_by_the_reference() -> None:
    # RFC 8785 needs valid Unicode: the reference refuses what canonical_json cannot write.
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps(json.loads('"\\ud800"'))
