"""What people add to QC: reviews over a time range and recorded device-state windows.

A review (审核) confirms or overrules the flags of one series over ``[start, end)`` with a
mandatory reason code (and a comment, mandatory for "other"). It is a ledger entry in the
same transaction; the reviewer layer of every value it covers is set (the newest review
wins), the effective flags are recomputed, and the days whose validity changed are marked
for recomputation. The automatic verdicts stay as they are, so both remain visible.

A device-state window (maintenance, calibration, fault …) from the operator's log is a
ledger entry too; the values it covers are QC'd again with the ``device_windows`` check.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from envmon.errors import ValidationError
from envmon.ledger import service as ledger
from envmon.measurements.models import DataKind, Measurement
from envmon.quality.flags import DEVICE_WINDOW_KINDS, Flag
from envmon.quality.models import (
    DeviceWindow,
    QcResult,
    QcReview,
    ReviewAction,
    RunMode,
)
from envmon.quality.rules import RuleSet
from envmon.quality.service import (
    checks_for,
    default_rules,
    device_windows,
    load_selectors,
    new_run,
    qc_range,
    window_of,
)
from envmon.quality.verdicts import (
    QcSummary,
    SeriesKey,
    Verdicts,
    store_verdicts,
)
from envmon.registry.models import Point

__all__ = [
    "MAX_RANGE",
    "REASON_CODES",
    "record_device_window",
    "requalify",
    "review",
]

REASON_CODES: Final[Mapping[str, tuple[str, str]]] = {
    "instrument_fault": ("仪器故障", "instrument fault"),
    "calibration": ("校准或质控核查", "calibration or QC check"),
    "maintenance": ("运维作业", "maintenance"),
    "power_or_communication": ("停电或通讯中断", "power or communication failure"),
    "sampling_problem": ("采样系统异常", "sampling system problem"),
    "interference": ("人为干扰", "human interference"),
    "real_event": ("确认真实污染过程", "confirmed real pollution event"),
    "natural_event": ("沙尘等自然过程", "natural event (dust storm …)"),
    "verified_valid": ("经核实数据有效", "verified as valid"),
    "other": ("其他（须说明）", "other (comment required)"),
}
"""Review reason codes → (Chinese, English) labels."""
MAX_RANGE: Final = timedelta(days=366)
"""The longest range one review may cover."""
_REVIEW_FLAGS: Final = (int(Flag.GOOD), int(Flag.SUSPECT), int(Flag.FAIL))


def _problems(
    action: ReviewAction,
    flag: int | None,
    start: datetime,
    end: datetime,
    reason_code: str,
    comment: str,
) -> list[str]:
    problems = []
    if end <= start:
        problems.append(f"end {end.isoformat()} is not after start {start.isoformat()}")
    elif end - start > MAX_RANGE:
        problems.append(f"the range is longer than {MAX_RANGE.days} days; split it")
    if reason_code not in REASON_CODES:
        known = ", ".join(REASON_CODES)
        problems.append(f"unknown reason code {reason_code!r}; known: {known}")
    if reason_code == "other" and not comment.strip():
        problems.append('reason "other" needs a comment saying why')
    if action is ReviewAction.OVERRULE and flag not in _REVIEW_FLAGS:
        problems.append(
            f"an overrule needs flag 1 (good), 3 (suspect) or 4 (fail), not {flag!r}"
        )
    if action is ReviewAction.CONFIRM and flag not in (None, 0):
        problems.append("a confirmation sets no flag (overrule to change one)")
    return problems


def review(
    *,
    session: Session,
    point: Point,
    parameter: str,
    kind: DataKind,
    start: datetime,
    end: datetime,
    action: ReviewAction,
    flag: int | None,
    reason_code: str,
    comment: str,
    reviewer: str,
    now: datetime,
    overrule_device: bool = False,
) -> tuple[QcReview, QcSummary]:
    """Records a review of ``[start, end)`` of one series and applies it (caller's
    transaction). Raises ValidationError naming every problem, or if no value is there."""
    problems = _problems(action, flag, start, end, reason_code, comment)
    if problems:
        raise ValidationError("; ".join(problems))
    key = SeriesKey(point.id, parameter, kind)
    rows = session.execute(
        select(Measurement.measured_at, Measurement.value, Measurement.device_flag)
        .where(
            Measurement.point_id == point.id,
            Measurement.parameter_code == parameter,
            Measurement.kind == kind,
            Measurement.measured_at >= start,
            Measurement.measured_at < end,
        )
        .order_by(Measurement.measured_at)
    ).all()
    if not rows:
        msg = (
            f"point {point.mn or point.name}: no {kind.value} values of {parameter} in "
            f"[{start.isoformat()}, {end.isoformat()})"
        )
        raise ValidationError(msg)
    set_flag = 0 if action is ReviewAction.CONFIRM else int(flag or 0)
    payload: dict[str, Any] = {
        "point": point.mn or point.id,
        "parameter": parameter,
        "kind": kind.value,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "action": action.value,
        "flag": set_flag,
        "overrule_device": overrule_device,
        "reason_code": reason_code,
        "comment": comment,
        "values": len(rows),
    }
    seq = ledger.append(
        session=session,
        kind="qc.review",
        subject=f"point:{point.id}/{parameter}/{kind.value}",
        payload=payload,
        actor=reviewer,
        now=now,
    )
    row = QcReview(
        point_id=point.id,
        parameter_code=parameter,
        kind=kind,
        start_at=start,
        end_at=end,
        action=action,
        flag=set_flag,
        overrule_device=overrule_device,
        reason_code=reason_code,
        comment=comment,
        reviewer=reviewer,
        reviewed_at=now,
        value_count=len(rows),
        ledger_seq=seq,
    )
    session.add(row)
    session.flush()
    stored = {
        at: (auto, checks, run_id)
        for at, auto, checks, run_id in session.execute(
            select(
                QcResult.measured_at,
                QcResult.auto_flag,
                QcResult.checks,
                QcResult.run_id,
            ).where(
                QcResult.point_id == point.id,
                QcResult.parameter_code == parameter,
                QcResult.kind == kind,
                QcResult.measured_at >= start,
                QcResult.measured_at < end,
            )
        )
    }
    # Values not QC'd yet get a row with the automatic layer unset (0): the reviewer's
    # flag applies at once; the automatic verdict fills in when QC reaches them.
    by_run: dict[int | None, Verdicts] = {}
    for at, value, device_flag in rows:
        auto, checks, run_id = stored.get(at, (0, "", None))
        by_run.setdefault(run_id, Verdicts()).add(
            key, at, float("nan") if value is None else value, device_flag, auto, checks
        )
    summary = QcSummary()
    for run_id, verdicts in by_run.items():
        summary.add(store_verdicts(session=session, verdicts=verdicts, run_id=run_id))
    return row, summary


def requalify(
    *,
    session: Session,
    point_id: int,
    start: datetime,
    end: datetime | None,
    rules: RuleSet | None,
    actor: str,
    now: datetime,
    reason: str,
    parameters: list[str] | None = None,
) -> QcSummary:
    """QC again every series of a point from ``start`` to ``end`` (batch, a new run)."""
    rule_set = rules if rules is not None else default_rules()
    run = new_run(
        session=session,
        rules=rule_set,
        mode=RunMode.BATCH,
        actor=actor,
        now=now,
        reason=reason,
    )
    selector = load_selectors(session, [point_id]).get(point_id)
    query = select(Measurement.parameter_code, Measurement.kind).where(
        and_(
            Measurement.point_id == point_id,
            Measurement.measured_at >= start,
            Measurement.kind != DataKind.REALTIME,
        )
    )
    if end is not None:
        query = query.where(Measurement.measured_at < end)
    if parameters:
        query = query.where(Measurement.parameter_code.in_(parameters))
    summary = QcSummary(run_id=run.id)
    for code, kind in session.execute(query.distinct()).all():
        key = SeriesKey(point_id, code, DataKind(kind))
        probe = checks_for(rule_set, key, selector)
        reach = window_of(probe)
        span = timedelta(seconds=reach.lookback_seconds)
        windows = device_windows(session, key, start - span, end)
        checks = checks_for(rule_set, key, selector, windows)
        summary.add(
            qc_range(
                session=session,
                key=key,
                checks=checks,
                run_id=run.id,
                first=start,
                last=None if end is None else end - timedelta(microseconds=1),
                now=now,
            )
        )
    summary.run_id = run.id
    return summary


def record_device_window(
    *,
    session: Session,
    point: Point,
    start: datetime,
    end: datetime,
    state: str,
    parameters: list[str],
    note: str,
    recorded_by: str,
    now: datetime,
) -> tuple[DeviceWindow, QcSummary]:
    """Records a device-state window (ledger entry) and QCs the values it covers again."""
    problems = []
    if end <= start:
        problems.append(f"end {end.isoformat()} is not after start {start.isoformat()}")
    if state not in DEVICE_WINDOW_KINDS:
        known = ", ".join(sorted(DEVICE_WINDOW_KINDS))
        problems.append(f"unknown device state {state!r}; known: {known}")
    if problems:
        raise ValidationError("; ".join(problems))
    seq = ledger.append(
        session=session,
        kind="qc.device_window",
        subject=f"point:{point.id}",
        payload={
            "point": point.mn or point.id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "state": state,
            "parameters": parameters,
            "note": note,
        },
        actor=recorded_by,
        now=now,
    )
    window = DeviceWindow(
        point_id=point.id,
        parameter_codes=sorted(parameters),
        start_at=start,
        end_at=end,
        state=state,
        note=note,
        recorded_by=recorded_by,
        recorded_at=now,
        ledger_seq=seq,
    )
    session.add(window)
    session.flush()
    summary = requalify(
        session=session,
        point_id=point.id,
        start=start,
        end=end,
        rules=None,
        actor=recorded_by,
        now=now,
        reason=f"device window {window.id} ({state})",
        parameters=parameters or None,
    )
    return window, summary
