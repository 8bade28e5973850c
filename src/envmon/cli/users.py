"""``envmon user``: add users."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.storage.db import session_scope
from envmon.users import service
from envmon.users.models import Role
from envmon.users.schemas import UserCreate

app = typer.Typer(help="Users and roles.", no_args_is_help=True)


@app.command("add")
@handle_errors
def add_command(
    username: str = typer.Argument(..., help="login name"),
    role: Role = typer.Option(..., help="role"),
    name: str | None = typer.Option(None, help="display name (default: username)"),
    region: str | None = typer.Option(None, help="region code the user is scoped to"),
    enterprise: str | None = typer.Option(None, help="credit code (enterprise role)"),
    agency: str | None = typer.Option(None, help="credit code (agency role)"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="ENVMON_NEW_USER_PASSWORD",
        help="password (prompted if not given)",
    ),
) -> None:
    """Add a user with a role, scoped by region (and enterprise or agency)."""
    _engine, factory = open_database(get_settings())
    user_in = UserCreate(
        username=username,
        display_name=name or username,
        password=password,
        role=role,
        region=region,
        enterprise=enterprise,
        agency=agency,
    )
    with session_scope(factory) as session:
        user = service.create(
            session=session, user_in=user_in, now=datetime.now(UTC), actor="cli"
        )
        console.print(f"added user {user.username} ({user.role.value})", markup=False)
