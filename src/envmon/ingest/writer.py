"""Write one gateway batch: every frame kept byte-for-byte, values written, refusals
quarantined with their reason, the batch sealed in the ledger — in one transaction.

The gateway acknowledges a frame only after this transaction commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from envmon.hj212.codec import Frame, FrameError
from envmon.hj212.codes import command_name
from envmon.ingest.models import FrameBatch, FrameStatus, QuarantineEntry, RawFrame
from envmon.ledger import service as ledger
from envmon.measurements import service as measurements
from envmon.measurements.models import DataKind, Measurement
from envmon.registry.models import Parameter, Point
from envmon.storage.bulk import allocate_ids, copy_rows

__all__ = [
    "DATA_KINDS",
    "Outcome",
    "PointInfo",
    "Received",
    "load_points",
    "write_batch",
]

DATA_KINDS: Final[dict[str, DataKind]] = {
    "2011": DataKind.REALTIME,
    "2051": DataKind.MINUTE,
    "2061": DataKind.HOUR,
    "2031": DataKind.DAY,
}
"""Upload CNs that carry values (HJ 212-2017 §6), and the kind of value each carries."""

# HJ 212-2017 Table 4/§7.2: real-time uploads carry -Rtd; interval uploads -Avg.
MAIN_SUFFIX: Final = {"2011": "Rtd"}
FUTURE_TOLERANCE: Final = timedelta(minutes=10)
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
RAW_FRAMES = cast(Table, RawFrame.__table__)
MEASUREMENTS = cast(Table, Measurement.__table__)
QUARANTINE = cast(Table, QuarantineEntry.__table__)
FRAME_COLUMNS: Final = (
    "id",
    "batch_id",
    "received_at",
    "peer",
    "raw",
    "mn",
    "cn",
    "qn",
    "data_time",
    "pnum",
    "pno",
    "crc_valid",
    "status",
    "content_key",
)
MEASUREMENT_COLUMNS: Final = (
    "point_id",
    "parameter_code",
    "kind",
    "measured_at",
    "value",
    "device_flag",
    "min_value",
    "max_value",
    "corrected_value",
    "amount",
    "frame_id",
)
QUARANTINE_COLUMNS: Final = (
    "raw_frame_id",
    "reason",
    "message",
    "problems",
    "source",
    "received_at",
)


@dataclass(frozen=True, slots=True)
class PointInfo:
    """What the gateway needs to know about an MN: its point, password, CRC tolerance."""

    point_id: int
    mn: str
    password: str | None
    legacy_crc: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """A decoded frame or frame error, with when and from whom it came."""

    item: Frame | FrameError
    peer: str
    received_at: datetime


@dataclass(slots=True)
class Outcome:
    """What became of one received item, known once its batch is committed."""

    status: str
    reason: str | None = None
    frame_id: int = 0
    point_id: int | None = None
    values: int = 0


@dataclass(slots=True)
class BatchResult:
    """The committed batch, every item's outcome, and what the 'ingested' event says."""

    batch_id: int
    outcomes: list[Outcome]
    points: set[int] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    first_at: datetime | None = None
    last_at: datetime | None = None


def load_points(*, session: Session) -> dict[str, PointInfo]:
    """Returns every point that has an MN, by MN."""
    rows = session.execute(
        select(Point.id, Point.mn, Point.hj212_password, Point.legacy_crc).where(
            Point.mn.is_not(None)
        )
    )
    return {
        mn: PointInfo(pid, mn, pw, crc) for pid, mn, pw, crc in rows if mn is not None
    }


def _content_key(frame: Frame) -> str:
    return hashlib.sha256("|".join(frame.dedupe_key).encode()).hexdigest()


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    return float(text)


