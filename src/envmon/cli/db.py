"""``envmon db``: migrate and inspect the database."""

from __future__ import annotations

import typer

from envmon.bootstrap import current_revision, head_revision, migrate
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.storage.db import create_engine_for

app = typer.Typer(
    help="Database schema: upgrade, current revision.", no_args_is_help=True
)


@app.command("upgrade")
@handle_errors
def upgrade_command() -> None:
    """Migrate the database to this version's schema and sync the parameter catalogue."""
    settings = get_settings()
    engine = create_engine_for(settings.resolved_database_url)
    changed = migrate(engine)
    console.print(
        f"database {engine.url.render_as_string(hide_password=True)} "
        f"at revision {current_revision(engine)}; {changed} catalogue entries updated",
        markup=False,
    )


@app.command("current")
@handle_errors
def current_command() -> None:
    """Print the database's revision and the newest this version ships."""
    settings = get_settings()
    engine = create_engine_for(settings.resolved_database_url)
    console.print(
        f"current: {current_revision(engine)}  head: {head_revision(engine)}",
        markup=False,
    )
