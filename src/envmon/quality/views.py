"""QC over HTTP: a point's values with every flag layer, reviews, device-state windows,
validity and capture statistics, runs, and the vocabularies the console shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from envmon.api.deps import CurrentUser, NowDep, ScopeDep, SessionDep
from envmon.errors import NotFoundError
from envmon.measurements import service as measurements
from envmon.quality import reading, reviews, stats
from envmon.quality.flags import DEVICE_WINDOW_KINDS, FLAG_LABELS
from envmon.quality.models import DeviceWindow, QcReview, QcRun, ReviewAction
from envmon.quality.verdicts import (
    SeriesKey,
)
from envmon.registry import service as registry
from envmon.users.models import Role
from envmon.users.service import require_role

__all__ = ["router"]

router = APIRouter(prefix="/quality", tags=["quality 质控"])

REVIEWERS = frozenset({Role.ADMIN, Role.MONITORING_CENTRE})
WINDOW_RECORDERS = frozenset({Role.ADMIN, Role.MONITORING_CENTRE, Role.AGENCY})
Start = Annotated[str, Query(description="ISO 8601 start (inclusive); Beijing time")]
End = Annotated[str, Query(description="ISO 8601 end (exclusive); Beijing time")]


def _instant(text: str, name: str) -> datetime:
    at: datetime = measurements.instant(text, name)
    return at


class ReviewIn(BaseModel):
    """A review of one series over [start, end)."""

    parameter: str = Field(description="HJ 212 code, e.g. a34004")
    kind: str = Field("hour", description="minute, hour or day")
    start: str = Field(description="ISO 8601, inclusive; Beijing time without a zone")
    end: str = Field(description="ISO 8601, exclusive")
    action: ReviewAction = Field(description="confirm (确认) or overrule (改判)")
    flag: int | None = Field(None, description="overrule: 1 good, 3 suspect, 4 fail")
    reason_code: str = Field(description="see GET /quality/vocabulary")
    comment: str = ""
    overrule_device: bool = Field(
        False, description="the review may clear a device FAIL (instrument flag)"
    )


class DeviceWindowIn(BaseModel):
    """A device-state window from the operator's log."""

    start: str
    end: str
    state: str = Field(description="maintenance, calibration, fault …")
    parameters: list[str] = Field(default_factory=list, description="[] = all")
    note: str = ""


class RequalifyIn(BaseModel):
    """QC a point's stored values again (e.g. after a rule change)."""

    start: str
    end: str | None = None
    parameters: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)


@router.get("/vocabulary")
def vocabulary() -> dict[str, Any]:
    """Flag labels, review reason codes and device states with their Chinese names."""
    return {
        "flags": [
            {"code": int(code), "zh": label.zh, "en": label.en}
            for code, label in FLAG_LABELS.items()
        ],
        "reasons": [
            {"code": code, "zh": zh, "en": en}
            for code, (zh, en) in reviews.REASON_CODES.items()
        ],
        "device_states": [
            {"code": code, "flag": int(flag), "zh": label.zh, "en": label.en}
            for code, (flag, label) in DEVICE_WINDOW_KINDS.items()
        ],
    }


