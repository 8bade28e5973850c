"""Bulk writes: COPY on PostgreSQL, executemany on SQLite, ids handed out in one query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON, Connection, Table, text

from envmon.storage.types import UTCDateTime

__all__ = ["allocate_ids", "copy_rows"]


def allocate_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """Returns ``count`` fresh ids of ``table`` so rows can be written with their ids.

    PostgreSQL draws them from the table's sequence. SQLite continues after the largest
    id: call it only once the transaction has written (and so holds SQLite's single write
    lock), which makes the read and the writes one atomic step.
    """
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        result = connection.execute(
            text(f"SELECT nextval('{table.name}_id_seq') FROM generate_series(1, :n)"),
            {"n": count},
        )
        return [int(row[0]) for row in result]
    start = connection.execute(
        text(f"SELECT coalesce(max(id), 0) FROM {table.name}")
    ).scalar()
    return list(range(int(start or 0) + 1, int(start or 0) + 1 + count))


def copy_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Writes ``rows`` (tuples in ``columns`` order) into ``table`` as fast as the backend
    allows: COPY on PostgreSQL, a driver-level executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        names = ", ".join(columns)
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    [Json(v) if isinstance(v, dict | list) else v for v in row]
                )
        return
    # SQLite: straight to the driver, values pre-converted as SQLAlchemy would store them
    # (UTC times as "YYYY-MM-DD HH:MM:SS.ffffff", JSON as text): the per-row type
    # processing of a Core executemany costs more than the insert itself.
    raw_sqlite = connection.connection.driver_connection
    assert raw_sqlite is not None
    placeholders = ", ".join("?" for _ in columns)
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    )
    converters = [_converter(table.c[name].type) for name in columns]
    if any(converters):
        rows = [
            [
                v if c is None or v is None else c(v)
                for c, v in zip(converters, row, strict=True)
            ]
            for row in rows
        ]
    raw_sqlite.executemany(statement, rows)


def _converter(column_type: Any) -> Any:
    """Returns how a column's Python value is stored in SQLite, or None if as it is."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_time
    if isinstance(column_type, JSON):
        return partial(json.dumps, ensure_ascii=False)
    return None


@lru_cache(maxsize=8192)
def _sqlite_time(value: datetime) -> str:
    # Rows of one batch share few instants: format each once.
    if value.tzinfo is None:
        msg = f"naive datetime {value!r} refused: store UTC instants"
        raise ValueError(msg)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
