"""Who did something: every event names its actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import InvalidValueError
from domain.rules import Code


class Role(StrEnum):
    """Roles of the people and services that act on records."""

    CLERK = "clerk"
    VERIFIER = "verifier"
    MANAGER = "manager"
    PORTAL = "portal"
    METRICS = "metrics"  # a monitoring scraper: reads /metrics, nothing else
    WITNESS = "witness"  # another office's witness: posts its cosignatures of checkpoints
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """A person or service acting in a role; ``id`` is a stable user id, never a display name."""

    id: str
    role: Role

    def __post_init__(self) -> None:
        if not self.id or not self.id.strip() or len(self.id) > 100:
            raise InvalidValueError(
                "actor.id", Code.LENGTH_BETWEEN, label_vi="người thực hiện", low=1, high=100
            )

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        return cls(id=str(data["id"]), role=Role(data["role"]))


SYSTEM = Actor("hotich", Role.SYSTEM)
