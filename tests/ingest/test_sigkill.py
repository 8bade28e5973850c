"""Kill the gateway with SIGKILL under load: nothing acknowledged is lost, resends are
recorded as duplicates after the restart. Real processes, real sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from envmon.hj212.codec import FrameDecoder
from envmon.ingest.models import RawFrame
from envmon.storage.db import create_engine_for, make_session_factory
from envmon.timeutil import BEIJING
from tests.factories import document
from tests.ingest.frames import upload

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gateway(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "envmon", "gateway", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError(log.read_text())


async def send_until_killed(
    port: int, sent: list[bytes], process: subprocess.Popen[bytes], kill_after: int
) -> set[str]:
    acked: set[str] = set()

    async def connection(chunk: list[bytes]) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            decoder = FrameDecoder()
            for frame in chunk:
                writer.write(frame)
                await writer.drain()
                await asyncio.sleep(0.001)
                while True:
                    try:
                        data = await asyncio.wait_for(reader.read(4096), 0.0005)
                    except TimeoutError:
                        break
                    if not data:
                        return
                    acked.update(f.qn for f in decoder.feed(data) if f.cn == "9014")
                if len(acked) >= kill_after and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
            while process.poll() is None:
                data = await asyncio.wait_for(reader.read(4096), 2)
                if not data:
                    return
                acked.update(f.qn for f in decoder.feed(data) if f.cn == "9014")
        except (ConnectionError, OSError, TimeoutError):
            return

    shares = [sent[i::4] for i in range(4)]
    await asyncio.gather(*(connection(share) for share in shares))
    return acked


async def resend_all(port: int, sent: list[bytes]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"".join(sent))
    await writer.drain()
    decoder, acks = FrameDecoder(), 0
    while acks < len(sent):
        data = await asyncio.wait_for(reader.read(65536), 20)
        assert data
        acks += sum(1 for f in decoder.feed(data) if f.cn == "9014")
    writer.close()
    return acks


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    env = {**os.environ, "ENVMON_DATA_DIR": str(tmp_path / "data")}
    env.pop("ENVMON_DATABASE_URL", None)
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(document(), allow_unicode=True), "utf-8")
    subprocess.run(
        [sys.executable, "-m", "envmon", "registry", "import", str(registry)],
        env=env,
        check=True,
        capture_output=True,
    )
    base = datetime(2026, 9, 1, tzinfo=BEIJING)
    sent = [
        upload(qn=f"20260901{i:09d}", at=base + timedelta(minutes=i), cn="2051")
        for i in range(2000)
    ]
    port = free_port()
    log = tmp_path / "gateway.log"
    process = start_gateway(env, port, log)
    acked = asyncio.run(send_until_killed(port, sent, process, kill_after=300))
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert len(acked) >= 300
    engine = create_engine_for(f"sqlite:///{tmp_path / 'data' / 'envmon.sqlite3'}")
    with make_session_factory(engine)() as session:
        committed = set(
            session.scalars(select(RawFrame.qn).where(RawFrame.status == "accepted"))
        )
    assert acked <= committed, f"{len(acked - committed)} acknowledged frames were lost"
    # After a restart the loggers resend everything: nothing is counted twice.
    process = start_gateway(env, port, log)
    try:
        assert asyncio.run(resend_all(port, sent)) == len(sent)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    with make_session_factory(engine)() as session:
        rows = session.execute(select(RawFrame.qn, RawFrame.status)).all()
    accepted = [qn for qn, status in rows if status == "accepted"]
    duplicates = [qn for qn, status in rows if status == "duplicate"]
    assert sorted(accepted) == sorted(f"20260901{i:09d}" for i in range(2000))
    assert set(duplicates) == committed and len(duplicates) == len(committed)
    engine.dispose()
