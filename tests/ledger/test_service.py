"""The ledger on a real database: same-transaction writes, verification, tampering, proofs."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from envmon.errors import ImportRejected
from envmon.ledger import merkle, service
from envmon.ledger.chain import GENESIS, chain_hash
from envmon.ledger.flows import sign_tree_head, tree_head_json
from envmon.ledger.models import LedgerEntry, TreeHead
from envmon.ledger.proofs import (
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    check_consistency_bundle,
    check_inclusion_bundle,
)
from envmon.ledger.signing import KeyPair, generate_key_pair
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import RegistryChange
from tests.conftest import NOW
from tests.factories import document
from tests.ledger.tamper import flip_bit, unguarded

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return generate_key_pair()


def add(session: Session, count: int, start: int = 0) -> list[int]:
    return service.append_many(
        session=session,
        entries=[
            service.NewEntry(
                kind="test.event",
                subject=f"thing:{start + i}",
                payload={
                    "n": start + i,
                    "名称": "东四",
                    "nested": {"b": [1, 2.5, None]},
                },
                actor="tester",
            )
            for i in range(count)
        ],
        now=NOW + timedelta(seconds=start),
    )


def test_registry_changes_are_sealed_in_the_same_transaction(session: Session) -> None:
    text_ = yaml.safe_dump(document(), allow_unicode=True)
    apply_document(
        session=session,
        document=parse_yaml(text_, "a.yaml"),
        actor="alice",
        source="a.yaml",
        now=NOW,
    )
    changes = session.scalar(select(func.count()).select_from(RegistryChange))
    kinds = session.scalars(select(LedgerEntry.kind)).all()
    assert kinds.count("registry.create") == changes == 16
    # A refused document leaves neither a change nor a ledger entry.
    before = service.size(session=session)
    bad = document()
    bad["stations"][0]["region"] = "110199"
    with pytest.raises(ImportRejected):
        apply_document(
            session=session,
            document=parse_yaml(yaml.safe_dump(bad), "b.yaml"),
            actor="alice",
            source="b.yaml",
            now=NOW,
        )
    assert service.size(session=session) == before


def test_append_then_verify_counts_everything(session: Session, key: KeyPair) -> None:
    assert add(session, 5) == [0, 1, 2, 3, 4]
    assert add(session, 8, start=5) == list(range(5, 13))
    sign_tree_head(session=session, key=key, now=NOW)
    report = service.verify(session=session)
    assert report.ok, report.problems
    assert (report.entries, report.nodes, report.tree_heads) == (13, 6 + 3 + 1, 1)
    # The incremental nodes give the same root as a tree built in memory from the entries.
    rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    tree = merkle.MemoryTree(service.entry_of(r).to_bytes() for r in rows)
    assert report.root == tree.root().hex()
    assert service.root_at(session=session, tree_size=7) == tree.root(7)


def test_direct_update_and_delete_are_refused(
    session: Session, connection: Connection
) -> None:
    add(session, 3)
    session.flush()
    for statement in (
        "UPDATE ledger_entries SET actor = 'mallory'",
        "DELETE FROM ledger_entries WHERE seq = 2",
        "UPDATE ledger_nodes SET hash = hash",
    ):
        savepoint = connection.begin_nested()
        with pytest.raises(DatabaseError, match="append-only"):
            connection.execute(text(statement))
        savepoint.rollback()


def test_a_byte_changed_behind_the_triggers_back_is_named(
    session: Session, connection: Connection
) -> None:
    add(session, 20)
    session.flush()
    with unguarded(connection, "ledger_entries"):
        connection.execute(
            text(
                "UPDATE ledger_entries SET payload = replace(payload, :old, :new) "
                "WHERE seq = 13"
            ),
            {"old": '"n":13', "new": '"n":31'},
        )
    report = service.verify(session=session)
    assert not report.ok
    assert report.first_bad_seq == 13
    assert report.problems[0].startswith(
        "entry 13 (test.event thing:13): content does not match"
    )


FIELDS = [
    "recorded_at",
    "actor",
    "kind",
    "subject",
    "payload",
    "entry_hash",
    "leaf_hash",
]


def test_flipping_any_single_bit_of_any_entry_fails_verification(
    session: Session, connection: Connection, key: KeyPair
) -> None:
    add(session, 9)
    sign_tree_head(session=session, key=key, now=NOW)
    session.flush()
    rng = random.Random(20261123)
    for seq in range(9):
        for field in FIELDS:
            savepoint = connection.begin_nested()
            column = getattr(LedgerEntry, field)
            value = connection.execute(
                select(column).where(LedgerEntry.seq == seq)
            ).scalar_one()
            if field == "recorded_at":
                changed = value + timedelta(microseconds=1 << rng.randrange(20))
            else:
                changed = flip_bit(value, rng.randrange(256))
            with unguarded(connection, "ledger_entries"):
                connection.execute(
                    update(LedgerEntry)
                    .where(LedgerEntry.seq == seq)
                    .values({field: changed})
                )
            report = service.verify(session=session)
            assert not report.ok, f"flipping {field} of entry {seq} went unnoticed"
            assert report.first_bad_seq == seq, report.problems
            savepoint.rollback()


def test_flipping_a_bit_of_a_signed_head_fails_verification(
    session: Session, connection: Connection, key: KeyPair
) -> None:
    add(session, 4)
    sign_tree_head(session=session, key=key, now=NOW)
    session.flush()
    rng = random.Random(7)
    for field in ("root_hash", "document", "signature"):
        for _ in range(5):
            savepoint = connection.begin_nested()
            value = connection.execute(
                text(f"SELECT {field} FROM tree_heads")
            ).scalar_one()
            with unguarded(connection, "tree_heads"):
                connection.execute(
                    text(f"UPDATE tree_heads SET {field} = :v"),
                    {"v": flip_bit(value, rng.randrange(400))},
                )
            assert not service.verify(session=session).ok, field
            savepoint.rollback()


def test_a_rewritten_history_is_caught_by_the_signed_head(
    session: Session, connection: Connection, key: KeyPair
) -> None:
    add(session, 6)
    sign_tree_head(session=session, key=key, now=NOW)
    session.flush()
    # The attacker rewrites entry 2 and recomputes every chain hash, leaf and node so that
    # the entries and the tree are consistent again; only the signed head remembers.
    rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    entries = [service.entry_of(r) for r in rows]
    entries[2] = dataclasses.replace(entries[2], actor="mallory")
    tree = merkle.MemoryTree(e.to_bytes() for e in entries)
    previous = GENESIS
    with unguarded(connection, "ledger_entries"), unguarded(connection, "ledger_nodes"):
        for entry in entries:
            previous = chain_hash(previous, entry.to_bytes())
            connection.execute(
                text(
                    "UPDATE ledger_entries SET actor = :a, entry_hash = :h, leaf_hash = :l "
                    "WHERE seq = :s"
                ),
                {
                    "a": entry.actor,
                    "h": previous,
                    "l": merkle.leaf_hash(entry.to_bytes()),
                    "s": entry.seq,
                },
            )
        for level in (1, 2):
            for index in range(6 >> level):
                connection.execute(
                    text(
                        "UPDATE ledger_nodes SET hash = :h WHERE level = :lv AND idx = :i"
                    ),
                    {"h": tree.lookup((level, index)), "lv": level, "i": index},
                )
    report = service.verify(session=session)
    assert len(report.problems) == 1
    assert report.problems[0].endswith(
        "(size 6): root differs from the recomputed ledger — history was rewritten"
    )


def test_inclusion_and_consistency_proofs_check_with_the_public_key_only(
    session: Session, key: KeyPair
) -> None:
    add(session, 11)
    first = sign_tree_head(session=session, key=key, now=NOW)
    add(session, 26, start=11)
    second = sign_tree_head(session=session, key=key, now=NOW + timedelta(minutes=1))
    assert first is not None and second is not None
    for seq in (0, 5, 10, 11, 36):
        row = service.get_entry_or_raise(session=session, seq=seq)
        bundle = {
            "format": INCLUSION_FORMAT,
            "entry": service.entry_of(row).as_dict(),
            "leaf_index": seq,
            "tree_size": second.tree_size,
            "audit_path": [
                h.hex()
                for h in service.inclusion_proof(
                    session=session, seq=seq, tree_size=second.tree_size
                )
            ],
            "tree_head": tree_head_json(second),
        }
        assert check_inclusion_bundle(bundle, key.public_pem).ok
        # The same proof against the other head fails.
        assert not check_inclusion_bundle(
            {**bundle, "tree_head": tree_head_json(first)}, key.public_pem
        ).ok
        # Another key cannot vouch for the head.
        assert not check_inclusion_bundle(bundle, generate_key_pair().public_pem).ok
        changed = {**bundle, "entry": {**bundle["entry"], "actor": "mallory"}}
        assert "NOT included" in check_inclusion_bundle(changed, key.public_pem).message
    proof = service.consistency_proof(session=session, first=11, second=37)
    bundle = {
        "format": CONSISTENCY_FORMAT,
        "first": tree_head_json(first),
        "second": tree_head_json(second),
        "proof": [h.hex() for h in proof],
    }
    assert check_consistency_bundle(bundle, key.public_pem).ok
    swapped = {
        **bundle,
        "first": tree_head_json(second),
        "second": tree_head_json(first),
    }
    assert not check_consistency_bundle(swapped, key.public_pem).ok


def test_signing_only_when_the_tree_grew(session: Session, key: KeyPair) -> None:
    add(session, 2)
    assert sign_tree_head(session=session, key=key, now=NOW) is not None
    assert sign_tree_head(session=session, key=key, now=NOW) is None
    assert sign_tree_head(session=session, key=key, now=NOW, force=True) is not None
    assert session.scalar(select(func.count()).select_from(TreeHead)) == 2
