"""Units then and now: the shipped mapping of Hà Giang's communes to the 2025 communes of
Tuyên Quang (Resolution 1684/NQ-UBTVQH15, GSO list 1027/CTK-CSCL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InvalidValueError
from domain.rules import Code
from domain.unit_succession import HEADER, UnitSuccession
from tests.unit._builders import ha_giang_units

SHIPPED = Path(__file__).resolve().parents[2] / "bootstrap" / "data" / "ha-giang-units-2025.csv"


def shipped() -> UnitSuccession:
    with SHIPPED.open(encoding="utf-8") as f:
        return UnitSuccession.from_csv_lines(f, ha_giang_units())


def test_every_commune_of_the_province_has_its_2025_commune() -> None:
    succession = shipped()
    units = ha_giang_units()
    communes = [c for d in units.districts() for c in units.communes_of(d.code)]
    assert len(communes) == 193
    assert all(succession.of(c.code) is not None for c in communes)
    assert len(succession.communes_2025()) == 73


def test_pho_bang_and_three_communes_became_xa_pho_bang() -> None:
    pho_bang = shipped().of("00712")
    assert pho_bang is not None
    assert (pho_bang.old_name, pho_bang.old_district_code) == ("Thị trấn Phó Bảng", "026")
    taker = pho_bang.books_go_to
    assert (taker.code, taker.name, taker.province_code) == ("00745", "Xã Phố Bảng", "08")
    assert taker.source == "1684/NQ-UBTVQH15 Điều 1 khoản 47; 1027/CTK-CSCL"
    assert str(taker.effective) == "2025-07-01"


def test_a_split_commune_files_its_books_with_what_remained_of_it() -> None:
    quang_trung = shipped().of("00688")
    assert quang_trung is not None
    assert [(s.code, s.share) for s in quang_trung.successors] == [
        ("00694", "part"),
        ("00691", "remainder"),
    ]
    assert quang_trung.books_go_to.name == "Phường Hà Giang 2"


def test_a_commune_left_as_it_was_keeps_its_code() -> None:
    tung_ba = shipped().of("00925")
    assert tung_ba is not None
    assert (tung_ba.books_go_to.code, tung_ba.books_go_to.share) == ("00925", "unchanged")


def lines(*rows: str) -> list[str]:
    return [",".join(HEADER) + "\n", *[row + "\n" for row in rows]]


ROW = (
    "00712,Thị trấn Phó Bảng,026,Huyện Đồng Văn,00745,Xã Phố Bảng,08,Tỉnh Tuyên Quang,"
    "{share},2025-07-01,1684/NQ-UBTVQH15,Điều 1 khoản 47,1027/CTK-CSCL"
)


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([ROW.format(share="most")], Code.SUCCESSION_ROW),
        ([ROW.format(share="whole").replace("00712", "99999")], Code.SUCCESSION_COMMUNE_UNKNOWN),
        ([ROW.format(share="part")], Code.SUCCESSION_SHARE),
        ([ROW.format(share="whole"), ROW.format(share="whole")], Code.SUCCESSION_SHARE),
    ],
)
def test_a_file_that_does_not_say_where_the_books_go_is_refused(
    rows: list[str], code: Code
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        UnitSuccession.from_csv_lines(lines(*rows), ha_giang_units())
    assert refused.value.code is code


def test_a_file_without_the_header_is_refused() -> None:
    with pytest.raises(InvalidValueError) as refused:
        UnitSuccession.from_csv_lines(["code,name\n"], ha_giang_units())
    assert refused.value.code is Code.SUCCESSION_HEADER
