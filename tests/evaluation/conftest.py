"""A small registry for the evaluation tests, and helpers to write and read its data.

Regions: the city 110100 with two counties, 110105 and 110108. Air stations: EV01A
(110105) and EV02A (110108) are city assessment stations; EV03A (110105) is a background
station (``city_assessment: false``), so it belongs to neither the city nor its county.
One enterprise in 110105 has a flue-gas outlet DA001 (reference O2 6 %) with permit limits
and a wastewater outlet DW001.

Every time handed to the code under test is a UTC instant; ``bj`` builds one from a Beijing
wall-clock time (UTC+8), since days are Beijing days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from envmon.evaluation.models import Aggregate, AqiValue, Exceedance
from envmon.ledger.models import LedgerEntry
from envmon.measurements.models import ChangeMark, DataKind
from envmon.measurements.service import add_many
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import Outlet, PermitLimit, Region, Station
from tests.conftest import NOW
from tests.factories import AGENCY, ENTERPRISE_A, REGIONS, enterprise, station

CST = timezone(timedelta(hours=8), "CST")
"""Beijing time, written out here rather than taken from the code under test."""

PM25, PM10, NO2, SO2, CO, O3 = (
    "a34004",
    "a34002",
    "a21004",
    "a21026",
    "a21005",
    "a05024",
)
NOX, O2, GAS_FLOW = "a21002", "a19001", "a00000"
COD, WATER_FLOW = "w01018", "w00000"

AIR = [SO2, NO2, CO, O3, PM10, PM25]


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC instant of a Beijing wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=CST).astimezone(UTC)


@dataclass(frozen=True)
class Registry:
    """Ids of the test registry's points, regions and limits."""

    station_a: int  # EV01A, county 110105, city assessment
    station_b: int  # EV02A, county 110108, city assessment
    station_c: int  # EV03A, county 110105, background (not assessed)
    flue: int  # DA001, flue gas, reference O2 6 %
    water: int  # DW001, wastewater
    city: int  # 110100
    county_a: int  # 110105
    county_b: int  # 110108
    so2_limit_march_1: int  # a21026 100 mg/m3 corrected, to 2016-03-01
    so2_limit_march_2: int  # a21026 50 mg/m3 corrected, from 2016-03-02
    nox_limit: int  # a21002 100 mg/m3 measured (not corrected)


def registry_document() -> dict[str, Any]:
    """The registry described in this module's docstring."""
    firm = enterprise(ENTERPRISE_A, "110105", "200000000000000000000E01")
    firm["outlets"] = [
        {
            "code": "DA001",
            "name": "1号锅炉排气筒",
            "kind": "flue_gas",
            "mn": "200000000000000000000E01",
            "password": "123456",
            "reference_o2": 6,
            "emission_standard": "GB 13223-2011",
            "parameters": [SO2, NOX, O2, GAS_FLOW],
            "limits": [
                # The SO2 limit tightens from 100 to 50 on 2016-03-02 (Beijing date).
                {
                    "parameter": SO2,
                    "value": 100,
                    "unit": "mg/m3",
                    "corrected": True,
                    "effective_from": "2016-01-01",
                    "effective_to": "2016-03-01",
                },
                {
                    "parameter": SO2,
                    "value": 50,
                    "unit": "mg/m3",
                    "corrected": True,
                    "effective_from": "2016-03-02",
                },
                {
                    "parameter": NOX,
                    "value": 100,
                    "unit": "mg/m3",
                    "corrected": False,
                    "effective_from": "2016-01-01",
                },
            ],
        },
        {
            "code": "DW001",
            "name": "总排口",
            "kind": "wastewater",
            "mn": "200000000000000000000E02",
            "password": "123456",
            "parameters": [COD, WATER_FLOW],
        },
    ]
    return {
        "version": 1,
        "regions": REGIONS,
        "agencies": [
            {
                "credit_code": AGENCY,
                "name": "测试运维公司",
                "kind": "om",
                "region": "110108",
            }
        ],
        "stations": [
            station(
                "EV01A",
                "110105",
                "11000000EV01A00000000001",
                parameters=AIR,
                city_assessment=True,
            ),
            station(
                "EV02A",
                "110108",
                "11000000EV02A00000000001",
                parameters=AIR,
                city_assessment=True,
            ),
            station(
                "EV03A",
                "110105",
                "11000000EV03A00000000001",
                parameters=AIR,
                city_assessment=False,
            ),
        ],
        "enterprises": [firm],
    }


@pytest.fixture()
def registry(session: Session) -> Registry:
    """Imports the registry document (in the test's rolled-back transaction)."""
    text = yaml.safe_dump(registry_document(), allow_unicode=True, sort_keys=False)
    apply_document(
        session=session,
        document=parse_yaml(text, "evaluation.yaml"),
        actor="tester",
        source="evaluation.yaml",
        now=NOW,
    )

    def station_id(code: str) -> int:
        return session.scalars(select(Station.id).where(Station.code == code)).one()

    def outlet_id(code: str) -> int:
        return session.scalars(select(Outlet.id).where(Outlet.code == code)).one()

    def region_id(code: str) -> int:
        return session.scalars(select(Region.id).where(Region.code == code)).one()

    flue = outlet_id("DA001")
    limits = {
        (row.parameter_code, row.value): row.id
        for row in session.scalars(
            select(PermitLimit).where(PermitLimit.outlet_id == flue)
        )
    }
    return Registry(
        station_a=station_id("EV01A"),
        station_b=station_id("EV02A"),
        station_c=station_id("EV03A"),
        flue=flue,
        water=outlet_id("DW001"),
        city=region_id("110100"),
        county_a=region_id("110105"),
        county_b=region_id("110108"),
        so2_limit_march_1=limits[(SO2, 100.0)],
        so2_limit_march_2=limits[(SO2, 50.0)],
        nox_limit=limits[(NOX, 100.0)],
    )


