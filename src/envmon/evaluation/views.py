"""Evaluation API: derived series, AQI of stations and regions, water classes, rankings,
exceedances, and the public real-time AQI of air stations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from envmon.api.deps import NowDep, ScopeDep, SessionDep
from envmon.errors import ValidationError
from envmon.evaluation import bulletin as bulletins
from envmon.evaluation import service
from envmon.evaluation.models import SubjectKind
from envmon.registry import service as registry
from envmon.registry.scope import Scope

__all__ = ["public_router", "router"]

router = APIRouter(prefix="/evaluation", tags=["evaluation 评价"])
public_router = APIRouter(prefix="/public", tags=["public 公开"])

Start = Annotated[
    str | None, Query(description="ISO 8601 start (inclusive); Beijing time")
]
End = Annotated[str | None, Query(description="ISO 8601 end (exclusive); Beijing time")]


@router.get("/stations/latest")
def latest_stations(session: SessionDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """Every air station in scope with its latest hourly AQI and concentrations."""
    return service.latest_air(session=session, scope=scope)


@router.get("/stations/{code}/series")
def station_series(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    parameter: Annotated[str, Query(description="HJ 212 code, e.g. a34004")],
    period: str = "hour",
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """A station's derived values (hour, day, moving_24h, moving_8h, daily_max_8h,
    daily_max_1h) with validity and status."""
    station = registry.get_station_or_raise(session=session, scope=scope, code=code)
    return service.point_series(
        session=session,
        point=station,
        parameter=parameter,
        period=period,
        start=start,
        end=end,
    )


@router.get("/stations/{code}/aqi")
def station_aqi(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    mode: str = "hourly",
    start: Start = None,
    end: End = None,
) -> list[dict[str, Any]]:
    """A station's hourly (real-time) or daily AQI with IAQIs and primary pollutants."""
    station = registry.get_station_or_raise(session=session, scope=scope, code=code)
    return service.aqi_series(
        session=session,
        kind=SubjectKind.POINT,
        subject_id=station.id,
        mode=mode,
        start=start,
        end=end,
    )


@router.get("/regions/{code}/aqi")
def region_aqi(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    mode: str = "daily",
    start: Start = None,
    end: End = None,
) -> list[dict[str, Any]]:
    """A county's or city's AQI from the mean of its stations' concentrations."""
    region = service.get_region_or_raise(session=session, scope=scope, code=code)
    return service.aqi_series(
        session=session,
        kind=SubjectKind.REGION,
        subject_id=region.id,
        mode=mode,
        start=start,
        end=end,
    )


@router.get("/regions/{code}/statistics")
def region_statistics(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    year: int,
    month: int | None = None,
) -> dict[str, Any]:
    """Annual or monthly GB 3095 statistics (means, percentiles, coverage) of a region."""
    region = service.get_region_or_raise(session=session, scope=scope, code=code)
    return service.air_statistics(
        session=session,
        kind=SubjectKind.REGION,
        subject_id=region.id,
        year=year,
        month=month,
    )


@router.get("/stations/{code}/statistics")
def station_statistics(
    session: SessionDep,
    scope: ScopeDep,
    code: str,
    year: int,
    month: int | None = None,
) -> dict[str, Any]:
    """Annual or monthly GB 3095 statistics (means, percentiles, coverage) of a station."""
    station = registry.get_station_or_raise(session=session, scope=scope, code=code)
    return service.air_statistics(
        session=session,
        kind=SubjectKind.POINT,
        subject_id=station.id,
        year=year,
        month=month,
    )


@router.get("/regions/{code}/bulletin", response_model=None)
def region_bulletin(
    session: SessionDep,
    scope: ScopeDep,
    now: NowDep,
    code: str,
    month: Annotated[str, Query(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")],
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",  # noqa: A002
) -> Response:
    """The monthly air-quality bulletin (月报) of a city or county, HTML or PDF."""
    region = service.get_region_or_raise(session=session, scope=scope, code=code)
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as err:
        msg = f"month {month!r} is not YYYY-MM"
        raise ValidationError(msg) from err
    report = bulletins.gather(session=session, region=region, month=first, now=now)
    if format == "pdf":
        return Response(
            bulletins.render_pdf(report),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="bulletin-{code}-{month}.pdf"'
            },
        )
    return HTMLResponse(bulletins.render_html(report))


@router.get("/enterprises/{credit_code}/outlets/{outlet}/series")
def outlet_series(
    session: SessionDep,
    scope: ScopeDep,
    credit_code: str,
    outlet: str,
    parameter: Annotated[str, Query(description="HJ 212 code, e.g. a21026")],
    period: str = "hour",
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """An outlet's hourly or daily means, oxygen-corrected values and amounts."""
    point = registry.get_outlet_or_raise(
        session=session, scope=scope, credit_code=credit_code, code=outlet
    )
    return service.point_series(
        session=session,
        point=point,
        parameter=parameter,
        period=period,
        start=start,
        end=end,
    )


@router.get("/water")
def water_classes(
    session: SessionDep,
    scope: ScopeDep,
    day: Annotated[date, Query(description="Beijing calendar day")],
) -> list[dict[str, Any]]:
    """GB 3838 class of each surface-water section from its daily means."""
    return service.water_classes(session=session, scope=scope, day=day)


@router.get("/water/rankings")
def water_rankings(
    session: SessionDep,
    scope: ScopeDep,
    start: Start = None,
    end: End = None,
    level: str | None = None,
) -> list[dict[str, Any]]:
    """Surface-water sections (or counties, townships: ``level``) ranked by the CWQI of
    their period means."""
    return service.water_rankings(
        session=session, scope=scope, start=start, end=end, level=level
    )


@router.get("/noise")
def noise_levels(
    session: SessionDep,
    scope: ScopeDep,
    day: Annotated[date, Query(description="Beijing calendar day")],
) -> list[dict[str, Any]]:
    """Day and night levels of each noise station against its functional zone."""
    return service.noise_levels(session=session, scope=scope, day=day)


@router.get("/rankings")
def rankings(
    session: SessionDep,
    scope: ScopeDep,
    level: str = "county",
    start: Start = None,
    end: End = None,
) -> list[dict[str, Any]]:
    """Counties (or cities) ranked by mean daily AQI, with good-day rates."""
    return service.rankings(
        session=session, scope=scope, level=level, start=start, end=end
    )


@router.get("/exceedances")
def exceedances(
    session: SessionDep,
    scope: ScopeDep,
    start: Start = None,
    end: End = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Hourly permit exceedances of outlets in scope (newest first)."""
    return service.exceedances(
        session=session, scope=scope, start=start, end=end, limit=limit
    )


@public_router.get("/air/latest")
def public_latest(session: SessionDep) -> list[dict[str, Any]]:
    """Real-time AQI of every air station (public, no login)."""
    return service.latest_air(session=session, scope=Scope())


@public_router.get("/regions/{code}/aqi")
def public_region_aqi(
    session: SessionDep,
    code: str,
    mode: str = "daily",
    start: Start = None,
    end: End = None,
) -> list[dict[str, Any]]:
    """A county's or city's AQI (public, no login)."""
    region = service.get_region_or_raise(session=session, scope=Scope(), code=code)
    return service.aqi_series(
        session=session,
        kind=SubjectKind.REGION,
        subject_id=region.id,
        mode=mode,
        start=start,
        end=end,
    )
