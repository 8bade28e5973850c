"""Ledger entries and their hash chain. Pure: no database, clock or I/O.

An entry is the canonical JSON document ``{"actor", "kind", "payload", "recorded_at", "seq",
"subject"}`` (keys sorted, no spaces, UTF-8, times in UTC ISO 8601). Its bytes are both the
Merkle leaf (RFC 6962, see :mod:`envmon.ledger.merkle`) and the input of the hash chain
``entry_hash = sha256(prev_entry_hash || entry_bytes)``, with 32 zero bytes before the first
entry. The chain names the first altered entry; the Merkle tree gives short proofs that a
signed tree head covers an entry.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "GENESIS",
    "Entry",
    "canonical_json",
    "chain_hash",
    "format_time",
]

GENESIS: Final = bytes(32)
"""The hash before the first entry."""


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value``.

    Keys sorted, separators without spaces, non-ASCII kept as UTF-8, NaN refused.

    Raises
    ------
    ValueError
        If ``value`` holds something JSON cannot represent (NaN, a datetime, bytes…).

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "东四"})
    '{"a":"东四","b":1}'
    """
    try:
        return json.dumps(
            value,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError) as err:
        msg = f"not canonical-JSON representable: {err}"
        raise ValueError(msg) from err


def format_time(value: datetime) -> str:
    """Return an aware time as UTC ISO 8601 with microseconds.

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> format_time(datetime(2016, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    '2016-03-01T00:00:00.000000+00:00'
    """
    if value.tzinfo is None:
        msg = f"ledger times must be timezone-aware, got {value!r}"
        raise ValueError(msg)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# The C string encoder json.dumps uses for ensure_ascii=False: same output, far faster on
# the verify path, where every entry is re-encoded.
_text = json.encoder.encode_basestring


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry; ``payload`` is canonical JSON text."""

    seq: int
    recorded_at: str
    actor: str
    kind: str
    subject: str
    payload: str

    def to_bytes(self) -> bytes:
        """Return the entry's canonical JSON bytes (the Merkle leaf data).

        Built by concatenation in sorted-key order, which equals ``canonical_json`` of the
        entry as a mapping whenever ``payload`` is itself canonical.

        Examples
        --------
        >>> Entry(0, "2026-01-01T00:00:00.000000+00:00", "alice", "k", "s", '{"x":1}').to_bytes()
        b'{"actor":"alice","kind":"k","payload":{"x":1},"recorded_at":"2026-01-01T00:00:00.000000+00:00","seq":0,"subject":"s"}'
        """
        return (
            f'{{"actor":{_text(self.actor)},"kind":{_text(self.kind)},'
            f'"payload":{self.payload},"recorded_at":{_text(self.recorded_at)},'
            f'"seq":{self.seq},"subject":{_text(self.subject)}}}'
        ).encode()

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as a mapping with the payload parsed."""
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "payload": json.loads(self.payload),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """Return the entry described by ``data`` (the payload re-canonicalised).

        Raises
        ------
        ValueError
            If a field is missing or of the wrong type.
        """
        try:
            return cls(
                seq=int(data["seq"]),
                recorded_at=str(data["recorded_at"]),
                actor=str(data["actor"]),
                kind=str(data["kind"]),
                subject=str(data["subject"]),
                payload=canonical_json(data["payload"]),
            )
        except (KeyError, TypeError) as err:
            msg = f"not a ledger entry: {err!r}"
            raise ValueError(msg) from err


def chain_hash(previous: bytes, entry_bytes: bytes) -> bytes:
    """Return ``sha256(previous || entry_bytes)``, the entry's link in the hash chain.

    Examples
    --------
    >>> chain_hash(GENESIS, b"{}").hex()[:16]
    'fb1634c4e6cd4b1f'
    """
    return hashlib.sha256(previous + entry_bytes).digest()
