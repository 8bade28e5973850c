"""Ledger tables: entries, Merkle nodes, signing keys, signed tree heads (all append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime

__all__ = ["LedgerEntry", "LedgerKey", "LedgerNode", "TreeHead"]


class LedgerEntry(Base):
    """One entry: its canonical fields, its chain hash and its Merkle leaf hash."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[str] = mapped_column(Text)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerNode(Base):
    """A complete, aligned Merkle subtree of 2**level leaves (level >= 1)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerKey(Base):
    """A public key that has signed tree heads, kept so old heads stay checkable."""

    __tablename__ = "ledger_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TreeHead(Base):
    """A signed tree head: the root over the first ``tree_size`` entries, signed."""

    __tablename__ = "tree_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(16))
    # The exact canonical JSON text that was signed, and its Ed25519 signature (base64).
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
