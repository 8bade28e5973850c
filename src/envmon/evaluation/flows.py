"""Recomputation: measurements → aggregates → AQI and exceedances, for points and days.

One mechanism serves every case: a full recomputation of a month, late data for one
station, a revised hourly value. The unit of work is (points, Beijing days); what depends on
a day — its hours, its daily values, the moving windows that reach into the next day, and
the county and city values built from its stations — is rewritten in one transaction, and
the run is sealed in the ledger. Change marks written with the measurements say what to
recompute; :func:`process_changes` consumes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

import numpy as np
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from envmon.errors import ConflictError, ValidationError
from envmon.evaluation.air import (
    AIR_CODES,
    hour_starts,
)
from envmon.evaluation.grid import HourGrid, beijing_midnight, load_hourly
from envmon.evaluation.models import (
    Aggregate,
    AqiValue,
    Exceedance,
    Finalization,
    Period,
    ResultStatus,
    SubjectKind,
)
from envmon.evaluation.outlets import OutletRows, outlet_rows
from envmon.evaluation.rows import aggregate_rows, period_statuses
from envmon.evaluation.stations import evaluate_air
from envmon.indices import aggregation
from envmon.indices.aqi import AqiStandard
from envmon.ledger import service as ledger
from envmon.measurements.models import ChangeMark
from envmon.registry.enums import ControlLevel, Element, RegionLevel
from envmon.registry.models import Outlet, PermitLimit, Point, Region, Station
from envmon.storage.bulk import copy_rows

__all__ = [
    "RecomputeSummary",
    "finalize_month",
    "process_changes",
    "recompute",
]

AGGREGATES = cast(Table, Aggregate.__table__)
AQI_VALUES = cast(Table, AqiValue.__table__)
EXCEEDANCES = cast(Table, Exceedance.__table__)
AGGREGATE_COLUMNS: Final = (
    "point_id",
    "parameter_code",
    "period",
    "period_start",
    "value",
    "corrected_value",
    "amount",
    "count",
    "valid",
    "status",
    "computed_at",
)
AQI_COLUMNS: Final = (
    "subject_kind",
    "subject_id",
    "mode",
    "period_start",
    "standard",
    "aqi",
    "level",
    "primary_pollutants",
    "iaqi",
    "concentrations",
    "stations",
    "publishable",
    "status",
    "computed_at",
)
EXCEEDANCE_COLUMNS: Final = (
    "point_id",
    "parameter_code",
    "period_start",
    "value",
    "limit_value",
    "lower_value",
    "multiple",
    "corrected",
    "limit_id",
    "status",
    "computed_at",
)
MERGE_GAP_DAYS: Final = 7
"""Change marks this close in time are recomputed in one range."""
MAX_DAYS_PER_RUN: Final = 31
"""Days read and computed at once (memory bound); longer ranges run in several steps of
the same transaction, each also rewriting the day after it."""


@dataclass
class RecomputeSummary:
    """What one recomputation wrote."""

    points: int = 0
    regions: int = 0
    first_day: date | None = None
    last_day: date | None = None
    aggregates: int = 0
    aqi_values: int = 0
    exceedances: int = 0
    marks: int = 0
    runs: int = 0

    def add(self, other: RecomputeSummary) -> None:
        """Adds another run's counts to this one."""
        self.points = max(self.points, other.points)
        self.regions = max(self.regions, other.regions)
        self.aggregates += other.aggregates
        self.aqi_values += other.aqi_values
        self.exceedances += other.exceedances
        self.runs += other.runs
        for day in (other.first_day, other.last_day):
            if day is not None:
                self.first_day = min(self.first_day or day, day)
                self.last_day = max(self.last_day or day, day)

    def as_json(self) -> dict[str, Any]:
        """The summary as the CLI and the ledger show it."""
        return {
            "points": self.points,
            "regions": self.regions,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "aggregates": self.aggregates,
            "aqi_values": self.aqi_values,
            "exceedances": self.exceedances,
            "marks": self.marks,
            "runs": self.runs,
        }


