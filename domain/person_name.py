"""Personal names (họ và tên): stored as written (NFC), with keys for search and matching."""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import InvalidValueError
from domain.rules import Code

DEFAULT_LABEL_VI = "họ và tên"
MAX_LENGTH = 120

# Apostrophe look-alikes unified to "'" in keys (H’Mông, HʼMông, H`Mông ...).
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4\u02bb\u2032"
_APOSTROPHE_TABLE = str.maketrans({c: "'" for c in _APOSTROPHES})

# Characters a name may contain besides letters and spaces.
_NAME_PUNCTUATION = frozenset("'-\u2010" + _APOSTROPHES)

# Keys made once per distinct name: a province's names repeat (a few family names, a few
# thousand given names), and every portal record's names are keyed when it is stored.
KEY_CACHE = 1 << 16

# Vietnamese tone marks as combining characters (NFD): grave, acute, tilde, hook above, dot below.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _collapse_spaces(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=KEY_CACHE)
def fold(text: str) -> str:
    """Search key: no case, no diacritics, đ -> d, one apostrophe, single spaces."""
    # NFD(casefold(NFD(x))): Unicode's canonical caseless matching.
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # "ð" (from Ð U+00D0) is a common mis-encoding of Vietnamese "Đ".
    bare = bare.replace("đ", "d").replace("ð", "d")
    return _collapse_spaces(bare.translate(_APOSTROPHE_TABLE))


def _split_clusters(decomposed: str) -> list[list[str]]:
    """Group an NFD string into [base, mark, mark, ...] clusters."""
    clusters: list[list[str]] = []
    for c in decomposed:
        if unicodedata.combining(c) and clusters:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    return clusters


def _tone_of(cluster: list[str]) -> str | None:
    for mark in cluster[1:]:
        if mark in _TONE_MARKS:
            return mark
    return None


@lru_cache(maxsize=KEY_CACHE)
def accent_key(text: str) -> str:
    """Exact-match key: lowercase NFC with diacritics, tone placed on the second vowel.

    Both conventions ("hòa"/"hoà", "hòe"/"hoè", "thủy"/"thuỷ") give the key of the
    second form: the tone mark of oa, oe and uy is moved onto a, e and y.
    """
    clusters = _split_clusters(unicodedata.normalize("NFD", text.lower()))
    for first, second in itertools.pairwise(clusters):
        tone = _tone_of(first)
        if tone is None or _tone_of(second) is not None:
            continue
        # Only a plain o/u (no circumflex, horn) is a glide in oa, oe, uy.
        if len(first) != 2:
            continue
        if (first[0], second[0]) in {("o", "a"), ("o", "e"), ("u", "y")}:
            first.remove(tone)
            second.append(tone)
    joined = "".join("".join(cluster) for cluster in clusters)
    key = unicodedata.normalize("NFC", joined).replace("ð", "đ")
    return _collapse_spaces(key.translate(_APOSTROPHE_TABLE))


def _bad_character(text: str) -> tuple[Code, str] | None:
    """Return (rule, character) for the first character a name may not contain."""
    previous_is_letter = False
    for c in text:
        category = unicodedata.category(c)
        if category == "Nd" or c.isdigit():
            return Code.NAME_DIGITS, c
        if category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            return Code.NAME_CONTROL_CHARACTERS, c
        if category.startswith("L"):
            previous_is_letter = True
            continue
        # Combining marks that have no precomposed form stay after their letter in NFC.
        if category.startswith("M") and previous_is_letter:
            continue
        previous_is_letter = False
        if c == " " or c in _NAME_PUNCTUATION:
            continue
        return Code.NAME_CHARACTERS, c
    return None


def _normalise(raw: str, field: str, label_vi: str) -> str:
    """NFC, collapse whitespace, and check the rules; return the canonical text."""
    if not isinstance(raw, str):
        raise InvalidValueError(field, Code.TEXT, label_vi=label_vi)
    full = _collapse_spaces(unicodedata.normalize("NFC", raw))
    if not full:
        raise InvalidValueError(field, Code.NOT_EMPTY, label_vi=label_vi)
    if len(full) > MAX_LENGTH:
        raise InvalidValueError(
            field, Code.MAX_CHARACTERS_GOT, label_vi=label_vi, limit=MAX_LENGTH, length=len(full)
        )
    bad = _bad_character(full)
    if bad is not None:
        code, char = bad
        raise InvalidValueError(field, code, label_vi=label_vi, codepoint=ord(char), char=char)
    if not any(c.isalpha() for c in full):
        raise InvalidValueError(field, Code.LETTER_REQUIRED, label_vi=label_vi)
    return full


@dataclass(frozen=True, slots=True)
class PersonName:
    """A full name exactly as written (NFC, single spaces); never corrected."""

    full: str

    def __post_init__(self) -> None:
        canonical = _normalise(self.full, "full_name", DEFAULT_LABEL_VI)
        if canonical != self.full:
            raise InvalidValueError("full_name", Code.NAME_NOT_CANONICAL, label_vi=DEFAULT_LABEL_VI)

    @classmethod
    def parse(
        cls, raw: str, *, field: str = "full_name", label_vi: str | None = None
    ) -> PersonName:
        """Normalise (NFC, whitespace collapsed) and validate a name."""
        return cls(_normalise(raw, field, label_vi or DEFAULT_LABEL_VI))

    @property
    def _words(self) -> list[str]:
        return self.full.split(" ")

    @property
    def family(self) -> str:
        """Family name (họ): the first word."""
        return self._words[0]

    @property
    def middle(self) -> str:
        """Middle name(s) (chữ đệm): the words between; "" if none."""
        return " ".join(self._words[1:-1])

    @property
    def given(self) -> str:
        """Given name (tên): the last word."""
        return self._words[-1]

    @property
    def search_key(self) -> str:
        """fold() of the name."""
        return fold(self.full)

    @property
    def accent_key(self) -> str:
        """accent_key() of the name."""
        return accent_key(self.full)

    def __str__(self) -> str:
        return self.full
