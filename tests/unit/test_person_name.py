"""Personal names: stored as written (NFC), searched by fold(), matched by accent_key()."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.person_name import PersonName, accent_key, fold


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# Test oracle, independent of the module: every Vietnamese letter with diacritics and its
# bare letter.
_VIETNAMESE_VARIANTS = {
    "a": "àáảãạăằắẳẵặâầấẩẫậ",
    "e": "èéẻẽẹêềếểễệ",
    "i": "ìíỉĩị",
    "o": "òóỏõọôồốổỗộơờớởỡợ",
    "u": "ùúủũụưừứửữự",
    "y": "ỳýỷỹỵ",
    "d": "đ",
}
STRIP_DIACRITICS = str.maketrans(
    {
        **{v: base for base, vs in _VIETNAMESE_VARIANTS.items() for v in vs},
        **{v.upper(): base.upper() for base, vs in _VIETNAMESE_VARIANTS.items() for v in vs},
    }
)
VIETNAMESE_LETTERS = "abcdefghiklmnopqrstuvxy" + "".join(_VIETNAMESE_VARIANTS.values())
VIETNAMESE_LETTERS += VIETNAMESE_LETTERS.upper()

words = st.text(alphabet=VIETNAMESE_LETTERS, min_size=1, max_size=7)
vietnamese_names = st.lists(words, min_size=1, max_size=5).map(" ".join)


# ----- fold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "Nguyễn Văn A",
        "NGUYEN VAN A",
        "nguyen van a",
        "NGUYỄN  VĂN   A ",
        "\tNguyễn Văn\nA",
    ],
)
def test_fold_makes_spelling_variants_one_search_key(variant: str) -> None:
    assert fold(variant) == "nguyen van a"
    assert fold(nfd(variant)) == "nguyen van a"


def test_fold_turns_d_with_stroke_into_d() -> None:
    assert fold("Đặng Đình Đức") == "dang dinh duc"
    assert fold("ĐẶNG") == fold("đặng") == "dang"


def test_fold_ignores_tone_mark_placement() -> None:
    assert fold("Thuận Hoà") == fold("Thuận Hòa") == "thuan hoa"
    assert fold("Thuỷ") == fold("Thủy")


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u2018", "\u02bc", "`", "\u00b4"])
def test_fold_unifies_apostrophe_variants(apostrophe: str) -> None:
    assert fold(f"H{apostrophe}Mông") == "h'mong"


def test_fold_keeps_different_letters_apart() -> None:
    assert fold("Nguyễn Văn An") != fold("Nguyễn Văn Anh")
    assert fold("Lê") != fold("Lệ Thu")


# ----- accent_key --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("hòa", "hoà"),
        ("Hòa", "Hoà"),
        ("khỏe", "khoẻ"),
        ("thủy", "thuỷ"),
        ("Thúy", "Thuý"),
        ("Lũy", "Luỹ"),
        ("Thuận Hòa", "Thuận Hoà"),
    ],
)
def test_accent_key_ignores_tone_placement_in_oa_oe_uy(old_style: str, new_style: str) -> None:
    assert accent_key(old_style) == accent_key(new_style)
    assert accent_key(nfd(old_style)) == accent_key(new_style)
    assert accent_key(old_style) == nfc(new_style.lower())
    assert unicodedata.is_normalized("NFC", accent_key(old_style))


def test_accent_key_keeps_diacritics() -> None:
    assert accent_key("Nguyễn") == "nguyễn"
    assert accent_key("Nguyễn") != accent_key("Nguyên")
    assert accent_key("Hòa") != accent_key("Hoa")
    assert accent_key("Đức") != accent_key("Dức")


def test_accent_key_leaves_correctly_placed_tones_alone() -> None:
    assert accent_key("Hoàng") == "hoàng"
    assert accent_key("Quý") == "quý"
    assert accent_key("Nguyễn Tuyết") == "nguyễn tuyết"
    assert accent_key("ngoài") == "ngoài"


def test_accent_key_ignores_case_and_spacing() -> None:
    assert accent_key("  NGUYỄN   Thị HÒA ") == accent_key("nguyễn thị hoà")


# ----- PersonName --------------------------------------------------------------------------


def test_parse_splits_family_middle_and_given_names() -> None:
    name = PersonName.parse("Nguyễn Thị Minh Khai")
    assert name.family == "Nguyễn"
    assert name.middle == "Thị Minh"
    assert name.given == "Khai"
    assert str(name) == "Nguyễn Thị Minh Khai"


def test_two_word_name_has_empty_middle() -> None:
    name = PersonName.parse("Lò Pả")
    assert (name.family, name.middle, name.given) == ("Lò", "", "Pả")


def test_single_word_name_is_both_family_and_given() -> None:
    name = PersonName.parse("Sùng")
    assert (name.family, name.middle, name.given) == ("Sùng", "", "Sùng")


def test_parse_stores_nfc_with_whitespace_collapsed() -> None:
    name = PersonName.parse(nfd("  Nguyễn \t Văn\u00a0 Hoà  "))
    assert name.full == nfc("Nguyễn Văn Hoà")
    assert unicodedata.is_normalized("NFC", name.full)


@pytest.mark.parametrize(
    "spelling", ["Thuận Hoà", "Thuận Hòa", "nguyễn văn a", "Phó Bảng", "Phố Bảng", "Giàng A Páo"]
)
def test_parse_never_corrects_the_spelling(spelling: str) -> None:
    assert PersonName.parse(spelling).full == spelling


def test_tone_placement_variants_share_keys_but_stay_distinct() -> None:
    old, new = PersonName.parse("Lê Thị Hòa"), PersonName.parse("Lê Thị Hoà")
    assert old != new
    assert old.accent_key == new.accent_key
    assert old.search_key == new.search_key == "le thi hoa"


@pytest.mark.parametrize("name", ["H'Hen Niê", "H’Mông Sùng", "Nguyễn-Trần Anh", "Đoàn Thị Ngọc"])
def test_parse_accepts_apostrophes_and_hyphens(name: str) -> None:
    assert PersonName.parse(name).full == name


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("Nguyễn Văn 2", "digits"),
        ("Nguyễn Văn A\x00", "control"),
        ("Nguyễn\u200bVăn", "control"),
        ("Nguyễn Văn A.", "only letters"),
        ("Nguyễn, Văn", "only letters"),
        ("Trần (Lê) Văn", "only letters"),
        ("@dmin", "only letters"),
        ("- '", "a letter"),
    ],
)
def test_parse_rejects_bad_names(raw: str, rule: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PersonName.parse(raw, field="mother.full_name")
    assert caught.value.field == "mother.full_name"
    assert caught.value.label_vi == "họ và tên"
    assert rule in caught.value.rule


def test_parse_limits_length_to_120_characters() -> None:
    longest = "Nguyễn " + "A" * 113
    assert len(longest) == 120
    assert PersonName.parse(longest).full == longest
    with pytest.raises(InvalidValueError, match="120"):
        PersonName.parse(longest + "B")


def test_direct_construction_requires_the_canonical_form() -> None:
    assert PersonName("Nguyễn Văn A").full == "Nguyễn Văn A"
    with pytest.raises(InvalidValueError):
        PersonName("Nguyễn  Văn A")
    with pytest.raises(InvalidValueError):
        PersonName(nfd("Nguyễn Văn A"))
    with pytest.raises(InvalidValueError):
        PersonName("Nguyễn Văn 1")


def test_search_key_finds_accented_name_from_plain_query() -> None:
    assert PersonName.parse("Nguyễn Văn A").search_key == fold("nguyen van a")


# ----- properties --------------------------------------------------------------------------


@settings(database=None)
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@settings(database=None)
@given(st.text())
def test_fold_does_not_depend_on_normal_form(text: str) -> None:
    assert fold(nfd(text)) == fold(nfc(text))


@settings(database=None)
@given(vietnamese_names)
def test_fold_ignores_case(name: str) -> None:
    assert fold(name.upper()) == fold(name.lower()) == fold(name) == fold(name.swapcase())


@settings(database=None)
@given(vietnamese_names)
def test_removing_vietnamese_diacritics_does_not_change_fold(name: str) -> None:
    bare = name.translate(STRIP_DIACRITICS)
    assert bare.isascii()
    assert fold(bare) == fold(name)
    assert fold(nfd(name)) == fold(bare)


@settings(database=None)
@given(vietnamese_names)
def test_accent_key_folds_to_the_same_search_key(name: str) -> None:
    key = accent_key(name)
    assert fold(key) == fold(name)
    assert accent_key(nfd(name)) == key
    assert accent_key(key) == key


@settings(database=None)
@given(
    st.sampled_from(["h", "th", "kh", "l", "t", "x", "ng"]),
    st.sampled_from([("o", "a"), ("o", "e"), ("u", "y")]),
    st.sampled_from(["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]),
)
def test_accent_key_gives_both_tone_placements_one_key(
    onset: str, vowels: tuple[str, str], tone: str
) -> None:
    first, second = vowels
    old_style = nfc(onset + first + tone + second)
    new_style = nfc(onset + first + second + tone)
    assert old_style != new_style
    assert accent_key(old_style) == accent_key(new_style) == new_style


@settings(database=None)
@given(vietnamese_names)
def test_parsed_name_keeps_exactly_what_was_given(name: str) -> None:
    parsed = PersonName.parse(nfd(name))
    assert parsed.full == name
    assert parsed.search_key == fold(name)
    assert " ".join(p for p in (parsed.family, parsed.middle, parsed.given) if p) == (
        name if " " in name else f"{name} {name}"
    )