class _Batch:
    """Accumulates the rows of one batch before they are written together."""

    def __init__(
        self, now: datetime, points: Mapping[str, PointInfo], parameters: set[str]
    ):
        self.now = now
        self.points = points
        self.parameters = parameters
        self.frames: list[list[Any]] = []
        self.measurements: list[tuple[Any, ...]] = []
        self.quarantine: list[tuple[Any, ...]] = []
        self.outcomes: list[Outcome] = []
        self.keys_seen: set[str] = set()
        self.values_seen: set[tuple[int, str, str, datetime]] = set()
        self.stored_values: set[tuple[int, str, str, datetime]] = set()

    def refuse(
        self,
        outcome: Outcome,
        index: int,
        reason: str,
        message: str,
        problems: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.quarantine.append(
            (index, reason, message, list(problems), "gateway", self.now)
        )
        # An accepted, duplicate or revised frame keeps its status: only part of it was
        # refused. A frame refused whole keeps its first reason.
        if outcome.status == FrameStatus.QUARANTINED and outcome.reason is None:
            outcome.reason = reason


def _authenticate(
    frame: Frame, points: Mapping[str, PointInfo]
) -> tuple[PointInfo | None, str | None, str]:
    if not frame.crc_valid:
        point = points.get(frame.mn or "")
        if frame.crc_variant is None:
            return (
                None,
                "bad_crc",
                f"CRC {frame.crc_field} does not match {frame.crc_computed}",
            )
        if point is None or point.legacy_crc != frame.crc_variant:
            return (
                None,
                "crc_variant",
                (
                    f"CRC matches the legacy {frame.crc_variant} variant, not configured for MN "
                    f"{frame.mn}"
                ),
            )
    if frame.error is not None and frame.error[0] not in ("bad_crc", "bad_length"):
        return None, frame.error[0], frame.error[1]
    point = points.get(frame.mn or "")
    if point is None:
        return None, "unknown_mn", f"MN {frame.mn!r} is not registered"
    if point.password is not None and frame.pw != point.password:
        return None, "wrong_password", f"wrong password for MN {frame.mn}"
    return point, None, ""


def _values(
    batch: _Batch, frame: Frame, point: PointInfo, index: int, outcome: Outcome
) -> None:
    """Adds the frame's values; unknown codes and unreadable numbers are quarantined."""
    assert frame.cn is not None and frame.data_time is not None
    kind = DATA_KINDS[frame.cn]
    measured_at = frame.data_time.astimezone(UTC)
    main = MAIN_SUFFIX.get(frame.cn, "Avg")
    unknown, unreadable, revised = [], [], []
    for code, items in frame.params.items():
        if main not in items:
            continue  # device state (SBx-RS), info items: kept in the raw frame only
        if code not in batch.parameters:
            unknown.append(code)
            continue
        key = (point.point_id, code, kind.value, measured_at)
        if key in batch.values_seen or key in batch.stored_values:
            revised.append(code)
            continue
        try:
            value = _number(items[main])
            row = (
                point.point_id,
                code,
                kind.value,
                measured_at,
                value,
                items.get("Flag"),
                _number(items.get("Min")),
                _number(items.get("Max")),
                _number(items.get("Zs" + main)),
                _number(items.get("Cou")),
                index,
            )
        except ValueError:
            unreadable.append({"field": f"{code}", "message": f"not a number: {items}"})
            continue
        batch.values_seen.add(key)
        batch.measurements.append(row)
        outcome.values += 1
    if unknown:
        batch.refuse(
            outcome,
            index,
            "unknown_parameter",
            f"codes not in the parameter catalogue: {', '.join(sorted(unknown))}",
        )
    if unreadable:
        batch.refuse(
            outcome, index, "bad_value", "values that are not numbers", unreadable
        )
    if revised:
        outcome.status = FrameStatus.REVISION
        batch.refuse(
            outcome,
            index,
            "revised_values",
            "values for a time already received from another frame were not "
            f"overwritten: {', '.join(sorted(revised))}",
        )


def _classify(
    batch: _Batch, received: Received, index: int, duplicates: set[str]
) -> None:
    item = received.item
    outcome = Outcome(status=FrameStatus.QUARANTINED)
    batch.outcomes.append(outcome)
    if isinstance(item, FrameError):
        batch.frames.append(
            [
                index,
                received,
                item.raw,
                None,
                None,
                None,
                None,
                None,
                None,
                False,
                FrameStatus.QUARANTINED,
                None,
            ]
        )
        batch.refuse(outcome, index, item.code, item.message)
        return
    key = _content_key(item) if item.mn and item.cn else None
    row = [
        index,
        received,
        item.raw,
        item.mn,
        item.cn,
        item.qn,
        item.data_time,
        item.pnum,
        item.pno,
        item.crc_valid,
        FrameStatus.QUARANTINED,
        key,
    ]
    batch.frames.append(row)
    point, reason, message = _authenticate(item, batch.points)
    if point is None:
        assert reason is not None
        batch.refuse(outcome, index, reason, message)
        return
    outcome.point_id = point.point_id
    if key is not None and (key in duplicates or key in batch.keys_seen):
        outcome.status = row[10] = FrameStatus.DUPLICATE
        return
    if key is not None:
        batch.keys_seen.add(key)
    if (
        command_name(item.cn or "", item.version.value if item.version else "2005")
        is None
    ):
        # HJ 212 says log and ignore unknown CNs; we keep the frame and say why (§6).
        batch.refuse(outcome, index, "unknown_cn", f"unknown command code CN={item.cn}")
        return
    if item.cn in DATA_KINDS:
        if item.data_time is None:
            batch.refuse(
                outcome, index, "no_data_time", "a data upload without DataTime"
            )
            return
        if item.data_time > batch.now + FUTURE_TOLERANCE or item.data_time < EARLIEST:
            batch.refuse(
                outcome,
                index,
                "implausible_data_time",
                f"DataTime {item.data_time.isoformat()} is in the future or before "
                "2000 (device clock?); values not written",
            )
            return
    outcome.status = row[10] = FrameStatus.ACCEPTED
    if item.cn not in DATA_KINDS:
        return  # replies, notifications, state and info uploads: kept raw
    _values(batch, item, point, index, outcome)
    row[10] = outcome.status


def _existing_values(
    session: Session, received: Sequence[Received], points: Mapping[str, PointInfo]
) -> set[tuple[int, str, str, datetime]]:
    """Returns the value keys already stored for the points and times this batch touches.

    One query on (kind, measured_at) — indexed — for the batch's exact interval starts:
    live traffic puts few distinct times in a batch, so this reads only possible clashes.
    """
    point_ids: set[int] = set()
    times: set[datetime] = set()
    kinds: set[str] = set()
    for r in received:
        frame = r.item
        if isinstance(frame, Frame) and frame.cn in DATA_KINDS and frame.data_time:
            point = points.get(frame.mn or "")
            if point is not None:
                point_ids.add(point.point_id)
                times.add(frame.data_time.astimezone(UTC))
                kinds.add(DATA_KINDS[frame.cn].value)
    if not point_ids:
        return set()
    found: set[tuple[int, str, str, datetime]] = set()
    ordered = sorted(times)
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(
                Measurement.point_id,
                Measurement.parameter_code,
                Measurement.kind,
                Measurement.measured_at,
            ).where(
                Measurement.kind.in_(kinds),
                Measurement.measured_at.in_(ordered[start : start + 500]),
                Measurement.point_id.in_(point_ids),
            )
        )
        found.update(
            (p, c, str(getattr(k, "value", k)), t)
            for p, c, k, t in rows
            if p in point_ids
        )
    return found


