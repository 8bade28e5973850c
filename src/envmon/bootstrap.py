"""Open the installation's database: migrate it (or check it is migrated) and seed data."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from envmon.config import Settings
from envmon.errors import ConfigurationError
from envmon.registry.service import ensure_parameter_catalogue
from envmon.storage.db import (
    alembic_config,
    create_engine_for,
    make_session_factory,
    session_scope,
    upgrade,
)

__all__ = ["current_revision", "head_revision", "migrate", "open_database"]


def head_revision(engine: Engine) -> str | None:
    """Returns the newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Returns the revision the database is at (None if never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> int:
    """Migrates to the newest revision and syncs the parameter catalogue.

    Returns the number of catalogue entries added or changed.
    """
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        return ensure_parameter_catalogue(session=session)


def open_database(
    settings: Settings, *, auto_migrate: bool | None = None
) -> tuple[Engine, sessionmaker[Session]]:
    """Returns engine and session factory of a ready database.

    The embedded SQLite database migrates itself; a configured server database must be
    migrated explicitly with ``envmon db upgrade`` (operators decide when schemas change).
    """
    engine = create_engine_for(settings.resolved_database_url)
    if auto_migrate is None:
        auto_migrate = settings.database_url is None
    if auto_migrate:
        migrate(engine)
    elif current_revision(engine) != head_revision(engine):
        msg = (
            f"database is at revision {current_revision(engine)}, this version needs "
            f"{head_revision(engine)}: run 'envmon db upgrade'"
        )
        raise ConfigurationError(msg)
    return engine, make_session_factory(engine)
