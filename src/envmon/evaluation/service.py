"""Reads of the derived layers: latest values, series with validity and AQI, region AQI,
water class per section, rankings, exceedances. Times are shown in Beijing time; hourly
values carry their hour-ending label (the value shown at 16:00 covers 15:00–16:00)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from envmon.errors import NotFoundError, ValidationError
from envmon.evaluation.grid import beijing_midnight
from envmon.evaluation.models import (
    Aggregate,
    AqiValue,
    Exceedance,
    Period,
    SubjectKind,
)
from envmon.indices import aggregation, noise, water
from envmon.indices.aqi import LEVELS
from envmon.registry.enums import Element, RegionLevel
from envmon.registry.models import Outlet, Point, Region, Station
from envmon.registry.scope import Scope
from envmon.registry.service import in_region
from envmon.timeutil import to_beijing

__all__ = [
    "WATER_ITEMS",
    "air_statistics",
    "aqi_series",
    "exceedances",
    "get_region_or_raise",
    "latest_air",
    "noise_levels",
    "point_series",
    "rankings",
    "water_classes",
    "water_rankings",
]

_STEP = {
    Period.HOUR: timedelta(hours=1),
    Period.MOVING_24H: timedelta(hours=1),
    Period.MOVING_8H: timedelta(hours=1),
}

RECENT = timedelta(days=2)
"""How far back the latest values of all stations are read in one query."""

WATER_ITEMS = {
    "w01001": "pH",
    "w01009": "DO",
    "w01019": "CODMn",
    "w01018": "COD",
    "w01017": "BOD5",
    "w21003": "NH3N",
    "w21011": "TP",
    "w21001": "TN",
    "w20111": "Hg",
    "w20115": "Cd",
    "w20117": "Cr6",
    "w20119": "As",
    "w20120": "Pb",
    "w21016": "CN",
    "w23002": "VolatilePhenol",
    "w22001": "Petroleum",
}
"""Catalogue codes of GB 3838 items, with the item names of :mod:`envmon.indices.water`."""

_MICROGRAMS = {"w20111", "w20115", "w20117", "w20119", "w20120"}  # µg/L → mg/L


def _label(period: Period, start: datetime) -> str:
    step = _STEP.get(period)
    return to_beijing(start + step if step else start).isoformat()


def _category(level: int | None) -> dict[str, Any]:
    if not level:
        return {"category": None, "category_en": None, "rgb": None}
    entry = LEVELS[level - 1]
    return {
        "category": entry.category,
        "category_en": entry.category_en,
        "rgb": list(entry.rgb),
    }


def _aqi_json(row: Any) -> dict[str, Any]:
    """An AQI row (entity or selected columns) as the API shows it."""
    return {
        "start": row.period_start.isoformat(),
        "label": _label(
            Period.HOUR if row.mode == "hourly" else Period.DAY, row.period_start
        ),
        "standard": row.standard,
        "aqi": row.aqi,
        "level": row.level,
        **_category(row.level),
        "primary": row.primary_pollutants.split(",") if row.primary_pollutants else [],
        "iaqi": row.iaqi,
        "concentrations": row.concentrations,
        "stations": row.stations,
        "publishable": row.publishable,
        "status": row.status,
    }


_AQI_COLUMNS = (
    AqiValue.period_start,
    AqiValue.mode,
    AqiValue.standard,
    AqiValue.aqi,
    AqiValue.level,
    AqiValue.primary_pollutants,
    AqiValue.iaqi,
    AqiValue.concentrations,
    AqiValue.stations,
    AqiValue.publishable,
    AqiValue.status,
)
"""What an AQI row shows, read as plain columns (no ORM identity map for long series)."""


def _range(
    start: str | None, end: str | None, default_days: int
) -> tuple[datetime, datetime]:
    """Parses a Beijing date or ISO instant range; defaults to the last ``default_days``."""
    from envmon.timeutil import parse_instant

    try:
        end_at = parse_instant(end) if end else None
        start_at = parse_instant(start) if start else None
    except ValueError as err:
        raise ValidationError(str(err)) from err
    if end_at is None:
        today = to_beijing(datetime.now().astimezone()).date()
        end_at = beijing_midnight(today + timedelta(days=1))
    if start_at is None:
        start_at = end_at - timedelta(days=default_days)
    if start_at >= end_at:
        msg = f"start {start} is not before end {end}"
        raise ValidationError(msg)
    if end_at - start_at > timedelta(days=400):
        msg = "a range may span at most 400 days"
        raise ValidationError(msg)
    return start_at, end_at


def point_series(
    *,
    session: Session,
    point: Point,
    parameter: str,
    period: str = "hour",
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """One point's derived values of one parameter, oldest first, with validity, the
    count behind it, the corrected value and amount (outlets), and status."""
    try:
        chosen = Period(period)
    except ValueError as err:
        known = ", ".join(p.value for p in Period)
        msg = f"unknown period {period!r}; known: {known}"
        raise ValidationError(msg) from err
    start_at, end_at = _range(start, end, 30)
    rows = session.execute(
        select(
            Aggregate.period_start,
            Aggregate.value,
            Aggregate.corrected_value,
            Aggregate.amount,
            Aggregate.count,
            Aggregate.valid,
            Aggregate.status,
        )
        .where(
            Aggregate.point_id == point.id,
            Aggregate.parameter_code == parameter,
            Aggregate.period == chosen,
            Aggregate.period_start >= start_at,
            Aggregate.period_start < end_at,
        )
        .order_by(Aggregate.period_start)
    ).all()
    return {
        "point": point.mn or point.name,
        "name": point.name,
        "parameter": parameter,
        "period": chosen.value,
        "values": [
            {
                "start": at.isoformat(),
                "label": _label(chosen, at),
                "value": value,
                "corrected_value": corrected,
                "amount": amount,
                "count": count,
                "valid": valid,
                "status": status,
            }
            for at, value, corrected, amount, count, valid, status in rows
        ],
    }


def aqi_series(
    *,
    session: Session,
    kind: SubjectKind,
    subject_id: int,
    mode: str = "hourly",
    start: str | None = None,
    end: str | None = None,
) -> list[dict[str, Any]]:
    """Hourly or daily AQI of a station or region over a range, oldest first."""
    if mode not in ("hourly", "daily"):
        msg = f"unknown mode {mode!r}; known: hourly, daily"
        raise ValidationError(msg)
    start_at, end_at = _range(start, end, 30 if mode == "hourly" else 365)
    rows = session.execute(
        select(*_AQI_COLUMNS)
        .where(
            AqiValue.subject_kind == kind,
            AqiValue.subject_id == subject_id,
            AqiValue.mode == mode,
            AqiValue.period_start >= start_at,
            AqiValue.period_start < end_at,
        )
        .order_by(AqiValue.period_start)
    )
    return [_aqi_json(row) for row in rows]


def latest_air(*, session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Every air station in scope with its latest hourly AQI and the concentrations of
    that hour (one query for the latest hour per station, one for the rows)."""
    stations = select(Station.id, Station.code, Station.name, Station.lon, Station.lat)
    stations = stations.where(Station.element == Element.AIR)
    stations = in_region(stations, Station.region_id, scope)
    found = {row.id: row for row in session.execute(stations)}
    if not found:
        return []
    # The newest hour overall comes from the (mode, period_start) index; the stations'
    # latest rows are then read from the last few days only, and a station silent for
    # longer is looked up on its own (primary-key order, one row).
    newest_at = session.scalar(
        select(func.max(AqiValue.period_start)).where(
            AqiValue.subject_kind == SubjectKind.POINT, AqiValue.mode == "hourly"
        )
    )
    latest: dict[int, dict[str, Any]] = {}
    if newest_at is not None:
        newest_of = session.execute(
            select(AqiValue.subject_id, func.max(AqiValue.period_start))
            .where(
                AqiValue.subject_kind == SubjectKind.POINT,
                AqiValue.mode == "hourly",
                AqiValue.subject_id.in_(list(found)),
                AqiValue.period_start >= newest_at - RECENT,
            )
            .group_by(AqiValue.subject_id)
        ).all()
        if newest_of:
            rows = session.scalars(
                select(AqiValue).where(
                    AqiValue.subject_kind == SubjectKind.POINT,
                    AqiValue.mode == "hourly",
                    tuple_(AqiValue.subject_id, AqiValue.period_start).in_(
                        [tuple(pair) for pair in newest_of]
                    ),
                )
            )
            latest = {row.subject_id: _aqi_json(row) for row in rows}
        for station_id in set(found) - set(latest):
            row = session.scalars(
                select(AqiValue)
                .where(
                    AqiValue.subject_kind == SubjectKind.POINT,
                    AqiValue.subject_id == station_id,
                    AqiValue.mode == "hourly",
                )
                .order_by(AqiValue.period_start.desc())
                .limit(1)
            ).first()
            if row is not None:
                latest[station_id] = _aqi_json(row)
    return [
        {
            "code": station.code,
            "name": station.name,
            "lon": station.lon,
            "lat": station.lat,
            "latest": latest.get(station_id),
        }
        for station_id, station in sorted(found.items(), key=lambda item: item[1].code)
    ]


