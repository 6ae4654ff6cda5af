"""Deterministic synthetic Vietnamese people for demo data of Hà Giang province.

Hà Giang is a mountainous border province whose population is mostly ethnic minorities, so a
demo built only from Kinh names ("Nguyễn Văn A") would look nothing like its real civil-status
books. This module draws people ethnicity by ethnicity, each group with its own family names,
middle names and given names as they are written in Vietnamese civil records (hộ tịch):

* Mông: clan family names (Giàng, Sùng, Vàng, Thào...), male middle names Seo / A / Mí / Chứ,
  women mostly recorded with "Thị" or "Mí", and short given names (Pó, Chúa, Mỷ, Dế...).
* Dao: family names Triệu, Bàn, Đặng...; besides Văn / Thị, generation and gender markers such
  as Tòn / Láo (men) and Mùi / Kiều (women).
* Tày, Nùng, Giáy and most smaller groups: Văn for men and Thị for women, with a mix of
  traditional given names (Thài, Phìn, Diu...) and names shared with the Kinh.
* Kinh: the familiar Nguyễn / Trần / Lê families, richer middle names, sometimes two of them.

Names are written the way civil records write them: without the apostrophe some other sources
use ("Mông" rather than "H'Mông"), and with both spellings of names whose tone mark placement
varies between old and new orthography ("Hòa" / "Hoà", "Thủy" / "Thuỷ"), because real records
contain both. Every string is stored in Unicode NFC.

The lists for the very small groups (Lô Lô, Pà Thẻn, La Chí, Phù Lá, Bố Y) are plausible
approximations, good enough for demo data and nothing more. The generator is deterministic:
the same seed always yields the same sequence of people. It never touches the global ``random``
state.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

__all__ = [
    "ETHNICITIES",
    "Ethnicity",
    "NameGenerator",
    "SyntheticPerson",
]

MALE = "male"
FEMALE = "female"
_SEXES = (MALE, FEMALE)


@dataclass(frozen=True)
class Ethnicity:
    """An ethnic group and its approximate share of Hà Giang's population."""

    code: str
    name_vi: str
    weight: float


# Approximate shares of Hà Giang's population (2019 census order of magnitude). They do not sum
# to one: the remaining ~1% belong to groups not modelled here (Cờ Lao, Pu Péo, Hoa...). The
# generator treats the weights as relative.
ETHNICITIES: tuple[Ethnicity, ...] = (
    Ethnicity("hmong", "Mông", 0.320),
    Ethnicity("tay", "Tày", 0.233),
    Ethnicity("dao", "Dao", 0.151),
    Ethnicity("kinh", "Kinh", 0.128),
    Ethnicity("nung", "Nùng", 0.099),
    Ethnicity("giay", "Giáy", 0.021),
    Ethnicity("la_chi", "La Chí", 0.016),
    Ethnicity("pa_then", "Pà Thẻn", 0.008),
    Ethnicity("phu_la", "Phù Lá", 0.005),
    Ethnicity("lo_lo", "Lô Lô", 0.004),
    Ethnicity("bo_y", "Bố Y", 0.003),
)

_ETHNICITY_BY_CODE: dict[str, Ethnicity] = {e.code: e for e in ETHNICITIES}
_ETHNICITY_CUM_WEIGHTS: tuple[float, ...] = tuple(accumulate(e.weight for e in ETHNICITIES))


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


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated list of single-word names, normalised to NFC."""
    return tuple(unicodedata.normalize("NFC", word) for word in text.split())


def _weighted(*pairs: tuple[str, float]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Turn (name, weight) pairs into names and cumulative weights for ``random.choices``."""
    names = tuple(unicodedata.normalize("NFC", " ".join(name.split())) for name, _ in pairs)
    return names, tuple(accumulate(weight for _, weight in pairs))


def _ranked(names: tuple[str, ...]) -> tuple[float, ...]:
    """Cumulative weights for a list ordered from most to least common family name.

    A harmonic (Zipf-like) distribution: in every group a few clans dominate, e.g. Nguyễn makes
    up roughly a third of Kinh people and Giàng / Sùng / Vàng a large part of the Mông.
    """
    return tuple(accumulate(1.0 / (rank + 1) for rank in range(len(names))))


