"""Deterministic synthetic Vietnamese people and village names for demo data of Hà Giang
province, drawn ethnic group by ethnic group (demo/ethnic_groups.py: the groups, their naming
conventions and marriage customs).

The generator is deterministic: the same seed always yields the same sequence of people. It
never touches the global ``random`` state.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from demo.ethnic_groups import (
    CLAN_EXOGAMOUS,
    CONVENTIONS,
    DEFAULT_OUTMARRIAGE,
    ETHNICITIES,
    ETHNICITY_CUM_WEIGHTS,
    MIXED_MARRIAGE_RATE,
    MOTHERS_ETHNICITY_RATE,
    OUTMARRIAGE,
    Ethnicity,
    conventions_of,
    words,
)

__all__ = [
    "FEMALE",
    "MALE",
    "NameGenerator",
    "SyntheticPerson",
]

MALE = "male"
FEMALE = "female"
_SEXES = (MALE, FEMALE)


@dataclass(frozen=True)
class SyntheticPerson:
    """A generated person: the three parts of a Vietnamese name, sex and ethnicity."""

    family: str
    middle: str
    given: str
    sex: str
    ethnicity: Ethnicity

    @property
    def full_name(self) -> str:
        """Family, middle and given name separated by single spaces (middle may be empty)."""
        return " ".join(part for part in (self.family, self.middle, self.given) if part)


# Place names: Tày/Nùng and Mông-derived syllables that recur across Hà Giang's villages.
_PLACE_HEADS = words(
    "Nà Lũng Sủng Phìn Nậm Khau Pắc Tả Xín Cốc Phố Lao Thèn Pải Lùng Na Pác Cán Sà Má Thài Tân"
)
_PLACE_TAILS = words(
    "Lầu Cáo Cú Chải Phìn Hồ Tủng Thầu Ván Tám Pù Vai Dìn Lình Sán Mòn Khương Pục Chì Ty Péo "
    "Táo Đăm Lé Là Trà Dẩn Thàng Sư Mạ Cuổng Vạc Lủng"
)
_PLACE_SUFFIXES = words("Trên Dưới Trong Ngoài")
_PLACE_SUFFIX_RATE = 0.15


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _name_key(name: str) -> str:
    """A loose comparison key: lower case, tone and vowel marks dropped, "y" folded into "i".

    It deliberately over-matches (Hoa / Hòa, Quí / Quý, Thuỷ / Thủy / Thùy all collide); it is
    only used to avoid giving a child a name too close to a parent's.
    """
    decomposed = unicodedata.normalize("NFD", name.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("y", "i")


def _check_sex(sex: str) -> str:
    if sex not in _SEXES:
        raise ValueError(f"sex must be 'male' or 'female', not {sex!r}")
    return sex


class NameGenerator:
    """Deterministic generator of synthetic Hà Giang residents.

    All randomness comes from a private ``random.Random(seed)``, so two generators built with
    the same seed and asked the same questions produce the same people.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    # -- people -------------------------------------------------------------------------------

    def person(
        self,
        *,
        sex: str | None = None,
        ethnicity: Ethnicity | None = None,
        family: str | None = None,
    ) -> SyntheticPerson:
        """Draw one person; any of sex, ethnicity and family name may be fixed by the caller.

        When only the family name is given, the ethnicity is drawn among the groups that use
        that family name (weighted by population), so "Giàng" yields a Mông person.
        """
        chosen_sex = _check_sex(sex) if sex is not None else self._rng.choice(_SEXES)
        family_name = _nfc(family) if family is not None else None
        if family_name == "":
            raise ValueError("family name must not be empty")
        if ethnicity is None:
            ethnicity = self._ethnicity_for(family_name)
        conv = conventions_of(ethnicity)
        if family_name is None:
            family_name = self._draw(conv.families, conv.family_cum_weights)
        if chosen_sex == MALE:
            middle = self._draw(*conv.male_middles)
            given = self._rng.choice(conv.male_given)
        else:
            middle = self._draw(*conv.female_middles)
            given = self._rng.choice(conv.female_given)
        return SyntheticPerson(family_name, middle, given, chosen_sex, ethnicity)

    def spouse_pair(self) -> tuple[SyntheticPerson, SyntheticPerson]:
        """Draw a married couple: (husband, wife), usually of the same ethnic group."""
        husband = self.person(sex=MALE)
        wife_ethnicity = husband.ethnicity
        factor = OUTMARRIAGE.get(husband.ethnicity.code, DEFAULT_OUTMARRIAGE)
        if self._rng.random() < MIXED_MARRIAGE_RATE * factor:
            wife_ethnicity = self._other_ethnicity(husband.ethnicity)
        wife = self.person(sex=FEMALE, ethnicity=wife_ethnicity)
        # Clan exogamy: a Mông (or Dao, Lô Lô) woman does not marry a man of her own clan.
        if wife_ethnicity.code in CLAN_EXOGAMOUS:
            for _ in range(20):
                if wife.family != husband.family:
                    break
                wife = self.person(sex=FEMALE, ethnicity=wife_ethnicity)
        return husband, wife

    def child_of(
        self,
        father: SyntheticPerson | None,
        mother: SyntheticPerson,
        *,
        sex: str | None = None,
    ) -> SyntheticPerson:
        """Draw a child of the given parents.

        The child takes the father's family name when there is a father, else the mother's.
        The ethnicity follows the father's, except that a child of a mixed couple is sometimes
        registered with the mother's (parents may choose either under Vietnamese law).
        """
        if father is None:
            family, ethnicity = mother.family, mother.ethnicity
        else:
            family, ethnicity = father.family, father.ethnicity
            if mother.ethnicity != father.ethnicity and self._rng.random() < MOTHERS_ETHNICITY_RATE:
                ethnicity = mother.ethnicity
        parents = [mother] if father is None else [father, mother]
        parents_given = {_name_key(parent.given) for parent in parents}
        child = self.person(sex=sex, ethnicity=ethnicity, family=family)
        # Children are not named after a living parent (not even under a spelling variant such
        # as Quí / Quý); redraw a few times if that happens.
        for _ in range(10):
            if _name_key(child.given) not in parents_given:
                break
            child = self.person(sex=child.sex, ethnicity=ethnicity, family=family)
        return child

    # -- places -------------------------------------------------------------------------------

    def place_name(self) -> str:
        """A plausible village name such as "Thôn Nà Lầu" or "Bản Phố Cáo"."""
        kind = "Thôn" if self._rng.random() < 0.6 else "Bản"
        head = self._rng.choice(_PLACE_HEADS)
        tail = self._rng.choice(_PLACE_TAILS)
        while tail == head:
            tail = self._rng.choice(_PLACE_TAILS)
        parts = [kind, head, tail]
        if self._rng.random() < _PLACE_SUFFIX_RATE:
            parts.append(self._rng.choice(_PLACE_SUFFIXES))
        return " ".join(parts)

    # -- helpers ------------------------------------------------------------------------------

    def _draw(self, names: Sequence[str], cum_weights: Sequence[float]) -> str:
        return self._rng.choices(names, cum_weights=cum_weights)[0]

    def _ethnicity_for(self, family: str | None) -> Ethnicity:
        if family is not None:
            candidates = [e for e in ETHNICITIES if family in CONVENTIONS[e.code].families]
            if candidates:
                weights = [e.weight for e in candidates]
                return self._rng.choices(candidates, weights=weights)[0]
        return self._rng.choices(ETHNICITIES, cum_weights=ETHNICITY_CUM_WEIGHTS)[0]

    def _other_ethnicity(self, ethnicity: Ethnicity) -> Ethnicity:
        others = [e for e in ETHNICITIES if e.code != ethnicity.code]
        weights = [e.weight * OUTMARRIAGE.get(e.code, DEFAULT_OUTMARRIAGE) for e in others]
        return self._rng.choices(others, weights=weights)[0]
