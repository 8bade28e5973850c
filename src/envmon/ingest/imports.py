"""File imports of measurements: the UCI/PRSA "Beijing Multi-Site Air-Quality" hourly files.

Each file is kept unchanged as evidence first; its rows become hourly measurements of the
station named in the ``station`` column. A row that cannot be read (unknown station, bad
time, a value that is not a number or is negative) is refused with its line number and
the refusals are quarantined together; the good rows are imported. A file already imported
(same SHA-256) is refused whole, so nothing is counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envmon.errors import ConflictError, ImportRejected, Problem
from envmon.ingest import service
from envmon.ingest.models import RawFile
from envmon.measurements import service as measurements
from envmon.measurements.models import DataKind, Measurement
from envmon.storage.db import session_scope
from envmon.timeutil import BEIJING

__all__ = ["PRSA_COLUMNS", "ImportReport", "import_prsa", "parse_prsa"]

PRSA_COLUMNS: Final = {
    "PM2.5": "a34004",
    "PM10": "a34002",
    "SO2": "a21026",
    "NO2": "a21004",
    "CO": "a21005",
    "O3": "a05024",
}
"""PRSA pollutant columns and their HJ 212 codes. All are µg/m³ in the files, CO included;
CO is stored in mg/m³ (the catalogue's and HJ 633's unit)."""

_REQUIRED: Final = ("year", "month", "day", "hour", "station", *PRSA_COLUMNS)
_CHUNK: Final = 50_000


@dataclass
class ImportReport:
    """What an import did: rows read, values written, rows refused (with reasons)."""

    name: str
    raw_file_id: int
    rows: int = 0
    values: int = 0
    refused: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI prints it."""
        return {
            "file": self.name,
            "raw_file_id": self.raw_file_id,
            "rows": self.rows,
            "values": self.values,
            "refused": len(self.refused),
            "problems": [p.as_dict() for p in self.refused[:20]],
        }


