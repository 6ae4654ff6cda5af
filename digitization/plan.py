"""Use cases of the province's digitisation plan: targets per district, completions."""

from __future__ import annotations

import datetime as dt

from digitization.service import DigitisationService, Principal
from domain.access import Permission
from domain.plan import DigitisationPlan


class PlanCases(DigitisationService):
    def get_plan(self) -> DigitisationPlan:
        province = self.units.province.code
        return self._load(DigitisationPlan, "plan", DigitisationPlan.create_id(province))

    def set_plan_target(
        self, *, actor: Principal, district_code: str, target_date: dt.date | str
    ) -> DigitisationPlan:
        """Set a district's target date, creating the province's plan on first use."""
        user = self._acting(actor, Permission.ADMIN)
        district = self.units.district(district_code)
        province = self.units.province.code
        plan_id = DigitisationPlan.create_id(province)
        plan = (
            self._load(DigitisationPlan, "plan", plan_id)
            if plan_id in self.repository
            else DigitisationPlan.create(actor=user.actor, province_code=province)
        )
        plan.set_target(actor=user.actor, district_code=district.code, target_date=target_date)
        self._save_changes(plan, "plan")
        return plan

    def record_district_completion(
        self, *, actor: Principal, district_code: str, completed_on: dt.date | str
    ) -> DigitisationPlan:
        """Record that a district's digitisation was accepted as complete."""
        user = self._acting(actor, Permission.ADMIN)
        district = self.units.district(district_code)
        plan = self.get_plan()
        plan.record_completion(
            actor=user.actor, district_code=district.code, completed_on=completed_on
        )
        self._save_changes(plan, "plan")
        return plan
