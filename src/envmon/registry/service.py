"""Registry reads: scoped listings, single records, history, export, parameter catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any, TypeVar, TypeVarTuple

import yaml
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from envmon.errors import NotFoundError
from envmon.registry.enums import Element, PointKind, RegionLevel, Status
from envmon.registry.models import (
    Agency,
    Calibration,
    Device,
    Enterprise,
    Outlet,
    Parameter,
    PermitLimit,
    Point,
    Region,
    RegistryChange,
    Station,
)
from envmon.registry.schemas import (
    AgencyIn,
    CalibrationIn,
    DeviceIn,
    EnterpriseIn,
    LimitIn,
    OutletIn,
    ParameterIn,
    RegionIn,
    StationIn,
)
from envmon.registry.scope import Scope

_Columns = TypeVarTuple("_Columns")

__all__ = [
    "agency_in",
    "calibration_in",
    "count_and_page",
    "device_in",
    "enterprise_in",
    "in_region",
    "ensure_parameter_catalogue",
    "export_sections",
    "get_agency_or_raise",
    "get_device_or_raise",
    "get_enterprise_or_raise",
    "get_outlet_or_raise",
    "get_point_or_raise",
    "get_region_or_raise",
    "get_station_or_raise",
    "history",
    "limit_in",
    "list_agencies",
    "list_devices",
    "list_enterprises",
    "list_outlets",
    "list_parameters",
    "list_regions",
    "list_stations",
    "outlet_in",
    "region_in",
    "station_in",
]

Row = TypeVar("Row")


# --- conversions to the canonical shapes -------------------------------------------------


def region_in(region: Region) -> RegionIn:
    """Returns a region in its canonical shape."""
    return RegionIn(
        code=region.code,
        name=region.name,
        level=region.level,
        parent=region.parent.code if region.parent else None,
    )


def agency_in(agency: Agency) -> AgencyIn:
    """Returns an agency in its canonical shape."""
    return AgencyIn(
        credit_code=agency.credit_code,
        name=agency.name,
        kind=agency.kind,
        region=agency.region.code,
    )


def station_in(station: Station) -> StationIn:
    """Returns a station in its canonical shape."""
    return StationIn(
        code=station.code,
        mn=station.mn,
        password=station.hj212_password,
        legacy_crc=station.legacy_crc,
        name=station.name,
        element=station.element,
        control_level=station.control_level,
        region=station.region.code,
        lon=station.lon,
        lat=station.lat,
        operator=station.operator.credit_code if station.operator else None,
        status=station.status,
        parameters=station.parameter_codes,
        city_assessment=station.city_assessment,
        waterbody=station.waterbody,
        noise_zone=station.noise_zone,
    )


def enterprise_in(enterprise: Enterprise) -> EnterpriseIn:
    """Returns an enterprise in its canonical shape."""
    return EnterpriseIn(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        region=enterprise.region.code,
        industry=enterprise.industry,
        industry_code=enterprise.industry_code,
        key_categories=sorted(enterprise.key_categories),
        permit_number=enterprise.permit_number,
        responsible_name=enterprise.responsible_name,
        responsible_phone=enterprise.responsible_phone,
        responsible_email=enterprise.responsible_email,
        lon=enterprise.lon,
        lat=enterprise.lat,
        status=enterprise.status,
    )


def outlet_in(outlet: Outlet) -> OutletIn:
    """Returns an outlet in its canonical shape."""
    return OutletIn(
        enterprise=outlet.enterprise.credit_code,
        code=outlet.code,
        name=outlet.name,
        kind=outlet.outlet_kind,
        mn=outlet.mn,
        password=outlet.hj212_password,
        legacy_crc=outlet.legacy_crc,
        reference_o2=outlet.reference_o2,
        emission_standard=outlet.emission_standard,
        lon=outlet.lon,
        lat=outlet.lat,
        status=outlet.status,
        parameters=outlet.parameter_codes,
    )


def limit_in(outlet: Outlet, limit: PermitLimit) -> LimitIn:
    """Returns a permit limit in its canonical shape."""
    return LimitIn(
        enterprise=outlet.enterprise.credit_code,
        outlet=outlet.code,
        parameter=limit.parameter_code,
        value=limit.value,
        lower_value=limit.lower_value,
        unit=limit.unit,
        corrected=limit.corrected,
        effective_from=limit.effective_from,
        effective_to=limit.effective_to,
    )


def device_in(device: Device) -> DeviceIn:
    """Returns a device in its canonical shape."""
    point = device.point
    station = point.code if isinstance(point, Station) else None
    outlet = (
        f"{point.enterprise.credit_code}/{point.code}"
        if isinstance(point, Outlet)
        else None
    )
    return DeviceIn(
        serial=device.serial,
        model=device.model,
        manufacturer=device.manufacturer,
        kind=device.kind,
        station=station,
        outlet=outlet,
        agency=device.agency.credit_code if device.agency else None,
        parameters=list(device.parameter_codes),
        installed_on=device.installed_on,
        status=device.status,
    )


def calibration_in(device: Device, calibration: Calibration) -> CalibrationIn:
    """Returns a calibration record in its canonical shape."""
    return CalibrationIn(
        device=device.serial,
        kind=calibration.kind,
        performed_on=calibration.performed_on,
        result=calibration.result,
        performed_by=calibration.performed_by,
        certificate=calibration.certificate,
        notes=calibration.notes,
    )


# --- parameter catalogue -------------------------------------------------------------------


def ensure_parameter_catalogue(*, session: Session) -> int:
    """Brings the parameter table in line with the packaged HJ 212 catalogue.

    Returns the number of parameters added or changed.
    """
    text = (
        resources.files("envmon.registry")
        .joinpath("data/parameters.yaml")
        .read_text("utf-8")
    )
    entries = [
        ParameterIn.model_validate(item) for item in yaml.safe_load(text)["parameters"]
    ]
    existing = {p.code: p for p in session.scalars(select(Parameter))}
    changed = 0
    for entry in entries:
        row = existing.get(entry.code)
        values = entry.model_dump()
        if row is None:
            session.add(Parameter(**values))
            changed += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    session.flush()
    return changed


def list_parameters(
    *, session: Session, medium: str | None = None
) -> Sequence[Parameter]:
    """Returns the parameter catalogue, optionally of one medium."""
    query = select(Parameter).order_by(Parameter.code)
    if medium:
        query = query.where(Parameter.medium == medium)
    return session.scalars(query).all()


# --- scoped listings ----------------------------------------------------------------------


def count_and_page(
    session: Session, query: Select[Row], page: int, size: int
) -> tuple[list[Row], int]:
    """Returns one page of ``query`` and the total number of rows it matches."""
    total = session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    )
    rows = session.scalars(query.limit(size).offset((page - 1) * size)).all()
    return list(rows), int(total or 0)


def in_region(
    query: Select[*_Columns], region_id_column: Any, scope: Scope
) -> Select[*_Columns]:
    """Restricts ``query`` to rows whose region (``region_id_column``) is in scope."""
    if scope.region_path is None:
        return query
    return query.join(Region, Region.id == region_id_column).where(
        Region.path.startswith(scope.region_path, autoescape=True)
    )


def _region_filter(
    query: Select[Any], column: Any, session: Session, code: str | None
) -> Select[Any]:
    if not code:
        return query
    region = get_region_or_raise(session=session, code=code)
    sub = select(Region.id).where(Region.path.startswith(region.path, autoescape=True))
    return query.where(column.in_(sub))


def get_region_or_raise(*, session: Session, code: str) -> Region:
    """Returns the region with the given code, or raises NotFoundError."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        msg = f"no region with code {code!r}"
        raise NotFoundError(msg)
    return region