@router.get("/points/{mn}/values")
def point_values(
    session: SessionDep,
    scope: ScopeDep,
    mn: str,
    parameter: Annotated[str, Query(description="HJ 212 code")],
    kind: str = "hour",
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """A point's values with the device flag, automatic verdict and its checks, the
    reviewer's flag and the effective flag."""
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    return measurements.series(
        session=session,
        point=point,
        parameter=parameter,
        kind=kind,
        start=start,
        end=end,
    )


@router.get("/points/{mn}/values/{at}/history")
def value_history(
    session: SessionDep,
    scope: ScopeDep,
    mn: str,
    at: str,
    parameter: Annotated[str, Query(description="HJ 212 code")],
    kind: str = "hour",
) -> dict[str, Any]:
    """Every flag layer of one value (``at``: its interval start) and who set it."""
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    key = SeriesKey(point.id, parameter, measurements.data_kind(kind))
    return reading.value_history(session=session, key=key, at=_instant(at, "at"))


@router.post("/points/{mn}/reviews", status_code=201)
def create_review(
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    now: NowDep,
    mn: str,
    body: ReviewIn,
) -> dict[str, Any]:
    """Confirms or overrules the flags of one series over a time range, with a reason
    (monitoring centre and admins; a ledger entry; derived values recompute)."""
    require_role(user, REVIEWERS, "review QC flags")
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    row, summary = reviews.review(
        session=session,
        point=point,
        parameter=body.parameter,
        kind=measurements.data_kind(body.kind),
        start=_instant(body.start, "start"),
        end=_instant(body.end, "end"),
        action=body.action,
        flag=body.flag,
        reason_code=body.reason_code,
        comment=body.comment,
        reviewer=user.username,
        now=now,
        overrule_device=body.overrule_device,
    )
    return {"review": reading.review_json(row), "applied": summary.as_json()}


@router.get("/points/{mn}/reviews")
def list_reviews(
    session: SessionDep, scope: ScopeDep, mn: str, parameter: str | None = None
) -> list[dict[str, Any]]:
    """A point's reviews, newest first."""
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    query = select(QcReview).where(QcReview.point_id == point.id)
    if parameter:
        query = query.where(QcReview.parameter_code == parameter)
    rows = session.scalars(query.order_by(QcReview.id.desc()))
    return [reading.review_json(r) for r in rows]


@router.post("/points/{mn}/device-windows", status_code=201)
def create_device_window(
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    now: NowDep,
    mn: str,
    body: DeviceWindowIn,
) -> dict[str, Any]:
    """Records a maintenance/calibration/fault window; the values in it are QC'd again."""
    require_role(user, WINDOW_RECORDERS, "record device windows")
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    window, summary = reviews.record_device_window(
        session=session,
        point=point,
        start=_instant(body.start, "start"),
        end=_instant(body.end, "end"),
        state=body.state,
        parameters=body.parameters,
        note=body.note,
        recorded_by=user.username,
        now=now,
    )
    return {"window": reading.window_json(window), "requalified": summary.as_json()}


@router.get("/points/{mn}/device-windows")
def list_device_windows(
    session: SessionDep, scope: ScopeDep, mn: str
) -> list[dict[str, Any]]:
    """A point's recorded device-state windows, newest first."""
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    rows = session.scalars(
        select(DeviceWindow)
        .where(DeviceWindow.point_id == point.id)
        .order_by(DeviceWindow.id.desc())
    )
    return [reading.window_json(w) for w in rows]


@router.post("/points/{mn}/requalify")
def requalify(
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    now: NowDep,
    mn: str,
    body: RequalifyIn,
) -> dict[str, Any]:
    """QC a point's values again with the default rules (a new batch run)."""
    require_role(user, REVIEWERS, "re-run QC")
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    summary = reviews.requalify(
        session=session,
        point_id=point.id,
        start=_instant(body.start, "start"),
        end=None if body.end is None else _instant(body.end, "end"),
        rules=None,
        actor=user.username,
        now=now,
        reason=body.reason,
        parameters=body.parameters or None,
    )
    return summary.as_json()


@router.get("/points/{mn}/validity")
def point_validity(
    session: SessionDep,
    scope: ScopeDep,
    mn: str,
    first_day: Annotated[date, Query(alias="from", description="Beijing day")],
    last_day: Annotated[date, Query(alias="to", description="Beijing day, inclusive")],
) -> dict[str, Any]:
    """Validity and capture rates (数据有效率, 传输率) per parameter and Beijing day."""
    point = registry.get_point_or_raise(session=session, scope=scope, mn=mn)
    days = stats.validity(
        session=session, point_id=point.id, first_day=first_day, last_day=last_day
    )
    return {"mn": point.mn, "name": point.name, "days": [d.as_json() for d in days]}


@router.get("/runs/{run_id}")
def get_run(session: SessionDep, run_id: int, rules: bool = False) -> dict[str, Any]:
    """A QC run: rule set version, code version, who and why (and its rules if asked)."""
    run = session.get(QcRun, run_id)
    if run is None:
        msg = f"no QC run {run_id}"
        raise NotFoundError(msg)
    shown = reading.run_json(run, rules=rules)
    assert shown is not None
    return shown
