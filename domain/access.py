"""Who may do what where: each role's permissions, and a user's district scope.

A request comes from a :class:`User`: an actor (id and role) who works in some districts, or in
all of them (``*``). The use cases check a user before they act; a resource outside the user's
districts is answered as one that does not exist, so ids of other districts leak nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.actor import Actor, Role
from domain.errors import NotAllowedError
from domain.rules import Code

ALL_DISTRICTS = "*"


class Permission(StrEnum):
    READ = "read"  # registers, entries and pages, as the event store has them
    CATALOGUE = "catalogue"
    UPLOAD = "upload"
    KEY = "key"
    SECOND_KEY = "second_key"
    RECONCILE = "reconcile"
    VERIFY = "verify"  # verify or reject
    CORRECT = "correct"
    PUBLISH = "publish"
    EXPORT = "export"  # deliver a book to the national database (and accept its numbering gaps)
    IMPORT = "import"  # key a contractor's package of entries and scans into a book
    PORTAL_READ = "portal_read"
    ISSUE_EXTRACT = "issue_extract"  # issue, list and fetch signed extracts of published records
    METRICS = "metrics"  # positions and lag as Prometheus metrics
    COSIGN = "cosign"  # post a witness's cosignature of a checkpoint
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(
        {
            Permission.READ,
            Permission.CATALOGUE,
            Permission.UPLOAD,
            Permission.KEY,
            Permission.SECOND_KEY,
            Permission.CORRECT,
            Permission.IMPORT,
        }
    ),
    Role.VERIFIER: frozenset(
        {
            Permission.READ,
            Permission.SECOND_KEY,
            Permission.RECONCILE,
            Permission.VERIFY,
            Permission.CORRECT,
            Permission.PUBLISH,
            Permission.EXPORT,
            Permission.ISSUE_EXTRACT,
        }
    ),
    Role.MANAGER: frozenset({Permission.READ, Permission.METRICS, Permission.EXPORT}),
    Role.PORTAL: frozenset({Permission.PORTAL_READ, Permission.ISSUE_EXTRACT}),
    Role.METRICS: frozenset({Permission.METRICS}),
    Role.WITNESS: frozenset({Permission.COSIGN}),
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset(Permission),  # hotich itself: fixity checks, the demo, migrations
}


class ForbiddenError(NotAllowedError):
    """The user's role, or district for what is created in one, does not allow this (HTTP 403)."""


@dataclass(frozen=True)
class User:
    """A person or service with a role, working in some districts (or all: ``*``)."""

    id: str
    name: str
    role: Role
    districts: frozenset[str]
    revoked: bool = False

    @classmethod
    def acting_everywhere(cls, actor: Actor) -> User:
        """An actor of hotich's own processes (the CLI on the server, the demo, tests): its
        role's permissions in every district."""
        return cls(actor.id, actor.id, actor.role, frozenset({ALL_DISTRICTS}))

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)

    def may(self, permission: Permission) -> bool:
        return not self.revoked and permission in ROLE_PERMISSIONS[self.role]

    def works_in(self, district: str) -> bool:
        return ALL_DISTRICTS in self.districts or district in self.districts


def require(user: User, permission: Permission) -> None:
    """Raise ForbiddenError unless the user's role may do ``permission``."""
    if not user.may(permission):
        raise ForbiddenError(Code.ROLE_MAY_NOT, role=user.role.value, permission=permission.value)


def require_in_district(user: User, permission: Permission, district: str) -> None:
    """``require``, in ``district``: for lists and creations by district (districts are public,
    so the refusal names it)."""
    require(user, permission)
    if not user.works_in(district):
        raise ForbiddenError(Code.DISTRICT_NOT_WORKED, user=user.id, district=district)