@dataclass(frozen=True)
class _Conventions:
    """How one ethnic group names its people."""

    families: tuple[str, ...]
    male_middles: tuple[tuple[str, ...], tuple[float, ...]]
    female_middles: tuple[tuple[str, ...], tuple[float, ...]]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]

    @cached_property
    def family_cum_weights(self) -> tuple[float, ...]:
        return _ranked(self.families)


# Middle names most groups use: Văn for men, Thị for women, occasionally none.
_VAN = _weighted(("Văn", 92.0), ("", 8.0))
_THI = _weighted(("Thị", 94.0), ("", 6.0))

_CONVENTIONS: dict[str, _Conventions] = {
    "hmong": _Conventions(
        families=_words("Giàng Sùng Vàng Thào Lầu Lý Vừ Ly Mua Hầu Hoàng Chảo Thò Hạng Tráng"),
        male_middles=_weighted(
            ("Seo", 30.0), ("A", 22.0), ("Mí", 20.0), ("Văn", 12.0), ("Chứ", 8.0), ("", 8.0)
        ),
        female_middles=_weighted(("Thị", 68.0), ("Mí", 26.0), ("", 6.0)),
        male_given=_words(
            "Pó Chúa Dình Sính Tủa Chơ Páo Lử Vư Sùng Phử Chẩu Sình Cáy Quáng Vảng Thề Lềnh Khai Sử"
        ),
        female_given=_words("Mỷ Mỹ Dế Súa Cở Sía Pà Dợ Chá Chở Dính Dua Vá Xí Mai Say Sò Chi"),
    ),
    "dao": _Conventions(
        families=_words("Triệu Bàn Đặng Lý Phùng Chảo Tẩn Lò Hoàng Phàn"),
        male_middles=_weighted(
            ("Văn", 55.0), ("Tòn", 14.0), ("Láo", 14.0), ("Tài", 10.0), ("", 7.0)
        ),
        female_middles=_weighted(("Thị", 62.0), ("Mùi", 22.0), ("Kiều", 10.0), ("", 6.0)),
        male_given=_words(
            "Chòi Quẩy Vần Tả Lở Pu Sử Chiêu Chỉ Kiềm Phin Sinh Chàn Mìn Sơn Thắng Minh"
        ),
        female_given=_words(
            "Mẩy Chài Nải Lai Xuân Liên Siều Mai Dung Phấy Chiêm Nhàn Hoa Thoa Lìu"
        ),
    ),
    "tay": _Conventions(
        families=_words("Nông Hoàng Nguyễn Ma Lường Mã Lục Vi Sầm Đinh Hà Lâm Lương Hứa Đàm Triệu"),
        male_middles=_weighted(
            ("Văn", 78.0), ("Đức", 6.0), ("Quang", 5.0), ("Minh", 4.0), ("Xuân", 3.0), ("", 4.0)
        ),
        female_middles=_weighted(
            ("Thị", 84.0), ("Thị Thu", 4.0), ("Thu", 4.0), ("Thanh", 4.0), ("", 4.0)
        ),
        male_given=_words(
            "Thài Phìn Pao Khuyến Tuyển Dũng Hùng Sơn Thắng Chiến Tiến Quang Khánh Lợi Thịnh "
            "Chung Ngân Hòa Hoà Quý Quí"
        ),
        female_given=_words(
            "Diu Nhung Nhàn Thoa Hoa Huyền Mịn Nụ Nguyệt Dịu Lìu Mỵ Thủy Thuỷ Duyên Vân Hương "
            "Hạnh Thắm Hòa"
        ),
    ),
    "nung": _Conventions(
        families=_words("Hoàng Nông Lù Sèn Lục Vi Lăng Mã Vương Hầu Đàm Chu Lý"),
        male_middles=_VAN,
        female_middles=_THI,
        male_given=_words(
            "Sài Pủ Chẩn Lìn Sáng Phìn Hồng Tài Pao Thềnh Dìn Sinh Quân Minh Khải Hải Thắng"
        ),
        female_given=_words(
            "Mai Lìu Dìu Nhung Ngân Hoa Hòa Hoà Xuân Thu Dung Phương Lan Hiền Chiêm"
        ),
    ),
    "kinh": _Conventions(
        families=_words(
            "Nguyễn Trần Lê Phạm Hoàng Vũ Đỗ Bùi Đặng Ngô Dương Đinh Phan Hà Lương Trịnh Đào"
        ),
        male_middles=_weighted(
            ("Văn", 34.0),
            ("Đức", 14.0),
            ("Minh", 12.0),
            ("Quang", 9.0),
            ("Hữu", 8.0),
            ("Xuân", 6.0),
            ("Ngọc", 5.0),
            ("Mạnh", 4.0),
            ("Thanh", 4.0),
            ("Công", 4.0),
        ),
        female_middles=_weighted(
            ("Thị", 44.0),
            ("Thu", 10.0),
            ("Ngọc", 9.0),
            ("Thanh", 7.0),
            ("Minh", 5.0),
            ("Hồng", 5.0),
            ("Phương", 4.0),
            ("Kim", 4.0),
            ("Thị Thu", 4.0),
            ("Thị Thanh", 3.0),
            ("Thị Ngọc", 3.0),
            ("Thị Kim", 2.0),
        ),
        male_given=_words(
            "Hùng Dũng Tuấn Hòa Hoà Nam Long Quân Sơn Thắng Hải Hiếu Trung Cường Đạt Khoa "
            "Phong Bình Toàn Thành Huy Việt Tùng Quý Quí Thụy Thuỵ"
        ),
        female_given=_words(
            "Lan Hoa Hòa Hoà Thủy Thuỷ Hương Hà Mai Linh Trang Nga Yến Loan Huyền Thảo Ngân "
            "Phượng Hạnh Hằng Thúy Thuý Nhung Oanh Quỳnh Uyên Thùy Thuỳ"
        ),
    ),
    "giay": _Conventions(
        families=_words("Hoàng Lù Vương Sần Lò Lương Sầm Lục Hà"),
        male_middles=_VAN,
        female_middles=_THI,
        male_given=_words("Sênh Thềnh Pao Sỉ Phìn Chẩn Lìn Sáng Dền Tài Phúc Lợi Hòa Hoà Quân"),
        female_given=_words("Xuân Mai Dung Lìu Sen Dịu Chiêm Nga Hoa Thương Nhàn Thoa"),
    ),
    "lo_lo": _Conventions(
        families=_words("Lò Sình Vàng Lù Chúng Mã Cháng Sìn"),
        male_middles=_weighted(("Văn", 70.0), ("", 30.0)),
        female_middles=_weighted(("Thị", 80.0), ("", 20.0)),
        male_given=_words("Gai Páo Pứ Chu Sì Dỉ Già Sán Lừ Thìn Vư Dình Chở"),
        female_given=_words("Mỷ Sính Pà Mai Dế Chi Pầu Sò Dua Dí Sía Xuân"),
    ),
    "pa_then": _Conventions(
        families=_words("Phàn Tằng Sìn Liêu Hoàng Lý Đặng Dương Vương Lương"),
        male_middles=_VAN,
        female_middles=_THI,
        male_given=_words("Hoàn Tuyển Sinh Vần Thành Dùng Tiến Hải Chung Phúc Lợi Đức Mạnh"),
        female_given=_words("Mai Hoa Xuân Dung Liên Nhàn Phương Thu Thủy Thuỷ Lan Hạnh Yến"),
    ),
    "la_chi": _Conventions(
        families=_words("Hoàng Vương Lù Ly Cháng Lò Sần Vàng"),
        male_middles=_VAN,
        female_middles=_THI,
        male_given=_words("Thàng Tỉnh Sinh Páo Chấn Phìn Sáng Thuận Dũng Vần Quang Chúng Pao"),
        female_given=_words("Tuy Mai Xuân Dung Ngân Lìu Sen Diu Chiêm Hoa Hòa Hoà"),
    ),
    "phu_la": _Conventions(
        families=_words("Vàng Lý Giàng Thào Hoàng Má Chảo Tráng Phàn"),
        male_middles=_weighted(("Văn", 60.0), ("Seo", 20.0), ("A", 12.0), ("", 8.0)),
        female_middles=_weighted(("Thị", 90.0), ("", 10.0)),
        male_given=_words("Thạch Chu Sính Páo Sài Dìn Lử Cháng Chơ Tủa Phin Sơn"),
        female_given=_words("Mai Mỷ Dung Sía Chá Pà Xuân Liên Dính Súa Hoa Lan"),
    ),
    "bo_y": _Conventions(
        families=_words("Lù Lừu Sèn Sình Hoàng Vương Lương Mạc"),
        male_middles=_VAN,
        female_middles=_THI,
        male_given=_words("Hồng Chẩn Thềnh Dìn Pao Sáng Vần Thanh Quang Dũng Hòa Hoà Sinh"),
        female_given=_words("Mai Xuân Nhung Dung Thoa Liên Sen Lìu Hoa Nhàn Thu Hiền"),
    ),
}

