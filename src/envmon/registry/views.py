"""Registry routes: list with filters and pages, read one, create, update, history, files."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse

from envmon.api.deps import CurrentUser, NowDep, PageDep, ScopeDep, SessionDep
from envmon.errors import ValidationError
from envmon.measurements import service as measurements
from envmon.registry import service
from envmon.registry.apply import save_record
from envmon.registry.documents import document_to_yaml
from envmon.registry.enums import (
    ControlLevel,
    Element,
    Medium,
    OutletKind,
    PointKind,
    RegionLevel,
    Status,
)
from envmon.registry.flows import import_file
from envmon.registry.schemas import (
    AgencyIn,
    AgencyRead,
    CalibrationIn,
    DeviceIn,
    DeviceRead,
    EnterpriseIn,
    EnterpriseRead,
    LimitIn,
    OutletIn,
    OutletRead,
    Page,
    ParameterIn,
    RegionIn,
    RegionRead,
    RegistryChangeRead,
    StationIn,
    StationRead,
)
from envmon.users.models import User
from envmon.users.service import WRITERS, require_role

__all__ = ["public_router", "router"]

router = APIRouter(tags=["registry 档案"])
public_router = APIRouter(tags=["public 公开"])


def _save(
    session: Any, user: User, section: str, value: Any, now: Any, *, create: bool
) -> dict[str, dict[str, int]]:
    require_role(user, WRITERS, "change the registry")
    report = save_record(
        session=session,
        section=section,
        value=value,
        actor=user.username,
        now=now,
        region_path=user.region.path if user.region else None,
        create=create,
    )
    return report.as_dict()


def _same_key(path_value: str, body_value: str, name: str) -> None:
    if path_value != body_value:
        msg = f"{name} in the path ({path_value}) and in the body ({body_value}) differ"
        raise ValidationError(msg)


@public_router.get("/parameters", response_model=list[ParameterIn])
def list_parameters(session: SessionDep, medium: Medium | None = None) -> Any:
    """The HJ 212 parameter catalogue (public: it is the standard's table)."""
    return [
        ParameterIn.model_validate(p, from_attributes=True)
        for p in service.list_parameters(session=session, medium=medium)
    ]


@router.get("/regions", response_model=Page[RegionRead])
def list_regions(
    session: SessionDep,
    scope: ScopeDep,
    paging: PageDep,
    parent: str | None = None,
    level: RegionLevel | None = None,
) -> Any:
    """Regions in your scope; filter by parent code or level."""
    rows, total = service.list_regions(
        session=session,
        scope=scope,
        parent=parent,
        level=level,
        page=paging.page,
        size=paging.size,
    )
    return Page(
        items=[service.region_in(r) for r in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


@router.get("/regions/{code}", response_model=RegionRead)
def get_region(session: SessionDep, user: CurrentUser, code: str) -> Any:
    """One region by its GB/T 2260 code."""
    return service.region_in(service.get_region_or_raise(session=session, code=code))


@router.post("/regions", status_code=201)
def create_region(
    session: SessionDep, user: CurrentUser, now: NowDep, region: RegionIn
) -> dict[str, Any]:
    """Creates a region under an existing parent."""
    return _save(session, user, "regions", region, now, create=True)


@router.get("/agencies", response_model=Page[AgencyRead])
def list_agencies(session: SessionDep, scope: ScopeDep, paging: PageDep) -> Any:
    """O&M agencies, monitoring agencies and suppliers."""
    rows, total = service.list_agencies(
        session=session, scope=scope, page=paging.page, size=paging.size
    )
    return Page(
        items=[service.agency_in(a) for a in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


@router.post("/agencies", status_code=201)
def create_agency(
    session: SessionDep, user: CurrentUser, now: NowDep, agency: AgencyIn
) -> dict[str, Any]:
    """Registers an agency."""
    return _save(session, user, "agencies", agency, now, create=True)


@router.get("/stations", response_model=Page[StationRead])
def list_stations(
    session: SessionDep,
    scope: ScopeDep,
    paging: PageDep,
    element: Element | None = None,
    control_level: ControlLevel | None = None,
    region: Annotated[str | None, Query(description="region code; its subtree")] = None,
    status: Status | None = None,
    q: Annotated[str | None, Query(description="text in name or code")] = None,
) -> Any:
    """Stations in your scope, filtered."""
    rows, total = service.list_stations(
        session=session,
        scope=scope,
        element=element,
        control_level=control_level,
        region=region,
        status=status,
        search=q,
        page=paging.page,
        size=paging.size,
    )
    return Page(
        items=[service.station_in(s) for s in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


@router.get("/stations/{code}", response_model=StationRead)
def get_station(session: SessionDep, scope: ScopeDep, code: str) -> Any:
    """One station by code."""
    return service.station_in(
        service.get_station_or_raise(session=session, scope=scope, code=code)
    )


@router.post("/stations", status_code=201)
def create_station(
    session: SessionDep, user: CurrentUser, now: NowDep, station: StationIn
) -> dict[str, Any]:
    """Registers a station."""
    return _save(session, user, "stations", station, now, create=True)


@router.put("/stations/{code}")
def update_station(
    session: SessionDep, user: CurrentUser, now: NowDep, code: str, station: StationIn
) -> dict[str, Any]:
    """Replaces a station's record (the change is kept in its history)."""
    _same_key(code, station.code, "station code")
    return _save(session, user, "stations", station, now, create=False)


@router.get("/stations/{code}/series")
def station_series(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    parameter: Annotated[str, Query(description="HJ 212 code, e.g. a34004")],
    start: Annotated[
        str | None, Query(description="ISO 8601 start (inclusive)")
    ] = None,
    end: Annotated[str | None, Query(description="ISO 8601 end (exclusive)")] = None,
    kind: str = "hour",
) -> dict[str, Any]:
    """A station's values of one parameter over a time range, as received."""
    station = service.get_station_or_raise(session=session, scope=scope, code=code)
    return measurements.series(
        session=session,
        point=station,
        parameter=parameter,
        kind=kind,
        start=start,
        end=end,
    )


@router.get("/enterprises", response_model=Page[EnterpriseRead])
def list_enterprises(
    session: SessionDep,
    scope: ScopeDep,
    paging: PageDep,
    region: str | None = None,
    industry: str | None = None,
    key_category: str | None = None,
    q: str | None = None,
) -> Any:
    """Enterprises in your scope (an enterprise user sees only its own)."""
    rows, total = service.list_enterprises(
        session=session,
        scope=scope,
        region=region,
        industry=industry,
        key_category=key_category,
        search=q,
        page=paging.page,
        size=paging.size,
    )
    return Page(
        items=[_enterprise_read(e) for e in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


def _enterprise_read(enterprise: Any) -> EnterpriseRead:
    return EnterpriseRead(
        **service.enterprise_in(enterprise).model_dump(),
        outlets=[o.code for o in enterprise.outlets],
    )


@router.get("/enterprises/{credit_code}", response_model=EnterpriseRead)
def get_enterprise(session: SessionDep, scope: ScopeDep, credit_code: str) -> Any:
    """One enterprise by its unified social credit code."""
    return _enterprise_read(
        service.get_enterprise_or_raise(
            session=session, scope=scope, credit_code=credit_code
        )
    )


@router.post("/enterprises", status_code=201)
def create_enterprise(
    session: SessionDep, user: CurrentUser, now: NowDep, enterprise: EnterpriseIn
) -> dict[str, Any]:
    """Registers an enterprise (the credit code's check character is verified)."""
    return _save(session, user, "enterprises", enterprise, now, create=True)


@router.put("/enterprises/{credit_code}")
def update_enterprise(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    credit_code: str,
    enterprise: EnterpriseIn,
) -> dict[str, Any]:
    """Replaces an enterprise's record."""
    _same_key(credit_code, enterprise.credit_code, "credit code")
    return _save(session, user, "enterprises", enterprise, now, create=False)


def _outlet_read(outlet: Any) -> OutletRead:
    return OutletRead(
        **service.outlet_in(outlet).model_dump(),
        limits=[service.limit_in(outlet, limit) for limit in outlet.limits],
    )


@router.get("/outlets", response_model=Page[OutletRead])
def list_outlets(
    session: SessionDep,
    scope: ScopeDep,
    paging: PageDep,
    enterprise: str | None = None,
    kind: OutletKind | None = None,
) -> Any:
    """Outlets of enterprises in your scope, with their permit limits."""
    rows, total = service.list_outlets(
        session=session,
        scope=scope,
        enterprise=enterprise,
        kind=kind,
        page=paging.page,
        size=paging.size,
    )
    return Page(
        items=[_outlet_read(o) for o in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


@router.get("/enterprises/{credit_code}/outlets/{code}", response_model=OutletRead)
def get_outlet(
    session: SessionDep, scope: ScopeDep, credit_code: str, code: str
) -> Any:
    """One outlet of an enterprise."""
    return _outlet_read(
        service.get_outlet_or_raise(
            session=session, scope=scope, credit_code=credit_code, code=code
        )
    )


@router.post("/outlets", status_code=201)
def create_outlet(
    session: SessionDep, user: CurrentUser, now: NowDep, outlet: OutletIn
) -> dict[str, Any]:
    """Registers an outlet of an existing enterprise."""
    return _save(session, user, "outlets", outlet, now, create=True)


@router.put("/enterprises/{credit_code}/outlets/{code}")
def update_outlet(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    credit_code: str,
    code: str,
    outlet: OutletIn,
) -> dict[str, Any]:
    """Replaces an outlet's record."""
    _same_key(f"{credit_code}/{code}", f"{outlet.enterprise}/{outlet.code}", "outlet")
    return _save(session, user, "outlets", outlet, now, create=False)


@router.post("/limits", status_code=201)
def create_limit(
    session: SessionDep, user: CurrentUser, now: NowDep, limit: LimitIn
) -> dict[str, Any]:
    """Adds a permit limit period; periods of one outlet and parameter may not overlap."""
    return _save(session, user, "limits", limit, now, create=True)


@router.put("/limits")
def update_limit(
    session: SessionDep, user: CurrentUser, now: NowDep, limit: LimitIn
) -> dict[str, Any]:
    """Changes a limit period identified by outlet, parameter and effective_from."""
    return _save(session, user, "limits", limit, now, create=False)


@router.get("/devices", response_model=Page[DeviceRead])
def list_devices(
    session: SessionDep,
    scope: ScopeDep,
    paging: PageDep,
    point_kind: PointKind | None = None,
) -> Any:
    """Devices at stations and outlets in your scope, with calibration records."""
    rows, total = service.list_devices(
        session=session,
        scope=scope,
        point_kind=point_kind,
        page=paging.page,
        size=paging.size,
    )
    return Page(
        items=[_device_read(d) for d in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


def _device_read(device: Any) -> DeviceRead:
    return DeviceRead(
        **service.device_in(device).model_dump(),
        calibrations=[service.calibration_in(device, c) for c in device.calibrations],
    )


@router.get("/devices/{serial}", response_model=DeviceRead)
def get_device(session: SessionDep, scope: ScopeDep, serial: str) -> Any:
    """One device by serial number."""
    return _device_read(
        service.get_device_or_raise(session=session, scope=scope, serial=serial)
    )


@router.post("/devices", status_code=201)
def create_device(
    session: SessionDep, user: CurrentUser, now: NowDep, device: DeviceIn
) -> dict[str, Any]:
    """Registers a device at a station or outlet."""
    return _save(session, user, "devices", device, now, create=True)


@router.put("/devices/{serial}")
def update_device(
    session: SessionDep, user: CurrentUser, now: NowDep, serial: str, device: DeviceIn
) -> dict[str, Any]:
    """Replaces a device's record."""
    _same_key(serial, device.serial, "serial")
    return _save(session, user, "devices", device, now, create=False)


@router.post("/devices/{serial}/calibrations", status_code=201)
def add_calibration(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    serial: str,
    calibration: CalibrationIn,
) -> dict[str, Any]:
    """Records a calibration, verification or comparison (records are never changed)."""
    _same_key(serial, calibration.device, "serial")
    return _save(session, user, "calibrations", calibration, now, create=True)


@router.get("/history/{entity}/{key:path}", response_model=list[RegistryChangeRead])
def record_history(session: SessionDep, scope: ScopeDep, entity: str, key: str) -> Any:
    """Every change of one record: who, when, what it became."""
    return service.history(session=session, scope=scope, entity=entity, key=key)


@router.post("/registry/import")
def import_registry(
    request: Request,
    user: CurrentUser,
    now: NowDep,
    file: Annotated[UploadFile, File(description="YAML document or CSV list")],
    kind: Annotated[str | None, Query(description="section of a CSV file")] = None,
) -> dict[str, Any]:
    """Imports a registry file all or nothing; every problem is reported."""
    require_role(user, WRITERS, "import registry files")
    name = PurePath(file.filename or "upload").name
    outcome = import_file(
        session_factory=request.app.state.session_factory,
        name=name,
        content=file.file.read(),
        actor=user.username,
        source="api",
        now=now,
        section=kind,
    )
    return {
        "file": name,
        "raw_file_id": outcome.raw_file_id,
        "counts": outcome.report.as_dict(),
    }


@router.get("/registry/export", response_class=PlainTextResponse)
def export_registry(session: SessionDep, user: CurrentUser) -> str:
    """The whole registry as one YAML document (administrators)."""
    require_role(user, WRITERS, "export the registry")
    return document_to_yaml(service.export_sections(session=session))