def list_regions(
    *,
    session: Session,
    scope: Scope,
    parent: str | None = None,
    level: RegionLevel | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Region], int]:
    """Returns regions in scope, optionally children of ``parent`` or of one level."""
    query = select(Region).order_by(Region.code)
    if scope.region_path is not None:
        query = query.where(Region.path.startswith(scope.region_path, autoescape=True))
    if parent:
        query = query.where(
            Region.parent_id == get_region_or_raise(session=session, code=parent).id
        )
    if level:
        query = query.where(Region.level == level)
    return count_and_page(session, query, page, size)


def list_agencies(
    *, session: Session, scope: Scope, page: int = 1, size: int = 50
) -> tuple[list[Agency], int]:
    """Returns agencies; an agency user sees only its own."""
    query = (
        select(Agency).order_by(Agency.credit_code).options(selectinload(Agency.region))
    )
    if scope.agency_id is not None:
        query = query.where(Agency.id == scope.agency_id)
    return count_and_page(session, query, page, size)


def get_agency_or_raise(*, session: Session, scope: Scope, credit_code: str) -> Agency:
    """Returns the agency with the given credit code within scope."""
    agency = session.scalar(select(Agency).where(Agency.credit_code == credit_code))
    if agency is None or (scope.agency_id is not None and agency.id != scope.agency_id):
        msg = f"no agency with credit code {credit_code!r}"
        raise NotFoundError(msg)
    return agency


