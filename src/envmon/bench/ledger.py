"""Ledger benchmark: append rate in batches, verify rate, inclusion-proof latency.

The baseline, measured in the same run on the same database, is a plain bulk insert of
the same rows into a scratch table with no hashing: the ratio shows what the ledger's
hashing and Merkle bookkeeping cost over the database's own write speed.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from envmon.bootstrap import migrate
from envmon.ledger import service
from envmon.storage.db import make_session_factory, session_scope

__all__ = ["LedgerBench", "run_ledger_bench"]


@dataclass(frozen=True, slots=True)
class LedgerBench:
    """Figures of one benchmark run."""

    backend: str
    entries: int
    batch: int
    append_per_s: float
    append_batch_median_per_s: float
    baseline_insert_per_s: float
    verify_per_s: float
    proof_median_ms: float
    proof_p95_ms: float
    ok: bool


def _payload(i: int) -> dict[str, object]:
    # A realistic small payload: an hourly value with its flags, as ingest will record.
    return {
        "point": f"1100000{i % 500:05d}",
        "parameter": "a34004",
        "measured_at": f"2026-11-23T{i % 24:02d}:00:00+00:00",
        "value": round(35.0 + (i % 97) * 0.5, 1),
        "flag": "N",
    }


def run_ledger_bench(
    engine: Engine,
    *,
    entries: int,
    batch: int,
    proofs: int = 200,
    progress: Callable[[str, int, int], None] | None = None,
) -> LedgerBench:
    """Appends ``entries`` in batches to an empty ledger, then verifies and proves."""
    report = progress or (lambda _s, _d, _t: None)
    migrate(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        if service.size(session=session):
            msg = "the benchmark needs an empty ledger: use a fresh database"
            raise ValueError(msg)
    start_at = datetime(2026, 11, 23, tzinfo=UTC)
    batch_rates = []
    t0 = time.perf_counter()
    for offset in range(0, entries, batch):
        count = min(batch, entries - offset)
        items = [
            service.NewEntry("bench.value", f"point:{i % 500}", _payload(i), "bench")
            for i in range(offset, offset + count)
        ]
        t_batch = time.perf_counter()
        with session_scope(factory) as session:
            service.append_many(
                session=session, entries=items, now=start_at + timedelta(seconds=offset)
            )
        batch_rates.append(count / (time.perf_counter() - t_batch))
        report("append", offset + count, entries)
    append_rate = entries / (time.perf_counter() - t0)

    baseline = _baseline(engine, min(entries, 100_000), batch)
    report("baseline", 1, 1)

    t0 = time.perf_counter()
    with session_scope(factory) as session:
        verified = service.verify(session=session)
    verify_rate = entries / (time.perf_counter() - t0)
    report("verify", 1, 1)

    rng = random.Random(1)
    timings = []
    with session_scope(factory) as session:
        for _ in range(proofs):
            seq = rng.randrange(entries)
            t_proof = time.perf_counter()
            service.inclusion_proof(session=session, seq=seq, tree_size=entries)
            timings.append((time.perf_counter() - t_proof) * 1000)
    timings.sort()
    report("proofs", 1, 1)
    return LedgerBench(
        backend=engine.dialect.name,
        entries=entries,
        batch=batch,
        append_per_s=append_rate,
        append_batch_median_per_s=statistics.median(batch_rates),
        baseline_insert_per_s=baseline,
        verify_per_s=verify_rate,
        proof_median_ms=statistics.median(timings),
        proof_p95_ms=timings[int(0.95 * (len(timings) - 1))],
        ok=verified.ok,
    )


def _baseline(engine: Engine, rows: int, batch: int) -> float:
    """Plain bulk insert of equivalent rows (text + two 32-byte blobs), no hashing."""
    blob = bytes(32)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_baseline"))
        connection.execute(
            text(
                "CREATE TABLE bench_baseline (seq BIGINT PRIMARY KEY, recorded_at TEXT, "
                "actor TEXT, kind TEXT, subject TEXT, payload TEXT, a BYTEA_OR_BLOB, "
                "b BYTEA_OR_BLOB)".replace(
                    "BYTEA_OR_BLOB",
                    "BYTEA" if engine.dialect.name == "postgresql" else "BLOB",
                )
            )
        )
    t0 = time.perf_counter()
    for offset in range(0, rows, batch):
        values = [
            {
                "seq": i,
                "t": "2026-11-23T00:00:00.000000+00:00",
                "actor": "bench",
                "kind": "bench.value",
                "subject": f"point:{i % 500}",
                "payload": str(_payload(i)),
                "a": blob,
                "b": blob,
            }
            for i in range(offset, min(rows, offset + batch))
        ]
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO bench_baseline VALUES "
                    "(:seq, :t, :actor, :kind, :subject, :payload, :a, :b)"
                ),
                values,
            )
    rate = rows / (time.perf_counter() - t0)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_baseline"))
    return rate
