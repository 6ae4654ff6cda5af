"""Administrative units of one province (GSO list): province, districts and communes.

Built from CSV lines ``code,name,level,parent_code``; codes keep their leading zeros
(province 2 digits, district 3, commune 5). Nothing here is specific to one province.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidValueError
from domain.rules import Code

HEADER = ("code", "name", "level", "parent_code")

CODE_LABEL_VI = "mã đơn vị hành chính"
_COLUMN_LABELS_VI: dict[str, str] = {
    "header": "dòng tiêu đề",
    "row": "dòng",
    "code": CODE_LABEL_VI,
    "name": "tên đơn vị hành chính",
    "level": "cấp hành chính",
    "parent_code": "mã đơn vị cấp trên",
}


class AdminLevel(StrEnum):
    """Level of an administrative unit."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


_CODE_LENGTH: dict[AdminLevel, int] = {
    AdminLevel.PROVINCE: 2,
    AdminLevel.DISTRICT: 3,
    AdminLevel.COMMUNE: 5,
}


@dataclass(frozen=True, slots=True)
class AdminUnit:
    """One unit; ``parent_code`` is None for the province."""

    code: str
    name: str
    level: AdminLevel
    parent_code: str | None


def _row_error(line: int, column: str, rule: Code, /, **params: object) -> InvalidValueError:
    label = _COLUMN_LABELS_VI.get(column)
    return InvalidValueError(column, rule, label_vi=label, line=line, **params)


def _code_error(field: str, rule: Code, code: str, /, **params: object) -> InvalidValueError:
    """A unit code looked up and refused (unknown, or of another level)."""
    return InvalidValueError(field, rule, label_vi=CODE_LABEL_VI, code=code, **params)


def _parse_row(line: int, row: list[str]) -> AdminUnit:
    """Check one data row on its own (parents are checked once all rows are read)."""
    if len(row) != len(HEADER):
        raise _row_error(
            line, "row", Code.ADMIN_ROW_COLUMNS, columns=len(row), expected=len(HEADER)
        )
    code, name, level_text, parent = (cell.strip() for cell in row)
    try:
        level = AdminLevel(level_text.lower())
    except ValueError:
        raise _row_error(line, "level", Code.ADMIN_LEVEL_UNKNOWN, level=level_text) from None
    length = _CODE_LENGTH[level]
    if len(code) != length or not code.isascii() or not code.isdigit():
        raise _row_error(
            line, "code", Code.ADMIN_CODE_DIGITS, level=level.value, length=length, code=code
        )
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name:
        raise _row_error(line, "name", Code.ADMIN_NAME_EMPTY)
    if level is AdminLevel.PROVINCE:
        if parent:
            raise _row_error(line, "parent_code", Code.ADMIN_PROVINCE_PARENT_GIVEN, parent=parent)
        return AdminUnit(code, name, level, None)
    if not parent:
        raise _row_error(line, "parent_code", Code.ADMIN_PARENT_MISSING, level=level.value)
    return AdminUnit(code, name, level, parent)


_EXPECTED_PARENT: dict[AdminLevel, AdminLevel] = {
    AdminLevel.DISTRICT: AdminLevel.PROVINCE,
    AdminLevel.COMMUNE: AdminLevel.DISTRICT,
}


