"""What a delivered package says about itself: the book's values shared by its rows (the units
then and now), the files' names, and the manifest's body before it is signed.

The manifest (``manifest.json``) lists every file of the package with its SHA-256 and size
(the workbook, the ZIP of PDFs and each PDF in it with its pages), each entry with the hashes of
its signed events up to the version delivered, the book's numbering, and the mapping of columns
it was written with. It is sealed as an event is: ``hash`` is the SHA-256 of the RFC 8785
canonical JSON of the manifest without ``hash`` and ``signature``, and ``signature`` an Ed25519
signature of that hash by a key published at ``GET /keys`` (docs/check_delivery.py checks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.admin_units import AdminUnits
from domain.register import Register
from domain.unit_succession import UnitSuccession

SPEC = "hotich.delivery/1"
MANIFEST = "manifest.json"


def book_stem(register: Register) -> str:
    """The package's files' common name: commune, kind, years and book number (ASCII)."""
    years = f"{register.year_from}-{register.year_to}"
    number = re.sub(r"[^0-9A-Za-z._-]+", "_", register.book_number).strip("_") or "0"
    return f"{register.commune_code}_{register.kind.value}_{years}_q{number}"


def book_values(
    register: Register, units: AdminUnits, succession: UnitSuccession | None
) -> dict[str, str]:
    """The values every row of the book shares, by source (columns.py)."""
    commune = units.commune(register.commune_code)
    district = units.district(register.district)
    province = units.province
    years = str(register.year_from)
    if register.year_to != register.year_from:
        years += f"–{register.year_to}"
    values = {
        "book.number": register.book_number,
        "book.years": years,
        "book.kind": register.kind.label_vi,
        "unit.commune_code": commune.code,
        "unit.commune_name": commune.name,
        "unit.district_code": district.code,
        "unit.district_name": district.name,
        "unit.province_code": province.code,
        "unit.province_name": province.name,
    }
    became = succession.of(commune.code) if succession is not None else None
    if became is not None:
        taker = became.books_go_to
        values.update(
            {
                "unit2025.commune_code": taker.code,
                "unit2025.commune_name": taker.name,
                "unit2025.province_code": taker.province_code,
                "unit2025.province_name": taker.province_name,
            }
        )
    return values


def units_json(
    register: Register, units: AdminUnits, succession: UnitSuccession | None
) -> dict[str, Any]:
    """The unit that kept the book, and the 2025 commune that files it (with the others that
    took a part of its commune, and where the mapping says so)."""
    values = book_values(register, units, succession)
    kept = {k.removeprefix("unit."): v for k, v in values.items() if k.startswith("unit.")}
    became = succession.of(register.commune_code) if succession is not None else None
    if became is None:
        return {"kept_by": kept, "unit_2025": None}
    taker = became.books_go_to
    return {
        "kept_by": kept,
        "unit_2025": {
            "commune_code": taker.code,
            "commune_name": taker.name,
            "province_code": taker.province_code,
            "province_name": taker.province_name,
            "effective": taker.effective.isoformat(),
            "share": taker.share,
            "source": taker.source,
            "successors": [
                {
                    "commune_code": s.code,
                    "commune_name": s.name,
                    "share": s.share,
                    "source": s.source,
                }
                for s in became.successors
            ],
        },
    }


@dataclass(frozen=True)
class DeliveredFile:
    name: str
    sha256: str
    size: int
    pages: int | None = None  # a PDF's

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"name": self.name, "sha256": self.sha256, "size": self.size}
        if self.pages is not None:
            item["pages"] = self.pages
        return item
