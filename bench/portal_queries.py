"""What the portal benchmark asks: personal IDs and names sampled from the filled records, the
ID lookups and name searches made of them (names spelled as stored, in NFD, without
diacritics, in upper case, and with the other tone-mark placement), and the check, before any
timing, that the API finds what it should."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass, field

import httpx

from bench.portal_books import SEED
from bench.workspace import BenchError
from domain.person_name import fold
from domain.personal_id import PersonalId
from domain.sex import Sex

SAMPLES = 4_000  # personal IDs and names kept for the queries
MISSING_IDS = 0.05  # share of ID lookups for IDs no record holds


@dataclass
class Samples:
    """What the queries ask for: personal IDs and names that published records hold, each a
    uniform sample (reservoir) of what was filled."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    seen: int = 0
    seen_ids: int = 0

    def offer_name(self, rng: random.Random, name: str) -> None:
        self.seen += 1
        _keep(rng, self.names, self.seen, name)

    def offer_id(self, rng: random.Random, pid: str) -> None:
        self.seen_ids += 1
        _keep(rng, self.ids, self.seen_ids, pid)

    def to_json(self) -> str:
        return json.dumps({"ids": self.ids, "names": self.names}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Samples:
        data = json.loads(text)
        return cls(ids=data["ids"], names=data["names"])


def _keep(rng: random.Random, reservoir: list[str], seen: int, value: str) -> None:
    if len(reservoir) < SAMPLES:
        reservoir.append(value)
    elif (slot := rng.randrange(seen)) < SAMPLES:
        reservoir[slot] = value


# ----- spellings of a name --------------------------------------------------------------------
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining, NFD)
_TONE_AFTER = re.compile(f"(?i)(o[ae]|uy)([{_TONES}])(?!\\w)")  # hoà -> hòa
_TONE_BEFORE = re.compile(f"(?i)(?:(o)([{_TONES}])([ae])|(u)([{_TONES}])(y))(?!\\w)")


def _tone_last(m: re.Match[str]) -> str:
    return m[1] + m[3] + m[2] if m[1] else m[4] + m[6] + m[5]


def other_tone_placement(name: str) -> str | None:
    """The name with the other tone-mark placement of its oa/oe/uy syllables (hoà <-> hòa),
    or None if it has none."""
    nfd = unicodedata.normalize("NFD", name)
    moved = _TONE_AFTER.sub(lambda m: m[1][0] + m[2] + m[1][1], nfd)
    if moved == nfd:
        moved = _TONE_BEFORE.sub(_tone_last, nfd)
    return unicodedata.normalize("NFC", moved) if moved != nfd else None


def without_diacritics(name: str) -> str:
    bare = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare if not unicodedata.combining(c))


def spellings(name: str) -> list[str]:
    """The name as stored, in NFD, without diacritics, in upper case, other tone placement."""
    variants = [
        name,
        unicodedata.normalize("NFD", name),
        without_diacritics(name),
        name.upper(),
    ]
    other = other_tone_placement(name)
    variants.append(other if other is not None else name.lower())
    return variants


# ----- the queries ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    kind: str  # "id" | "name"
    path: str
    params: dict[str, str]
    value: str


def make_queries(samples: Samples, count: int, seed: int = SEED) -> dict[str, list[Query]]:
    rng = random.Random(seed)
    ids: list[Query] = []
    for i in range(count):
        if rng.random() < MISSING_IDS or not samples.ids:
            # a well-formed ID of province 096: no record holds one (all are born in 002)
            pid = PersonalId.build(
                province_code=96, sex=Sex.MALE, birth_year=1990, serial=rng.randrange(10**6)
            ).value
        else:
            pid = (
                samples.ids[i % len(samples.ids)]
                if i < len(samples.ids)
                else rng.choice(samples.ids)
            )
        ids.append(Query("id", "/portal/records", {"personal_id": pid}, pid))
    names: list[Query] = []
    for i in range(count):
        name = rng.choice(samples.names)
        q = spellings(name)[i % 5]
        names.append(Query("name", "/portal/records/search", {"q": q}, q))
    return {"id": ids, "name": names}


def inside_queries(samples: Samples, count: int, seed: int = SEED) -> list[Query]:
    """Searches inside names: the last two words of sampled names ("Thị Hoà" of "Sèn Thị
    Hoà"), and the last word without its first letter ("oà"), as a user types a part."""
    rng = random.Random(seed + 1)
    found: list[Query] = []
    for i in range(count):
        words = rng.choice(samples.names).split()
        q = " ".join(words[-2:]) if i % 2 == 0 or len(words[-1]) < 3 else words[-1][1:]
        found.append(Query("name", "/portal/records/search", {"q": q}, q))
    return found


def check_answers(client: httpx.Client, queries: dict[str, list[Query]]) -> None:
    """Before timing: every spelling finds its name; present IDs are found, absent ones not."""
    for query in queries["name"][:25]:
        body = client.get(query.path, params=query.params).json()
        folded = fold(query.value)
        names = [
            fold(n) for item in body.get("items", []) for n in [item["subject_name"] or ""]
        ] + [fold(n) for item in body.get("items", []) for n in item["other_names"]]
        if folded not in names:
            raise BenchError(f"search {query.value!r} did not find the name: {body}")
    found = 0
    for query in queries["id"][:40]:
        body = client.get(query.path, params=query.params).json()
        found += bool(body.get("items"))
        if body.get("items") and query.value not in body["items"][0]["personal_ids"]:
            raise BenchError(f"lookup {query.value}: a record without the ID: {body}")
    if found < 30:
        raise BenchError(f"only {found} of 40 personal IDs found")
