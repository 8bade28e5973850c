"""Append to the ledger inside the caller's transaction, verify it, prove inclusion.

There is no update or delete function, here or anywhere: the tables refuse both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import String, Table, and_, func, insert, or_, select, text, type_coerce
from sqlalchemy.orm import Session

from envmon.errors import NotFoundError, ValidationError
from envmon.ledger import merkle
from envmon.ledger.chain import GENESIS, Entry, canonical_json, chain_hash, format_time
from envmon.ledger.models import LedgerEntry, LedgerKey, LedgerNode, TreeHead
from envmon.ledger.signing import verify as verify_signature

__all__ = [
    "NewEntry",
    "VerifyReport",
    "append",
    "append_many",
    "consistency_proof",
    "entry_of",
    "get_entry_or_raise",
    "inclusion_proof",
    "latest_tree_head",
    "root_at",
    "size",
    "verify",
]

# pg_advisory_xact_lock key serialising appends on PostgreSQL ("envmon" in ASCII).
LOCK_KEY: Final = 0x656E766D6F6E
PROBLEM_LIMIT: Final = 50
ENTRIES_TABLE: Final = cast(Table, LedgerEntry.__table__)
NODES_TABLE: Final = cast(Table, LedgerNode.__table__)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What a caller records: the kind of event, its subject, its data and who did it."""

    kind: str
    subject: str
    payload: Mapping[str, Any]
    actor: str


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    # SQLite serialises writers itself: a concurrent append fails rather than forks.


def size(*, session: Session) -> int:
    """Returns the number of entries in the ledger."""
    last = session.scalar(
        select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1)
    )
    return 0 if last is None else int(last) + 1


def _head(session: Session) -> tuple[int, bytes]:
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry_hash)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, GENESIS
    return int(row[0]) + 1, bytes(row[1])


def _chunks(keys: Sequence[Any], size_: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(keys), size_):
        yield keys[start : start + size_]


def _lookup_nodes(
    session: Session, keys: Iterable[merkle.NodeKey]
) -> dict[merkle.NodeKey, bytes]:
    """Fetches complete-subtree hashes: leaves from entries, the rest from nodes."""
    keys = list(keys)
    found: dict[merkle.NodeKey, bytes] = {}
    leaves = [index for level, index in keys if level == 0]
    for chunk in _chunks(leaves):
        for seq, leaf in session.execute(
            select(LedgerEntry.seq, LedgerEntry.leaf_hash).where(
                LedgerEntry.seq.in_(chunk)
            )
        ):
            found[(0, int(seq))] = bytes(leaf)
    inner = [key for key in keys if key[0] > 0]
    for chunk in _chunks(inner, 100):
        # OR of point lookups: both SQLite and PostgreSQL answer each from the primary key
        # (a row-value IN list makes SQLite scan the whole table).
        condition = or_(
            *(and_(LedgerNode.level == lv, LedgerNode.idx == ix) for lv, ix in chunk)
        )
        for level, index, value in session.execute(
            select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(condition)
        ):
            found[(int(level), int(index))] = bytes(value)
    return found


def append_many(
    *, session: Session, entries: Sequence[NewEntry], now: datetime
) -> list[int]:
    """Appends entries in the caller's transaction; returns their sequence numbers.

    The caller commits: the entries become durable together with the change they record.
    """
    if not entries:
        return []
    _lock(session)
    first, previous = _head(session)
    recorded = format_time(now)
    rows: list[dict[str, Any]] = []
    known: dict[merkle.NodeKey, bytes] = {}
    for offset, item in enumerate(entries):
        entry = Entry(
            seq=first + offset,
            recorded_at=recorded,
            actor=item.actor,
            kind=item.kind,
            subject=item.subject,
            payload=canonical_json(dict(item.payload)),
        )
        data = entry.to_bytes()
        previous = chain_hash(previous, data)
        leaf = merkle.leaf_hash(data)
        known[(0, entry.seq)] = leaf
        rows.append(
            {
                "seq": entry.seq,
                "recorded_at": now,
                "actor": entry.actor,
                "kind": entry.kind,
                "subject": entry.subject,
                "payload": entry.payload,
                "entry_hash": previous,
                "leaf_hash": leaf,
            }
        )
    new_seqs = range(first, first + len(entries))
    completed = [p for seq in new_seqs for p in merkle.parents_completed_by(seq)]
    produced = set(completed)
    needed = {c for p in completed for c in merkle.children(p)} - produced - set(known)
    known.update(_lookup_nodes(session, sorted(needed)))
    node_rows = []
    for parent in completed:  # bottom-up within each leaf, leaves in order
        left, right = merkle.children(parent)
        known[parent] = merkle.node_hash(known[left], known[right])
        node_rows.append({"level": parent[0], "idx": parent[1], "hash": known[parent]})
    # Core executemany on the session's connection (same transaction, no ORM bookkeeping).
    connection = session.connection()
    connection.execute(insert(ENTRIES_TABLE), rows)
    if node_rows:
        connection.execute(insert(NODES_TABLE), node_rows)
    return list(new_seqs)