# How willing each group is to marry outside itself, relative to the others. The Mông rarely
# marry out; Tày, Nùng, Kinh and Giáy intermarry comparatively often in the valley towns.
_OUTMARRIAGE: dict[str, float] = {
    "hmong": 0.15,
    "dao": 0.5,
    "lo_lo": 0.4,
    "pa_then": 0.6,
    "la_chi": 0.6,
    "phu_la": 0.6,
    "bo_y": 0.6,
}
_DEFAULT_OUTMARRIAGE = 1.0
# Probability that a husband's wife belongs to a different ethnic group, before the factor above.
_MIXED_MARRIAGE_RATE = 0.15
# Groups that forbid marriage inside the same clan, i.e. between people of one family name.
_CLAN_EXOGAMOUS = frozenset({"hmong", "dao", "lo_lo"})
# Probability that a child of a mixed couple is registered with the mother's ethnicity.
_MOTHERS_ETHNICITY_RATE = 0.2

# Place names: Tày/Nùng and Mông-derived syllables that recur across Hà Giang's villages.
_PLACE_HEADS = _words(
    "Nà Lũng Sủng Phìn Nậm Khau Pắc Tả Xín Cốc Phố Lao Thèn Pải Lùng Na Pác Cán Sà Má Thài Tân"
)
_PLACE_TAILS = _words(
    "Lầu Cáo Cú Chải Phìn Hồ Tủng Thầu Ván Tám Pù Vai Dìn Lình Sán Mòn Khương Pục Chì Ty Péo "
    "Táo Đăm Lé Là Trà Dẩn Thàng Sư Mạ Cuổng Vạc Lủng"
)
_PLACE_SUFFIXES = _words("Trên Dưới Trong Ngoài")
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