def _station_query(scope: Scope) -> Select[Station]:
    query = select(Station).options(
        selectinload(Station.region),
        selectinload(Station.operator),
        selectinload(Station.parameters),
    )
    query = in_region(query, Station.region_id, scope)
    if scope.agency_id is not None:
        query = query.where(Station.operator_id == scope.agency_id)
    return query


def list_stations(
    *,
    session: Session,
    scope: Scope,
    element: Element | None = None,
    control_level: str | None = None,
    region: str | None = None,
    status: Status | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Station], int]:
    """Returns stations in scope matching the filters, ordered by code."""
    query = _station_query(scope).order_by(Station.code)
    if element:
        query = query.where(Station.element == element)
    if control_level:
        query = query.where(Station.control_level == control_level)
    if status:
        query = query.where(Station.status == status)
    if search:
        like = f"%{search}%"
        query = query.where(or_(Station.name.like(like), Station.code.like(like)))
    query = _region_filter(query, Station.region_id, session, region)
    return count_and_page(session, query, page, size)


def get_point_or_raise(*, session: Session, scope: Scope, mn: str) -> Point:
    """Returns the station or outlet with HJ 212 MN ``mn`` within scope.

    An enterprise sees only its own outlets; an O&M agency only the points where it
    operates a device.
    """
    query = in_region(select(Point), Point.region_id, scope).where(Point.mn == mn)
    if scope.enterprise_id is not None:
        own = select(Outlet.id).where(Outlet.enterprise_id == scope.enterprise_id)
        query = query.where(Point.id.in_(own))
    if scope.agency_id is not None:
        operated = select(Device.point_id).where(Device.agency_id == scope.agency_id)
        query = query.where(Point.id.in_(operated))
    point = session.scalar(query)
    if point is None:
        msg = f"no station or outlet with MN {mn!r}"
        raise NotFoundError(msg)
    return point


def get_station_or_raise(*, session: Session, scope: Scope, code: str) -> Station:
    """Returns the station with the given code within scope, or raises NotFoundError."""
    station = session.scalar(_station_query(scope).where(Station.code == code))
    if station is None:
        msg = f"no station with code {code!r}"
        raise NotFoundError(msg)
    return station


