"""Ingest benchmarks: decode rate, end-to-end acknowledged frames/s, ack latency, idle
connections, and the raw COPY ceiling of the same rows (PostgreSQL).

The gateway runs in its own process (``python -m envmon gateway``) so that it has a core
of its own, as in production; the load comes from this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from envmon.hj212.codec import FrameDecoder, build_segment, encode_cp, encode_frame
from envmon.timeutil import BEIJING

__all__ = [
    "EndToEnd",
    "decode_rate",
    "end_to_end",
    "gateway_process",
    "idle_connections",
    "minute_frames",
]

PARAMETERS = (
    "a21026",
    "a21002",
    "a34013",
    "a19001",
    "a00000",
    "a01012",
    "a01014",
    "a01011",
)


def minute_frames(mns: list[str], per_point: int, start: datetime) -> list[list[bytes]]:
    """Typical minute uploads (CN 2051) of 8 parameters with Avg/Min/Max/Flag, per point."""
    frames = []
    for p, mn in enumerate(mns):
        own = []
        for i in range(per_point):
            params: dict[str, dict[str, str | float]] = {
                code: {
                    "Avg": 20.0 + k + (i % 7) * 0.1,
                    "Min": 18.0 + k,
                    "Max": 25.0 + k,
                    "Flag": "N",
                }
                for k, code in enumerate(PARAMETERS)
            }
            cp = encode_cp(data_time=start + timedelta(minutes=i), params=params)
            qn = f"{20260901000000000 + p * 1_000_000 + i}"
            own.append(
                encode_frame(
                    build_segment(
                        qn=qn, st="31", cn="2051", pw="123456", mn=mn, flag=5, cp=cp
                    )
                )
            )
        frames.append(own)
    return frames


def decode_rate(frames: list[bytes], repeats: int = 5, chunk: int = 4096) -> float:
    """Median frames/s of FrameDecoder over the frames as one stream in ``chunk`` reads."""
    stream = b"".join(frames)
    rates = []
    for _ in range(repeats):
        decoder = FrameDecoder()
        t0 = time.perf_counter()
        count = 0
        for offset in range(0, len(stream), chunk):
            count += len(decoder.feed(stream[offset : offset + chunk]))
        rates.append(count / (time.perf_counter() - t0))
    return statistics.median(rates)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gateway_process(
    env: dict[str, str], port: int, log: Path, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``envmon gateway`` in a child process until the block ends."""
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "envmon",
                "gateway",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True, slots=True)
class EndToEnd:
    """Acknowledged frames per second and acknowledgement latencies."""

    frames: int
    acked: int
    elapsed_s: float
    latency_p50_ms: float
    latency_p99_ms: float

    @property
    def rate(self) -> float:
        """Returns acknowledged frames per second."""
        return self.acked / self.elapsed_s


class _Acks:
    """Matches 9014 replies to the frames sent, by QN, and records the latency."""

    def __init__(self, reader: asyncio.StreamReader, latencies: list[float]) -> None:
        self.reader = reader
        self.latencies = latencies
        self.decoder = FrameDecoder()
        self.sent_at: dict[str, float] = {}
        self.acked = 0
        self.changed = asyncio.Event()

    def sent(self, frames: list[bytes]) -> None:
        now = time.perf_counter()
        for frame in frames:
            start = frame.index(b"QN=") + 3
            self.sent_at[frame[start : frame.index(b";", start)].decode()] = now

    async def read_forever(self) -> None:
        """Reads replies as they come (the time of arrival is the ack's latency)."""
        while True:
            data = await self.reader.read(65_536)
            if not data:
                return
            now = time.perf_counter()
            for reply in self.decoder.feed(data):
                qn = getattr(reply, "qn", None)
                if qn in self.sent_at:
                    self.latencies.append((now - self.sent_at.pop(qn)) * 1000)
                    self.acked += 1
            self.changed.set()

    async def wait_below(self, count: int) -> None:
        while len(self.sent_at) >= count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)


