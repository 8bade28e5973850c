"""Simulated data loggers: upload HJ 212 frames over TCP and wait for 9014 acks (edge).

Each point is a data logger (HJ 212-2017 §1: the station is the TCP client). Points share
connections keyed by MN when asked to. Frames go out at ``rate`` frames/s in total, spread
evenly over the points, with ``DataTime`` advancing one interval per frame from ``start``.
Every upload carries ``Flag=5`` (2017, acknowledgement requested) and a unique ``QN``; the
platform must answer each accepted frame with a 9014 carrying the same QN (§8.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from envmon.hj212.codec import (
    Frame,
    FrameDecoder,
    build_segment,
    encode_cp,
    encode_frame,
)
from envmon.simulate.faults import FaultConfig, FrameFaults, RecordFaults
from envmon.simulate.sources import COMMAND_CODES, DataKind, PointSpec, Record, generate
from envmon.timeutil import BEIJING

__all__ = ["SimulationStats", "run"]

log = logging.getLogger(__name__)

UPLOAD_FLAG = 5
"""HJ 212-2017 §4.1: version 1 (2017), A=1 (acknowledge), not split."""


@dataclass(slots=True)
class SimulationStats:
    """Counts and acknowledgement latencies of one simulation run."""

    points: int = 0
    connections: int = 0
    sent: int = 0  # frames written, resends and deliberately bad frames included
    expected: int = 0  # frames the platform must acknowledge
    acked: int = 0  # acknowledged within the timeout
    late: int = 0  # acknowledged after the timeout (counted as unacked)
    bad: int = 0  # deliberately bad frames (bad CRC, unknown MN, wrong PW)
    bad_acked: int = 0  # bad frames the platform acknowledged anyway
    resends: int = 0
    not_sent: int = 0  # frames lost because the connection could not be (re)opened
    unmatched_acks: int = 0  # 9014 with a QN never sent
    reply_errors: int = 0  # undecodable bytes from the platform
    reconnects: int = 0
    writes: int = 0
    bytes_sent: int = 0
    elapsed_s: float = 0.0
    faults: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def unacked(self) -> int:
        """Returns the frames that should have been, but were not, acknowledged in time."""
        return self.expected - self.acked

    @property
    def ok(self) -> bool:
        """Returns whether the platform acknowledged exactly what it should have."""
        return self.unacked == 0 and self.bad_acked == 0 and self.not_sent == 0

    def latency_ms(self, percentile: float) -> float | None:
        """Returns a percentile (0-100) of the acknowledgement latency, None if no ack."""
        if not self.latencies_ms:
            return None
        return float(np.percentile(np.asarray(self.latencies_ms), percentile))

    def count(self, fault: str, n: int = 1) -> None:
        """Adds ``n`` to the count of ``fault``."""
        self.faults[fault] = self.faults.get(fault, 0) + n


class _Qn:
    """QN = Beijing ms timestamp (17 digits), bumped by one ms when needed: unique per run."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> str:
        ms = max(time.time_ns() // 1_000_000, self.last + 1)
        self.last = ms
        at = datetime.fromtimestamp(ms / 1000, BEIJING)
        return f"{at:%Y%m%d%H%M%S}{ms % 1000:03d}"


@dataclass(slots=True)
class _Write:
    chunks: list[bytes]
    frames: list[tuple[str, bool]]  # (QN, must be acknowledged)


class _Acks:
    """Outstanding frames by QN, matched against 9014 replies."""

    def __init__(self, stats: SimulationStats, timeout_s: float) -> None:
        self.stats, self.timeout_s = stats, timeout_s
        self.pending: dict[str, deque[float]] = {}
        self.bad: set[str] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    def sent(self, qn: str, expected: bool) -> None:
        if expected:
            self.pending.setdefault(qn, deque()).append(time.monotonic())
            self.stats.expected += 1
            self.idle.clear()
        else:
            self.bad.add(qn)

    def reply(self, frame: Frame) -> None:
        if frame.cn != "9014":
            return  # requests from the platform (time sync, ...) are not simulated
        qn = frame.qn or ""
        sends = self.pending.get(qn)
        if sends:
            latency = time.monotonic() - sends.popleft()
            if not sends:
                del self.pending[qn]
            if latency <= self.timeout_s:
                self.stats.acked += 1
                self.stats.latencies_ms.append(latency * 1000.0)
            else:
                self.stats.late += 1
            if not self.pending:
                self.idle.set()
        elif qn in self.bad:
            self.stats.bad_acked += 1
        else:
            self.stats.unmatched_acks += 1


class _Connection:
    """One TCP connection with its send queue, reader and wire faults."""

    def __init__(
        self,
        host: str,
        port: int,
        acks: _Acks,
        faults: FrameFaults,
        stats: SimulationStats,
    ) -> None:
        self.host, self.port, self.acks, self.faults, self.stats = (
            host,
            port,
            acks,
            faults,
            stats,
        )
        self.queue: asyncio.Queue[_Write] = asyncio.Queue()
        self.writer: asyncio.StreamWriter | None = None
        self.reader_task: asyncio.Task[None] | None = None
        self.sender_task: asyncio.Task[None] | None = None
        self.held: list[tuple[bytes, str, bool]] = []
        self.hold_for = 0
        self.frames = 0
        self.resends: list[tuple[int, bytes, str]] = []

    async def open(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.writer = writer
        self.reader_task = asyncio.create_task(self._read(reader, writer))
        if self.sender_task is None:
            self.sender_task = asyncio.create_task(self._send())

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        decoder = FrameDecoder()
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                for item in decoder.feed(chunk):
                    if isinstance(item, Frame) and item.ok:
                        self.acks.reply(item)
                    else:
                        self.stats.reply_errors += 1
        # The platform closed the connection: reopen it on the next write.
        writer.close()
        if self.writer is writer:
            self.writer = None

    async def _send(self) -> None:
        while True:
            write = await self.queue.get()
            try:
                await self._write(write)
            except OSError as err:
                log.warning("write failed: %s", err, extra={"port": self.port})
                self.stats.not_sent += len(write.frames)
                self.writer = None
            finally:
                self.queue.task_done()

    async def _write(self, write: _Write) -> None:
        if self.writer is None or self.writer.is_closing():
            await self.open()
            self.stats.reconnects += 1
        assert self.writer is not None
        for index, chunk in enumerate(write.chunks):
            if index == len(write.chunks) - 1:
                for qn, expected in write.frames:
                    self.acks.sent(qn, expected)
                self.stats.sent += len(write.frames)
            self.writer.write(chunk)
            self.stats.writes += 1
            self.stats.bytes_sent += len(chunk)
            await self.writer.drain()
            if len(write.chunks) > 1:
                # Let each part of a split frame leave in its own TCP segment.
                await asyncio.sleep(0.001)

    def deliver(self, frame: bytes, qn: str, expected: bool) -> None:
        """Queues one frame, applying merge and split, then any resend now due."""
        self.frames += 1
        if not self.hold_for and (count := self.faults.merge_count()) > 1:
            self.hold_for = count
        if self.hold_for:
            self.held.append((frame, qn, expected))
            self.stats.count("merge")
            if len(self.held) >= self.hold_for:
                self.flush()
        else:
            chunks = self.faults.chunks(frame)
            if len(chunks) > 1:
                self.stats.count("split")
            self.queue.put_nowait(_Write(chunks, [(qn, expected)]))
        if expected and (after := self.faults.resend_after()) is not None:
            self.resends.append((self.frames + after, frame, qn))
        self.resend(due=self.frames)

    def resend(self, due: float) -> None:
        """Queues the resends due by frame number ``due`` (the exact same bytes)."""
        now = [r for r in self.resends if r[0] <= due]
        self.resends = [r for r in self.resends if r[0] > due]
        for _, frame, qn in now:
            self.stats.resends += 1
            self.stats.count("resend")
            self.queue.put_nowait(_Write([frame], [(qn, True)]))

    def flush(self) -> None:
        """Writes the frames held for a merge as one write."""
        if self.held:
            blob = self.faults.merge([f for f, _, _ in self.held])
            self.queue.put_nowait(_Write([blob], [(qn, e) for _, qn, e in self.held]))
        self.held, self.hold_for = [], 0

    async def close(self) -> None:
        for task in (self.sender_task, self.reader_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


@dataclass(slots=True)
class _Point:
    spec: PointSpec
    records: Iterator[Record]
    faults: RecordFaults
    connection: _Connection


async def run(
    targets: Sequence[PointSpec],
    host: str,
    port: int,
    *,
    rate: float,
    duration_s: float,
    seed: int,
    faults: FaultConfig,
    kind: DataKind,
    start: datetime,
    connections: int | None = None,
    ack_timeout_s: float = 10.0,
    interval: timedelta | None = None,
) -> SimulationStats:
    """Runs the loggers against ``host:port`` and returns what was sent and acknowledged."""
    if not targets:
        msg = "no points to simulate"
        raise ValueError(msg)
    if rate <= 0 or duration_s < 0 or ack_timeout_s <= 0:
        msg = f"rate {rate} and ack timeout {ack_timeout_s} must be > 0, duration >= 0"
        raise ValueError(msg)
    stats = SimulationStats(points=len(targets))
    acks = _Acks(stats, ack_timeout_s)
    count = (
        len(targets) if connections is None else max(1, min(connections, len(targets)))
    )
    pool = [
        _Connection(
            host,
            port,
            acks,
            FrameFaults(faults, np.random.default_rng([seed, 2, i])),
            stats,
        )
        for i in range(count)
    ]
    by_mn: dict[str, _Connection] = {}
    points = []
    for index, spec in enumerate(targets):
        connection = by_mn.setdefault(spec.mn, pool[len(by_mn) % count])
        records = generate(spec, kind=kind, start=start, seed=seed, interval=interval)
        rng = np.random.default_rng([seed, 1, index])
        points.append(_Point(spec, records, RecordFaults(faults, rng), connection))
    stats.connections = count
    try:
        await asyncio.gather(*(c.open() for c in pool))
        began = time.monotonic()
        await _pace(points, rate, duration_s, kind, stats)
        for connection in pool:
            connection.flush()
            connection.resend(due=float("inf"))
        await asyncio.gather(*(c.queue.join() for c in pool))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(acks.idle.wait(), ack_timeout_s)
        stats.elapsed_s = time.monotonic() - began
    finally:
        await asyncio.gather(*(c.close() for c in pool))
    return stats


async def _pace(
    points: list[_Point],
    rate: float,
    duration_s: float,
    kind: DataKind,
    stats: SimulationStats,
) -> None:
    """Emits frame k at k / rate seconds, cycling over the points, until the duration ends."""
    qn = _Qn()
    began = time.monotonic()
    total = int(duration_s * rate)
    k = 0
    while k < total:
        due = min(total, int((time.monotonic() - began) * rate) + 1)
        while k < due:
            _emit(points[k % len(points)], qn.next(), kind, stats)
            k += 1
        await asyncio.sleep(max(0.0, k / rate - (time.monotonic() - began)))


def _emit(point: _Point, qn: str, kind: DataKind, stats: SimulationStats) -> None:
    record = next(point.records)
    changed, applied = point.faults.apply(record)
    for fault in applied:
        stats.count(fault)
    if changed is None:
        return  # a gap: the logger sent nothing for this interval
    wire = point.connection.faults
    mn, password, bad = wire.identity(point.spec.mn, point.spec.password)
    cp = encode_cp(
        data_time=changed.data_time.astimezone(BEIJING), params=changed.params
    )
    segment = build_segment(
        qn=qn,
        st=point.spec.st,
        cn=COMMAND_CODES[kind],
        pw=password,
        mn=mn,
        flag=UPLOAD_FLAG,
        cp=cp,
    )
    frame = encode_frame(segment)
    if bad is None and (corrupted := wire.corrupt(frame)) is not None:
        frame, bad = corrupted, "bad_crc"
    if bad is not None:
        stats.bad += 1
        stats.count(bad)
    point.connection.deliver(frame, qn, expected=bad is None)