class AdminUnits:
    """The units of one province, looked up by code."""

    def __init__(
        self, units: Iterable[AdminUnit], *, line_of: Mapping[str, int] | None = None
    ) -> None:
        """Index and check units (one province, parents one level up, unique codes).

        ``line_of`` maps codes to source lines so errors can name the line.
        """
        lines = line_of or {}

        def error(
            unit: AdminUnit, column: str, on_line: Code, of_unit: Code, **params: object
        ) -> InvalidValueError:
            """The rule's line variant when the unit's line is known, else its unit one."""
            if unit.code in lines:
                return _row_error(lines[unit.code], column, on_line, code=unit.code, **params)
            label = _COLUMN_LABELS_VI.get(column)
            return InvalidValueError(column, of_unit, label_vi=label, code=unit.code, **params)

        by_code: dict[str, AdminUnit] = {}
        provinces: list[AdminUnit] = []
        for unit in units:
            if unit.code in by_code:
                raise error(unit, "code", Code.ADMIN_CODE_TWICE_ON_LINE, Code.ADMIN_CODE_TWICE)
            by_code[unit.code] = unit
            if unit.level is AdminLevel.PROVINCE:
                provinces.append(unit)
        if len(provinces) != 1:
            label = _COLUMN_LABELS_VI["level"]
            if not provinces:
                raise InvalidValueError("level", Code.ADMIN_NO_PROVINCE, label_vi=label)
            codes = ", ".join(u.code for u in provinces)
            raise InvalidValueError("level", Code.ADMIN_PROVINCES, label_vi=label, codes=codes)

        self._by_code = dict(sorted(by_code.items()))
        self._province = provinces[0]
        self._children: dict[str, list[AdminUnit]] = {}
        for unit in self._by_code.values():
            if unit.level is AdminLevel.PROVINCE:
                if unit.parent_code is not None:
                    raise error(
                        unit,
                        "parent_code",
                        Code.ADMIN_PROVINCE_HAS_PARENT_ON_LINE,
                        Code.ADMIN_PROVINCE_HAS_PARENT,
                    )
                continue
            wanted = _EXPECTED_PARENT[unit.level]
            parent = by_code.get(unit.parent_code or "")
            levels = {"level": unit.level.value, "wanted": wanted.value, "parent": unit.parent_code}
            if parent is None:
                raise error(
                    unit,
                    "parent_code",
                    Code.ADMIN_PARENT_UNKNOWN_ON_LINE,
                    Code.ADMIN_PARENT_UNKNOWN,
                    **levels,
                )
            if parent.level is not wanted:
                raise error(
                    unit,
                    "parent_code",
                    Code.ADMIN_PARENT_LEVEL_ON_LINE,
                    Code.ADMIN_PARENT_LEVEL,
                    found=parent.level.value,
                    **levels,
                )
            self._children.setdefault(parent.code, []).append(unit)

    @classmethod
    def from_csv_lines(cls, lines: Iterable[str]) -> AdminUnits:
        """Read and validate CSV lines (header ``code,name,level,parent_code``)."""
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            raise _row_error(1, "header", Code.ADMIN_FILE_EMPTY)
        cleaned = [cell.strip() for cell in header]
        if cleaned and cleaned[0].startswith("\ufeff"):
            cleaned[0] = cleaned[0][1:]  # byte-order mark left by some editors
        if tuple(cleaned) != HEADER:
            raise _row_error(reader.line_num, "header", Code.ADMIN_HEADER, header=",".join(header))

        units: list[AdminUnit] = []
        line_of: dict[str, int] = {}
        province_line: int | None = None
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue  # blank line
            unit = _parse_row(line, row)
            if unit.code in line_of:
                raise _row_error(
                    line,
                    "code",
                    Code.ADMIN_CODE_ON_TWO_LINES,
                    code=unit.code,
                    first=line_of[unit.code],
                )
            if unit.level is AdminLevel.PROVINCE:
                if province_line is not None:
                    raise _row_error(
                        line,
                        "level",
                        Code.ADMIN_SECOND_PROVINCE,
                        code=unit.code,
                        first=province_line,
                    )
                province_line = line
            units.append(unit)
            line_of[unit.code] = line
        if province_line is None:
            raise _row_error(reader.line_num, "level", Code.ADMIN_NO_PROVINCE_ROW)
        return cls(units, line_of=line_of)

    @property
    def province(self) -> AdminUnit:
        """The province the file describes."""
        return self._province

    def get(self, code: str, *, field: str = "admin_unit") -> AdminUnit:
        """Unit with this code; unknown codes raise InvalidValueError."""
        unit = self._by_code.get(code)
        if unit is None:
            raise _code_error(field, Code.ADMIN_UNIT_UNKNOWN, code, province=self._province.code)
        return unit

    def _of_level(self, code: str, level: AdminLevel, field: str) -> AdminUnit:
        unit = self.get(code, field=field)
        if unit.level is not level:
            raise _code_error(
                field,
                Code.ADMIN_UNIT_LEVEL,
                code,
                level=unit.level.value,
                name=unit.name,
                wanted=level.value,
            )
        return unit

    def commune(self, code: str, *, field: str = "commune_code") -> AdminUnit:
        """The commune with this code (must exist and be a commune)."""
        return self._of_level(code, AdminLevel.COMMUNE, field)

    def district(self, code: str, *, field: str = "district_code") -> AdminUnit:
        """The district with this code (must exist and be a district)."""
        return self._of_level(code, AdminLevel.DISTRICT, field)

    def districts(self) -> list[AdminUnit]:
        """All districts in code order."""
        return list(self._children.get(self._province.code, []))

    def communes_of(self, district_code: str, *, field: str = "district_code") -> list[AdminUnit]:
        """Communes of a district in code order."""
        district = self.district(district_code, field=field)
        return list(self._children.get(district.code, []))

    def district_of(self, commune_code: str, *, field: str = "commune_code") -> AdminUnit:
        """The district a commune belongs to."""
        commune = self.commune(commune_code, field=field)
        # __init__ has checked that every commune's parent is a district.
        return self._by_code[commune.parent_code or ""]

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[AdminUnit]:
        """All units in code order."""
        return iter(self._by_code.values())