async def _connection(
    port: int,
    frames: list[bytes],
    window: int,
    pace_s: float | None,
    latencies: list[float],
) -> int:
    """Sends ``frames`` on one connection: paced one by one, or keeping ``window`` in flight.

    A reader task takes every reply the moment it arrives, so latencies are not inflated by
    the sender's own pace.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    acks = _Acks(reader, latencies)
    reading = asyncio.create_task(acks.read_forever())
    index, next_at = 0, time.perf_counter()
    while index < len(frames):
        if pace_s is not None:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += pace_s
            burst = frames[index : index + 1]
        else:
            await acks.wait_below(window)
            burst = frames[index : index + window - len(acks.sent_at)]
        acks.sent(burst)
        writer.write(b"".join(burst))
        index += len(burst)
    await acks.wait_below(1)
    reading.cancel()
    writer.close()
    await writer.wait_closed()
    return acks.acked


def end_to_end(
    port: int, frames: list[list[bytes]], *, window: int = 20, rate: float | None = None
) -> EndToEnd:
    """Sends every point's frames on its own connection; ``rate`` paces the total."""
    latencies: list[float] = []
    pace = (len(frames) / rate) if rate else None

    async def main() -> list[int]:
        return await asyncio.gather(
            *(_connection(port, own, window, pace, latencies) for own in frames)
        )

    t0 = time.perf_counter()
    acked = sum(asyncio.run(main()))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return EndToEnd(
        frames=sum(len(own) for own in frames),
        acked=acked,
        elapsed_s=elapsed,
        latency_p50_ms=latencies[len(latencies) // 2] if latencies else 0.0,
        latency_p99_ms=latencies[int(0.99 * (len(latencies) - 1))]
        if latencies
        else 0.0,
    )


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


IDLE_CLIENT = """
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
print("open", flush=True)
time.sleep(float(sys.argv[3]))
"""


def idle_connections(
    pid: int, port: int, count: int, hold_s: float = 8.0
) -> tuple[int, int]:
    """Opens ``count`` idle connections from child processes; returns the gateway's RSS
    (KiB) before and while they are held."""
    before = _rss_kib(pid)
    per_process = 5_000
    children = []
    for start in range(0, count, per_process):
        n = min(per_process, count - start)
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", IDLE_CLIENT, str(port), str(n), str(hold_s)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        )
    for child in children:
        assert child.stdout is not None
        child.stdout.readline()
    time.sleep(1.0)
    during = _rss_kib(pid)
    for child in children:
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    return before, during


def copy_ceiling(url: str, frames: list[list[bytes]]) -> float:
    """Frames/s of a bare PostgreSQL COPY of the same rows (frame + 8 values each)."""
    import psycopg

    flat = [f for own in frames for f in own]
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "CREATE TEMP TABLE c_frames (id bigint, received_at timestamptz, raw bytea, "
            "mn text, cn text, qn text, data_time timestamptz, status text, key text)"
        )
        connection.execute(
            "CREATE TEMP TABLE c_values (point_id int, code text, kind text, "
            "measured_at timestamptz, value float8, flag text, mn float8, mx float8, "
            "frame_id bigint)"
        )
        now = datetime.now(BEIJING)
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy("COPY c_frames FROM STDIN") as copy:
                for i, raw in enumerate(flat):
                    copy.write_row(
                        (i, now, raw, "MN", "2051", str(i), now, "accepted", "k")
                    )
            with cursor.copy("COPY c_values FROM STDIN") as copy:
                for i in range(len(flat)):
                    for code in PARAMETERS:
                        copy.write_row((1, code, "minute", now, 1.0, "N", 0.5, 1.5, i))
        connection.commit()
        return len(flat) / (time.perf_counter() - t0)


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """Returns the child processes' environment for a benchmark database."""
    env = {**os.environ, "ENVMON_DATA_DIR": str(data_dir)}
    if database_url:
        env["ENVMON_DATABASE_URL"] = database_url
    else:
        env.pop("ENVMON_DATABASE_URL", None)
    return env