def parse_prsa(
    text: str, stations: Mapping[str, int], *, source: str = ""
) -> tuple[list[dict[str, Any]], list[Problem], int]:
    """Reads a PRSA file into measurement rows, refused rows and the number of data rows.

    The ``hour`` column labels each hour by its end in Beijing time (hour-ending, as the
    Beijing monitoring centre publishes), so the value of hour 0 covers 23:00–24:00 of the
    day before; ``measured_at`` is the interval start in UTC. "NA" or empty means no value
    was received and yields no row.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        msg = f"not a PRSA air-quality file: missing columns {', '.join(missing)}"
        raise ImportRejected(msg, [Problem(msg, source=source)])
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    count = 0
    for line, record in enumerate(reader, start=2):
        count += 1
        point_id = stations.get(record["station"])
        if point_id is None:
            problems.append(
                Problem(
                    f"unknown station {record['station']!r}", line=line, source=source
                )
            )
            continue
        try:
            label = datetime(
                int(record["year"]),
                int(record["month"]),
                int(record["day"]),
                int(record["hour"]),
                tzinfo=BEIJING,
            )
        except ValueError as err:
            problems.append(Problem(f"bad time: {err}", line=line, source=source))
            continue
        start = (label - timedelta(hours=1)).astimezone(UTC)
        for column, code in PRSA_COLUMNS.items():
            text_value = (record[column] or "").strip()
            if text_value in ("", "NA"):
                continue
            try:
                value = float(text_value)
            except ValueError:
                problems.append(
                    Problem(
                        f"{column} {text_value!r} is not a number",
                        field=column,
                        line=line,
                        source=source,
                    )
                )
                continue
            if value < 0 or value != value:
                problems.append(
                    Problem(
                        f"{column} {text_value} is negative",
                        field=column,
                        line=line,
                        source=source,
                    )
                )
                continue
            rows.append(
                {
                    "point_id": point_id,
                    "parameter_code": code,
                    "kind": DataKind.HOUR,
                    "measured_at": start,
                    "value": value / 1000.0 if column == "CO" else value,
                    "device_flag": None,
                }
            )
    return rows, problems, count


def import_prsa(
    *,
    session_factory: sessionmaker[Session],
    name: str,
    content: bytes,
    stations: Mapping[str, int],
    actor: str,
    now: datetime,
) -> ImportReport:
    """Keeps the file, imports its good rows and quarantines the refused ones.

    Rows are written in chunks of 50,000, each its own transaction; the raw file and the
    refusals are committed first, so an interrupted import leaves evidence of itself.
    """
    digest = hashlib.sha256(content).hexdigest()
    with session_scope(session_factory) as session:
        if session.scalar(select(RawFile.id).where(RawFile.sha256 == digest)):
            msg = f"{name} was already imported (same SHA-256 {digest[:12]}…)"
            raise ConflictError(msg)
        raw = service.keep_raw_file(
            session=session,
            name=name,
            content=content,
            media_type="text/csv",
            source="PRSA air-quality file import",
            actor=actor,
            now=now,
        )
        try:
            rows, problems, count = parse_prsa(
                content.decode("utf-8-sig"), stations, source=name
            )
        except (ImportRejected, UnicodeDecodeError) as err:
            message = str(err)
            service.quarantine(
                session=session,
                reason="bad_file",
                message=message,
                problems=[Problem(message, source=name)],
                source="import",
                now=now,
                raw_file=raw,
            )
            return ImportReport(name, raw.id, refused=[Problem(message, source=name)])
        if problems:
            service.quarantine(
                session=session,
                reason="bad_rows",
                message=f"{len(problems)} rows of {name} refused",
                problems=problems[:1000],
                source="import",
                now=now,
                raw_file=raw,
            )
        report = ImportReport(name, raw.id, rows=count, refused=problems)
    revised: list[Problem] = []
    for offset in range(0, len(rows), _CHUNK):
        chunk = rows[offset : offset + _CHUNK]
        with session_scope(session_factory) as session:
            stored = _stored(session, chunk)
            fresh = []
            for row in chunk:
                key = (row["point_id"], row["parameter_code"], row["measured_at"])
                if key not in stored:
                    fresh.append({**row, "raw_file_id": report.raw_file_id})
                elif stored[key] != row["value"]:
                    revised.append(
                        Problem(
                            f"{row['parameter_code']} at {row['measured_at'].isoformat()}"
                            f" is {row['value']} here but {stored[key]} is stored; the "
                            "stored value is kept",
                            field=row["parameter_code"],
                            source=name,
                        )
                    )
            report.values += measurements.add_many(session=session, rows=fresh)
    if revised:
        with session_scope(session_factory) as session:
            raw_file = session.get(RawFile, report.raw_file_id)
            service.quarantine(
                session=session,
                reason="revised_values",
                message=f"{len(revised)} values of {name} differ from values stored "
                "earlier and were not written",
                problems=revised[:1000],
                source="import",
                now=now,
                raw_file=raw_file,
            )
        report.refused += revised
    return report


def _stored(
    session: Session, rows: list[dict[str, Any]]
) -> dict[tuple[int, str, datetime], float | None]:
    """Hourly values already stored for the points and times of ``rows``: an identical
    value is a repeat (skipped), a different one a revision (refused, never overwritten)."""
    if not rows:
        return {}
    points = {row["point_id"] for row in rows}
    times = [row["measured_at"] for row in rows]
    found = session.execute(
        select(
            Measurement.point_id,
            Measurement.parameter_code,
            Measurement.measured_at,
            Measurement.value,
        ).where(
            Measurement.kind == DataKind.HOUR,
            Measurement.point_id.in_(sorted(points)),
            Measurement.measured_at >= min(times),
            Measurement.measured_at <= max(times),
        )
    )
    return {(p, c, t): v for p, c, t, v in found}
