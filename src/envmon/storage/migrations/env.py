"""Alembic environment: runs on the engine handed over by ``envmon.storage.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from envmon.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            msg = "no engine or sqlalchemy.url given to the migration environment"
            raise RuntimeError(msg)
        engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
