"""Benchmark of the evaluation: a city's raw data recomputed into every aggregate and index,
and the read latency of the queries the console and the public portal make most.

The city: ``stations`` air stations reporting hourly (values replayed from the real Beijing
2013–2017 series, station ``i`` taking Beijing station ``i mod 12``), and ``outlets``
flue-gas outlets reporting 8 parameters every minute (synthetic values around typical
levels, 1 % of minutes flagged D). Rows are loaded with COPY, outside the timing.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from envmon.evaluation import flows
from envmon.evaluation.grid import beijing_midnight
from envmon.registry.models import Outlet, Region, Station
from envmon.simulate.sources import PointSpec
from envmon.storage.db import session_scope
from envmon.timeutil import to_beijing

__all__ = [
    "BEIJING_AIR",
    "CityBench",
    "build_city",
    "load_air",
    "load_outlet_minutes",
    "query_latencies",
    "time_recompute",
]

BEIJING_AIR: Final = (
    Path(__file__).resolve().parents[3].parent / "shared/data/beijing_air"
)
"""The real Beijing data, read in place from the shared folder beside the checkout."""
AIR_COLUMNS: Final = {
    "SO2": "a21026",
    "NO2": "a21004",
    "CO": "a21005",
    "O3": "a05024",
    "PM10": "a34002",
    "PM2.5": "a34004",
}
# Typical flue-gas levels of a gas boiler: flow m³/s, velocity m/s, temperature °C,
# humidity %, O2 %, NOx, SO2, dust mg/m³.
OUTLET_LEVELS: Final = {
    "a00000": 25.0,
    "a01011": 12.0,
    "a01012": 85.0,
    "a01014": 9.0,
    "a19001": 8.5,
    "a21002": 28.0,
    "a21026": 6.0,
    "a34013": 3.0,
}


@dataclass(frozen=True)
class CityBench:
    """Ids of the benchmark city's points."""

    stations: list[int]
    outlets: list[int]
    city_id: int


def registry_yaml(stations: int, outlets: int) -> str:
    """A registry document: ``stations`` city assessment air stations and ``outlets``
    flue-gas outlets (50 per enterprise) in one county of one city."""
    from envmon.cli.simulate import synthetic_points, synthetic_registry_yaml

    air = [
        PointSpec(
            mn=f"AIR{i:021d}",
            password="123456",
            st="22",
            kind="air",
            source=f"S{i:04d}",
            reference_o2=None,
            parameters=tuple(AIR_COLUMNS.values()),
        )
        for i in range(1, stations + 1)
    ]
    document = yaml.safe_load(
        synthetic_registry_yaml(air + synthetic_points(outlets, 7))
    )
    for station in document["stations"]:
        station["city_assessment"] = True
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def build_city(
    factory: sessionmaker[Session], stations: int, outlets: int
) -> CityBench:
    """Imports the benchmark registry; returns the points' ids."""
    from envmon.registry.flows import import_file

    import_file(
        session_factory=factory,
        name="bench-city.yaml",
        content=registry_yaml(stations, outlets).encode("utf-8"),
        actor="bench",
        source="envmon bench evaluation",
        now=datetime.now(UTC),
    )
    with factory() as session:
        station_ids = list(session.scalars(select(Station.id).order_by(Station.id)))
        outlet_ids = list(session.scalars(select(Outlet.id).order_by(Outlet.id)))
        city = session.scalar(select(Region.id).where(Region.level == "city"))
    assert city is not None
    return CityBench(station_ids, outlet_ids, city)


