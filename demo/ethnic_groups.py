"""Hà Giang's ethnic groups as the demo models them: their shares of the population, how each
names its people, and whom they marry.

Hà Giang is a mountainous border province whose population is mostly ethnic minorities, so a
demo built only from Kinh names ("Nguyễn Văn A") would look nothing like its real civil-status
books. Each group has its own family names, middle names and given names as they are written in
Vietnamese civil records (hộ tịch):

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
approximations, good enough for demo data and nothing more.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate


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

ETHNICITY_CUM_WEIGHTS: tuple[float, ...] = tuple(accumulate(e.weight for e in ETHNICITIES))


def words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated list of single-word names, normalised to NFC."""
    return tuple(unicodedata.normalize("NFC", word) for word in text.split())


# Middle names and their cumulative weights, for ``random.choices``.
Middles = tuple[tuple[str, ...], tuple[float, ...]]


def weighted(*pairs: tuple[str, float]) -> Middles:
    """Turn (name, weight) pairs into names and cumulative weights for ``random.choices``."""
    names = tuple(unicodedata.normalize("NFC", " ".join(name.split())) for name, _ in pairs)
    return names, tuple(accumulate(weight for _, weight in pairs))


def ranked(names: tuple[str, ...]) -> tuple[float, ...]:
    """Cumulative weights for a list ordered from most to least common family name.

    A harmonic (Zipf-like) distribution: in every group a few clans dominate, e.g. Nguyễn makes
    up roughly a third of Kinh people and Giàng / Sùng / Vàng a large part of the Mông.
    """
    return tuple(accumulate(1.0 / (rank + 1) for rank in range(len(names))))


# Middle names most groups use: Văn for men, Thị for women, occasionally none.
VAN = weighted(("Văn", 92.0), ("", 8.0))
THI = weighted(("Thị", 94.0), ("", 6.0))


@dataclass(frozen=True)
class Conventions:
    """How one ethnic group names its people."""

    families: tuple[str, ...]
    male_middles: Middles
    female_middles: Middles
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]

    @classmethod
    def of(
        cls,
        families: str,
        male_given: str,
        female_given: str,
        *,
        male_middles: Middles = VAN,
        female_middles: Middles = THI,
    ) -> Conventions:
        """A group's conventions from its names as text (Văn and Thị unless told otherwise)."""
        return cls(
            words(families), male_middles, female_middles, words(male_given), words(female_given)
        )

    @cached_property
    def family_cum_weights(self) -> tuple[float, ...]:
        return ranked(self.families)


