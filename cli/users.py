"""hotich users: people and services, their roles, districts and bearer tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from bootstrap.container import bootstrap, load_admin_units
from cli.console import console, fail, settings
from domain.actor import Role
from domain.errors import DomainError
from infra.service_db.users import SqlUserStore

users_app = typer.Typer(
    help="Users (người dùng), roles, district scopes and tokens.", no_args_is_help=True
)
T = TypeVar("T")


def _users() -> SqlUserStore:
    return bootstrap(settings(), sign=False).users


def _refused(action: Callable[[], T]) -> T:
    """The action's result; a refusal is printed and exits 2."""
    try:
        return action()
    except DomainError as e:
        fail(e)


@users_app.command("add")
def users_add(
    user_id: Annotated[str, typer.Argument(help="login id, e.g. clerk.026.1")],
    role: Annotated[
        Role, typer.Option(help="clerk, verifier, manager, portal, metrics, witness or admin")
    ],
    districts: Annotated[
        str, typer.Option(help="district codes (mã huyện), comma-separated, or *")
    ],
    name: Annotated[str, typer.Option(help="display name (họ tên)")] = "",
) -> None:
    """Add a user and print their first token (shown once, stored hashed)."""
    store = _users()
    units = load_admin_units(settings().admin_units_csv)
    codes = [d.strip() for d in districts.split(",") if d.strip()]

    def add() -> tuple[str, str]:
        for code in codes:
            if code != "*":
                units.district(code, field="districts")
        user = store.add_user(user_id, name=name, role=role, districts=codes, created_by="cli")
        scope = ",".join(sorted(user.districts))
        return f"added {user.id} ({user.role.value}, districts {scope})", store.issue_token(user.id)

    added, token = _refused(add)
    console.print(added)
    console.print("token (shown once; store it safely):")
    sys.stdout.write(token + "\n")


@users_app.command("token")
def users_token(
    user_id: str, valid_days: Annotated[int, typer.Option(min=1, max=3650)] = 365
) -> None:
    """Issue a new token for a user (shown once, stored hashed)."""
    token = _refused(lambda: _users().issue_token(user_id, valid_days=valid_days))
    sys.stdout.write(token + "\n")


@users_app.command("list")
def users_list() -> None:
    """List users with their roles and districts."""
    table = Table("user", "name", "role", "districts", "status")
    for user in _users().list_users():
        status = "revoked" if user.revoked else "active"
        districts = ",".join(sorted(user.districts))
        table.add_row(user.id, user.name, user.role.value, districts, status)
    console.print(table)


@users_app.command("revoke")
def users_revoke(user_id: str) -> None:
    """Revoke a user and every token they hold."""
    _refused(lambda: _users().revoke_user(user_id))
    console.print(f"revoked {user_id}")
