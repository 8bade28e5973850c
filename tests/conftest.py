"""Test fixtures: every database test runs on SQLite, and on PostgreSQL too when
``ENVMON_TEST_DATABASE_URL`` is set. Each test runs inside a transaction that is rolled
back, so tests never see each other's data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from envmon.api import create_app
from envmon.api.deps import get_now
from envmon.bootstrap import migrate
from envmon.config import Settings
from envmon.storage.db import create_engine_for

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files (tests/data/**/*.golden.*) from the current output.",
    )


def _backends() -> list[object]:
    backends: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("ENVMON_TEST_DATABASE_URL"):
        backends.append(pytest.param("postgresql", id="postgresql"))
    return backends


@pytest.fixture(scope="session", params=_backends())
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = os.environ["ENVMON_TEST_DATABASE_URL"]
    engine = create_engine_for(url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture()
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Sessions commit to a SAVEPOINT inside the test's transaction.
    return sessionmaker(
        bind=connection,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture()
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture()
def app_client(
    engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    app = create_app(Settings(env="test"), engine)
    app.state.session_factory = session_factory
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as client:
        yield client