def write_batch(
    *,
    session: Session,
    received: Sequence[Received],
    points: Mapping[str, PointInfo],
    parameters: set[str],
    now: datetime,
) -> BatchResult:
    """Writes one batch in the caller's transaction and returns every item's outcome."""
    batch = _Batch(now, points, parameters)
    keys = [
        _content_key(r.item)
        for r in received
        if isinstance(r.item, Frame) and r.item.mn and r.item.cn
    ]
    duplicates: set[str] = set()
    if keys:
        query = select(RawFrame.content_key).where(
            RawFrame.content_key.in_(keys), RawFrame.status == FrameStatus.ACCEPTED
        )
        duplicates = {key for key in session.scalars(query) if key is not None}
    batch.stored_values = _existing_values(session, received, points)
    for index, item in enumerate(received):
        _classify(batch, item, index, duplicates)
    digest = hashlib.sha256(b"".join(r.item.raw for r in received)).hexdigest()
    head = FrameBatch(committed_at=now, frames=len(received), sha256=digest)
    session.add(head)
    session.flush()  # the batch row takes SQLite's write lock before ids are handed out
    connection = session.connection()
    ids = allocate_ids(connection, RAW_FRAMES, len(batch.frames))
    frame_rows = []
    for row, frame_id in zip(batch.frames, ids, strict=True):
        index, source = row[0], row[1]
        batch.outcomes[index].frame_id = frame_id
        frame_rows.append(
            (frame_id, head.id, source.received_at, source.peer, *row[2:])
        )
    copy_rows(connection, RAW_FRAMES, FRAME_COLUMNS, frame_rows)
    copy_rows(
        connection,
        MEASUREMENTS,
        MEASUREMENT_COLUMNS,
        [(*m[:-1], ids[m[-1]]) for m in batch.measurements],
    )
    measurements.mark_changed(
        session=session, keys=((m[0], m[3]) for m in batch.measurements)
    )
    copy_rows(
        connection,
        QUARANTINE,
        QUARANTINE_COLUMNS,
        [(ids[q[0]], *q[1:]) for q in batch.quarantine],
    )
    result = _summary(head.id, batch)
    _record_auth_failures(session, received, batch, now)
    ledger.append(
        session=session,
        kind="ingest.batch",
        subject=f"frame_batch:{head.id}",
        payload={
            "batch": head.id,
            "frames": len(received),
            "first_frame": ids[0] if ids else None,
            "last_frame": ids[-1] if ids else None,
            "sha256": digest,
            "outcomes": _count(result.outcomes),
            "values": len(batch.measurements),
        },
        actor="gateway",
        now=now,
    )
    return result