@dataclass(frozen=True)
class _PointInfo:
    id: int
    is_air_station: bool
    # Water stations measure every few hours (4-hourly is common): a day's mean counts
    # with any valid value rather than GB 3095's 20 hours (no national rule read).
    sparse_daily: bool
    is_outlet: bool
    region_path: str
    city_assessment: bool
    control_level: str | None
    reference_o2: float | None
    outlet_kind: str | None


@dataclass
class _Window:
    """Grid of a run: a lead-in day, then the days written."""

    first_day: date
    days: int  # days written (the last one is the day after the last changed day)
    start: datetime = field(init=False)
    hours: int = field(init=False)

    def __post_init__(self) -> None:
        self.start = beijing_midnight(self.first_day - timedelta(days=1))
        self.hours = 24 * (self.days + 1)

    @property
    def write_start(self) -> datetime:
        return beijing_midnight(self.first_day)

    @property
    def write_end(self) -> datetime:
        return beijing_midnight(self.first_day + timedelta(days=self.days))

    def hour_starts(self) -> list[datetime]:
        return hour_starts(self.start, self.hours)

    def day_starts(self) -> list[datetime]:
        return [
            beijing_midnight(self.first_day + timedelta(days=d - 1))
            for d in range(self.days + 1)
        ]


def _point_infos(
    session: Session, point_ids: Collection[int] | None
) -> list[_PointInfo]:
    points, stations = Point.__table__.c, Station.__table__.c
    outlets, regions = Outlet.__table__.c, Region.__table__.c
    query = (
        select(
            points.id,
            points.kind,
            regions.path,
            stations.element,
            stations.city_assessment,
            stations.control_level,
            outlets.reference_o2,
            outlets.outlet_kind,
        )
        .select_from(Point.__table__)
        .join(Region.__table__, regions.id == points.region_id)
        .outerjoin(Station.__table__, stations.id == points.id)
        .outerjoin(Outlet.__table__, outlets.id == points.id)
        .order_by(points.id)
    )
    if point_ids is not None:
        query = query.where(points.id.in_(sorted(point_ids)))
    return [
        _PointInfo(
            id=row[0],
            is_air_station=row[3] == Element.AIR,
            sparse_daily=row[3]
            in (Element.SURFACE_WATER, Element.DRINKING_WATER, Element.GROUNDWATER),
            is_outlet=row[1] == "outlet",
            region_path=row[2],
            city_assessment=bool(row[4]),
            control_level=None if row[5] is None else str(row[5]),
            reference_o2=row[6],
            outlet_kind=None if row[7] is None else str(row[7]),
        )
        for row in session.execute(query)
    ]


def _regions_of(session: Session, stations: list[_PointInfo]) -> dict[int, list[int]]:
    """County and city regions over the air stations, with the stations each averages.

    A city averages its city assessment stations (城市评价点; background, regional and
    traffic stations excluded, HJ 663). A county (HJ 633-2026 §3 adds the county scale)
    and a township (for township rankings; no national rule) average their assessment
    stations and their county- and township-controlled stations.
    """
    regions = session.execute(
        select(Region.id, Region.path, Region.level).where(
            Region.level.in_(
                [RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP]
            )
        )
    ).all()
    members: dict[int, list[int]] = {}
    for region_id, path, level in regions:
        chosen = [
            s.id
            for s in stations
            if s.region_path.startswith(path)
            and (
                s.city_assessment
                or (
                    level != RegionLevel.CITY
                    and s.control_level
                    in (ControlLevel.COUNTY.value, ControlLevel.TOWNSHIP.value)
                )
            )
        ]
        if chosen:
            members[region_id] = chosen
    return members


def _finalized(session: Session) -> set[date]:
    return set(session.scalars(select(Finalization.month)))


