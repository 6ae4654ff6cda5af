"""The bearer-token dependency: who is asking (roles and districts are in domain.access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from digitization.ports import UserStore
from domain.access import User


class AuthenticationError(Exception):
    """No valid bearer token (HTTP 401)."""


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