def _record_auth_failures(
    session: Session, received: Sequence[Received], batch: _Batch, now: datetime
) -> None:
    """Records one alarm event per (MN, peer, reason) of failed authentication."""
    failures: dict[tuple[str, str, str], int] = {}
    for item, outcome in zip(received, batch.outcomes, strict=True):
        if outcome.reason in ("unknown_mn", "wrong_password", "crc_variant"):
            frame = item.item
            mn = frame.mn if isinstance(frame, Frame) and frame.mn else ""
            key = (mn, item.peer, outcome.reason)
            failures[key] = failures.get(key, 0) + 1
    if failures:
        ledger.append_many(
            session=session,
            entries=[
                ledger.NewEntry(
                    kind="alarm.event",
                    subject=f"mn:{mn}",
                    payload={
                        "event": "gateway_auth_failure",
                        "reason": reason,
                        "mn": mn,
                        "peer": peer,
                        "frames": count,
                    },
                    actor="gateway",
                )
                for (mn, peer, reason), count in sorted(failures.items())
            ],
            now=now,
        )


def _count(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def _summary(batch_id: int, batch: _Batch) -> BatchResult:
    result = BatchResult(batch_id=batch_id, outcomes=batch.outcomes)
    for row in batch.measurements:
        result.points.add(row[0])
        result.kinds.add(row[2])
        result.first_at = min(result.first_at or row[3], row[3])
        result.last_at = max(result.last_at or row[3], row[3])
    return result


def parameter_codes(*, session: Session) -> set[str]:
    """Returns the codes of the parameter catalogue."""
    return set(session.scalars(select(Parameter.code)))