def _conventions(ethnicity: Ethnicity) -> _Conventions:
    try:
        return _CONVENTIONS[ethnicity.code]
    except KeyError:
        raise ValueError(f"unknown ethnicity code: {ethnicity.code!r}") from None


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
        conv = _conventions(ethnicity)
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
        factor = _OUTMARRIAGE.get(husband.ethnicity.code, _DEFAULT_OUTMARRIAGE)
        if self._rng.random() < _MIXED_MARRIAGE_RATE * factor:
            wife_ethnicity = self._other_ethnicity(husband.ethnicity)
        wife = self.person(sex=FEMALE, ethnicity=wife_ethnicity)
        # Clan exogamy: a Mông (or Dao, Lô Lô) woman does not marry a man of her own clan.
        if wife_ethnicity.code in _CLAN_EXOGAMOUS:
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
            if (
                mother.ethnicity != father.ethnicity
                and self._rng.random() < _MOTHERS_ETHNICITY_RATE
            ):
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
            candidates = [e for e in ETHNICITIES if family in _CONVENTIONS[e.code].families]
            if candidates:
                weights = [e.weight for e in candidates]
                return self._rng.choices(candidates, weights=weights)[0]
        return self._rng.choices(ETHNICITIES, cum_weights=_ETHNICITY_CUM_WEIGHTS)[0]

    def _other_ethnicity(self, ethnicity: Ethnicity) -> Ethnicity:
        others = [e for e in ETHNICITIES if e.code != ethnicity.code]
        weights = [e.weight * _OUTMARRIAGE.get(e.code, _DEFAULT_OUTMARRIAGE) for e in others]
        return self._rng.choices(others, weights=weights)[0]
