"""The gateway over real sockets on 127.0.0.1: acknowledgement after commit, framing, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, select

from envmon.bootstrap import migrate
from envmon.hj212.codec import FrameDecoder
from envmon.ingest.gateway import Gateway, GatewayConfig
from envmon.ingest.models import RawFrame
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.storage.db import create_engine_for, make_session_factory, session_scope
from envmon.timeutil import BEIJING
from tests.conftest import NOW
from tests.factories import document
from tests.ingest.frames import upload


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'gw.sqlite3'}")
    migrate(engine)
    with session_scope(make_session_factory(engine)) as session:
        apply_document(
            session=session,
            actor="seed",
            source="seed",
            now=NOW,
            document=parse_yaml(yaml.safe_dump(document()), "seed.yaml"),
        )
    yield engine
    engine.dispose()


@asynccontextmanager
async def running(engine: Engine, **config: object) -> AsyncIterator[Gateway]:
    gateway = Gateway(make_session_factory(engine), GatewayConfig(port=0, **config))  # type: ignore[arg-type]
    await gateway.start()
    task = asyncio.create_task(gateway.serve_forever())
    try:
        yield gateway
    finally:
        task.cancel()
        await gateway.stop()


async def read_replies(reader: asyncio.StreamReader, count: int) -> list[object]:
    decoder, frames = FrameDecoder(), []
    while len(frames) < count:
        chunk = await asyncio.wait_for(reader.read(4096), 5)
        assert chunk, "connection closed early"
        frames.extend(decoder.feed(chunk))
    return frames


def stored(engine: Engine, qn: str) -> int:
    with make_session_factory(engine)() as session:
        return (
            session.scalar(
                select(func.count()).select_from(RawFrame).where(RawFrame.qn == qn)
            )
            or 0
        )


def frames(n: int, start_qn: int = 1000) -> list[bytes]:
    """n hourly uploads, each for its own hour (so none is a duplicate of another)."""
    base = datetime(2026, 9, 1, 0, 0, tzinfo=BEIJING)
    return [
        upload(
            qn=f"2026112000000{start_qn + i:04d}",
            at=base + timedelta(hours=start_qn + i - 1000),
        )
        for i in range(n)
    ]


def test_each_ack_comes_after_its_frame_is_committed(engine: Engine) -> None:
    async def scenario() -> None:
        async with running(engine) as gateway:
            reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
            sent = frames(20)
            # Split and glued writes: one frame in three pieces, then all others at once.
            first = sent[0]
            for piece in (first[:7], first[7:40], first[40:]):
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(
                b"".join(f.rstrip(b"\r\n") for f in sent[1:])
            )  # no CR LF between
            await writer.drain()
            replies = await read_replies(reader, 20)
            for reply in replies:
                assert reply.cn == "9014" and reply.st == "91" and reply.crc_valid
                # The reply exists only because the frame it answers is committed.
                assert stored(engine, reply.qn) == 1
            assert [r.qn for r in replies] == [
                f"2026112000000{1000 + i:04d}" for i in range(20)
            ]
            writer.close()
            await writer.wait_closed()

    asyncio.run(scenario())


def test_bad_frames_never_break_the_connection(engine: Engine) -> None:
    async def scenario() -> None:
        async with running(engine) as gateway:
            reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
            good = frames(2)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + good[0])
            writer.write(upload(mn="NOBODY00000000000000000001", qn="99"))
            writer.write(b"##0010garbage!!1234\r\n" + good[1])
            await writer.drain()
            replies = await read_replies(reader, 2)
            assert [r.qn for r in replies] == ["20261120000001000", "20261120000001001"]
            writer.close()
            await writer.wait_closed()
        with make_session_factory(engine)() as session:
            statuses = sorted(session.scalars(select(RawFrame.status)))
        assert statuses.count("accepted") == 2 and statuses.count("quarantined") >= 3

    asyncio.run(scenario())


def test_many_connections_commit_in_shared_batches(engine: Engine) -> None:
    async def client(port: int, offset: int) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        batch = frames(10, start_qn=offset)
        writer.write(b"".join(batch))
        await writer.drain()
        replies = await read_replies(reader, 10)
        writer.close()
        await writer.wait_closed()
        return len(replies)

    async def scenario() -> None:
        async with running(engine, batch_window_s=0.02) as gateway:
            # Different outlets would be more realistic; the same MN at other times is fine.
            counts = await asyncio.gather(
                *(client(gateway.port, 2000 + 100 * i) for i in range(5))
            )
            assert counts == [10] * 5
            assert gateway.stats.batches < 50

    asyncio.run(scenario())
