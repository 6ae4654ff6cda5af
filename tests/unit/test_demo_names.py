"""Tests for the synthetic Hà Giang names and entries the demo, the benchmarks and tests draw."""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections import Counter

import pytest

from demo.entries import DEMO_ID_CHANCES, SUBJECT, EntryFields, PersonalIds
from demo.ethnic_groups import ETHNICITIES, Ethnicity
from demo.names import NameGenerator, SyntheticPerson
from domain.entry_fields import validate_fields
from domain.record_kind import RecordKind

SAMPLE = 2_000

# Middle names only ever given to men, in any group.
MALE_ONLY_MIDDLES = {"Seo", "A", "Chứ", "Văn", "Tòn", "Láo"}
# Middle names only ever given to women, in any group.
FEMALE_ONLY_MIDDLES = {"Thị", "Mùi", "Kiều"}


def _ethnicity(code: str) -> Ethnicity:
    return next(e for e in ETHNICITIES if e.code == code)


def _sample(seed: int = 2024, n: int = SAMPLE) -> list[SyntheticPerson]:
    generator = NameGenerator(seed)
    return [generator.person() for _ in range(n)]


def _is_clean(text: str) -> bool:
    """NFC, only letters and single spaces, no leading or trailing space."""
    return (
        unicodedata.is_normalized("NFC", text)
        and text == " ".join(text.split())
        and all(ch.isalpha() or ch == " " for ch in text)
    )


def test_ethnicities_cover_ha_giang_groups() -> None:
    names = {e.name_vi for e in ETHNICITIES}
    expected = {"Mông", "Tày", "Dao", "Kinh", "Nùng", "Giáy", "Lô Lô", "Pà Thẻn", "La Chí"}
    assert expected | {"Phù Lá", "Bố Y"} <= names
    assert len({e.code for e in ETHNICITIES}) == len(ETHNICITIES)
    assert all(e.weight > 0 for e in ETHNICITIES)
    assert max(ETHNICITIES, key=lambda e: e.weight).code == "hmong"
    assert all(unicodedata.is_normalized("NFC", e.name_vi) for e in ETHNICITIES)


def test_same_seed_same_people() -> None:
    first, second = NameGenerator(42), NameGenerator(42)
    for _ in range(200):
        assert first.person() == second.person()
        assert first.spouse_pair() == second.spouse_pair()
        assert first.place_name() == second.place_name()


def test_different_seeds_differ() -> None:
    assert _sample(seed=1, n=50) != _sample(seed=2, n=50)


def test_does_not_touch_global_random() -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    _sample(n=100)
    assert random.random() == expected


def test_every_ethnicity_appears_and_mong_share_is_realistic() -> None:
    counts = Counter(p.ethnicity.code for p in _sample())
    assert set(counts) == {e.code for e in ETHNICITIES}
    assert 0.25 <= counts["hmong"] / SAMPLE <= 0.40
    assert counts["tay"] > counts["kinh"] > counts["bo_y"]


def test_both_sexes_appear() -> None:
    sexes = Counter(p.sex for p in _sample())
    assert set(sexes) == {"male", "female"}
    assert 0.4 <= sexes["male"] / SAMPLE <= 0.6


def test_names_are_nfc_letters_and_spaces() -> None:
    generator = NameGenerator(7)
    people = _sample()
    for _ in range(300):
        husband, wife = generator.spouse_pair()
        people += [husband, wife, generator.child_of(husband, wife)]
    for person in people:
        assert _is_clean(person.full_name), person
        for part in (person.family, person.given):
            assert part
            assert _is_clean(part), person
        assert person.middle == "" or _is_clean(person.middle), person


def test_full_name_joins_parts_with_single_spaces() -> None:
    person = SyntheticPerson("Giàng", "Seo", "Pó", "male", _ethnicity("hmong"))
    assert person.full_name == "Giàng Seo Pó"
    no_middle = dataclasses.replace(person, middle="")
    assert no_middle.full_name == "Giàng Pó"


def test_spelling_variants_are_both_present() -> None:
    given = {p.given for p in _sample(n=10_000)}
    assert {"Hòa", "Hoà"} <= given
    assert {"Thủy", "Thuỷ"} <= given


def test_middle_names_respect_sex() -> None:
    for person in _sample():
        if person.sex == "female":
            assert person.middle not in MALE_ONLY_MIDDLES, person
        else:
            assert person.middle.split()[:1] != ["Thị"], person
            assert person.middle not in FEMALE_ONLY_MIDDLES, person


def test_female_mong_never_get_male_middle_names() -> None:
    generator = NameGenerator(5)
    hmong = _ethnicity("hmong")
    women = [generator.person(sex="female", ethnicity=hmong) for _ in range(1_000)]
    assert all(w.middle not in {"Seo", "A", "Chứ", "Văn"} for w in women)
    assert {w.middle for w in women} >= {"Thị", "Mí"}


def test_fixed_arguments_are_respected() -> None:
    generator = NameGenerator(3)
    dao = _ethnicity("dao")
    person = generator.person(sex="female", ethnicity=dao, family="Triệu")
    assert (person.sex, person.ethnicity, person.family) == ("female", dao, "Triệu")