def _enterprise_query(scope: Scope) -> Select[Enterprise]:
    query = select(Enterprise).options(
        selectinload(Enterprise.region), selectinload(Enterprise.outlets)
    )
    query = in_region(query, Enterprise.region_id, scope)
    if scope.enterprise_id is not None:
        query = query.where(Enterprise.id == scope.enterprise_id)
    if scope.agency_id is not None:
        operated = (
            select(Outlet.enterprise_id)
            .join(Device, Device.point_id == Outlet.id)
            .where(Device.agency_id == scope.agency_id)
        )
        query = query.where(Enterprise.id.in_(operated))
    return query


def list_enterprises(
    *,
    session: Session,
    scope: Scope,
    region: str | None = None,
    industry: str | None = None,
    key_category: str | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Enterprise], int]:
    """Returns enterprises in scope matching the filters, ordered by credit code."""
    query = _enterprise_query(scope).order_by(Enterprise.credit_code)
    if industry:
        query = query.where(
            or_(Enterprise.industry == industry, Enterprise.industry_code == industry)
        )
    if search:
        like = f"%{search}%"
        query = query.where(
            or_(Enterprise.name.like(like), Enterprise.credit_code.like(like))
        )
    query = _region_filter(query, Enterprise.region_id, session, region)
    if key_category:
        # JSON containment differs per backend and the lists are short: filter here.
        matching = [
            e for e in session.scalars(query) if key_category in e.key_categories
        ]
        return matching[(page - 1) * size : page * size], len(matching)
    return count_and_page(session, query, page, size)


def get_enterprise_or_raise(
    *, session: Session, scope: Scope, credit_code: str
) -> Enterprise:
    """Returns the enterprise with the given credit code within scope."""
    enterprise = session.scalar(
        _enterprise_query(scope).where(Enterprise.credit_code == credit_code)
    )
    if enterprise is None:
        msg = f"no enterprise with credit code {credit_code!r}"
        raise NotFoundError(msg)
    return enterprise


def list_outlets(
    *,
    session: Session,
    scope: Scope,
    enterprise: str | None = None,
    kind: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Outlet], int]:
    """Returns outlets of enterprises in scope."""
    visible = _enterprise_query(scope).with_only_columns(Enterprise.id)
    query = (
        select(Outlet)
        .join(Enterprise, Enterprise.id == Outlet.enterprise_id)
        .where(Outlet.enterprise_id.in_(visible))
        .options(
            selectinload(Outlet.enterprise),
            selectinload(Outlet.limits),
            selectinload(Outlet.parameters),
        )
        .order_by(Enterprise.credit_code, Outlet.code)
    )
    if enterprise:
        query = query.where(Enterprise.credit_code == enterprise)
    if kind:
        query = query.where(Outlet.outlet_kind == kind)
    return count_and_page(session, query, page, size)


def get_outlet_or_raise(
    *, session: Session, scope: Scope, credit_code: str, code: str
) -> Outlet:
    """Returns one outlet of an enterprise in scope."""
    enterprise = get_enterprise_or_raise(
        session=session, scope=scope, credit_code=credit_code
    )
    for outlet in enterprise.outlets:
        if outlet.code == code:
            return outlet
    msg = f"enterprise {credit_code} has no outlet {code!r}"
    raise NotFoundError(msg)


def _device_query(scope: Scope) -> Select[Device]:
    query = select(Device).options(
        selectinload(Device.point),
        selectinload(Device.agency),
        selectinload(Device.calibrations),
    )
    query = query.join(Point, Point.id == Device.point_id)
    query = in_region(query, Point.region_id, scope)
    if scope.enterprise_id is not None:
        own = select(Outlet.id).where(Outlet.enterprise_id == scope.enterprise_id)
        query = query.where(Device.point_id.in_(own))
    if scope.agency_id is not None:
        query = query.where(Device.agency_id == scope.agency_id)
    return query


def list_devices(
    *,
    session: Session,
    scope: Scope,
    point_kind: PointKind | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Device], int]:
    """Returns devices at points in scope."""
    query = _device_query(scope).order_by(Device.serial)
    if point_kind:
        query = query.where(Point.kind == point_kind)
    return count_and_page(session, query, page, size)


