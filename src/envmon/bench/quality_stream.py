"""What streaming QC adds to ingest, per HJ 212 frame (``envmon bench qc-stream``).

A frame here is one air station's minute data (CN 2051) with the six AQI pollutants, so
one frame feeds six series. Values replay the real Beijing hourly series (station ``i``
takes Beijing station ``i mod 12``) with a little minute-to-minute noise, rounded as
analysers report them.

Two measurements, each after a day of history has warmed the state:

* **engine** — :class:`~envmon.quality.stream.StreamingQC` alone (the default rules, the
  checks of every series): every minute, one frame per station arrives and is fed.
  Fed together (:meth:`~envmon.quality.stream.StreamingQC.feed_each`, as the platform
  does) against fed one series at a time (:meth:`~envmon.quality.stream.StreamingQC.feed`),
  the baseline measured in the same run; the flags are compared.
* **platform** — :class:`~envmon.quality.live.LiveQC` on a database (SQLite file, or
  ``--database-url``): each minute's frames are written as the gateway writes them (not
  timed), then one QC pass for those stations is timed: finding the new values, the
  checks, and writing the verdicts.

Both report µs per frame (median over the timed minutes).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from envmon.bench.evaluation import AIR_COLUMNS, _read_beijing, build_city
from envmon.bootstrap import migrate
from envmon.measurements import service as measurements
from envmon.measurements.models import DataKind
from envmon.quality.live import LiveQC
from envmon.quality.rules import DEFAULT_RULES
from envmon.quality.stream import StreamingQC
from envmon.storage.db import create_engine_for, make_session_factory, session_scope
from envmon.timeutil import BEIJING

__all__ = ["PARAMETERS", "StreamBench", "minute_values", "run_stream_bench"]

PARAMETERS: Final = tuple(AIR_COLUMNS.values())
FIRST_DAY: Final = date(2016, 3, 1)
_RESOLUTION: Final = {"a21005": 0.001}  # CO mg/m³; the others µg/m³ in whole units


@dataclass
class StreamBench:
    """Figures of one run (µs per frame are medians over the timed minutes)."""

    stations: int
    series: int
    minutes: int
    engine_together_us: float = 0.0
    engine_alone_us: float = 0.0
    engine_equal: bool = False
    platform_stations: int = 0
    platform_us: float = 0.0
    platform_write_us: float = 0.0
    backend: str = ""
    flagged: dict[str, int] = field(default_factory=dict)


def minute_values(
    stations: int, minutes: int, seed: int = 0
) -> dict[str, npt.NDArray[np.float64]]:
    """Minute values ``(stations, minutes)`` per parameter from the real hourly series."""
    hours = minutes // 60 + 2
    start = datetime.combine(FIRST_DAY, datetime.min.time())
    beijing = _read_beijing(start, hours)
    rng = np.random.default_rng(seed)
    result = {}
    for code in PARAMETERS:
        hourly = np.array([beijing[i % len(beijing)][code] for i in range(stations)])
        per_minute = np.repeat(hourly, 60, axis=1)[:, :minutes]
        noise = rng.normal(0.0, 0.02, per_minute.shape) * np.nan_to_num(per_minute)
        step = _RESOLUTION.get(code, 1.0)
        result[code] = np.round((per_minute + noise) / step) * step
    return result


def _median_us(samples: list[float], frames: int) -> float:
    return statistics.median(samples) / frames * 1e6


def _engine(
    stations: int, minutes: int, warm: int, values: dict[str, npt.NDArray[np.float64]]
) -> tuple[float, float, bool]:
    start = np.datetime64("2016-02-29T16:00:00", "s")
    times = start + np.arange(warm + minutes) * np.timedelta64(60, "s")
    keys = [(i, code) for i in range(stations) for code in PARAMETERS]
    timings: dict[str, list[float]] = {"together": [], "alone": []}
    flags: dict[str, list[int]] = {"together": [], "alone": []}
    # one minute's values of every series, in the order of ``keys``
    column = np.stack([values[c][i] for i, c in keys], axis=1)
    for mode in ("together", "alone"):
        qc = StreamingQC(DEFAULT_RULES)
        for i, code in keys:
            qc.feed(
                times[:warm], values[code][i, :warm], series=(i, code), element="air"
            )
        for m in range(warm, warm + minutes):
            t = times[m : m + 1]
            begin = time.perf_counter()
            if mode == "together":
                out = qc.feed_each(keys, np.repeat(t, len(keys)), column[m])
            else:
                out = []
                for i, c in keys:
                    out += qc.feed(t, values[c][i, m : m + 1], series=(i, c))
            timings[mode].append(time.perf_counter() - begin)
            flags[mode] += [
                r.flag for r in sorted(out, key=lambda r: (r.series, r.position))
            ]
    return (
        _median_us(timings["together"], stations),
        _median_us(timings["alone"], stations),
        flags["together"] == flags["alone"],
    )


def _platform(
    engine: Engine, stations: int, minutes: int, warm: int, values: dict[str, Any]
) -> tuple[float, float, dict[str, int]]:
    migrate(engine)
    factory = make_session_factory(engine)
    city = build_city(factory, stations, 0)
    start = datetime.combine(FIRST_DAY, datetime.min.time(), BEIJING).astimezone(UTC)

    def rows(first: int, last: int) -> list[dict[str, Any]]:
        return [
            {
                "point_id": point,
                "parameter_code": code,
                "kind": DataKind.MINUTE,
                "measured_at": start + timedelta(minutes=m),
                "value": None if np.isnan(v := values[code][i, m]) else float(v),
                "device_flag": "N",
                "raw_file_id": None,
            }
            for i, point in enumerate(city.stations)
            for code in PARAMETERS
            for m in range(first, last)
        ]

    qc = LiveQC(actor="bench")
    with session_scope(factory) as session:
        measurements.add_many(session=session, rows=rows(0, warm))
    now = start + timedelta(minutes=warm)
    with session_scope(factory) as session:
        qc.process(session=session, now=now, since=start)
    points = set(city.stations)
    checks: list[float] = []
    writes: list[float] = []
    flagged: dict[str, int] = {"suspect": 0, "fail": 0}
    for m in range(warm, warm + minutes):
        begin = time.perf_counter()
        with session_scope(factory) as session:
            measurements.add_many(session=session, rows=rows(m, m + 1))
        writes.append(time.perf_counter() - begin)
        now = start + timedelta(minutes=m, seconds=30)
        begin = time.perf_counter()
        with session_scope(factory) as session:
            summary = qc.process(
                session=session,
                now=now,
                point_ids=points,
                since=start + timedelta(minutes=m),  # the batch's first data time
            )
        checks.append(time.perf_counter() - begin)
        flagged["suspect"] += summary.suspect
        flagged["fail"] += summary.failed
    assert qc.warm_series == stations * len(PARAMETERS)
    return _median_us(checks, stations), _median_us(writes, stations), flagged


def run_stream_bench(
    *,
    stations: int = 1000,
    minutes: int = 30,
    warm: int = 1440,
    platform_stations: int = 200,
    database_url: str | None = None,
    workdir: Path,
    progress: Callable[[str], None] = lambda _message: None,
) -> StreamBench:
    """Runs both measurements; the SQLite file goes to ``workdir``."""
    result = StreamBench(stations, stations * len(PARAMETERS), minutes)
    values = minute_values(max(stations, platform_stations), warm + minutes)
    progress(f"engine: {stations} stations, {minutes} minutes")
    together, alone, equal = _engine(stations, minutes, warm, values)
    result.engine_together_us, result.engine_alone_us = together, alone
    result.engine_equal = equal
    if platform_stations:
        url = database_url or f"sqlite:///{workdir / 'qc-stream.sqlite3'}"
        engine = create_engine_for(url)
        result.backend = engine.dialect.name
        progress(f"platform ({result.backend}): {platform_stations} stations")
        try:
            us, write_us, flagged = _platform(
                engine, platform_stations, minutes, warm, values
            )
        finally:
            engine.dispose()
        result.platform_stations = platform_stations
        result.platform_us, result.platform_write_us = us, write_us
        result.flagged = flagged
    return result
