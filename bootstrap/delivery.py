"""Wire the delivery use cases: the column mapping and 2025 units files named by the settings,
the catalogue as the index of books and entries, the stored events' hashes, the keyring."""

from __future__ import annotations

from uuid import UUID

from bootstrap.container import Container
from digitization.delivery.columns import ColumnMapping
from digitization.delivery.service import Delivery
from domain.numbering import BookRef
from domain.unit_succession import UnitSuccession
from infra.store.evidence import stored_envelopes
from infra.store.manifest_seal import KeyringSealer
from projections.readers import CatalogueReader

PAGE = 500


class CatalogueBookIndex:
    """Books and entries as the catalogue view lists them, a page at a time."""

    def __init__(self, catalogue: CatalogueReader) -> None:
        self.catalogue = catalogue

    def books_of(self, district: str, commune_code: str, kind: str) -> list[BookRef]:
        books: list[BookRef] = []
        after = f"{commune_code}/"
        while True:
            rows = self.catalogue.list_registers(district, after=after, limit=PAGE)
            mine = [r for r in rows if r.commune_code == commune_code]
            books += [
                BookRef(r.id, r.book_number, r.year_from, r.year_to) for r in mine if r.kind == kind
            ]
            if len(mine) < len(rows) or len(rows) < PAGE:
                return books
            after = f"{rows[-1].commune_code}/{rows[-1].id}"

    def entry_ids(self, register_id: UUID, district: str) -> list[UUID]:
        ids: list[UUID] = []
        after = (str(register_id), 0)
        while True:
            rows = self.catalogue.list_entries(district, status=None, after=after, limit=PAGE)
            mine = [r for r in rows if r.register_id == register_id]
            ids += [r.id for r in mine]
            if len(mine) < len(rows) or len(rows) < PAGE:
                return ids
            after = (str(register_id), rows[-1].entry_number)


def load_succession(container: Container) -> UnitSuccession | None:
    path = container.settings.resolved_units_2025
    if path is None:
        return None
    with path.open(encoding="utf-8-sig", newline="") as f:
        return UnitSuccession.from_csv_lines(f, container.units)


def build_delivery(container: Container, catalogue: CatalogueReader) -> Delivery:
    app = container.app
    return Delivery(
        app,
        columns=ColumnMapping.from_json(container.settings.delivery_columns.read_bytes()),
        succession=load_succession(container),
        index=CatalogueBookIndex(catalogue),
        event_hashes=lambda aggregate_id, up_to: [
            e["hash"] for e in stored_envelopes(app, aggregate_id, up_to)
        ],
        sealer=KeyringSealer(container.keyring),
    )