def get_region_or_raise(*, session: Session, scope: Scope, code: str) -> Region:
    """A region by its code, within the caller's scope."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None or (
        scope.region_path is not None and not region.path.startswith(scope.region_path)
    ):
        msg = f"no region with code {code!r}"
        raise NotFoundError(msg)
    return region


def water_classes(*, session: Session, scope: Scope, day: date) -> list[dict[str, Any]]:
    """GB 3838 class of every surface-water station in scope from its daily means of
    ``day`` (µg/L items converted to mg/L), with limiting items, main pollutants, CWQI."""
    query = select(Station).where(Station.element == Element.SURFACE_WATER)
    query = in_region(query, Station.region_id, scope)
    sections = list(session.scalars(query.order_by(Station.code)))
    if not sections:
        return []
    rows = session.execute(
        select(Aggregate.point_id, Aggregate.parameter_code, Aggregate.value).where(
            Aggregate.point_id.in_([s.id for s in sections]),
            Aggregate.period == Period.DAY,
            Aggregate.period_start == beijing_midnight(day),
            Aggregate.parameter_code.in_(list(WATER_ITEMS)),
            Aggregate.valid.is_(True),
        )
    )
    values: dict[int, dict[str, float]] = defaultdict(dict)
    for point_id, code, value in rows:
        if value is None:
            continue
        values[point_id][WATER_ITEMS[code]] = (
            value / 1000 if code in _MICROGRAMS else value
        )
    result = []
    for section in sections:
        measured = values.get(section.id)
        assessment = (
            water.assess(measured, waterbody=section.waterbody or "river").as_json()
            if measured
            else None
        )
        result.append(
            {
                "code": section.code,
                "name": section.name,
                "waterbody": section.waterbody or "river",
                "day": day.isoformat(),
                "assessment": assessment,
            }
        )
    return result


def rankings(
    *,
    session: Session,
    scope: Scope,
    level: str = "county",
    start: str | None = None,
    end: str | None = None,
) -> list[dict[str, Any]]:
    """Regions of ``level`` ranked best first by their mean daily AQI over the range, with
    the share of good days (AQI ≤ 100) and each pollutant's mean daily concentration."""
    try:
        chosen = RegionLevel(level)
    except ValueError as err:
        msg = f"unknown region level {level!r}"
        raise ValidationError(msg) from err
    start_at, end_at = _range(start, end, 30)
    regions = select(Region).where(Region.level == chosen)
    if scope.region_path is not None:
        regions = regions.where(
            Region.path.startswith(scope.region_path, autoescape=True)
        )
    by_id = {r.id: r for r in session.scalars(regions)}
    rows = session.scalars(
        select(AqiValue).where(
            AqiValue.subject_kind == SubjectKind.REGION,
            AqiValue.mode == "daily",
            AqiValue.subject_id.in_(list(by_id)),
            AqiValue.period_start >= start_at,
            AqiValue.period_start < end_at,
        )
    )
    days: dict[int, list[AqiValue]] = defaultdict(list)
    for found_row in rows:
        days[found_row.subject_id].append(found_row)
    table: list[dict[str, Any]] = []
    for region_id, values in days.items():
        aqis = np.array([v.aqi for v in values if v.aqi is not None], dtype=float)
        means: dict[str, float | None] = {}
        for name in (
            "so2_24h",
            "no2_24h",
            "co_24h",
            "pm10_24h",
            "pm25_24h",
            "o3_8h_max",
        ):
            found = [v.concentrations[name] for v in values if name in v.concentrations]
            means[name] = round(float(np.mean(found)), 3) if found else None
        table.append(
            {
                "code": by_id[region_id].code,
                "name": by_id[region_id].name,
                "days": len(values),
                "mean_aqi": round(float(aqis.mean()), 1) if aqis.size else None,
                "good_days": int((aqis <= 100).sum()),
                "good_rate": round(float((aqis <= 100).mean()), 4)
                if aqis.size
                else None,
                "concentrations": means,
            }
        )
    table.sort(key=lambda r: (r["mean_aqi"] is None, r["mean_aqi"] or 0.0))
    for rank, row in enumerate(table, 1):
        row["rank"] = rank
    return table


