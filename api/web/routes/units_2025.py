"""The dashboard by today's units: progress grouped by the 2025 communes that now file the
books, beside the old districts and communes that kept them (domain/unit_succession.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Services, ServicesDep
from api.web.figures import reader, stages_of
from api.web.routes.shared import NO_SUCCESSION
from api.web.session import WebUser, allow
from api.web.templating import render
from domain.access import Permission, User
from projections.progress_assessment import ProgressCounts, completion_percent

router = APIRouter()


@dataclass
class Commune2025:
    code: str
    name: str
    counts: ProgressCounts = field(default_factory=ProgressCounts)
    kept_by: set[str] = field(default_factory=set)  # the old communes' names, with districts

    @property
    def stages(self) -> dict[str, int]:
        return stages_of(self.counts)

    @property
    def completion_percent(self) -> float:
        return completion_percent(self.counts)


def communes_2025(services: Services, user: User) -> list[Commune2025]:
    """The 2025 communes of the books in the user's districts, with their books' figures."""
    succession = services.delivery.succession if services.delivery else None
    units = services.app.units
    found: dict[str, Commune2025] = {}
    for district in units.districts():
        if not user.works_in(district.code):
            continue
        for row, counts in reader(services).register_progress(district.code):
            became = succession.of(row.commune_code) if succession else None
            code, name = (
                (became.books_go_to.code, became.books_go_to.name) if became else NO_SUCCESSION
            )
            commune = found.setdefault(code, Commune2025(code, name))
            commune.counts = commune.counts + counts
            commune.kept_by.add(f"{units.commune(row.commune_code).name} ({district.name})")
    return sorted(found.values(), key=lambda c: (c.name, c.code))


@router.get("/dashboard/communes-2025", response_class=HTMLResponse)
def by_commune_2025(request: Request, user: WebUser, services: ServicesDep) -> HTMLResponse:
    """Progress by the 2025 communes that file the books (since 1 July 2025)."""
    allow(user, Permission.READ)
    return render(request, "communes_2025.html", user=user, communes=communes_2025(services, user))