def _generic_rows(
    grid: HourGrid,
    keys: list[tuple[int, str]],
    window: _Window,
    finalized: set[date],
    now: datetime,
    min_hours: int = 20,
) -> list[tuple[Any, ...]]:
    """Hourly and daily rows of series with no special rules (all but outlets' pollutants)."""
    if not keys:
        return []
    index = grid.index
    rows_idx = [index[k] for k in keys]
    values, counts = grid.values[rows_idx], grid.counts[rows_idx]
    daily = aggregation.daily_means(values, min_hours=min_hours)
    hour_list, day_list = window.hour_starts()[24:], window.day_starts()[1:]
    out: list[tuple[Any, ...]] = []
    by_code: dict[str, list[int]] = defaultdict(list)
    for i, (_, code) in enumerate(keys):
        by_code[code].append(i)
    statuses_h, statuses_d = (
        period_statuses(hour_list, finalized),
        period_statuses(day_list, finalized),
    )
    for code, members in by_code.items():
        ids = [keys[i][0] for i in members]
        v, c = values[members][:, 24:], counts[members][:, 24:]
        out += aggregate_rows(
            ids, code, Period.HOUR, v, c, ~np.isnan(v), hour_list, statuses_h, now
        )
        dv, dc = daily.values[members][:, 1:], daily.valid_hours[members][:, 1:]
        out += aggregate_rows(
            ids, code, Period.DAY, dv, dc, ~np.isnan(dv), day_list, statuses_d, now
        )
    return out


def _limits(session: Session, outlet_ids: list[int]) -> list[PermitLimit]:
    if not outlet_ids:
        return []
    return list(
        session.scalars(
            select(PermitLimit).where(PermitLimit.outlet_id.in_(outlet_ids))
        )
    )


def _replace(
    session: Session,
    point_ids: list[int],
    region_ids: list[int],
    window: _Window,
    aggregates: list[tuple[Any, ...]],
    aqi_rows: list[tuple[Any, ...]],
    exceedances: list[tuple[Any, ...]],
) -> None:
    start, end = window.write_start, window.write_end
    for chunk in _chunks(point_ids):
        session.execute(
            delete(Aggregate).where(
                Aggregate.point_id.in_(chunk),
                Aggregate.period_start >= start,
                Aggregate.period_start < end,
            )
        )
        session.execute(
            delete(Exceedance).where(
                Exceedance.point_id.in_(chunk),
                Exceedance.period_start >= start,
                Exceedance.period_start < end,
            )
        )
        session.execute(
            delete(AqiValue).where(
                AqiValue.subject_kind == SubjectKind.POINT,
                AqiValue.subject_id.in_(chunk),
                AqiValue.period_start >= start,
                AqiValue.period_start < end,
            )
        )
    if region_ids:
        session.execute(
            delete(AqiValue).where(
                AqiValue.subject_kind == SubjectKind.REGION,
                AqiValue.subject_id.in_(region_ids),
                AqiValue.period_start >= start,
                AqiValue.period_start < end,
            )
        )
    connection = session.connection()
    copy_rows(connection, AGGREGATES, AGGREGATE_COLUMNS, aggregates)
    copy_rows(connection, AQI_VALUES, AQI_COLUMNS, aqi_rows)
    copy_rows(connection, EXCEEDANCES, EXCEEDANCE_COLUMNS, exceedances)


def _chunks(ids: list[int], size: int = 5000) -> Iterable[list[int]]:
    for offset in range(0, len(ids), size):
        yield ids[offset : offset + size]


