"""DigitisationPlan: the province's plan, a target date per district, and completions."""

from __future__ import annotations

import datetime as dt
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actor import Actor
from domain.aggregate import HotichAggregate
from domain.errors import InvalidValueError
from domain.rules import Code

PLAN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:hotich:plan")


def _iso_date(value: dt.date | str, field: str, label_vi: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise InvalidValueError(field, Code.ISO_DATE, label_vi=label_vi) from None


class DigitisationPlan(HotichAggregate):
    """One plan per province (its ``district`` is the province code)."""

    @staticmethod
    def create_id(province_code: str) -> UUID:
        return uuid5(PLAN_NAMESPACE, province_code)

    @event("PlanCreated")
    def __init__(self, *, actor: Actor, district: str, province_code: str) -> None:
        self.district = district
        self.province_code = province_code
        self.targets: dict[str, str] = {}
        self.completed: dict[str, str] = {}

    @classmethod
    def create(cls, *, actor: Actor, province_code: str) -> DigitisationPlan:
        return cls(actor=actor, district=province_code, province_code=province_code)

    def set_target(self, *, actor: Actor, district_code: str, target_date: dt.date | str) -> None:
        """Set or move a district's target date."""
        self._target_set(
            actor=actor,
            district_code=district_code,
            target_date=_iso_date(target_date, "target_date", "ngày hoàn thành kế hoạch"),
        )

    @event("DistrictTargetSet")
    def _target_set(self, *, actor: Actor, district_code: str, target_date: str) -> None:
        self.targets[district_code] = target_date

    def record_completion(
        self, *, actor: Actor, district_code: str, completed_on: dt.date | str
    ) -> None:
        """Record the acceptance (nghiệm thu) of a district's digitisation."""
        if district_code not in self.targets:
            raise InvalidValueError("district_code", Code.NO_TARGET, label_vi="mã huyện")
        if district_code in self.completed:
            raise InvalidValueError("district_code", Code.ALREADY_COMPLETE, label_vi="mã huyện")
        self._completion_recorded(
            actor=actor,
            district_code=district_code,
            completed_on=_iso_date(completed_on, "completed_on", "ngày hoàn thành"),
        )

    @event("DistrictCompletionRecorded")
    def _completion_recorded(self, *, actor: Actor, district_code: str, completed_on: str) -> None:
        self.completed[district_code] = completed_on
