"""Storage: engine and sessions, the declarative base, shared column types, migrations.

SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL (production), with the same
Alembic migrations for both. Raw-evidence and history tables are append-only in the database
itself (triggers), see :func:`envmon.storage.db.append_only_ddl`.
"""

from envmon.storage.base import Base
from envmon.storage.db import (
    append_only_ddl,
    create_engine_for,
    make_session_factory,
    session_scope,
    upgrade,
)
from envmon.storage.types import UTCDateTime

__all__ = [
    "Base",
    "UTCDateTime",
    "append_only_ddl",
    "create_engine_for",
    "make_session_factory",
    "session_scope",
    "upgrade",
]
