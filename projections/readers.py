"""What the API and the pages ask of the catalogue and district-progress read models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from projections.catalogue import EntryRow, RegisterRow
from projections.progress_assessment import DistrictProgress, ProvinceProgress


class CatalogueReader(Protocol):
    def list_registers(
        self, district: str, *, after: str | None, limit: int
    ) -> list[RegisterRow]: ...

    def list_entries(
        self, district: str, *, status: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[EntryRow]: ...

    def count_entries(self, district: str, *, status: str | None) -> int: ...

    def get_register(self, register_id: UUID) -> RegisterRow | None: ...


class ProgressReader(Protocol):
    def district_progress(self, district: str, today: dt.date) -> DistrictProgress: ...

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress: ...