def append(
    *,
    session: Session,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    actor: str,
    now: datetime,
) -> int:
    """Appends one entry in the caller's transaction; returns its sequence number."""
    return append_many(
        session=session,
        entries=[NewEntry(kind=kind, subject=subject, payload=payload, actor=actor)],
        now=now,
    )[0]


def entry_of(row: LedgerEntry) -> Entry:
    """Returns the canonical entry of a stored row."""
    return Entry(
        seq=row.seq,
        recorded_at=format_time(row.recorded_at),
        actor=row.actor,
        kind=row.kind,
        subject=row.subject,
        payload=row.payload,
    )


def get_entry_or_raise(*, session: Session, seq: int) -> LedgerEntry:
    """Returns the entry with the given sequence number."""
    row = session.get(LedgerEntry, seq)
    if row is None:
        msg = f"no ledger entry {seq} (the ledger has {size(session=session)} entries)"
        raise NotFoundError(msg)
    return row


def root_at(*, session: Session, tree_size: int) -> bytes:
    """Returns the Merkle root over the first ``tree_size`` entries."""
    keys = merkle.root_keys(tree_size)
    nodes = _lookup_nodes(session, keys)
    return merkle.root_hash(tree_size, nodes.__getitem__)


def _check_size(session: Session, tree_size: int) -> None:
    current = size(session=session)
    if not 0 < tree_size <= current:
        msg = f"tree size {tree_size} is not between 1 and the ledger's size {current}"
        raise ValidationError(msg)


def inclusion_proof(*, session: Session, seq: int, tree_size: int) -> list[bytes]:
    """Returns the audit path of entry ``seq`` in the tree of ``tree_size`` entries."""
    _check_size(session, tree_size)
    if not 0 <= seq < tree_size:
        msg = f"entry {seq} is not in a tree of {tree_size} entries"
        raise ValidationError(msg)
    ranges = merkle.inclusion_ranges(seq, tree_size)
    nodes = _lookup_nodes(session, merkle.proof_keys(ranges))
    return merkle.proof_hashes(ranges, nodes.__getitem__)


def consistency_proof(*, session: Session, first: int, second: int) -> list[bytes]:
    """Returns the proof that the tree of ``first`` entries is a prefix of ``second``."""
    _check_size(session, second)
    if not 0 < first <= second:
        msg = f"first size {first} must be between 1 and second size {second}"
        raise ValidationError(msg)
    ranges = merkle.consistency_ranges(first, second)
    nodes = _lookup_nodes(session, merkle.proof_keys(ranges))
    return merkle.proof_hashes(ranges, nodes.__getitem__)


def latest_tree_head(*, session: Session) -> TreeHead | None:
    """Returns the newest signed tree head, if any."""
    return session.scalar(select(TreeHead).order_by(TreeHead.id.desc()).limit(1))


@dataclass(slots=True)
class VerifyReport:
    """The outcome of recomputing the whole ledger."""

    entries: int = 0
    nodes: int = 0
    tree_heads: int = 0
    root: str = merkle.EMPTY_ROOT.hex()
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        """Returns whether no problem was found."""
        return not self.problems

    def add(self, message: str, seq: int | None = None) -> None:
        """Records a problem (the first ones are kept in full)."""
        if seq is not None and self.first_bad_seq is None:
            self.first_bad_seq = seq
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append(message)


class _Frontier:
    """The right edge of a growing Merkle tree: gives the root of every prefix and keeps
    every completed subtree hash, per level, packed in a bytearray (32 bytes a node)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.levels: list[bytearray] = []

    def push(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            value = merkle.node_hash(left, value)
            level += 1
            if len(self.levels) < level:
                self.levels.append(bytearray())
            self.levels[level - 1] += value
        self.stack.append((level, value))

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = merkle.node_hash(left, value)
        return value

    def node(self, level: int, index: int) -> bytes:
        return bytes(self.levels[level - 1][index * 32 : index * 32 + 32])


def _time_column(session: Session) -> Any:
    """Selects ``recorded_at`` as the canonical text directly, skipping datetime parsing."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # SQLite keeps UTC as "YYYY-MM-DD HH:MM:SS.ffffff".
        return (
            func.replace(type_coerce(LedgerEntry.recorded_at, String), " ", "T")
            + "+00:00"
        )
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("UTC", LedgerEntry.recorded_at),
            'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"',
        )
    return LedgerEntry.recorded_at


