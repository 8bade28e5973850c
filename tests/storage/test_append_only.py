"""Raw evidence and history refuse UPDATE and DELETE in the database itself."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from envmon.ingest.service import keep_raw_file, quarantine
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from tests.conftest import NOW
from tests.factories import document

pytestmark = pytest.mark.db

STATEMENTS = [
    ("registry_changes", "UPDATE registry_changes SET actor = 'someone else'"),
    ("registry_changes", "DELETE FROM registry_changes"),
    ("calibrations", "UPDATE calibrations SET result = 'pass'"),
    ("calibrations", "DELETE FROM calibrations"),
    ("raw_files", "UPDATE raw_files SET content = :blank"),
    ("raw_files", "DELETE FROM raw_files"),
    ("quarantine", "UPDATE quarantine SET reason = 'fine'"),
    ("quarantine", "DELETE FROM quarantine"),
]


@pytest.fixture()
def filled(session: Session) -> Session:
    text_ = yaml.safe_dump(document(), allow_unicode=True)
    apply_document(
        session=session,
        document=parse_yaml(text_, "seed.yaml"),
        actor="seed",
        source="seed",
        now=NOW,
    )
    raw = keep_raw_file(
        session=session,
        name="x.csv",
        content=b"a,b\n",
        media_type="text/csv",
        source="test",
        actor="seed",
        now=NOW,
    )
    quarantine(
        session=session,
        reason="test",
        message="m",
        problems=[],
        source="test",
        now=NOW,
        raw_file=raw,
    )
    session.commit()
    return session


@pytest.mark.parametrize(("table", "statement"), STATEMENTS)
def test_direct_sql_cannot_change_evidence(
    filled: Session, connection: Connection, table: str, statement: str
) -> None:
    savepoint = connection.begin_nested()
    with pytest.raises(DatabaseError, match=f"{table} is append-only"):
        connection.execute(text(statement), {"blank": b""})
    savepoint.rollback()
    count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    assert count > 0


def test_measurements_keep_their_guard_after_the_migrations(
    filled: Session, connection: Connection
) -> None:
    connection.execute(
        text(
            "INSERT INTO measurements (point_id, parameter_code, kind, measured_at, value) "
            "SELECT id, 'a34004', 'hour', :at, 1.0 FROM points LIMIT 1"
        ),
        {"at": NOW},
    )
    savepoint = connection.begin_nested()
    with pytest.raises(DatabaseError, match="measurements is append-only"):
        connection.execute(text("UPDATE measurements SET value = 2.0"))
    savepoint.rollback()
