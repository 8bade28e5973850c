"""The HJ 212 TCP gateway: bytes in, frames out, group commit, acknowledgement after commit.

This module only moves bytes between asyncio streams and the pure decoder, batches what it
decoded from every connection for a few milliseconds, hands the batch to
:func:`envmon.ingest.writer.write_batch` in a worker thread (one transaction), and only then
sends the replies the protocol asks for (HJ 212-2017 §8: 9014 for uploads with A=1). A bad
frame never breaks a connection's loop; state is keyed by MN, not by socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from envmon.errors import ConfigurationError
from envmon.hj212.codec import (
    Frame,
    FrameDecoder,
    FrameError,
    encode_data_ack,
    encode_notify_ack,
    encode_set_time,
)
from envmon.ingest.bus import Bus, IngestedEvent
from envmon.ingest.writer import (
    BatchResult,
    Outcome,
    PointInfo,
    Received,
    load_points,
    parameter_codes,
    write_batch,
)
from envmon.storage.db import session_scope
from envmon.timeutil import BEIJING

__all__ = ["Gateway", "GatewayConfig"]

log = logging.getLogger(__name__)

REPLY_CNS = frozenset({"9011", "9012", "9013", "9014"})


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """How the gateway listens, batches and protects itself."""

    host: str = "127.0.0.1"
    port: int = 9212
    batch_window_s: float = 0.005
    batch_max: int = 2_000
    queue_max: int = 20_000
    max_connections: int = 20_000
    idle_timeout_s: float = 600.0
    close_on_auth_failure: bool = False
    max_frame_bytes: int = 10_011
    points_refresh_s: float = 30.0
    # Several gateway processes may share the port (SO_REUSEPORT): the kernel spreads the
    # connections; each process batches and commits its own frames.
    reuse_port: bool = False


@dataclass(slots=True)
class GatewayStats:
    """Counters an operator (and a benchmark) reads."""

    connections: int = 0
    connections_refused: int = 0
    frames: int = 0
    batches: int = 0
    commit_failures: int = 0
    acks: int = 0


class Gateway:
    """An asyncio TCP server for HJ 212 uploads."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        config: GatewayConfig,
        bus: Bus | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.factory = session_factory
        self.config = config
        self.bus = bus
        self.clock = clock
        self.stats = GatewayStats()
        self._queue: asyncio.Queue[tuple[Received, asyncio.Future[Outcome]]] = (
            asyncio.Queue(config.queue_max)
        )
        self._server: asyncio.Server | None = None
        self._batcher: asyncio.Task[None] | None = None
        self._points: dict[str, PointInfo] = {}
        self._parameters: set[str] = set()
        self._points_loaded = 0.0
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """Returns the port actually bound (useful with port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Loads the registry's points and starts listening."""
        await asyncio.to_thread(self._refresh_points, True)
        try:
            self._server = await asyncio.start_server(
                self._handle,
                self.config.host,
                self.config.port,
                limit=self.config.max_frame_bytes,
                reuse_port=self.config.reuse_port or None,
            )
        except OSError as err:
            where = f"{self.config.host}:{self.config.port}"
            msg = f"the HJ 212 gateway cannot listen on {where}: {err}"
            raise ConfigurationError(msg) from err
        self._batcher = asyncio.create_task(self._batch_loop(), name="hj212-batcher")
        log.info("HJ 212 gateway listening", extra={"port": self.port})

    async def serve_forever(self) -> None:
        """Starts (if needed) and serves until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        """Stops accepting, closes connections, lets queued frames commit, stops batching."""
        if self._server is not None:
            self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        while not self._queue.empty():
            await asyncio.sleep(0.01)
        if self._batcher is not None:
            self._batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._batcher

    def _refresh_points(self, force: bool = False) -> None:
        if (
            not force
            and time.monotonic() - self._points_loaded < self.config.points_refresh_s
        ):
            return
        with session_scope(self.factory) as session:
            self._points = load_points(session=session)
            self._parameters = parameter_codes(session=session)
        self._points_loaded = time.monotonic()

    # --- connections ---------------------------------------------------------------------

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer_info = writer.get_extra_info("peername")
        peer = f"{peer_info[0]}:{peer_info[1]}" if peer_info else "?"
        if self.stats.connections >= self.config.max_connections:
            self.stats.connections_refused += 1
            writer.close()
            return
        self.stats.connections += 1
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        replies: asyncio.Queue[
            tuple[Frame | FrameError, asyncio.Future[Outcome]] | None
        ]
        replies = asyncio.Queue()
        sender = asyncio.create_task(self._reply_loop(writer, replies))
        decoder = FrameDecoder(max_frame_bytes=self.config.max_frame_bytes)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(
                        reader.read(65_536), self.config.idle_timeout_s
                    )
                except TimeoutError:
                    break
                items: list[Frame | FrameError] = (
                    decoder.feed(chunk) if chunk else list(decoder.close())
                )
                for item in items:
                    await self._enqueue(item, peer, replies)
                if not chunk:
                    break
        except (ConnectionError, OSError) as err:
            log.info("connection lost", extra={"peer": peer, "error": str(err)})
        except (
            Exception
        ):  # an edge loop: one connection's fault never stops the gateway
            log.exception("connection failed", extra={"peer": peer})
        finally:
            await replies.put(None)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(sender, 5)
            self.stats.connections -= 1
            if handler is not None:
                self._handlers.discard(handler)
            writer.close()
            with contextlib.suppress(BaseException):
                await writer.wait_closed()

    async def _enqueue(
        self,
        item: Frame | FrameError,
        peer: str,
        replies: asyncio.Queue[
            tuple[Frame | FrameError, asyncio.Future[Outcome]] | None
        ],
    ) -> None:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        # A full queue makes this wait: backpressure reaches the socket via TCP windows.
        await self._queue.put((Received(item, peer, self.clock()), future))
        await replies.put((item, future))
        self.stats.frames += 1

    async def _reply_loop(
        self,
        writer: asyncio.StreamWriter,
        replies: asyncio.Queue[
            tuple[Frame | FrameError, asyncio.Future[Outcome]] | None
        ],
    ) -> None:
        while (entry := await replies.get()) is not None:
            item, future = entry
            try:
                outcome = await future
            except (
                Exception
            ):  # the batch did not commit: no acknowledgement, device resends
                continue
            reply = self._reply_for(item, outcome)
            if reply:
                writer.write(reply)
                self.stats.acks += 1
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
            elif self.config.close_on_auth_failure and outcome.reason in (
                "unknown_mn",
                "wrong_password",
            ):
                writer.close()

    def _reply_for(self, item: Frame | FrameError, outcome: Outcome) -> bytes | None:
        if isinstance(item, FrameError) or outcome.point_id is None:
            return None  # not authentic: nothing to acknowledge
        if not item.ack_requested or item.cn in REPLY_CNS:
            return None
        if (
            item.cn == "1013"
        ):  # the station asks for the time: answer, then set it (§8.3)
            now = self.clock().astimezone(BEIJING)
            return encode_notify_ack(item) + encode_set_time(
                qn=now.strftime("%Y%m%d%H%M%S%f")[:17],
                st=item.st or "32",
                pw=item.pw or "",
                mn=item.mn or "",
                now_local=now,
            )
        return encode_data_ack(item)

    # --- group commit ----------------------------------------------------------------------

    async def _batch_loop(self) -> None:
        while True:
            first = await self._queue.get()
            if self._queue.qsize() < self.config.batch_max:
                await asyncio.sleep(self.config.batch_window_s)
            items = [first]
            while len(items) < self.config.batch_max and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                result = await asyncio.to_thread(self._commit, [r for r, _ in items])
            except Exception as err:  # the batch is not durable: nobody is acknowledged
                self.stats.commit_failures += 1
                log.exception("batch commit failed", extra={"frames": len(items)})
                for _, future in items:
                    if not future.done():
                        future.set_exception(err)
                continue
            self.stats.batches += 1
            for (_, future), outcome in zip(items, result.outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
            if self.bus is not None and result.points:
                await self.bus.publish(
                    IngestedEvent(
                        batch_id=result.batch_id,
                        frames=len(items),
                        points=frozenset(result.points),
                        kinds=frozenset(result.kinds),
                        first_at=result.first_at,
                        last_at=result.last_at,
                    )
                )

    def _commit(self, received: list[Received]) -> BatchResult:
        unknown = any(
            isinstance(r.item, Frame) and (r.item.mn or "") not in self._points
            for r in received
        )
        if unknown:
            self._refresh_points(force=False)
        with session_scope(self.factory) as session:
            return write_batch(
                session=session,
                received=received,
                points=self._points,
                parameters=self._parameters,
                now=self.clock(),
            )