# Each group: its family names (most common first), then male and female given names.
CONVENTIONS: dict[str, Conventions] = {
    "hmong": Conventions.of(
        "Giàng Sùng Vàng Thào Lầu Lý Vừ Ly Mua Hầu Hoàng Chảo Thò Hạng Tráng",
        "Pó Chúa Dình Sính Tủa Chơ Páo Lử Vư Sùng Phử Chẩu Sình Cáy Quáng Vảng Thề Lềnh Khai Sử",
        "Mỷ Mỹ Dế Súa Cở Sía Pà Dợ Chá Chở Dính Dua Vá Xí Mai Say Sò Chi",
        male_middles=weighted(
            ("Seo", 30.0), ("A", 22.0), ("Mí", 20.0), ("Văn", 12.0), ("Chứ", 8.0), ("", 8.0)
        ),
        female_middles=weighted(("Thị", 68.0), ("Mí", 26.0), ("", 6.0)),
    ),
    "dao": Conventions.of(
        "Triệu Bàn Đặng Lý Phùng Chảo Tẩn Lò Hoàng Phàn",
        "Chòi Quẩy Vần Tả Lở Pu Sử Chiêu Chỉ Kiềm Phin Sinh Chàn Mìn Sơn Thắng Minh",
        "Mẩy Chài Nải Lai Xuân Liên Siều Mai Dung Phấy Chiêm Nhàn Hoa Thoa Lìu",
        male_middles=weighted(
            ("Văn", 55.0), ("Tòn", 14.0), ("Láo", 14.0), ("Tài", 10.0), ("", 7.0)
        ),
        female_middles=weighted(("Thị", 62.0), ("Mùi", 22.0), ("Kiều", 10.0), ("", 6.0)),
    ),
    "tay": Conventions.of(
        "Nông Hoàng Nguyễn Ma Lường Mã Lục Vi Sầm Đinh Hà Lâm Lương Hứa Đàm Triệu",
        "Thài Phìn Pao Khuyến Tuyển Dũng Hùng Sơn Thắng Chiến Tiến Quang Khánh Lợi Thịnh "
        "Chung Ngân Hòa Hoà Quý Quí",
        "Diu Nhung Nhàn Thoa Hoa Huyền Mịn Nụ Nguyệt Dịu Lìu Mỵ Thủy Thuỷ Duyên Vân Hương "
        "Hạnh Thắm Hòa",
        male_middles=weighted(
            ("Văn", 78.0), ("Đức", 6.0), ("Quang", 5.0), ("Minh", 4.0), ("Xuân", 3.0), ("", 4.0)
        ),
        female_middles=weighted(
            ("Thị", 84.0), ("Thị Thu", 4.0), ("Thu", 4.0), ("Thanh", 4.0), ("", 4.0)
        ),
    ),
    "nung": Conventions.of(
        "Hoàng Nông Lù Sèn Lục Vi Lăng Mã Vương Hầu Đàm Chu Lý",
        "Sài Pủ Chẩn Lìn Sáng Phìn Hồng Tài Pao Thềnh Dìn Sinh Quân Minh Khải Hải Thắng",
        "Mai Lìu Dìu Nhung Ngân Hoa Hòa Hoà Xuân Thu Dung Phương Lan Hiền Chiêm",
    ),
    "kinh": Conventions.of(
        "Nguyễn Trần Lê Phạm Hoàng Vũ Đỗ Bùi Đặng Ngô Dương Đinh Phan Hà Lương Trịnh Đào",
        "Hùng Dũng Tuấn Hòa Hoà Nam Long Quân Sơn Thắng Hải Hiếu Trung Cường Đạt Khoa "
        "Phong Bình Toàn Thành Huy Việt Tùng Quý Quí Thụy Thuỵ",
        "Lan Hoa Hòa Hoà Thủy Thuỷ Hương Hà Mai Linh Trang Nga Yến Loan Huyền Thảo Ngân "
        "Phượng Hạnh Hằng Thúy Thuý Nhung Oanh Quỳnh Uyên Thùy Thuỳ",
        male_middles=weighted(
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
        female_middles=weighted(
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
    ),
    "giay": Conventions.of(
        "Hoàng Lù Vương Sần Lò Lương Sầm Lục Hà",
        "Sênh Thềnh Pao Sỉ Phìn Chẩn Lìn Sáng Dền Tài Phúc Lợi Hòa Hoà Quân",
        "Xuân Mai Dung Lìu Sen Dịu Chiêm Nga Hoa Thương Nhàn Thoa",
    ),
    "lo_lo": Conventions.of(
        "Lò Sình Vàng Lù Chúng Mã Cháng Sìn",
        "Gai Páo Pứ Chu Sì Dỉ Già Sán Lừ Thìn Vư Dình Chở",
        "Mỷ Sính Pà Mai Dế Chi Pầu Sò Dua Dí Sía Xuân",
        male_middles=weighted(("Văn", 70.0), ("", 30.0)),
        female_middles=weighted(("Thị", 80.0), ("", 20.0)),
    ),
    "pa_then": Conventions.of(
        "Phàn Tằng Sìn Liêu Hoàng Lý Đặng Dương Vương Lương",
        "Hoàn Tuyển Sinh Vần Thành Dùng Tiến Hải Chung Phúc Lợi Đức Mạnh",
        "Mai Hoa Xuân Dung Liên Nhàn Phương Thu Thủy Thuỷ Lan Hạnh Yến",
    ),
    "la_chi": Conventions.of(
        "Hoàng Vương Lù Ly Cháng Lò Sần Vàng",
        "Thàng Tỉnh Sinh Páo Chấn Phìn Sáng Thuận Dũng Vần Quang Chúng Pao",
        "Tuy Mai Xuân Dung Ngân Lìu Sen Diu Chiêm Hoa Hòa Hoà",
    ),
    "phu_la": Conventions.of(
        "Vàng Lý Giàng Thào Hoàng Má Chảo Tráng Phàn",
        "Thạch Chu Sính Páo Sài Dìn Lử Cháng Chơ Tủa Phin Sơn",
        "Mai Mỷ Dung Sía Chá Pà Xuân Liên Dính Súa Hoa Lan",
        male_middles=weighted(("Văn", 60.0), ("Seo", 20.0), ("A", 12.0), ("", 8.0)),
        female_middles=weighted(("Thị", 90.0), ("", 10.0)),
    ),
    "bo_y": Conventions.of(
        "Lù Lừu Sèn Sình Hoàng Vương Lương Mạc",
        "Hồng Chẩn Thềnh Dìn Pao Sáng Vần Thanh Quang Dũng Hòa Hoà Sinh",
        "Mai Xuân Nhung Dung Thoa Liên Sen Lìu Hoa Nhàn Thu Hiền",
    ),
}

# How willing each group is to marry outside itself, relative to the others. The Mông rarely
# marry out; Tày, Nùng, Kinh and Giáy intermarry comparatively often in the valley towns.
OUTMARRIAGE: dict[str, float] = {
    "hmong": 0.15,
    "dao": 0.5,
    "lo_lo": 0.4,
    "pa_then": 0.6,
    "la_chi": 0.6,
    "phu_la": 0.6,
    "bo_y": 0.6,
}
DEFAULT_OUTMARRIAGE = 1.0
# Probability that a husband's wife belongs to a different ethnic group, before the factor above.
MIXED_MARRIAGE_RATE = 0.15
# Groups that forbid marriage inside the same clan, i.e. between people of one family name.
CLAN_EXOGAMOUS = frozenset({"hmong", "dao", "lo_lo"})
# Probability that a child of a mixed couple is registered with the mother's ethnicity.
MOTHERS_ETHNICITY_RATE = 0.2


def conventions_of(ethnicity: Ethnicity) -> Conventions:
    try:
        return CONVENTIONS[ethnicity.code]
    except KeyError:
        raise ValueError(f"unknown ethnicity code: {ethnicity.code!r}") from None