def get_device_or_raise(*, session: Session, scope: Scope, serial: str) -> Device:
    """Returns the device with the given serial within scope."""
    device = session.scalar(_device_query(scope).where(Device.serial == serial))
    if device is None:
        msg = f"no device with serial {serial!r}"
        raise NotFoundError(msg)
    return device


def _check_visible(session: Session, scope: Scope, entity: str, key: str) -> None:
    """Raises NotFoundError unless the record ``entity``/``key`` exists within scope."""
    parts = key.split("/")
    checks: dict[str, tuple[int, Any]] = {
        # entity: (how many '/'-separated parts the key has at least, the lookup)
        "region": (1, lambda: get_region_or_raise(session=session, code=key)),
        "agency": (
            1,
            lambda: get_agency_or_raise(session=session, scope=scope, credit_code=key),
        ),
        "station": (
            1,
            lambda: get_station_or_raise(session=session, scope=scope, code=key),
        ),
        "enterprise": (
            1,
            lambda: get_enterprise_or_raise(
                session=session, scope=scope, credit_code=key
            ),
        ),
        "device": (
            1,
            lambda: get_device_or_raise(session=session, scope=scope, serial=key),
        ),
        # outlet "<credit code>/<code>", limit "<credit code>/<code>/<parameter>/<from>"
        "outlet": (
            2,
            lambda: get_outlet_or_raise(
                session=session, scope=scope, credit_code=parts[0], code=parts[1]
            ),
        ),
        "limit": (
            4,
            lambda: get_outlet_or_raise(
                session=session, scope=scope, credit_code=parts[0], code=parts[1]
            ),
        ),
        # calibration "<serial>/<date>/<kind>"
        "calibration": (
            3,
            lambda: get_device_or_raise(session=session, scope=scope, serial=parts[0]),
        ),
    }
    if entity not in checks:
        msg = f"unknown entity {entity!r}; known: {', '.join(checks)}"
        raise NotFoundError(msg)
    needed, lookup = checks[entity]
    if len(parts) < needed:
        msg = f"a {entity} key has {needed} parts separated by '/', got {key!r}"
        raise NotFoundError(msg)
    lookup()


def history(
    *, session: Session, scope: Scope, entity: str, key: str
) -> list[RegistryChange]:
    """Returns every recorded change of one record, oldest first.

    The record must be visible in ``scope``; history of records outside it is refused.
    """
    _check_visible(session, scope, entity, key)
    query = (
        select(RegistryChange)
        .where(RegistryChange.entity == entity, RegistryChange.entity_key == key)
        .order_by(RegistryChange.id)
    )
    return list(session.scalars(query))


def export_sections(*, session: Session) -> dict[str, list[Any]]:
    """Returns the whole registry in canonical shapes, by section, in a stable order."""
    regions = session.scalars(
        select(Region).options(selectinload(Region.parent)).order_by(Region.code)
    ).all()
    agencies = session.scalars(select(Agency).order_by(Agency.credit_code)).all()
    stations = session.scalars(_station_query(Scope()).order_by(Station.code)).all()
    enterprises = session.scalars(
        _enterprise_query(Scope()).order_by(Enterprise.credit_code)
    ).all()
    outlets = [o for e in enterprises for o in e.outlets]
    devices = session.scalars(_device_query(Scope()).order_by(Device.serial)).all()
    return {
        "regions": [region_in(r) for r in regions],
        "agencies": [agency_in(a) for a in agencies],
        "stations": [station_in(s) for s in stations],
        "enterprises": [enterprise_in(e) for e in enterprises],
        "outlets": [outlet_in(o) for o in outlets],
        "limits": [limit_in(o, limit) for o in outlets for limit in o.limits],
        "devices": [device_in(d) for d in devices],
        "calibrations": [calibration_in(d, c) for d in devices for c in d.calibrations],
    }