def add_hours(
    session: Session,
    point_id: int,
    code: str,
    day: date,
    values: dict[int, float] | Sequence[float],
    flag: str | None = "N",
) -> int:
    """Writes hourly values of a Beijing day: ``values`` by hour of the day (0 is the
    hour 00:00-01:00 Beijing), or a list for hours 0, 1, 2, …"""
    items = values.items() if isinstance(values, dict) else enumerate(values)
    return add_many(
        session=session,
        rows=[
            {
                "point_id": point_id,
                "parameter_code": code,
                "kind": DataKind.HOUR,
                "measured_at": bj(day.year, day.month, day.day, hour),
                "value": value,
                "device_flag": flag,
                "raw_file_id": None,
            }
            for hour, value in items
        ],
    )


def add_minutes(
    session: Session,
    point_id: int,
    code: str,
    start: datetime,
    values: Iterable[tuple[float | None, str | None]],
) -> int:
    """Writes minute values (value, device flag) from ``start``, one a minute."""
    return add_many(
        session=session,
        rows=[
            {
                "point_id": point_id,
                "parameter_code": code,
                "kind": DataKind.MINUTE,
                "measured_at": start + timedelta(minutes=m),
                "value": value,
                "device_flag": flag,
                "raw_file_id": None,
            }
            for m, (value, flag) in enumerate(values)
        ],
    )


AGGREGATE_FIELDS = (
    "value",
    "corrected_value",
    "amount",
    "count",
    "valid",
    "status",
    "computed_at",
)


def aggregate(
    session: Session, point_id: int, code: str, period: str, start: datetime
) -> dict[str, Any] | None:
    """One aggregate row as a dict (None when there is no such row)."""
    row = session.execute(
        select(*(getattr(Aggregate, f) for f in AGGREGATE_FIELDS)).where(
            Aggregate.point_id == point_id,
            Aggregate.parameter_code == code,
            Aggregate.period == period,
            Aggregate.period_start == start,
        )
    ).one_or_none()
    return None if row is None else dict(zip(AGGREGATE_FIELDS, row, strict=True))


AQI_FIELDS = (
    "standard",
    "aqi",
    "level",
    "primary_pollutants",
    "iaqi",
    "concentrations",
    "stations",
    "status",
    "computed_at",
)


def aqi_value(
    session: Session, kind: str, subject_id: int, mode: str, start: datetime
) -> dict[str, Any] | None:
    """One AQI row as a dict (None when there is no such row)."""
    row = session.execute(
        select(*(getattr(AqiValue, f) for f in AQI_FIELDS)).where(
            AqiValue.subject_kind == kind,
            AqiValue.subject_id == subject_id,
            AqiValue.mode == mode,
            AqiValue.period_start == start,
        )
    ).one_or_none()
    return None if row is None else dict(zip(AQI_FIELDS, row, strict=True))


def exceedances(session: Session, point_id: int) -> list[dict[str, Any]]:
    """The exceedance rows of a point, oldest first."""
    fields = (
        "parameter_code",
        "period_start",
        "value",
        "limit_value",
        "multiple",
        "corrected",
        "limit_id",
        "status",
    )
    rows = session.execute(
        select(*(getattr(Exceedance, f) for f in fields))
        .where(Exceedance.point_id == point_id)
        .order_by(Exceedance.period_start, Exceedance.parameter_code)
    ).all()
    return [dict(zip(fields, row, strict=True)) for row in rows]


def snapshot(session: Session) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every derived row, keyed by table and primary key."""
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    row: Any
    for row in session.execute(
        select(
            Aggregate.point_id,
            Aggregate.parameter_code,
            Aggregate.period,
            Aggregate.period_start,
            Aggregate.value,
            Aggregate.corrected_value,
            Aggregate.amount,
            Aggregate.count,
            Aggregate.valid,
            Aggregate.status,
            Aggregate.computed_at,
        )
    ):
        out[("aggregate", *row[:4])] = tuple(row[4:])
    for row in session.execute(
        select(
            AqiValue.subject_kind,
            AqiValue.subject_id,
            AqiValue.mode,
            AqiValue.period_start,
            AqiValue.standard,
            AqiValue.aqi,
            AqiValue.level,
            AqiValue.primary_pollutants,
            AqiValue.iaqi,
            AqiValue.concentrations,
            AqiValue.stations,
            AqiValue.status,
            AqiValue.computed_at,
        )
    ):
        out[("aqi", *row[:4])] = tuple(row[4:])
    for row in session.execute(
        select(
            Exceedance.point_id,
            Exceedance.parameter_code,
            Exceedance.period_start,
            Exceedance.value,
            Exceedance.multiple,
            Exceedance.limit_id,
            Exceedance.status,
            Exceedance.computed_at,
        )
    ):
        out[("exceedance", *row[:3])] = tuple(row[3:])
    return out


def mark_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChangeMark)) or 0


def ledger_entries(session: Session, kind: str) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.seq)
        )
    )