def _run(
    session: Session,
    infos: list[_PointInfo],
    window: _Window,
    now: datetime,
    standard: AqiStandard | None,
) -> RecomputeSummary:
    finalized = _finalized(session)
    grid = load_hourly(
        session=session,
        point_ids=[p.id for p in infos],
        start=window.start,
        hours=window.hours,
    )
    stations = [p for p in infos if p.is_air_station]
    regions = _regions_of(session, stations) if stations else {}
    aggregates, aqi_values = (
        evaluate_air(
            grid,
            [s.id for s in stations],
            regions,
            window.hour_starts(),
            window.day_starts(),
            finalized,
            now,
            standard,
        )
        if stations
        else ([], [])
    )
    outlets = {p.id: p for p in infos if p.is_outlet}
    outlet_result: OutletRows = outlet_rows(
        grid=grid,
        outlets={p.id: (p.outlet_kind, p.reference_o2) for p in outlets.values()},
        limits=_limits(session, sorted(outlets)),
        day_starts=window.day_starts(),
        statuses_h=period_statuses(window.hour_starts(), finalized),
        statuses_d=period_statuses(window.day_starts(), finalized),
        now=now,
    )
    aggregates += outlet_result.aggregates
    handled = outlet_result.series | {
        (s.id, code) for s in stations for code in AIR_CODES.values()
    }
    air_hourly = [
        (s.id, code)
        for s in stations
        for code in AIR_CODES.values()
        if (s.id, code) in grid.index
    ]
    generic = [k for k in grid.keys if k not in handled] + air_hourly
    sparse = {p.id for p in infos if p.sparse_daily}
    aggregates += _generic_rows(
        grid, [k for k in generic if k[0] not in sparse], window, finalized, now
    )
    aggregates += _generic_rows(
        grid, [k for k in generic if k[0] in sparse], window, finalized, now, 1
    )
    _replace(
        session,
        [p.id for p in infos],
        sorted(regions),
        window,
        aggregates,
        aqi_values,
        outlet_result.exceedances,
    )
    return RecomputeSummary(
        points=len(infos),
        regions=len(regions),
        first_day=window.first_day,
        last_day=window.first_day + timedelta(days=window.days - 1),
        aggregates=len(aggregates),
        aqi_values=len(aqi_values),
        exceedances=len(outlet_result.exceedances),
        runs=1,
    )


def recompute(
    *,
    session: Session,
    first_day: date,
    last_day: date,
    now: datetime,
    point_ids: Collection[int] | None = None,
    standard: AqiStandard | None = None,
    actor: str = "system",
) -> RecomputeSummary:
    """Recomputes every derived value of ``point_ids`` (all points when None) for the
    Beijing days ``first_day`` … ``last_day`` and the day after (moving windows reach
    into it), in the caller's transaction; seals the run in the ledger.

    Air stations bring their whole city along: county and city values are means over
    stations, so they are recomputed from all of them. ``standard`` forces an AQI rule set
    (default: the one in force at each hour or day).
    """
    if last_day < first_day:
        msg = f"last day {last_day} is before first day {first_day}"
        raise ValidationError(msg)
    infos = _point_infos(session, None if point_ids is None else set(point_ids))
    if point_ids is not None and any(p.is_air_station for p in infos):
        infos = _with_city_stations(session, infos)
    summary = RecomputeSummary()
    day = first_day
    while day <= last_day:
        days = min(MAX_DAYS_PER_RUN, (last_day - day).days + 1)
        window = _Window(first_day=day, days=days + 1)
        summary.add(_run(session, infos, window, now, standard))
        day += timedelta(days=days)
    summary.first_day, summary.last_day = first_day, last_day
    ledger.append(
        session=session,
        kind="evaluation.recompute",
        subject=f"days:{first_day.isoformat()}/{last_day.isoformat()}",
        payload={
            **summary.as_json(),
            "standard": standard.value if standard else "auto",
        },
        actor=actor,
        now=now,
    )
    return summary