def test_family_name_alone_implies_a_group_that_uses_it() -> None:
    generator = NameGenerator(11)
    assert all(
        generator.person(family="Giàng").ethnicity.code in {"hmong", "phu_la"} for _ in range(50)
    )


def test_family_name_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Giàng")
    person = NameGenerator(0).person(family=decomposed)
    assert person.family == "Giàng"
    assert unicodedata.is_normalized("NFC", person.family)


def test_invalid_sex_is_rejected() -> None:
    with pytest.raises(ValueError, match="sex"):
        NameGenerator(0).person(sex="m")


def test_unknown_ethnicity_is_rejected() -> None:
    with pytest.raises(ValueError, match="ethnicity"):
        NameGenerator(0).person(ethnicity=Ethnicity("martian", "Sao Hỏa", 0.1))


def test_spouse_pair_is_husband_and_wife_mostly_same_ethnicity() -> None:
    generator = NameGenerator(8)
    pairs = [generator.spouse_pair() for _ in range(1_000)]
    assert all(h.sex == "male" and w.sex == "female" for h, w in pairs)
    same = sum(h.ethnicity == w.ethnicity for h, w in pairs)
    assert 0.75 * len(pairs) <= same < len(pairs)  # usually, but not always


def test_mong_couples_are_from_different_clans() -> None:
    generator = NameGenerator(9)
    pairs = [generator.spouse_pair() for _ in range(1_000)]
    mong = [(h, w) for h, w in pairs if h.ethnicity.code == w.ethnicity.code == "hmong"]
    assert mong
    assert all(h.family != w.family for h, w in mong)


def test_child_takes_fathers_family_name() -> None:
    generator = NameGenerator(12)
    for _ in range(300):
        father, mother = generator.spouse_pair()
        child = generator.child_of(father, mother)
        assert child.family == father.family
        assert child.ethnicity in {father.ethnicity, mother.ethnicity}


def test_child_without_father_takes_mothers_family_name() -> None:
    generator = NameGenerator(13)
    for _ in range(300):
        mother = generator.person(sex="female")
        child = generator.child_of(None, mother)
        assert child.family == mother.family
        assert child.ethnicity == mother.ethnicity


def test_child_sex_can_be_fixed() -> None:
    generator = NameGenerator(14)
    father, mother = generator.spouse_pair()
    assert generator.child_of(father, mother, sex="female").sex == "female"
    assert generator.child_of(father, mother, sex="male").sex == "male"


def test_place_names_look_like_villages() -> None:
    generator = NameGenerator(15)
    places = [generator.place_name() for _ in range(500)]
    assert all(_is_clean(place) for place in places)
    assert all(place.split()[0] in {"Thôn", "Bản"} for place in places)
    assert all(len(place.split()) >= 3 for place in places)
    assert len(set(places)) > 100


KINDS = (RecordKind.BIRTH, RecordKind.DEATH, RecordKind.MARRIAGE)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_entries_are_valid(kind: RecordKind) -> None:
    everyone = PersonalIds({role: lambda born: 0.5 for role in ("child", "mother", "father")})
    entries = EntryFields.seeded(16, everyone)
    for _ in range(300):
        year = entries.rng.randint(1950, 2024)
        fields = entries.fields(kind, year, "Xã Má Lé")
        validate_fields(kind, fields)  # names, dates and personal IDs against sex and year
        assert fields[f"{SUBJECT[kind]}.full_name"]
        assert fields["registration_date"].endswith(str(year))


def test_same_seed_same_entries() -> None:
    first, second = EntryFields.seeded(17), EntryFields.seeded(17)
    for kind in KINDS * 50:
        assert first.fields(kind, 1999, "Xã Má Lé") == second.fields(kind, 1999, "Xã Má Lé")


def test_demo_gives_personal_ids_to_children_only() -> None:
    entries = EntryFields.seeded(18, PersonalIds(DEMO_ID_CHANCES))
    births = [entries.fields(RecordKind.BIRTH, 2010, "Xã Má Lé") for _ in range(50)]
    others = [entries.fields(kind, 2010, "Xã Má Lé") for kind in KINDS[1:] * 50]
    assert all("child.personal_id" in f for f in births)  # born in 2009 or 2010
    ids = {k for f in births + others for k in f if k.endswith("personal_id")}
    assert ids == {"child.personal_id"}


def test_numbered_subjects_never_share_a_personal_id() -> None:
    always = {"child": lambda born: 1.0, "mother": lambda born: 1.0}
    ids: list[str] = []
    for book in range(3):
        entries = EntryFields.seeded(book, PersonalIds(always, numbered_from=book * 100))
        for _ in range(100):
            fields = entries.fields(RecordKind.BIRTH, 2001, "Xã Má Lé")
            ids.append(fields["child.personal_id"])
            assert fields["mother.personal_id"] != fields["child.personal_id"]
    assert len(set(ids)) == len(ids) == 300
