"""Fake-but-plausible fields of civil-status entries: the people (demo/names.py), their personal
IDs, dates and places, as a clerk keys them from a book.

The one generator of entries: the demo loader (demo/load.py), the benchmarks (bench/) and tests
draw their entries here. It is deterministic: the same ``random.Random``, ``NameGenerator`` and
personal ID policy, asked for the same entries, give the same fields.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from demo.names import FEMALE, MALE, NameGenerator, SyntheticPerson
from domain.entry_fields import SUBJECT_NAME_FIELD
from domain.personal_id import PersonalId
from domain.record_kind import RecordKind
from domain.sex import Sex

__all__ = [
    "DEMO_ID_CHANCES",
    "SUBJECT",
    "Chance",
    "EntryFields",
    "PersonalIds",
]

# The chance that a person holds a personal ID, given the year of birth.
Chance = Callable[[int], float]

# The person an entry is about, by kind (the child, the deceased, the husband): the prefix of
# the fields the portal finds a record by.
SUBJECT: dict[RecordKind, str] = {
    kind: SUBJECT_NAME_FIELD[kind].split(".", 1)[0]
    for kind in (RecordKind.BIRTH, RecordKind.DEATH, RecordKind.MARRIAGE)
}

# The demo's: personal IDs came in for those born from 2000; a fifth of the children born
# before it were given one later and have it written in the margin.
DEMO_ID_CHANCES: dict[str, Chance] = {"child": lambda born: 1.0 if born >= 2000 else 0.2}

SERIALS = 1_000_000  # a personal ID's serial has six digits
PROVINCE_CODE = 2  # Hà Giang


class PersonalIds:
    """Who of an entry's people holds a personal ID, and its serial.

    ``chances`` maps a role (the fields' prefix: child, mother, deceased...) to the chance of an
    ID given the year of birth; roles it does not name hold none. Serials are drawn at random
    and never repeat within this object; with ``numbered_from``, the subjects' (``SUBJECT``)
    are numbered from it instead, so that generators started at disjoint numbers give their
    subjects IDs no other subject holds (the others may still meet one).
    """

    def __init__(self, chances: Mapping[str, Chance], *, numbered_from: int | None = None) -> None:
        self.chances = chances
        self.next_serial = numbered_from
        self.used: set[str] = set()

    def issue(self, rng: random.Random, role: str, sex: str, born: int) -> str | None:
        chance = self.chances.get(role)
        if chance is None:
            return None
        held = chance(born)
        # a draw only when it is uncertain; the top ``held`` share of draws holds one
        if held <= 0 or (held < 1 and rng.random() < 1 - held):
            return None
        if self.next_serial is not None and role in SUBJECT.values():
            pid = self._build(sex, born, self.next_serial % SERIALS)
            self.next_serial += 1
            self.used.add(pid)
            return pid
        while True:
            pid = self._build(sex, born, rng.randint(0, SERIALS - 1))
            if pid not in self.used:
                self.used.add(pid)
                return pid

    @staticmethod
    def _build(sex: str, born: int, serial: int) -> str:
        return PersonalId.build(
            province_code=PROVINCE_CODE, sex=Sex(sex), birth_year=born, serial=serial
        ).value


class EntryFields:
    """The fields of birth, death and marriage entries registered in a year, in a commune.

    ``rng`` draws dates, ages and choices, ``names`` the people and villages, ``ids`` who holds
    a personal ID. The demo shares its own ``rng`` with this, so the order of the draws below is
    the demo's: changing it changes the demo.
    """

    def __init__(self, rng: random.Random, names: NameGenerator, ids: PersonalIds) -> None:
        self.rng = rng
        self.names = names
        self.ids = ids

    @classmethod
    def seeded(cls, seed: int, ids: PersonalIds | None = None) -> EntryFields:
        """Entries of their own seed (the demo's IDs unless ``ids`` is given)."""
        return cls(
            random.Random(f"hotich-entries/{seed}"),
            NameGenerator(seed),
            ids if ids is not None else PersonalIds(DEMO_ID_CHANCES),
        )

    def fields(self, kind: RecordKind, year: int, commune_name: str) -> dict[str, Any]:
        """An entry of ``kind`` registered in ``year`` in the commune (fields as keyed)."""
        place = f"{self.names.place_name()}, {commune_name}"
        day, month = self.rng.randint(1, 28), self.rng.randint(2, 12)
        common = {
            "registration_date": f"{day:02d}/{month:02d}/{year}",
            "registrar": self.names.person().full_name,
        }
        if kind is RecordKind.BIRTH:
            return {**common, **self._birth(year, place)}
        if kind is RecordKind.DEATH:
            return {**common, **self._death(year, place)}
        if kind is RecordKind.MARRIAGE:
            return {**common, **self._marriage(year, place)}
        raise ValueError(f"no generated entries of kind {kind.value!r}")

    def date(self, year: int, *, full_after: int = 1980) -> str:
        """A date of ``year``; before ``full_after`` books often give only the year or month."""
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        if year < full_after and self.rng.random() < 0.3:
            return str(year) if self.rng.random() < 0.5 else f"{month:02d}/{year}"
        return f"{day:02d}/{month:02d}/{year}"

    def person(self, role: str, person: SyntheticPerson, born: int, *, sex: bool) -> dict[str, Any]:
        """The fields of one person under ``role`` (the fields' prefix)."""
        fields: dict[str, Any] = {
            f"{role}.full_name": person.full_name,
            f"{role}.birth_date": self.date(born),
            f"{role}.ethnicity": person.ethnicity.name_vi,
            f"{role}.nationality": "Việt Nam",
        }
        if sex:
            fields[f"{role}.sex"] = person.sex
        self._personal_id(fields, role, person.sex, born)
        return fields

    def _personal_id(self, fields: dict[str, Any], role: str, sex: str, born: int) -> None:
        pid = self.ids.issue(self.rng, role, sex, born)
        if pid:
            fields[f"{role}.personal_id"] = pid

    def _birth(self, year: int, place: str) -> dict[str, Any]:
        father, mother = self.names.spouse_pair()
        child = self.names.child_of(father if self.rng.random() > 0.1 else None, mother)
        born = year - (0 if self.rng.random() < 0.8 else 1)  # registered late, at times
        day = self.rng.randint(1, 28)
        mother_born = born - self.rng.randint(18, 38)
        father_born = born - self.rng.randint(20, 45)
        fields: dict[str, Any] = {
            "child.full_name": child.full_name,
            "child.sex": child.sex,
            "child.birth_date": f"{day:02d}/01/{born}",
            "child.birth_place": place,
            "child.ethnicity": child.ethnicity.name_vi,
            "child.nationality": "Việt Nam",
            "mother.full_name": mother.full_name,
            "mother.birth_date": str(mother_born),
            "mother.ethnicity": mother.ethnicity.name_vi,
            "father.full_name": father.full_name,
            "father.birth_date": str(father_born),
            "declarant.full_name": father.full_name,
            "declarant.relationship": "cha",
        }
        self._personal_id(fields, "child", child.sex, born)
        self._personal_id(fields, "mother", FEMALE, mother_born)
        self._personal_id(fields, "father", MALE, father_born)
        return fields

    def _death(self, year: int, place: str) -> dict[str, Any]:
        deceased = self.names.person()
        fields = self.person("deceased", deceased, year - self.rng.randint(40, 90), sex=True)
        fields.update(
            {
                "deceased.residence": place,
                "death.date": f"{self.rng.randint(1, 28):02d}/01/{year}",
                "death.place": place,
                "death.cause": self.rng.choice(("Già yếu", "Bệnh", "Tai nạn")),
            }
        )
        return fields

    def _marriage(self, year: int, place: str) -> dict[str, Any]:
        husband, wife = self.names.spouse_pair()
        return {
            **self.person("husband", husband, year - self.rng.randint(20, 35), sex=False),
            **self.person("wife", wife, year - self.rng.randint(18, 30), sex=False),
            "husband.residence": place,
            "wife.residence": place,
        }
