"""Recomputation from change marks, month finalisation, and the ledger's record of runs.

Late data must rewrite the derived rows of the point's day (and the moving windows of the
day after), the county and city built from it, and nothing else; the marks are consumed.
A finalised month's rows become final, and a later recomputation of it writes revised rows.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.errors import EnvmonError
from envmon.evaluation import flows
from envmon.evaluation.models import Aggregate, AqiValue, Exceedance, Finalization
from tests.evaluation.conftest import (
    GAS_FLOW,
    O2,
    PM25,
    SO2,
    Registry,
    add_hours,
    aggregate,
    aqi_value,
    bj,
    exceedances,
    ledger_entries,
    mark_count,
    snapshot,
)

pytestmark = pytest.mark.db

T1 = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
T3 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
T4 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
MARCH_1, MARCH_10 = date(2016, 3, 1), date(2016, 3, 10)
RECOMPUTE = "evaluation.recompute"


def without_time(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row[:-1]  # every snapshot row ends with computed_at


def subject(key: tuple[Any, ...]) -> tuple[str, int]:
    """("point" | "region", id) of a snapshot key."""
    if key[0] == "aqi":
        return (str(key[1]), key[2])
    return ("point", key[1])


def test_late_data_rewrites_only_its_station_day_and_regions_and_consumes_marks(
    session: Session, registry: Registry
) -> None:
    a, b = registry.station_a, registry.station_b
    # A: PM2.5 100 in 23 hours of 1 March, the hour 12:00-13:00 missing; 50 on 10 March.
    add_hours(session, a, PM25, MARCH_1, {h: 100.0 for h in range(24) if h != 12})
    add_hours(session, a, PM25, MARCH_10, [50.0] * 3)
    # B: PM2.5 30 in every hour of 1 March.
    add_hours(session, b, PM25, MARCH_1, [30.0] * 24)
    # The flue-gas outlet: one reported hour on 1 March (O2-corrected 80·1.5 = 120).
    for code, value in ((SO2, 80.0), (O2, 11.0), (GAS_FLOW, 10.0)):
        add_hours(session, registry.flue, code, MARCH_1, {10: value})
    # Six batches wrote six marks; they name 4 distinct (point, Beijing day) pairs:
    # (A, 1 Mar), (A, 10 Mar), (B, 1 Mar), (flue, 1 Mar), in two ranges of days → two
    # recompute runs. ``marks`` counts the distinct pairs.
    assert mark_count(session) == 6
    first = flows.process_changes(session=session, now=T1)
    assert (first.marks, first.runs) == (4, 2)
    assert mark_count(session) == 0
    assert len(ledger_entries(session, RECOMPUTE)) == 2
    # A: mean 100 over 23 hours: (100 − 75)·50/40 + 100 = 131.25 → 132.
    # City: (100 + 30)/2 = 65: (65 − 35)·50/40 + 50 = 87.5 → 88.
    day = bj(2016, 3, 1)
    daily_a = aqi_value(session, "point", a, "daily", day)
    city = aqi_value(session, "region", registry.city, "daily", day)
    assert daily_a is not None and daily_a["aqi"] == 132
    assert city is not None and city["aqi"] == 88
    corrected = aggregate(session, registry.flue, SO2, "hour", bj(2016, 3, 1, 10))
    assert corrected is not None
    assert corrected["corrected_value"] == pytest.approx(120.0)
    before = snapshot(session)

    # The missing hour arrives late: 148.
    add_hours(session, a, PM25, MARCH_1, {12: 148.0})
    assert mark_count(session) == 1
    late = flows.process_changes(session=session, now=T2)
    assert (late.marks, late.runs) == (1, 1)
    assert mark_count(session) == 0
    after = snapshot(session)

    # A: (23·100 + 148)/24 = 102 over 24 hours: (102 − 75)·50/40 + 100 = 133.75 → 134.
    pm = aggregate(session, a, PM25, "day", day)
    assert pm is not None
    assert (pm["value"], pm["count"], pm["computed_at"]) == (
        pytest.approx(102.0),
        24,
        T2,
    )
    daily_a = aqi_value(session, "point", a, "daily", day)
    assert daily_a is not None and daily_a["aqi"] == 134
    # City: (102 + 30)/2 = 66: (66 − 35)·50/40 + 50 = 88.75 → 89. County 110105 is A.
    city = aqi_value(session, "region", registry.city, "daily", day)
    assert city is not None
    assert city["concentrations"] == pytest.approx({"pm25_24h": 66.0})
    assert (city["aqi"], city["stations"]) == (89, 2)
    county = aqi_value(session, "region", registry.county_a, "daily", day)
    assert county is not None and county["aqi"] == 134

    # What changed in value belongs to A, its county or the city, on 1-2 March only.
    allowed = {
        ("point", a),
        ("region", registry.city),
        ("region", registry.county_a),
    }
    changed = {
        key
        for key in before.keys() | after.keys()
        if key not in before
        or key not in after
        or without_time(before[key]) != without_time(after[key])
    }
    assert ("aggregate", a, PM25, "day", day) in changed
    assert ("aqi", "region", registry.city, "daily", day) in changed
    assert {subject(key) for key in changed} <= allowed
    window = (bj(2016, 3, 1), bj(2016, 3, 3))
    assert all(window[0] <= key[-1] < window[1] for key in changed)
    # Rows rewritten (computed at T2) are air rows of 1-2 March; the outlet's rows and
    # A's rows of 10 March were left alone.
    rewritten = {key for key, row in after.items() if row[-1] == T2}
    assert all(window[0] <= key[-1] < window[1] for key in rewritten)
    assert ("point", registry.flue) not in {subject(key) for key in rewritten}
    untouched = {
        key: row
        for key, row in before.items()
        if subject(key) == ("point", registry.flue) or key[-1] >= bj(2016, 3, 10)
    }
    assert untouched, "the outlet and 10 March have rows"
    assert all(after[key] == row for key, row in untouched.items())
    # B and its county kept their values.
    for key, row in before.items():
        if subject(key) in {("point", b), ("region", registry.county_b)}:
            assert without_time(after[key]) == without_time(row), key
    assert len(ledger_entries(session, RECOMPUTE)) == 3

    # Nothing left to do: no run, no ledger entry, no row touched.
    idle = flows.process_changes(session=session, now=T3)
    assert (idle.marks, idle.runs, idle.aggregates, idle.aqi_values) == (0, 0, 0, 0)
    assert snapshot(session) == after
    assert len(ledger_entries(session, RECOMPUTE)) == 3

    # A late outlet hour (11:00, SO2 30 at O2 11 % → 45) rewrites the outlet's rows only.
    for code, value in ((SO2, 30.0), (O2, 11.0), (GAS_FLOW, 10.0)):
        add_hours(session, registry.flue, code, MARCH_1, {11: value})
    outlet_late = flows.process_changes(session=session, now=T4)
    assert outlet_late.marks == 1 and mark_count(session) == 0
    final = snapshot(session)
    assert {subject(k) for k, row in final.items() if row[-1] == T4} == {
        ("point", registry.flue)
    }
    assert {
        k: r for k, r in final.items() if subject(k) != ("point", registry.flue)
    } == {k: r for k, r in after.items() if subject(k) != ("point", registry.flue)}
    eleven = aggregate(session, registry.flue, SO2, "hour", bj(2016, 3, 1, 11))
    assert eleven is not None
    assert eleven["corrected_value"] == pytest.approx(45.0)
    assert len(ledger_entries(session, RECOMPUTE)) == 4


def test_finalized_month_rows_become_final_and_a_recompute_writes_revised(
    session: Session, registry: Registry
) -> None:
    a, flue = registry.station_a, registry.flue
    march_31 = date(2016, 3, 31)
    add_hours(session, a, PM25, march_31, [100.0] * 24)
    add_hours(session, a, PM25, date(2016, 4, 1), [100.0] * 2)
    # The outlet: SO2 80 at O2 11 % → corrected 80·15/10 = 120 > 50 in the hour 10:00 of
    # 31 March and in the hour 00:00 of 1 April (16:00Z on 31 March): two exceedances.
    for code, value in ((SO2, 80.0), (O2, 11.0)):
        add_hours(session, flue, code, march_31, {10: value})
        add_hours(session, flue, code, date(2016, 4, 1), {0: value})
    flows.recompute(session=session, first_day=march_31, last_day=march_31, now=T1)
    april = bj(2016, 4, 1)  # 2016-03-31T16:00Z: April in Beijing, March in UTC

    def statuses() -> list[tuple[str, str]]:
        """(Beijing month, status) of every aggregate, AQI and exceedance row."""
        return [
            ("march" if start < april else "april", str(status))
            for model in (Aggregate, AqiValue, Exceedance)
            for start, status in session.execute(
                select(model.period_start, model.status)
            )
        ]

    provisional = statuses()
    assert {s for _, s in provisional} == {"provisional"}
    march_rows = sum(1 for month, _ in provisional if month == "march")
    assert 0 < march_rows < len(provisional)

    changed = flows.finalize_month(
        session=session, month=date(2016, 3, 1), actor="auditor", now=T2
    )
    assert changed == march_rows
    final = statuses()
    assert {s for m, s in final if m == "march"} == {"final"}
    assert {s for m, s in final if m == "april"} == {"provisional"}
    # The last hour of March (23:00-24:00 Beijing, 15:00Z) is final; 00:00-01:00 on
    # 1 April (16:00Z on 31 March) is not.
    last = aggregate(session, a, PM25, "hour", bj(2016, 3, 31, 23))
    first_april = aggregate(session, a, PM25, "hour", april)
    assert last is not None and last["status"] == "final"
    assert first_april is not None and first_april["status"] == "provisional"
    assert [(r["period_start"], r["status"]) for r in exceedances(session, flue)] == [
        (bj(2016, 3, 31, 10), "final"),
        (april, "provisional"),
    ]
    assert session.get(Finalization, date(2016, 3, 1)) is not None
    finalize = ledger_entries(session, "evaluation.finalize")
    assert [(e.subject, e.actor) for e in finalize] == [("month:2016-03", "auditor")]

    # Recomputing the finalised month writes revised rows; April stays provisional.
    flows.recompute(session=session, first_day=march_31, last_day=march_31, now=T3)
    revised = statuses()
    assert {s for m, s in revised if m == "march"} == {"revised"}
    assert {s for m, s in revised if m == "april"} == {"provisional"}
    daily = aqi_value(session, "point", a, "daily", bj(2016, 3, 31))
    assert daily is not None and daily["status"] == "revised"
    assert [r["status"] for r in exceedances(session, flue)] == [
        "revised",
        "provisional",
    ]

    with pytest.raises((ValueError, EnvmonError), match="already final"):
        flows.finalize_month(
            session=session, month=date(2016, 3, 15), actor="auditor", now=T3
        )


def test_every_recompute_call_leaves_one_ledger_entry(
    session: Session, registry: Registry
) -> None:
    add_hours(session, registry.station_a, PM25, MARCH_1, [100.0] * 24)
    assert ledger_entries(session, RECOMPUTE) == []
    one = flows.recompute(session=session, first_day=MARCH_1, last_day=MARCH_1, now=T1)
    entries = ledger_entries(session, RECOMPUTE)
    assert [(e.subject, e.actor) for e in entries] == [
        ("days:2016-03-01/2016-03-01", "system")
    ]
    payload = json.loads(entries[0].payload)
    assert payload["standard"] == "auto"
    assert (payload["aggregates"], payload["aqi_values"], payload["runs"]) == (
        one.aggregates,
        one.aqi_values,
        1,
    )
    assert one.aggregates > 0 and one.aqi_values > 0
    # 46 days are computed in two steps (at most 31 days each): still one entry.
    long = flows.recompute(
        session=session,
        first_day=date(2016, 1, 1),
        last_day=date(2016, 2, 15),
        now=T2,
        actor="operator",
    )
    assert long.runs == 2
    entries = ledger_entries(session, RECOMPUTE)
    assert [(e.subject, e.actor) for e in entries] == [
        ("days:2016-03-01/2016-03-01", "system"),
        ("days:2016-01-01/2016-02-15", "operator"),
    ]
    assert json.loads(entries[1].payload)["runs"] == 2