def exceedances(
    *,
    session: Session,
    scope: Scope,
    start: str | None = None,
    end: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Hourly permit exceedances of the outlets in scope, newest first."""
    start_at, end_at = _range(start, end, 7)
    query = (
        select(Exceedance, Point.mn, Point.name)
        .join(Point, Point.id == Exceedance.point_id)
        .where(Exceedance.period_start >= start_at, Exceedance.period_start < end_at)
        .order_by(Exceedance.period_start.desc())
        .limit(min(max(limit, 1), 10_000))
    )
    query = in_region(query, Point.region_id, scope)
    if scope.enterprise_id is not None:
        own = select(Outlet.id).where(Outlet.enterprise_id == scope.enterprise_id)
        query = query.where(Point.id.in_(own))
    return [
        {
            "mn": mn,
            "name": name,
            "parameter": row.parameter_code,
            "start": row.period_start.isoformat(),
            "label": _label(Period.HOUR, row.period_start),
            "value": row.value,
            "limit": row.limit_value,
            "lower_limit": row.lower_value,
            "multiple": round(row.multiple, 4),
            "corrected": row.corrected,
            "status": row.status,
        }
        for row, mn, name in session.execute(query)
    ]


_DAILY_OF = {
    "so2": "so2_24h",
    "no2": "no2_24h",
    "co": "co_24h",
    "pm10": "pm10_24h",
    "pm25": "pm25_24h",
    "o3": "o3_8h_max",
}


def air_statistics(
    *,
    session: Session,
    kind: SubjectKind,
    subject_id: int,
    year: int,
    month: int | None = None,
) -> dict[str, Any]:
    """Annual (or monthly) statistics of a station or region as GB 3095 compares them:
    means and the HJ 663 percentiles of daily values (SO2, NO2 98th; PM 95th; CO 95th;
    O3 90th of the MDA8), each with its valid days and whether the coverage rule is met
    (≥ 324 days a year and ≥ 27 a month, 25 in February)."""
    first = date(year, month or 1, 1)
    last = (
        date(year + 1, 1, 1)
        if month is None or month == 12
        else date(year, month + 1, 1)
    )
    if month is not None and not 1 <= month <= 12:
        msg = f"month {month} is not 1..12"
        raise ValidationError(msg)
    rows = session.execute(
        select(AqiValue.period_start, AqiValue.concentrations).where(
            AqiValue.subject_kind == kind,
            AqiValue.subject_id == subject_id,
            AqiValue.mode == "daily",
            AqiValue.period_start >= beijing_midnight(first),
            AqiValue.period_start < beijing_midnight(last),
        )
    ).all()
    days = (last - first).days
    dates = np.arange(
        np.datetime64(first.isoformat()), np.datetime64(last.isoformat())
    ).astype("datetime64[D]")
    series = {name: np.full(days, np.nan) for name in _DAILY_OF.values()}
    for start, concentrations in rows:
        index = (to_beijing(start).date() - first).days
        for name, value in concentrations.items():
            if name in series and 0 <= index < days:
                series[name][index] = value
    result: dict[str, Any] = {}
    for pollutant, statistics in aggregation.ANNUAL_STATISTICS.items():
        values = series[_DAILY_OF[pollutant]]
        for statistic in statistics:
            found = aggregation.period_statistics(
                values,
                dates,
                statistic=statistic.statistic,
                percentile=statistic.percentile,
                period="year" if month is None else "month",
            )
            name = (
                f"{pollutant}_mean"
                if statistic.statistic == "mean"
                else f"{pollutant}_p{statistic.percentile:g}"
            )
            value = float(found.value)
            result[name] = {
                "value": None if value != value else round(value, 3),
                "valid_days": int(found.valid_days),
                "coverage_met": bool(found.valid),
            }
    return {
        "period": f"{year}" if month is None else f"{year}-{month:02d}",
        "days": days,
        "statistics": result,
    }


NOISE_CODES = ("Leq", "LA")
"""Hourly noise parameters evaluated, in order of preference: the hourly equivalent level,
else the A-weighted level."""


def noise_levels(*, session: Session, scope: Scope, day: date) -> list[dict[str, Any]]:
    """Day level Ld (06–22) and night level Ln (22–06 of the next morning) of every noise
    station in scope, energy-averaged from its hourly values, judged against its
    functional zone (GB 3096-2008 Table 1)."""
    query = select(Station).where(Station.element == Element.NOISE)
    query = in_region(query, Station.region_id, scope)
    stations = list(session.scalars(query.order_by(Station.code)))
    if not stations:
        return []
    start = beijing_midnight(day) + timedelta(hours=noise.DAY_START_HOUR)
    rows = session.execute(
        select(
            Aggregate.point_id,
            Aggregate.parameter_code,
            Aggregate.period_start,
            Aggregate.value,
        ).where(
            Aggregate.point_id.in_([s.id for s in stations]),
            Aggregate.parameter_code.in_(NOISE_CODES),
            Aggregate.period == Period.HOUR,
            Aggregate.valid.is_(True),
            Aggregate.period_start >= start,
            Aggregate.period_start < start + timedelta(days=1),
        )
    )
    found: dict[tuple[int, str], list[tuple[int, float]]] = defaultdict(list)
    for point_id, code, at, value in rows:
        if value is not None:
            found[(point_id, code)].append((to_beijing(at).hour, value))
    result = []
    for station in stations:
        hourly = next(
            (found[(station.id, c)] for c in NOISE_CODES if found.get((station.id, c))),
            [],
        )
        levels: tuple[float, float] | None = None
        if hourly:
            hours, values = zip(*hourly, strict=True)
            levels = noise.day_night_levels(list(values), list(hours))
        day_leq = None if levels is None or levels[0] != levels[0] else levels[0]
        night_leq = None if levels is None or levels[1] != levels[1] else levels[1]
        result.append(
            {
                "code": station.code,
                "name": station.name,
                "zone": station.noise_zone,
                "day": day.isoformat(),
                "hours": len(hourly),
                "assessment": noise.assess_noise(
                    day_leq, night_leq, zone=station.noise_zone
                ).as_json()
                if station.noise_zone and (day_leq is not None or night_leq is not None)
                else None,
            }
        )
    return result


def _regional_means(
    session: Session,
    level: str,
    sections: dict[int, Station],
    means: dict[int, dict[str, float]],
) -> list[tuple[str, str, str, dict[str, float]]]:
    try:
        chosen = RegionLevel(level)
    except ValueError as err:
        msg = f"unknown region level {level!r}"
        raise ValidationError(msg) from err
    paths: dict[int, str] = dict(session.execute(select(Region.id, Region.path)).all())
    result = []
    for region in session.scalars(select(Region).where(Region.level == chosen)):
        members = [
            sid
            for sid, section in sections.items()
            if sid in means and paths[section.region_id].startswith(region.path)
        ]
        if not members:
            continue
        items = {item for sid in members for item in means[sid]}
        averaged = {
            item: float(
                np.mean([means[sid][item] for sid in members if item in means[sid]])
            )
            for item in items
        }
        lake = all(sections[sid].waterbody == "lake" for sid in members)
        result.append((region.code, region.name, "lake" if lake else "river", averaged))
    return result


def water_rankings(
    *,
    session: Session,
    scope: Scope,
    start: str | None = None,
    end: str | None = None,
    level: str | None = None,
) -> list[dict[str, Any]]:
    """Surface-water sections — or, with ``level``, the regions of that level — ranked
    best first by the CWQI of their period-mean concentrations (城市地表水环境质量排名技术
    规定), with the class of those means. A region's item means are the means over its
    sections (the method's city-scale reading); it is judged as a lake only when all its
    sections are lakes."""
    start_at, end_at = _range(start, end, 30)
    query = select(Station).where(Station.element == Element.SURFACE_WATER)
    query = in_region(query, Station.region_id, scope)
    sections = {s.id: s for s in session.scalars(query)}
    if not sections:
        return []
    rows = session.execute(
        select(Aggregate.point_id, Aggregate.parameter_code, func.avg(Aggregate.value))
        .where(
            Aggregate.point_id.in_(list(sections)),
            Aggregate.period == Period.DAY,
            Aggregate.valid.is_(True),
            Aggregate.parameter_code.in_(list(WATER_ITEMS)),
            Aggregate.period_start >= start_at,
            Aggregate.period_start < end_at,
        )
        .group_by(Aggregate.point_id, Aggregate.parameter_code)
    )
    means: dict[int, dict[str, float]] = defaultdict(dict)
    for point_id, code, value in rows:
        if value is not None:
            scale = 1000 if code in _MICROGRAMS else 1
            means[point_id][WATER_ITEMS[code]] = float(value) / scale
    subjects: list[tuple[str, str, str, dict[str, float]]] = [
        (s.code, s.name, s.waterbody or "river", means[s.id])
        for s in sections.values()
        if s.id in means
    ]
    if level is not None:
        subjects = _regional_means(session, level, sections, means)
    table: list[dict[str, Any]] = []
    for code, name, waterbody, values in subjects:
        assessment = water.assess(values, waterbody=waterbody)
        table.append(
            {
                "code": code,
                "name": name,
                "cwqi": round(float(assessment.cwqi), 4),
                "class": assessment.water_class.label,
                "items": sorted(values),
            }
        )
    table.sort(key=lambda r: r["cwqi"])
    for rank, row in enumerate(table, 1):
        row["rank"] = rank
    return table