def _read_beijing(start: datetime, hours: int) -> list[dict[str, np.ndarray[Any, Any]]]:
    """The 12 Beijing stations' hourly series from ``start`` (naive Beijing time; the
    source labels each hour by its end)."""
    series = []
    first_label = start + timedelta(hours=1)
    for path in sorted(BEIJING_AIR.glob("PRSA_Data_*.csv")):
        values = {code: np.full(hours, np.nan) for code in AIR_COLUMNS.values()}
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                label = datetime(
                    int(row["year"]),
                    int(row["month"]),
                    int(row["day"]),
                    int(row["hour"]),
                )
                index = int((label - first_label).total_seconds()) // 3600
                if 0 <= index < hours:
                    for column, code in AIR_COLUMNS.items():
                        text = row[column]
                        if text not in ("", "NA"):
                            value = float(text)
                            values[code][index] = (
                                value / 1000 if column == "CO" else value
                            )
        series.append(values)
    return series


def _copy_text(connection: Any, lines: Callable[[], Any]) -> int:
    raw = connection.connection.driver_connection
    count = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY measurements (point_id, parameter_code, kind, measured_at, value, "
            "device_flag) FROM STDIN"
        ) as copy,
    ):
        for block in lines():
            copy.write(block)
            count += block.count("\n")
    return count


def _stamps(start_utc: datetime, count: int, step_s: int) -> list[str]:
    return [
        (start_utc + timedelta(seconds=step_s * i)).strftime("%Y-%m-%d %H:%M:%S+00")
        for i in range(count)
    ]


def load_air(engine: Engine, city: CityBench, first_day: date, days: int) -> int:
    """COPYs ``days`` of hourly air data for every station; returns rows written."""
    start = beijing_midnight(first_day)
    hours = 24 * days
    beijing = _read_beijing(to_beijing(start).replace(tzinfo=None), hours)
    stamps = _stamps(start, hours, 3600)

    def lines() -> Any:
        for i, point_id in enumerate(city.stations):
            source = beijing[i % len(beijing)]
            for code, values in source.items():
                present = np.nonzero(~np.isnan(values))[0]
                yield "".join(
                    f"{point_id}\t{code}\thour\t{stamps[h]}\t{values[h]:.4g}\tN\n"
                    for h in present.tolist()
                )

    with engine.begin() as connection:
        return _copy_text(connection, lines)


def load_outlet_minutes(
    engine: Engine, city: CityBench, first_day: date, days: int
) -> int:
    """COPYs ``days`` of minute data (8 parameters) for every outlet; returns rows."""
    start = beijing_midnight(first_day)
    minutes = 1440 * days
    stamps = _stamps(start, minutes, 60)
    rng = np.random.default_rng(11)

    def lines() -> Any:
        for point_id in city.outlets:
            for code, level in OUTLET_LEVELS.items():
                values = np.round(level * (1 + 0.15 * rng.standard_normal(minutes)), 3)
                flags = np.where(rng.random(minutes) < 0.01, "D", "N")
                for offset in range(0, minutes, 10_080):
                    yield "".join(
                        f"{point_id}\t{code}\tminute\t{t}\t{v}\t{f}\n"
                        for t, v, f in zip(
                            stamps[offset : offset + 10_080],
                            values[offset : offset + 10_080].tolist(),
                            flags[offset : offset + 10_080].tolist(),
                            strict=True,
                        )
                    )

    with engine.begin() as connection:
        return _copy_text(connection, lines)


def time_recompute(
    factory: sessionmaker[Session], first_day: date, days: int
) -> tuple[float, flows.RecomputeSummary]:
    """Seconds to recompute every point over ``days`` from ``first_day``, committed."""
    t0 = time.perf_counter()
    with session_scope(factory) as session:
        summary = flows.recompute(
            session=session,
            first_day=first_day,
            last_day=first_day + timedelta(days=days - 1),
            now=datetime.now(UTC),
            actor="bench",
        )
    return time.perf_counter() - t0, summary


def query_latencies(
    factory: sessionmaker[Session],
    queries: dict[str, Callable[[Session], Any]],
    repeats: int = 50,
) -> dict[str, tuple[float, float]]:
    """Median and p95 milliseconds of each query, each in a fresh session."""
    result = {}
    for name, query in queries.items():
        times = []
        for _ in range(repeats):
            with factory() as session:
                t0 = time.perf_counter()
                query(session)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        result[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return result
