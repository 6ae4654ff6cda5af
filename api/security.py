"""Who may do what where: users, roles, district scopes, and the bearer-token dependency."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.actor import Actor, Role

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
    PORTAL_READ = "portal_read"
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
        }
    ),
    Role.MANAGER: frozenset({Permission.READ}),
    Role.PORTAL: frozenset({Permission.PORTAL_READ}),
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset(),
}


@dataclass(frozen=True)
class User:
    """A person or service with a role, working in some districts (or all: ``*``)."""

    id: str
    name: str
    role: Role
    districts: frozenset[str]
    revoked: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)

    def may(self, permission: Permission) -> bool:
        return not self.revoked and permission in ROLE_PERMISSIONS[self.role]

    def works_in(self, district: str) -> bool:
        return ALL_DISTRICTS in self.districts or district in self.districts


class UserStore(Protocol):
    """Users and their hashed bearer tokens."""

    def authenticate(self, token: str) -> User | None: ...


class AuthenticationError(Exception):
    """No valid bearer token (HTTP 401)."""


class ForbiddenError(Exception):
    """The user's role or districts do not allow this (HTTP 403)."""


# Declares the scheme in the OpenAPI document (the docs page's "Authorize"); the header is
# read and checked below, so a missing or wrong token is our own 401 problem.
bearer_scheme = HTTPBearer(
    auto_error=False, description="a token from `hotich users add` or `hotich users token`"
)


def current_user(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("a bearer token is required (Authorization: Bearer <token>)")
    store: UserStore = request.app.state.services.users
    user = store.authenticate(token.strip())
    if user is None:
        raise AuthenticationError("the bearer token is unknown, expired or revoked")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(user: User, permission: Permission, district: str | None = None) -> None:
    """Raise ForbiddenError unless the user may do ``permission`` (in ``district``)."""
    if not user.may(permission):
        raise ForbiddenError(f"role {user.role.value} may not {permission.value}")
    if district is not None and not user.works_in(district):
        raise ForbiddenError(f"user {user.id} does not work in district {district}")
