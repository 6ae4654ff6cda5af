"""Units then and now: which 2025 commune each commune that kept books before 1 July 2025 became.

Since 1 July 2025 there are no districts, and communes were merged (and a few split) by the
Standing Committee's resolutions; the books keep the units of their time, while the national
civil-status database files them under the 2025 units. The mapping is a dated CSV file, one line
per (old commune, 2025 commune) with the share of the old commune that went there:

* ``whole``: all of it, with others; ``unchanged``: all of it, alone (the code is kept);
* ``part``: a part of it, the rest going elsewhere; ``remainder``: what was left of it.

A commune split between 2025 communes has exactly one line that takes its books (``whole``,
``unchanged`` or ``remainder``: the commune that keeps its seat and its name's territory);
the other successors are named beside it. Districts map to the 2025 communes of their communes.
Nothing here is specific to one province: another province's file works unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from domain.admin_units import AdminUnits
from domain.errors import InvalidValueError
from domain.rules import Code

HEADER = (
    "old_code",
    "old_name",
    "old_district_code",
    "old_district_name",
    "new_code",
    "new_name",
    "new_province_code",
    "new_province_name",
    "share",
    "effective",
    "resolution",
    "clause",
    "code_list",
)
SHARES = ("whole", "unchanged", "part", "remainder")
TAKES_BOOKS = frozenset({"whole", "unchanged", "remainder"})
_CODES = {"old_code": 5, "old_district_code": 3, "new_code": 5, "new_province_code": 2}
_LABEL_VI = "tệp đơn vị hành chính 2025"


@dataclass(frozen=True, slots=True)
class Successor:
    """A 2025 commune that took (a share of) an old commune, and the act that says so."""

    code: str
    name: str
    province_code: str
    province_name: str
    share: str
    effective: dt.date
    resolution: str
    clause: str
    code_list: str

    @property
    def source(self) -> str:
        """Where the line comes from, e.g. "1684/NQ-UBTVQH15 Điều 1 khoản 47; 1027/CTK-CSCL"."""
        return f"{self.resolution} {self.clause}; {self.code_list}"


@dataclass(frozen=True, slots=True)
class Succession:
    """What became of one old commune: the 2025 commune that files its books, and all of them."""

    old_code: str
    old_name: str
    old_district_code: str
    old_district_name: str
    books_go_to: Successor
    successors: tuple[Successor, ...]


def _row_error(line: int, column: str, value: str) -> InvalidValueError:
    return InvalidValueError(
        column, Code.SUCCESSION_ROW, label_vi=_LABEL_VI, line=line, column=column, value=value
    )


def _parse(line: int, row: dict[str, str]) -> tuple[str, str, str, str, Successor]:
    cells = {k: " ".join(unicodedata.normalize("NFC", v or "").split()) for k, v in row.items()}
    for column, length in _CODES.items():
        if not re.fullmatch(rf"[0-9]{{{length}}}", cells[column]):
            raise _row_error(line, column, cells[column])
    for column in ("old_name", "new_name", "resolution", "clause", "code_list"):
        if not cells[column]:
            raise _row_error(line, column, cells[column])
    if cells["share"] not in SHARES:
        raise _row_error(line, "share", cells["share"])
    try:
        effective = dt.date.fromisoformat(cells["effective"])
    except ValueError:
        raise _row_error(line, "effective", cells["effective"]) from None
    successor = Successor(
        code=cells["new_code"],
        name=cells["new_name"],
        province_code=cells["new_province_code"],
        province_name=cells["new_province_name"],
        share=cells["share"],
        effective=effective,
        resolution=cells["resolution"],
        clause=cells["clause"],
        code_list=cells["code_list"],
    )
    old = (cells["old_code"], cells["old_name"], cells["old_district_code"])
    return (*old, cells["old_district_name"], successor)


class UnitSuccession:
    """The 2025 units of the old communes of one province, looked up by the old code."""

    def __init__(self, successions: Iterable[Succession]) -> None:
        self._by_old = {s.old_code: s for s in successions}

    @classmethod
    def from_csv_lines(cls, lines: Iterable[str], units: AdminUnits) -> UnitSuccession:
        """Read the mapping; every old commune must be one of ``units``' communes."""
        reader = csv.DictReader(lines)
        if tuple(reader.fieldnames or ()) != HEADER:
            raise InvalidValueError(
                "header", Code.SUCCESSION_HEADER, label_vi=_LABEL_VI, header=",".join(HEADER)
            )
        known = {(c.code, d.code) for d in units.districts() for c in units.communes_of(d.code)}
        found: dict[str, tuple[str, str, str, str, list[Successor]]] = {}
        for line, row in enumerate(reader, start=2):
            code, name, district, district_name, successor = _parse(line, row)
            if (code, district) not in known:
                raise InvalidValueError(
                    "old_code",
                    Code.SUCCESSION_COMMUNE_UNKNOWN,
                    label_vi=_LABEL_VI,
                    line=line,
                    code=code,
                )
            found.setdefault(code, (code, name, district, district_name, []))[4].append(successor)
        return cls(_succession(*item) for item in found.values())

    def of(self, commune_code: str) -> Succession | None:
        """What became of the commune (None: the file does not name it)."""
        return self._by_old.get(commune_code)

    def communes_2025(self) -> list[tuple[str, str]]:
        """Every 2025 commune that files books, (code, name), by name."""
        taken = {s.books_go_to.code: s.books_go_to.name for s in self._by_old.values()}
        return sorted(taken.items(), key=lambda item: (item[1], item[0]))

    def __len__(self) -> int:
        return len(self._by_old)


def _succession(
    code: str, name: str, district: str, district_name: str, successors: list[Successor]
) -> Succession:
    takers = [s for s in successors if s.share in TAKES_BOOKS]
    if len(takers) != 1:
        raise InvalidValueError(
            "share", Code.SUCCESSION_SHARE, label_vi=_LABEL_VI, code=code, count=len(successors)
        )
    return Succession(code, name, district, district_name, takers[0], tuple(successors))
