"""Administrative units: loading a province's GSO list and looking units up by code."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from domain.admin_units import AdminLevel, AdminUnit, AdminUnits
from domain.errors import InvalidValueError

HA_GIANG_CSV = (
    Path(__file__).resolve().parents[2] / "bootstrap" / "data" / "ha-giang-admin-units.csv"
)
HA_GIANG_DISTRICT_CODES = ["024", *(f"0{n}" for n in range(26, 36))]


@pytest.fixture(scope="module")
def ha_giang() -> AdminUnits:
    with HA_GIANG_CSV.open(encoding="utf-8", newline="") as f:
        return AdminUnits.from_csv_lines(f)


def load(text: str) -> AdminUnits:
    return AdminUnits.from_csv_lines(text.splitlines(keepends=True))


# A made-up province with its own codes (nothing in common with Hà Giang).
OTHER_PROVINCE = """\
code,name,level,parent_code
77,Tỉnh Thử Nghiệm,province,
901,Huyện Núi Cao,district,77
900,"Thành phố Bến, Cảng",district,77
30012,Xã Đồng Xanh,commune,901
30010,Phường Một,commune,900
30011,Xã Hai,commune,900
"""


# ----- the Hà Giang file -------------------------------------------------------------------


def test_ha_giang_has_one_province_with_code_02(ha_giang: AdminUnits) -> None:
    assert ha_giang.province == AdminUnit("02", "Tỉnh Hà Giang", AdminLevel.PROVINCE, None)


def test_ha_giang_has_11_districts_in_code_order(ha_giang: AdminUnits) -> None:
    districts = ha_giang.districts()
    assert [d.code for d in districts] == HA_GIANG_DISTRICT_CODES
    assert len(districts) == 11
    assert all(d.level is AdminLevel.DISTRICT and d.parent_code == "02" for d in districts)


def test_ha_giang_has_193_communes_spread_over_its_districts(ha_giang: AdminUnits) -> None:
    communes = [c for d in ha_giang.districts() for c in ha_giang.communes_of(d.code)]
    assert len(communes) == 193
    assert all(len(c.code) == 5 and c.level is AdminLevel.COMMUNE for c in communes)
    assert len(ha_giang) == 1 + 11 + 193
    for district in ha_giang.districts():
        codes = [c.code for c in ha_giang.communes_of(district.code)]
        assert codes == sorted(codes)
        assert codes, f"district {district.code} has no commune"


def test_codes_keep_their_leading_zeros(ha_giang: AdminUnits) -> None:
    assert "00688" in ha_giang
    assert "688" not in ha_giang
    assert "024" in ha_giang
    assert "24" not in ha_giang
    assert ha_giang.commune("00688").name == "Phường Quang Trung"
    assert ha_giang.district_of("00688").code == "024"
    with pytest.raises(InvalidValueError):
        ha_giang.get("688")


def test_names_are_nfc(ha_giang: AdminUnits) -> None:
    units = [ha_giang.province, *ha_giang.districts()]
    units += [c for d in ha_giang.districts() for c in ha_giang.communes_of(d.code)]
    assert all(unicodedata.is_normalized("NFC", u.name) for u in units)
    assert ha_giang.district("026").name == "Huyện Đồng Văn"


def test_get_unknown_code_names_the_field(ha_giang: AdminUnits) -> None:
    with pytest.raises(InvalidValueError) as caught:
        ha_giang.get("99999", field="register.commune_code")
    assert caught.value.field == "register.commune_code"
    assert caught.value.label_vi == "mã đơn vị hành chính"
    assert "99999" in caught.value.rule


def test_commune_lookup_rejects_a_district_code(ha_giang: AdminUnits) -> None:
    with pytest.raises(InvalidValueError, match="district") as caught:
        ha_giang.commune("024")
    assert caught.value.field == "commune_code"


def test_district_lookup_rejects_a_commune_or_the_province(ha_giang: AdminUnits) -> None:
    with pytest.raises(InvalidValueError) as caught:
        ha_giang.district("00688")
    assert caught.value.field == "district_code"
    with pytest.raises(InvalidValueError):
        ha_giang.district("02")
    with pytest.raises(InvalidValueError):
        ha_giang.communes_of("00688")


def test_district_of_needs_a_commune(ha_giang: AdminUnits) -> None:
    with pytest.raises(InvalidValueError):
        ha_giang.district_of("024")


def test_contains_only_accepts_code_strings(ha_giang: AdminUnits) -> None:
    assert "02" in ha_giang
    assert 2 not in ha_giang
    assert None not in ha_giang


# ----- another province --------------------------------------------------------------------


def test_another_provinces_file_loads_without_code_changes() -> None:
    units = load(OTHER_PROVINCE)
    assert units.province.code == "77"
    assert [d.code for d in units.districts()] == ["900", "901"]
    assert units.district("900").name == "Thành phố Bến, Cảng"
    assert [c.code for c in units.communes_of("900")] == ["30010", "30011"]
    assert units.district_of("30012").code == "901"
    assert len(units) == 6
    assert [u.code for u in units] == ["30010", "30011", "30012", "77", "900", "901"]


def test_names_are_stored_nfc_even_from_nfd_files() -> None:
    units = load(unicodedata.normalize("NFD", OTHER_PROVINCE))
    assert units.commune("30012").name == "Xã Đồng Xanh"
    assert unicodedata.is_normalized("NFC", units.commune("30012").name)


def test_byte_order_mark_crlf_and_blank_lines_are_tolerated() -> None:
    text = "\ufeff" + OTHER_PROVINCE.replace("\n", "\r\n") + "\r\n"
    assert len(load(text)) == 6


# ----- bad files ---------------------------------------------------------------------------


def _error_for(text: str) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as caught:
        load(text)
    return caught.value


@pytest.mark.parametrize(
    ("row", "field", "said"),
    [
        pytest.param(
            "30010,Xã Trùng,commune,901", "code", ["line 8", "line 6"], id="duplicate-code"
        ),
        pytest.param(
            "30013,Xã Lạc,commune,999", "parent_code", ["line 8", "999"], id="unknown-parent"
        ),
        pytest.param(
            "30013,Xã Lạc,commune,77",
            "parent_code",
            ["must be a district"],
            id="commune-whose-parent-is-the-province",
        ),
        pytest.param(
            "902,Huyện Lạc,district,900",
            "parent_code",
            ["line 8"],
            id="district-whose-parent-is-not-the-province",
        ),
        pytest.param(
            "3001,Xã Thiếu Số,commune,900",
            "code",
            ["line 8", "5 digits"],
            id="four-digit-commune-code",
        ),
    ],
)
def test_an_added_row_is_rejected_saying_why(row: str, field: str, said: list[str]) -> None:
    error = _error_for(OTHER_PROVINCE + row + "\n")
    assert error.field == field
    for words in said:
        assert words in error.rule


def test_parent_may_come_after_its_child() -> None:
    text = (
        "code,name,level,parent_code\n"
        "30010,Xã A,commune,900\n"
        "900,Huyện B,district,77\n"
        "77,Tỉnh C,province,\n"
    )
    assert load(text).district_of("30010").code == "900"


@pytest.mark.parametrize(
    "header",
    [
        "code,name,level",
        "code,name,parent_code,level",
        "ma,ten,cap,ma_cha",
        "30010,Phường Một,commune,900",
    ],
)
def test_bad_header_rejected(header: str) -> None:
    error = _error_for(header + "\n" + OTHER_PROVINCE.split("\n", 1)[1])
    assert error.field == "header"
    assert "line 1" in error.rule


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("9001,Huyện Dài,district,77", "code"),  # 4-digit district code
        ("7,Tỉnh Ngắn,province,", "code"),  # 1-digit province code
        ("3001a,Xã Chữ,commune,900", "code"),
        ("３００１３,Xã Toàn Khổ,commune,900", "code"),  # full-width digits
        ("30013,,commune,900", "name"),
        ("30013,Xã Cấp Lạ,village,900", "level"),
        ("30013,Xã Thiếu Cha,commune,", "parent_code"),
        ("30013,Xã Thừa Cột,commune,900,extra", "row"),
        ("30013,Xã Thiếu Cột,commune", "row"),
        ("78,Tỉnh Thứ Hai,province,", "level"),
    ],
)
def test_bad_row_names_its_line_and_column(row: str, column: str) -> None:
    error = _error_for(OTHER_PROVINCE + row + "\n")
    assert error.field == column
    assert error.rule.startswith("line 8:")


def test_province_with_a_parent_rejected() -> None:
    error = _error_for("code,name,level,parent_code\n77,Tỉnh C,province,01\n")
    assert error.field == "parent_code"
    assert "line 2" in error.rule


def test_file_without_province_rejected() -> None:
    error = _error_for("code,name,level,parent_code\n900,Huyện B,district,77\n")
    assert "province" in error.rule


def test_empty_file_rejected() -> None:
    assert _error_for("").field == "header"


def test_units_built_directly_are_checked_too() -> None:
    province = AdminUnit("77", "Tỉnh C", AdminLevel.PROVINCE, None)
    orphan = AdminUnit("30010", "Xã A", AdminLevel.COMMUNE, "900")
    with pytest.raises(InvalidValueError, match="30010"):
        AdminUnits([province, orphan])
    with pytest.raises(InvalidValueError, match="exactly one province"):
        AdminUnits([])
