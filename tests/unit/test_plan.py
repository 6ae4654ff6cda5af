"""DigitisationPlan: a target date per district, and completions, in the domain and the service."""

from __future__ import annotations

import datetime as dt

import pytest

from digitization.application import Digitisation
from digitization.errors import NotFoundError
from domain.actor import Actor, Role
from domain.errors import InvalidValueError
from domain.plan import DigitisationPlan
from tests.unit._builders import DONG_VAN, HA_GIANG_CITY, MA_LE, event_count, new_app

ADMIN = Actor("admin-quang", Role.ADMIN)
MEO_VAC = "027"


@pytest.fixture
def app() -> Digitisation:
    return new_app()


def plan() -> DigitisationPlan:
    return DigitisationPlan.create(actor=ADMIN, province_code="02")


def plan_with_a_target() -> DigitisationPlan:
    """A plan in which Đồng Văn is to be done by the end of 2023."""
    p = plan()
    p.set_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    return p


def refused_completion(
    app: Digitisation, district_code: str, completed_on: str
) -> InvalidValueError:
    """A completion the service refuses (InvalidValueError), having recorded nothing."""
    before = event_count(app)
    with pytest.raises(InvalidValueError) as info:
        app.record_district_completion(
            actor=ADMIN, district_code=district_code, completed_on=completed_on
        )
    assert event_count(app) == before
    return info.value


# ----- the plan aggregate -------------------------------------------------------------------
def test_a_plan_belongs_to_its_province() -> None:
    p = plan()
    assert p.province_code == "02"
    assert p.district == "02"
    assert p.id == DigitisationPlan.create_id("02")
    assert p.targets == {}
    assert p.completed == {}


def test_each_district_has_its_own_target() -> None:
    p = plan()
    p.set_target(actor=ADMIN, district_code=DONG_VAN, target_date=dt.date(2023, 12, 31))
    p.set_target(actor=ADMIN, district_code=MEO_VAC, target_date="2024-06-30")
    assert p.targets == {DONG_VAN: "2023-12-31", MEO_VAC: "2024-06-30"}


def test_a_target_can_be_moved() -> None:
    p = plan_with_a_target()
    p.set_target(actor=ADMIN, district_code=DONG_VAN, target_date="2024-03-31")
    assert p.targets == {DONG_VAN: "2024-03-31"}


@pytest.mark.parametrize("bad", ["31/12/2023", "2023-02-30", "", "sang năm"])
def test_a_target_must_be_a_date(bad: str) -> None:
    p = plan()
    with pytest.raises(InvalidValueError) as info:
        p.set_target(actor=ADMIN, district_code=DONG_VAN, target_date=bad)
    assert info.value.field == "target_date"
    assert "ngày hoàn thành kế hoạch" in str(info.value)
    assert p.targets == {}


def test_recording_completion_requires_a_target() -> None:
    p = plan_with_a_target()
    with pytest.raises(InvalidValueError) as info:
        p.record_completion(actor=ADMIN, district_code=MEO_VAC, completed_on="2023-11-20")
    assert info.value.field == "district_code"
    assert "mã huyện" in str(info.value)
    assert p.completed == {}


def test_completion_of_a_district_with_a_target_is_recorded() -> None:
    p = plan_with_a_target()
    p.record_completion(actor=ADMIN, district_code=DONG_VAN, completed_on=dt.date(2023, 11, 20))
    assert p.completed == {DONG_VAN: "2023-11-20"}


def test_completion_cannot_be_recorded_twice() -> None:
    p = plan_with_a_target()
    p.record_completion(actor=ADMIN, district_code=DONG_VAN, completed_on="2023-11-20")
    with pytest.raises(InvalidValueError) as info:
        p.record_completion(actor=ADMIN, district_code=DONG_VAN, completed_on="2023-12-01")
    assert info.value.field == "district_code"
    assert p.completed == {DONG_VAN: "2023-11-20"}


def test_a_completion_date_must_be_a_date() -> None:
    p = plan_with_a_target()
    with pytest.raises(InvalidValueError) as info:
        p.record_completion(actor=ADMIN, district_code=DONG_VAN, completed_on="20/11/2023")
    assert info.value.field == "completed_on"
    assert p.completed == {}


# ----- the plan through the service ---------------------------------------------------------
def test_setting_the_first_target_creates_the_provinces_plan(app: Digitisation) -> None:
    app.set_plan_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    app.set_plan_target(actor=ADMIN, district_code=HA_GIANG_CITY, target_date="2022-12-31")
    stored = app.get_plan()
    assert stored.province_code == "02"
    assert stored.targets == {DONG_VAN: "2023-12-31", HA_GIANG_CITY: "2022-12-31"}


@pytest.mark.parametrize("code", ["999", MA_LE, "02", "26", ""])
def test_an_unknown_district_code_is_refused(app: Digitisation, code: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        app.set_plan_target(actor=ADMIN, district_code=code, target_date="2023-12-31")
    assert info.value.field == "district_code"
    assert event_count(app) == 0


def test_completion_of_an_unknown_district_is_refused(app: Digitisation) -> None:
    app.set_plan_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    assert refused_completion(app, "999", "2023-11-20").field == "district_code"


def test_completion_through_the_service_requires_a_target(app: Digitisation) -> None:
    app.set_plan_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    refused_completion(app, MEO_VAC, "2023-11-20")
    assert app.get_plan().completed == {}


def test_completion_before_any_plan_exists_is_refused(app: Digitisation) -> None:
    with pytest.raises(NotFoundError):
        app.record_district_completion(
            actor=ADMIN, district_code=DONG_VAN, completed_on="2023-11-20"
        )
    assert event_count(app) == 0


def test_completion_through_the_service_is_recorded_once(app: Digitisation) -> None:
    app.set_plan_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    app.record_district_completion(actor=ADMIN, district_code=DONG_VAN, completed_on="2023-11-20")
    refused_completion(app, DONG_VAN, "2023-11-21")
    assert app.get_plan().completed == {DONG_VAN: "2023-11-20"}


def test_the_replayed_plan_equals_the_plan_in_memory(app: Digitisation) -> None:
    app.set_plan_target(actor=ADMIN, district_code=DONG_VAN, target_date="2023-12-31")
    in_memory = app.record_district_completion(
        actor=ADMIN, district_code=DONG_VAN, completed_on="2023-11-20"
    )
    replayed = app.repository.get(in_memory.id)
    assert replayed.targets == in_memory.targets
    assert replayed.completed == in_memory.completed
    assert replayed.version == in_memory.version
