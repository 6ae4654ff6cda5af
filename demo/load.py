"""Load the demo: Hà Giang's districts and communes, the plan, books and entries in every state.

The plan follows the province's 2023 report (2 districts finished in 2022, 5 of the remaining 9
targeted for 2023, the last 4 for 2024). The report does not name the districts; which ones
are "done" here is the demo's own choice. All people are synthetic.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw

from demo.entries import DEMO_ID_CHANCES, EntryFields, PersonalIds
from demo.names import NameGenerator
from digitization.application import Digitisation
from domain.actor import Actor, Role
from domain.civil_record import CivilRecord, CorrectionKind
from domain.person_name import fold
from domain.record_kind import RecordKind
from domain.register import Register


class UserAdmin(Protocol):
    def get_user(self, user_id: str) -> object | None: ...

    def add_user(
        self, user_id: str, *, name: str, role: Role, districts: list[str], created_by: str
    ) -> object: ...

    def issue_token(self, user_id: str) -> str: ...


DONE_2022 = {"024": "2022-11-30", "034": "2022-12-20"}
TARGET_2023 = ("030", "031", "032", "033", "035")
TARGET_2024 = ("026", "027", "028", "029")
PLANNER = Actor("admin.tinh", Role.ADMIN)
KINDS = (RecordKind.BIRTH, RecordKind.DEATH, RecordKind.MARRIAGE)
# How far each entry of an unfinished district goes through the workflow.
STAGES = (
    ("keyed", 5),
    ("second_keyed", 3),
    ("discrepancies_found", 2),
    ("reconciled", 2),
    ("verified", 3),
    ("rejected", 1),
    ("corrected", 1),
    ("published", 8),
)


@dataclass
class DemoSummary:
    registers: int
    entries: int
    by_status: Counter[str]


class DemoLoader:
    """Writes the demo through the use cases, so every demo event is signed like any other."""

    def __init__(
        self, app: Digitisation, *, seed: int = 2023, communes_per_district: int = 3
    ) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.names = NameGenerator(seed)
        # the loader's own rng draws the fields too: the demo of a seed stays what it was
        self.entries = EntryFields(self.rng, self.names, PersonalIds(DEMO_ID_CHANCES))
        self.communes_per_district = communes_per_district

    def load(self) -> DemoSummary:
        self._plan()
        registers = 0
        statuses: Counter[str] = Counter()
        for district in self.app.units.districts():
            clerks = [Actor(f"clerk.{district.code}.{i}", Role.CLERK) for i in (1, 2)]
            verifier = Actor(f"verifier.{district.code}", Role.VERIFIER)
            communes = self.app.units.communes_of(district.code)[: self.communes_per_district]
            for commune in communes:
                for kind in KINDS:
                    count = self.rng.randint(4, 8)
                    register = self._register(clerks[0], commune.code, kind, count)
                    registers += 1
                    done = district.code in DONE_2022
                    scanned = (
                        register.page_count if done else self.rng.randint(0, register.page_count)
                    )
                    self._scan(register, clerks[0], scanned)
                    for number in range(1, count + 1):
                        stage = "published" if district.code in DONE_2022 else self._stage()
                        entry = self._entry(register, number, clerks, verifier, stage, commune.name)
                        statuses[entry.status.value] += 1
        return DemoSummary(registers=registers, entries=sum(statuses.values()), by_status=statuses)

    def _plan(self) -> None:
        for code in TARGET_2023:
            self.app.set_plan_target(actor=PLANNER, district_code=code, target_date="2023-11-30")
        for code in TARGET_2024:
            self.app.set_plan_target(actor=PLANNER, district_code=code, target_date="2024-12-31")
        for code, done in DONE_2022.items():
            self.app.set_plan_target(actor=PLANNER, district_code=code, target_date="2022-12-31")
            self.app.record_district_completion(
                actor=PLANNER, district_code=code, completed_on=done
            )

    def _stage(self) -> str:
        names, weights = zip(*STAGES, strict=True)
        return str(self.rng.choices(names, weights)[0])

    def _scan(self, register: Register, clerk: Actor, pages: int) -> None:
        """Upload small synthetic page images (a ruled page with its book and page number)."""
        if self.app.blobs is None or pages == 0:
            return
        with tempfile.TemporaryDirectory(prefix="hotich-demo-") as tmp:
            for number in range(1, pages + 1):
                image = Image.new("L", (420, 600), color=236)
                draw = ImageDraw.Draw(image)
                for y in range(60, 580, 26):
                    draw.line((20, y, 400, y), fill=180)
                draw.text(
                    (24, 20),
                    f"So {register.book_number} - {register.kind.value} - "
                    f"{register.commune_code} - trang {number}",
                    fill=40,
                )
                path = Path(tmp) / f"{number:04d}.png"
                image.save(path, format="PNG", optimize=True)
                content = path.read_bytes()
                self.app.upload_page(
                    actor=clerk,
                    register_id=register.id,
                    page_number=number,
                    path=path,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )

    def _register(self, clerk: Actor, commune_code: str, kind: RecordKind, count: int) -> Register:
        year_from = self.rng.choice((1968, 1975, 1986, 1995, 2004, 2012))
        return self.app.catalogue_register(
            actor=clerk,
            commune_code=commune_code,
            kind=kind,
            year_from=year_from,
            year_to=year_from + self.rng.randint(1, 4),
            book_number=f"{self.rng.randint(1, 3):02d}",
            page_count=count * 2,
            estimated_entries=count,
        )

    def _fields(self, kind: RecordKind, register: Register, commune_name: str) -> dict[str, Any]:
        year = self.rng.randint(register.year_from, register.year_to)
        return self.entries.fields(kind, year, commune_name)

    # ----- the workflow -------------------------------------------------------------------
    def _entry(
        self,
        register: Register,
        number: int,
        clerks: list[Actor],
        verifier: Actor,
        stage: str,
        commune_name: str,
    ) -> CivilRecord:
        app = self.app
        fields = self._fields(register.kind, register, commune_name)
        entry = app.key_entry(
            actor=clerks[0],
            register_id=register.id,
            entry_number=number,
            pages=[(number + 1) // 2],
            fields=fields,
        )
        if stage == "keyed":
            return entry
        if stage == "rejected":
            return app.reject_entry(
                actor=verifier,
                entry_id=entry.id,
                reason="Chữ trên trang quét không rõ, cần nhập lại",
            )
        second = dict(fields)
        if stage in ("discrepancies_found", "reconciled"):
            name_field = next(k for k in fields if k.endswith("full_name"))
            while fold(second[name_field]) == fold(fields[name_field]):  # a misread given name
                second[name_field] = (
                    fields[name_field].rsplit(" ", 1)[0] + " " + self.names.person().given
                )
        entry = app.second_key_entry(actor=clerks[1], entry_id=entry.id, fields=second)
        if stage in ("second_keyed", "discrepancies_found"):
            return entry
        if stage == "reconciled":
            return app.reconcile_entry(
                actor=verifier,
                entry_id=entry.id,
                resolutions={f: fields.get(f) for f in entry.discrepancies},
            )
        entry = app.verify_entry(actor=verifier, entry_id=entry.id)
        if stage == "verified":
            return entry
        entry = app.publish_entry(actor=verifier, entry_id=entry.id)
        if stage == "corrected":
            path = "registrar"
            return app.correct_entry(
                actor=clerks[0],
                entry_id=entry.id,
                kind=CorrectionKind.TRANSCRIPTION_FIX,
                changes={path: self.names.person().full_name},
                reason="Tên cán bộ hộ tịch nhập sai so với sổ",
            )
        return entry


def load_demo(app: Digitisation, *, seed: int = 2023) -> DemoSummary:
    return DemoLoader(app, seed=seed).load()


DEMO_USERS: tuple[tuple[str, str, Role, list[str]], ...] = (
    ("admin.tinh", "Quản trị tỉnh", Role.ADMIN, ["*"]),
    ("manager.tinh", "Lãnh đạo Sở Tư pháp", Role.MANAGER, ["*"]),
    ("clerk.026.1", "Cán bộ số hóa Đồng Văn", Role.CLERK, ["026"]),
    ("verifier.026.1", "Cán bộ kiểm tra Đồng Văn", Role.VERIFIER, ["026"]),
    ("portal.dvc", "Cổng dịch vụ công", Role.PORTAL, ["*"]),
)


def create_demo_users(users: UserAdmin, tokens_file: Path) -> list[str]:
    """Demo users, their tokens written once to ``tokens_file`` (mode 0600)."""
    lines = []
    for user_id, name, role, districts in DEMO_USERS:
        if users.get_user(user_id) is None:
            users.add_user(user_id, name=name, role=role, districts=districts, created_by="demo")
            lines.append(
                f"{user_id}\t{role.value}\t{','.join(districts)}\t{users.issue_token(user_id)}"
            )
    if lines:
        fd = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return [line.split("\t")[0] for line in lines]