def _with_city_stations(session: Session, infos: list[_PointInfo]) -> list[_PointInfo]:
    """Adds the air stations of every city an air station in ``infos`` belongs to: county
    and city values are means over stations, so they are recomputed from all of them."""
    cities = [
        path
        for path in session.scalars(
            select(Region.path).where(Region.level == RegionLevel.CITY)
        )
        if any(p.is_air_station and p.region_path.startswith(path) for p in infos)
    ]
    every = _point_infos(session, None)
    extra = [
        p
        for p in every
        if p.is_air_station and any(p.region_path.startswith(c) for c in cities)
    ]
    return sorted({p.id: p for p in infos + extra}.values(), key=lambda p: p.id)


def process_changes(
    *, session: Session, now: datetime, limit: int = 100_000
) -> RecomputeSummary:
    """Consumes the change marks written with new measurements and recomputes what they
    touch, in the caller's transaction. Marks of one point over adjacent days merge into
    one range; the marks consumed are deleted. Returns what was done (``marks`` = marks
    consumed: distinct (point, day) pairs; zero when there was nothing to do)."""
    top = session.scalar(
        select(func.max(ChangeMark.id)).where(
            ChangeMark.id
            <= (session.scalar(select(func.min(ChangeMark.id))) or 0) + limit
        )
    )
    summary = RecomputeSummary()
    if top is None:
        return summary
    # The marks read are the marks deleted, by id: a writer that commits a lower id
    # after this read keeps its mark for the next call (a range delete would lose it).
    read = session.execute(
        select(ChangeMark.id, ChangeMark.point_id, ChangeMark.day).where(
            ChangeMark.id <= top
        )
    ).all()
    marks = sorted({(point_id, day) for _, point_id, day in read})
    # Days of all points merge into ranges (gaps of up to MERGE_GAP_DAYS close up:
    # recomputing an unchanged day is harmless and one run is cheaper than many); each
    # range recomputes the points marked in it.
    points_of: dict[date, set[int]] = defaultdict(set)
    for point_id, day in marks:
        points_of[day].add(point_id)
    for first, last in _ranges(sorted(points_of), MERGE_GAP_DAYS):
        points = set().union(
            *(ids for day, ids in points_of.items() if first <= day <= last)
        )
        summary.add(
            recompute(
                session=session,
                first_day=first,
                last_day=last,
                now=now,
                point_ids=points,
                actor="evaluation",
            )
        )
    ids = [mark_id for mark_id, _, _ in read]
    for offset in range(0, len(ids), 5000):
        session.execute(
            delete(ChangeMark).where(ChangeMark.id.in_(ids[offset : offset + 5000]))
        )
    summary.marks = len(marks)
    return summary


def _ranges(days: list[date], gap: int = 1) -> Iterable[tuple[date, date]]:
    """Runs of days, a new run starting where the next day is more than ``gap`` away."""
    first = previous = days[0]
    for day in days[1:]:
        if (day - previous).days > gap:
            yield first, previous
            first = day
        previous = day
    yield first, previous


def finalize_month(*, session: Session, month: date, actor: str, now: datetime) -> int:
    """Declares a month's derived values final (after its audit): provisional values of
    the month become final, and later recomputations of it are marked revised. Returns
    the number of rows finalised."""
    month = month.replace(day=1)
    if session.get(Finalization, month) is not None:
        msg = f"month {month:%Y-%m} is already final"
        raise ConflictError(msg)
    next_month = (month + timedelta(days=32)).replace(day=1)
    start, end = beijing_midnight(month), beijing_midnight(next_month)
    changed = 0
    for model in (Aggregate, AqiValue, Exceedance):
        result = session.execute(
            update(model)
            .where(
                model.period_start >= start,
                model.period_start < end,
                model.status == ResultStatus.PROVISIONAL,
            )
            .values(status=ResultStatus.FINAL)
        )
        changed += getattr(result, "rowcount", 0) or 0
    session.add(Finalization(month=month, finalized_at=now, actor=actor))
    ledger.append(
        session=session,
        kind="evaluation.finalize",
        subject=f"month:{month:%Y-%m}",
        payload={"month": f"{month:%Y-%m}", "rows": changed},
        actor=actor,
        now=now,
    )
    return changed
