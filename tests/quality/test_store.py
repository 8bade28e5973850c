"""QC of stored measurements: live (streaming) and batch verdicts agree, late values
re-decide their neighbours, reviews and device windows add layers without erasing the
automatic verdict, and evaluation counts only valid values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from envmon.errors import ValidationError
from envmon.evaluation import flows
from envmon.evaluation.models import Aggregate
from envmon.ledger.models import LedgerEntry
from envmon.measurements.models import ChangeMark, DataKind
from envmon.quality.flags import Flag
from envmon.quality.live import LiveQC
from envmon.quality.models import QcResult, QcResultChange, ReviewAction
from envmon.quality.reviews import record_device_window, requalify, review
from envmon.quality.rules import parse_rules
from envmon.quality.stats import validity
from envmon.registry.models import Point
from tests.conftest import NOW
from tests.evaluation.conftest import PM10, PM25, Registry, add_hours, bj

pytestmark = pytest.mark.db

DAY = date(2016, 3, 1)
NEXT = date(2016, 3, 2)
# Varying values (no flat line), a spike of 400 at 10:00 on the first day.
FIRST = [30.0 + (h % 7) * 3 for h in range(24)]
FIRST[10] = 400.0
SECOND = [35.0 + (h % 5) * 4 for h in range(24)]


def _verdicts(session: Session, point: int) -> dict[datetime, tuple[int, int, str]]:
    rows = session.execute(
        select(
            QcResult.measured_at, QcResult.auto_flag, QcResult.flag, QcResult.checks
        ).where(QcResult.point_id == point, QcResult.parameter_code == PM25)
    )
    return {at: (auto, flag, checks) for at, auto, flag, checks in rows}


def test_live_qc_flags_new_values_and_waits_for_the_lookahead(
    session: Session, registry: Registry
) -> None:
    add_hours(session, registry.station_a, PM25, DAY, FIRST)
    last = bj(2016, 3, 1, 23)
    qc = LiveQC()
    # 30 minutes after the last value: its spike verdict needs the next value.
    summary = qc.process(
        session=session, now=last + timedelta(minutes=30), since=bj(2016, 3, 1)
    )
    verdicts = _verdicts(session, registry.station_a)
    assert summary.values == 23 and len(verdicts) == 23 and last not in verdicts
    assert verdicts[bj(2016, 3, 1, 10)] == (Flag.SUSPECT, Flag.SUSPECT, "spike")
    assert verdicts[bj(2016, 3, 1, 7)][1] == Flag.GOOD
    # The next values arrive: the waiting one is decided without reading history again.
    add_hours(session, registry.station_a, PM25, NEXT, SECOND[:3])
    later = bj(2016, 3, 2, 2) + timedelta(minutes=30)
    summary = qc.process(session=session, now=later, since=bj(2016, 3, 1))
    assert summary.values == 3 and qc.warm_series == 1
    assert len(_verdicts(session, registry.station_a)) == 26
    # A quiet series is closed (end-of-series verdicts) and forgotten.
    summary = qc.process(
        session=session, now=later + timedelta(hours=3), since=bj(2016, 3, 1)
    )
    assert summary.values == 1 and qc.warm_series == 0
    assert len(_verdicts(session, registry.station_a)) == 27


def test_streaming_equals_batch_with_a_late_value(
    session: Session, registry: Registry
) -> None:
    late = 14
    add_hours(
        session,
        registry.station_a,
        PM25,
        DAY,
        {h: v for h, v in enumerate(FIRST) if h != late},
    )
    qc = LiveQC()
    qc.process(session=session, now=bj(2016, 3, 1, 23, 30), since=bj(2016, 3, 1))
    # The 14:00 gap made 15:00 SUSPECT (time_gap); the late value fills it.
    assert _verdicts(session, registry.station_a)[bj(2016, 3, 1, 15)][2] == "time_gap"
    add_hours(session, registry.station_a, PM25, DAY, {late: FIRST[late]})
    add_hours(session, registry.station_a, PM25, NEXT, SECOND)
    for hour in (2, 5, 9):  # fed in pieces, as batches arrive
        qc.process(session=session, now=bj(2016, 3, 2, hour, 30), since=bj(2016, 3, 1))
    qc.process(session=session, now=NOW, since=bj(2016, 3, 1))
    live = _verdicts(session, registry.station_a)
    assert len(live) == 48
    assert (
        live[bj(2016, 3, 1, 15)][1] == Flag.GOOD
        and live[bj(2016, 3, 1, late)][1] == Flag.GOOD
    )
    # Batch QC over the whole history finds nothing to change.
    summary = requalify(
        session=session,
        point_id=registry.station_a,
        start=bj(2016, 3, 1),
        end=None,
        rules=None,
        actor="tester",
        now=NOW,
        reason="compare with batch",
    )
    assert summary.values == 48 and summary.changed == 0
    assert _verdicts(session, registry.station_a) == live


def test_evaluation_uses_only_valid_values_and_recomputes_on_qc(
    session: Session, registry: Registry
) -> None:
    values = list(SECOND)
    values[5] = 1500.0  # above the PM2.5 monitor's 1000 µg/m³ range: FAIL
    add_hours(session, registry.station_a, PM25, DAY, values)
    flows.process_changes(session=session, now=NOW)
    hour = bj(2016, 3, 1, 5)

    def aggregate(period: str, start: datetime) -> Aggregate | None:
        return session.scalars(
            select(Aggregate).where(
                Aggregate.point_id == registry.station_a,
                Aggregate.parameter_code == PM25,
                Aggregate.period == period,
                Aggregate.period_start == start,
            )
        ).one_or_none()

    def hourly() -> Aggregate | None:
        return aggregate("hour", hour)

    found = hourly()
    assert (
        found is not None and found.value == 1500.0
    )  # not QC'd yet: the device flag N decides
    summary = LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    assert summary.failed == 1 and summary.days_marked == 1
    marks = session.execute(select(ChangeMark.point_id, ChangeMark.day)).all()
    assert set(marks) == {(registry.station_a, DAY)}
    flows.process_changes(session=session, now=NOW)
    assert hourly() is None  # the hour has no valid value any more
    daily = aggregate("day", bj(2016, 3, 1))
    # Its neighbours are SUSPECT too (the spike check compares each value with the mean
    # of its two neighbours) and do not count until a reviewer says so.
    others = [v for h, v in enumerate(values) if h not in (4, 5, 6)]
    assert daily is not None and daily.count == 21
    assert daily.value == pytest.approx(sum(others) / 21, abs=0.05)
    stats = {
        d.parameter_code: d
        for d in validity(
            session=session, point_id=registry.station_a, first_day=DAY, last_day=DAY
        )
    }
    pm25 = stats[PM25]
    assert (pm25.received, pm25.valid, pm25.suspect, pm25.failed) == (24, 21, 2, 1)
    assert (pm25.capture_rate, pm25.validity_rate) == (1.0, pytest.approx(21 / 24))


def test_review_overrules_with_a_reason_and_keeps_the_automatic_verdict(
    session: Session, registry: Registry
) -> None:
    add_hours(session, registry.station_a, PM25, DAY, FIRST)
    LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    point = session.get(Point, registry.station_a)
    assert point is not None
    spike = bj(2016, 3, 1, 10)
    marks = session.scalar(select(func.count()).select_from(ChangeMark))
    row, summary = review(
        session=session,
        point=point,
        parameter=PM25,
        kind=DataKind.HOUR,
        start=spike,
        end=spike + timedelta(hours=1),
        action=ReviewAction.OVERRULE,
        flag=int(Flag.GOOD),
        reason_code="real_event",
        comment="春节烟花",
        reviewer="centre",
        now=NOW,
    )
    result = session.get(QcResult, (registry.station_a, PM25, DataKind.HOUR, spike))
    assert result is not None
    assert (result.auto_flag, result.review_flag, result.flag, result.checks) == (
        Flag.SUSPECT,
        Flag.GOOD,
        Flag.GOOD,
        "spike",
    )
    assert result.review_id == row.id and summary.changed == 1
    assert (
        session.scalar(select(func.count()).select_from(ChangeMark)) == (marks or 0) + 1
    )
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.seq == row.ledger_seq)
    ).one()
    assert entry.kind == "qc.review" and entry.actor == "centre"
    # Every problem is named; nothing is written.
    with pytest.raises(ValidationError) as error:
        review(
            session=session,
            point=point,
            parameter=PM25,
            kind=DataKind.HOUR,
            start=spike,
            end=spike,
            action=ReviewAction.OVERRULE,
            flag=7,
            reason_code="other",
            comment=" ",
            reviewer="centre",
            now=NOW,
        )
    message = str(error.value)
    assert (
        "not after start" in message
        and "needs a comment" in message
        and "not 7" in message
    )
    with pytest.raises(ValidationError, match="no hour values"):
        review(
            session=session,
            point=point,
            parameter=PM25,
            kind=DataKind.HOUR,
            start=bj(2017, 1, 1),
            end=bj(2017, 1, 2),
            action=ReviewAction.CONFIRM,
            flag=None,
            reason_code="verified_valid",
            comment="",
            reviewer="centre",
            now=NOW,
        )


def test_a_reviewer_cannot_clear_a_device_fault_unless_saying_so(
    session: Session, registry: Registry
) -> None:
    add_hours(
        session, registry.station_a, PM25, DAY, {3: 35.0, 4: 36.0, 5: 37.0}, flag="D"
    )
    point = session.get(Point, registry.station_a)
    assert point is not None
    key = (registry.station_a, PM25, DataKind.HOUR, bj(2016, 3, 1, 4))
    for overrule_device, expected in ((False, Flag.FAIL), (True, Flag.GOOD)):
        review(
            session=session,
            point=point,
            parameter=PM25,
            kind=DataKind.HOUR,
            start=bj(2016, 3, 1, 3),
            end=bj(2016, 3, 1, 6),
            action=ReviewAction.OVERRULE,
            flag=int(Flag.GOOD),
            reason_code="verified_valid",
            comment="",
            reviewer="centre",
            now=NOW,
            overrule_device=overrule_device,
        )
        result = session.get(QcResult, key)
        assert result is not None
        session.refresh(result)
        assert (result.device_flag, result.flag) == (Flag.FAIL, expected)
    # QC reaching the reviewed values later keeps the review.
    LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    result = session.get(QcResult, key)
    assert result is not None
    session.refresh(result)
    assert result.auto_flag != 0 and result.flag == Flag.GOOD


def test_device_window_and_new_rules_requalify_keeping_old_verdicts(
    session: Session, registry: Registry
) -> None:
    add_hours(session, registry.station_a, PM25, DAY, SECOND)
    LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    point = session.get(Point, registry.station_a)
    assert point is not None
    window, summary = record_device_window(
        session=session,
        point=point,
        start=bj(2016, 3, 1, 8),
        end=bj(2016, 3, 1, 10),
        state="calibration",
        parameters=[PM25],
        note="季度校准",
        recorded_by="om",
        now=NOW,
    )
    assert summary.changed == 2 and summary.failed == 2
    verdicts = _verdicts(session, registry.station_a)
    assert verdicts[bj(2016, 3, 1, 8)] == (Flag.FAIL, Flag.FAIL, "device_windows")
    assert verdicts[bj(2016, 3, 1, 10)][1] == Flag.GOOD
    replaced = session.scalars(
        select(QcResultChange).order_by(QcResultChange.measured_at)
    ).all()
    assert [(r.measured_at, r.auto_flag, r.superseded_by) for r in replaced] == [
        (bj(2016, 3, 1, 8), Flag.GOOD, summary.run_id),
        (bj(2016, 3, 1, 9), Flag.GOOD, summary.run_id),
    ]
    with pytest.raises(ValidationError, match="unknown device state"):
        record_device_window(
            session=session,
            point=point,
            start=bj(2016, 3, 1),
            end=bj(2016, 3, 2),
            state="holiday",
            parameters=[],
            note="",
            recorded_by="om",
            now=NOW,
        )
    tight = parse_rules(
        'version: "tight-1"\nrules:\n  - parameter: a34004\n    checks:\n'
        "      - {check: gross_range, params: {fail_span: [null, 1000], suspect_span: [0, 40]}}\n"
    )
    summary = requalify(
        session=session,
        point_id=registry.station_a,
        start=bj(2016, 3, 1),
        end=None,
        rules=tight,
        actor="tester",
        now=NOW,
        reason="tighter plausible span",
    )
    # Above the tighter span: SUSPECT, except 08:00 and 09:00, FAIL in the window.
    above = sum(v > 40 for v in SECOND)
    assert (summary.suspect, summary.failed) == (above - 2, 2)
    assert summary.run_id is not None
    # The window's check is part of every rule set's run.
    assert _verdicts(session, registry.station_a)[bj(2016, 3, 1, 8)][1] == Flag.FAIL
    assert window.id is not None


def test_pm25_above_pm10_is_suspect_in_stored_qc(
    session: Session, registry: Registry
) -> None:
    pm10 = [60.0 + (h % 4) * 5 for h in range(24)]
    pm25 = [30.0 + (h % 5) * 3 for h in range(24)]
    pm25[12] = 95.0  # PM10 at 12:00 is 60: beyond 60 × 1.1 + 10
    pm25[13] = 72.0  # PM10 65: within the tolerance (65 × 1.1 + 10 = 81.5)
    add_hours(session, registry.station_a, PM10, DAY, pm10)
    add_hours(session, registry.station_a, PM25, DAY, pm25)
    LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    live = _verdicts(session, registry.station_a)
    assert live[bj(2016, 3, 1, 12)] == (Flag.SUSPECT, Flag.SUSPECT, "pm25_le_pm10")
    assert "pm25_le_pm10" not in live[bj(2016, 3, 1, 13)][2]
    again = requalify(
        session=session,
        point_id=registry.station_a,
        start=bj(2016, 3, 1),
        end=None,
        rules=None,
        actor="tester",
        now=NOW,
        reason="batch agrees",
        parameters=[PM25],
    )
    assert again.changed == 0 and _verdicts(session, registry.station_a) == live