def _time_text(value: Any) -> str:
    return value if isinstance(value, str) else format_time(value)


def _verify_entries(
    session: Session, report: VerifyReport, head_sizes: set[int], chunk: int
) -> tuple[dict[int, bytes], _Frontier]:
    roots: dict[int, bytes] = {}
    frontier = _Frontier()
    previous = GENESIS
    expected = 0
    query = select(
        LedgerEntry.seq,
        _time_column(session),
        LedgerEntry.actor,
        LedgerEntry.kind,
        LedgerEntry.subject,
        LedgerEntry.payload,
        LedgerEntry.entry_hash,
        LedgerEntry.leaf_hash,
    ).order_by(LedgerEntry.seq)
    leaf_hash, sha256 = merkle.leaf_hash, hashlib.sha256
    for (
        seq,
        recorded,
        actor,
        kind,
        subject,
        payload,
        stored_chain,
        stored_leaf,
    ) in session.execute(query.execution_options(yield_per=chunk)):
        if seq != expected:
            report.add(
                f"entry {expected} is missing (next stored entry is {seq})", expected
            )
        data = Entry(
            seq, _time_text(recorded), actor, kind, subject, payload
        ).to_bytes()
        previous = sha256(previous + data).digest()
        leaf = leaf_hash(data)
        if stored_chain != previous:
            report.add(
                f"entry {seq} ({kind} {subject}): content does not match its chain hash "
                "— the entry or one before it was altered",
                seq,
            )
            previous = bytes(
                stored_chain
            )  # continue from the stored chain: name each once
        if stored_leaf != leaf:
            report.add(f"entry {seq}: stored leaf hash does not match its content", seq)
        frontier.push(leaf)
        expected = seq + 1
        if expected in head_sizes:
            roots[expected] = frontier.root()
    report.entries = expected
    report.root = frontier.root().hex()
    return roots, frontier


def _verify_nodes(
    session: Session, report: VerifyReport, frontier: _Frontier, chunk: int
) -> None:
    """Compares every stored Merkle node with the one recomputed from the entries."""
    for level in range(1, len(frontier.levels) + 1):
        expected_count = report.entries >> level
        count = 0
        query = (
            select(LedgerNode.idx, LedgerNode.hash)
            .where(LedgerNode.level == level)
            .order_by(LedgerNode.idx)
        )
        nodes = session.connection().execute(query.execution_options(yield_per=chunk))
        for index, value in nodes:
            if index != count or index >= expected_count:
                report.add(f"Merkle level {level}: unexpected node #{index}")
                break
            if value != frontier.node(level, index):
                first = index << level
                report.add(
                    f"Merkle node level {level} #{index} (entries {first}–"
                    f"{first + (1 << level) - 1}) does not match the entries",
                    first,
                )
            count += 1
        if count != expected_count:
            report.add(
                f"Merkle level {level} has {count} nodes, expected {expected_count}"
            )
        report.nodes += count


def _verify_heads(
    session: Session, report: VerifyReport, roots: dict[int, bytes]
) -> None:
    keys = {k.key_id: k.public_pem.encode() for k in session.scalars(select(LedgerKey))}
    last_size = 0
    for head in session.scalars(select(TreeHead).order_by(TreeHead.id)):
        report.tree_heads += 1
        where = f"tree head #{head.id} (size {head.tree_size})"
        public = keys.get(head.key_id)
        if public is None or not verify_signature(
            public, head.document.encode(), head.signature
        ):
            report.add(f"{where}: signature does not verify with key {head.key_id}")
        expected_document = canonical_json(
            {
                "key_id": head.key_id,
                "log": "envmon",
                "root_hash": head.root_hash,
                "timestamp": format_time(head.signed_at),
                "tree_size": head.tree_size,
            }
        )
        if head.document != expected_document:
            report.add(f"{where}: signed document does not match its columns")
        if head.tree_size < last_size:
            report.add(f"{where}: smaller than an earlier head ({last_size})")
        last_size = max(last_size, head.tree_size)
        root = roots.get(head.tree_size)
        if root is None:
            report.add(f"{where}: the ledger no longer has {head.tree_size} entries")
        elif root.hex() != head.root_hash:
            report.add(
                f"{where}: root differs from the recomputed ledger — history was rewritten"
            )


def verify(*, session: Session, chunk: int = 20_000) -> VerifyReport:
    """Recomputes every entry, chain link, Merkle node and signed tree head."""
    report = VerifyReport()
    head_sizes = set(session.scalars(select(TreeHead.tree_size)))
    roots, frontier = _verify_entries(session, report, head_sizes, chunk)
    _verify_nodes(session, report, frontier, chunk)
    _verify_heads(session, report, roots)
    return report
