"""Reading QC for people: one value's every layer, and reviews, windows and runs as the
API and CLI show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.errors import NotFoundError
from envmon.measurements.models import Measurement
from envmon.quality.models import (
    DeviceWindow,
    QcResult,
    QcResultChange,
    QcReview,
    QcRun,
)
from envmon.quality.reviews import REASON_CODES
from envmon.quality.verdicts import SeriesKey

__all__ = ["review_json", "run_json", "value_history", "window_json"]


def value_history(*, session: Session, key: SeriesKey, at: datetime) -> dict[str, Any]:
    """Every layer of one value: its device flag, the current automatic verdict with the
    run (rule set version, check parameters) behind it, the verdicts it replaced, and the
    reviews that covered it (newest last)."""
    measurement = session.execute(
        select(Measurement.value, Measurement.device_flag).where(
            Measurement.point_id == key.point_id,
            Measurement.parameter_code == key.parameter_code,
            Measurement.kind == key.kind,
            Measurement.measured_at == at,
        )
    ).first()
    if measurement is None:
        msg = f"no {key.kind.value} value of {key.parameter_code} at {at.isoformat()}"
        raise NotFoundError(msg)
    current = session.get(QcResult, (key.point_id, key.parameter_code, key.kind, at))
    replaced = session.scalars(
        select(QcResultChange)
        .where(
            QcResultChange.point_id == key.point_id,
            QcResultChange.parameter_code == key.parameter_code,
            QcResultChange.kind == key.kind,
            QcResultChange.measured_at == at,
        )
        .order_by(QcResultChange.id)
    ).all()
    reviews = session.scalars(
        select(QcReview)
        .where(
            QcReview.point_id == key.point_id,
            QcReview.parameter_code == key.parameter_code,
            QcReview.kind == key.kind,
            QcReview.start_at <= at,
            QcReview.end_at > at,
        )
        .order_by(QcReview.id)
    ).all()
    runs = {
        run.id: run
        for run in session.scalars(
            select(QcRun).where(
                QcRun.id.in_(
                    [r.run_id for r in replaced]
                    + ([current.run_id] if current and current.run_id else [])
                )
            )
        )
    }
    return {
        "value": measurement.value,
        "device_flag": measurement.device_flag,
        "current": None
        if current is None
        else {
            "device": current.device_flag,
            "automatic": current.auto_flag,
            "checks": current.checks.split(";") if current.checks else [],
            "run": run_json(runs.get(current.run_id) if current.run_id else None),
            "reviewer": current.review_flag,
            "review_id": current.review_id,
            "effective": current.flag,
        },
        "replaced": [
            {
                "automatic": r.auto_flag,
                "checks": r.checks.split(";") if r.checks else [],
                "run": run_json(runs.get(r.run_id)),
                "superseded_by": r.superseded_by,
            }
            for r in replaced
        ],
        "reviews": [review_json(r) for r in reviews],
    }


def run_json(run: QcRun | None, *, rules: bool = False) -> dict[str, Any] | None:
    """A run as the API shows it (its rule set only when asked)."""
    if run is None:
        return None
    shown: dict[str, Any] = {
        "id": run.id,
        "mode": run.mode.value,
        "started_at": run.started_at.isoformat(),
        "rules_version": run.rules_version,
        "code_version": run.code_version,
        "actor": run.actor,
        "reason": run.reason,
    }
    if rules:
        shown["rules"] = run.rules
    return shown


def review_json(row: QcReview) -> dict[str, Any]:
    """A review as the API shows it, with the reason's labels."""
    zh, en = REASON_CODES.get(row.reason_code, (row.reason_code, row.reason_code))
    return {
        "id": row.id,
        "parameter": row.parameter_code,
        "kind": row.kind.value,
        "start": row.start_at.isoformat(),
        "end": row.end_at.isoformat(),
        "action": row.action.value,
        "flag": row.flag,
        "overrule_device": row.overrule_device,
        "reason_code": row.reason_code,
        "reason_zh": zh,
        "reason_en": en,
        "comment": row.comment,
        "reviewer": row.reviewer,
        "reviewed_at": row.reviewed_at.isoformat(),
        "values": row.value_count,
        "ledger_seq": row.ledger_seq,
    }


def window_json(row: DeviceWindow) -> dict[str, Any]:
    """A device-state window as the API shows it."""
    return {
        "id": row.id,
        "parameters": row.parameter_codes,
        "start": row.start_at.isoformat(),
        "end": row.end_at.isoformat(),
        "state": row.state,
        "note": row.note,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat(),
        "ledger_seq": row.ledger_seq,
    }
