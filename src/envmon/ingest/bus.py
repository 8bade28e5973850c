"""The "ingested" event and the bus that carries it to the work after the commit.

Embedded mode uses :class:`InProcessBus` (an asyncio queue per subscriber); production mode
can put NATS JetStream behind the same two methods without touching the domain code.
Consumers must be idempotent: an event may be delivered again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Bus", "InProcessBus", "IngestedEvent"]


@dataclass(frozen=True, slots=True)
class IngestedEvent:
    """A committed batch: which points got values of which kinds over which times."""

    batch_id: int
    frames: int
    points: frozenset[int]
    kinds: frozenset[str]
    first_at: datetime | None
    last_at: datetime | None


class Bus(Protocol):
    """Publishes committed-batch events; subscribers receive them in order."""

    async def publish(self, event: IngestedEvent) -> None: ...

    def subscribe(self, maxsize: int = 10_000) -> asyncio.Queue[IngestedEvent]: ...


class InProcessBus:
    """The embedded bus: every subscriber gets its own bounded queue."""

    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[IngestedEvent]] = []
        self.published = 0

    def subscribe(self, maxsize: int = 10_000) -> asyncio.Queue[IngestedEvent]:
        """Returns a queue that receives every event published from now on."""
        queue: asyncio.Queue[IngestedEvent] = asyncio.Queue(maxsize)
        self._queues.append(queue)
        return queue

    async def publish(self, event: IngestedEvent) -> None:
        """Delivers ``event`` to every subscriber (waiting when one is full: backpressure)."""
        self.published += 1
        for queue in self._queues:
            await queue.put(event)
