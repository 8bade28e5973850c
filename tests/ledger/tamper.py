"""Test helper: change stored rows behind the append-only triggers' back, as an attacker
with database access would (drop the trigger, change a byte, restore the trigger)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text

from envmon.storage.db import append_only_ddl


@contextmanager
def unguarded(connection: Connection, table: str) -> Iterator[None]:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for op in ("update", "delete"):
            connection.execute(text(f"DROP TRIGGER {table}_no_{op}"))
    else:
        connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        connection.execute(text(f"DROP TRIGGER {table}_no_truncate ON {table}"))
    try:
        yield
    finally:
        for statement in append_only_ddl(dialect, table):
            connection.execute(text(statement))


def flip_bit(value: Any, bit: int) -> Any:
    """Returns ``value`` with one bit changed (text stays valid ASCII-range UTF-8)."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytearray(bytes(value))
        data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
        return bytes(data)
    if isinstance(value, str):
        ascii_positions = [i for i, c in enumerate(value) if ord(c) < 128]
        position = ascii_positions[(bit // 7) % len(ascii_positions)]
        changed = chr(ord(value[position]) ^ (1 << (bit % 7)))
        return value[:position] + changed + value[position + 1 :]
    if isinstance(value, int):
        return value ^ (1 << (bit % 16))
    raise TypeError(type(value))
