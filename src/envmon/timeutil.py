"""Time conventions: store UTC, show and read Beijing time (Asia/Shanghai, UTC+8). Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

__all__ = ["BEIJING", "parse_instant", "to_beijing"]

BEIJING: Final = ZoneInfo("Asia/Shanghai")
"""China Standard Time, the zone of HJ 212 times and of every display (no DST)."""


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without zone is Beijing time. Returns UTC.

    Raises
    ------
    ValueError
        If ``text`` is not ISO 8601.

    Examples
    --------
    >>> parse_instant("2016-03-01T08:00").isoformat()
    '2016-03-01T00:00:00+00:00'
    >>> parse_instant("2016-03-01T08:00Z").isoformat()
    '2016-03-01T08:00:00+00:00'
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as err:
        msg = f"not an ISO 8601 time: {text!r}"
        raise ValueError(msg) from err
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(UTC)


def to_beijing(value: datetime) -> datetime:
    """Return an aware instant in Beijing time.

    Examples
    --------
    >>> to_beijing(datetime(2016, 3, 1, 0, tzinfo=UTC)).isoformat()
    '2016-03-01T08:00:00+08:00'
    """
    return value.astimezone(BEIJING)
