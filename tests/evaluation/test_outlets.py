"""Outlets: hourly means of valid minutes, O2 correction, amounts, permit exceedances.

Expected numbers are worked by hand from emissions.md: a valid hour needs ≥ 45 valid
minutes (flag N or none; D, C, M, F excluded); ρ = ρ'·(21 − 6)/(21 − φ') with the outlet's
reference O2 of 6 %; flue-gas amount [kg] = ρ' [mg/m³] · Q [m³/s] · 3600 [s] · 1e-6 [kg/mg]
(measured concentration, not corrected); wastewater amount [kg] = c [mg/L] · Q [L/s] ·
3.6 [m³/h per L/s] · 1e-3 [kg per g]; an hour exceeds when the compared value is above the
limit in force on its Beijing date, multiple = (value − limit)/limit.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from envmon.evaluation import flows
from tests.conftest import NOW
from tests.evaluation.conftest import (
    COD,
    GAS_FLOW,
    NOX,
    O2,
    SO2,
    WATER_FLOW,
    Registry,
    add_hours,
    add_minutes,
    aggregate,
    bj,
    exceedances,
)

pytestmark = pytest.mark.db

D1, D2 = date(2016, 3, 1), date(2016, 3, 2)

# Flue-gas hours (Beijing wall-clock start → UTC start):
H1 = bj(2016, 3, 1, 10)  # 2016-03-01T02:00Z: SO2 45 valid minutes of 60
H2 = bj(2016, 3, 1, 11)  # 2016-03-01T03:00Z: SO2 44 valid minutes → invalid
H5 = bj(2016, 3, 1, 23)  # 2016-03-01T15:00Z: last hour of 1 March (limit 100)
H3 = bj(2016, 3, 2, 0)  # 2016-03-01T16:00Z: first hour of 2 March (limit 50)
H4 = bj(2016, 3, 2, 1)  # 2016-03-01T17:00Z
# Wastewater hours.
W1, W2 = bj(2016, 3, 1, 10), bj(2016, 3, 1, 11)


def constant(
    value: float, minutes: int = 60, flag: str | None = "N"
) -> list[tuple[float | None, str | None]]:
    return [(value, flag)] * minutes


@pytest.fixture()
def flue_gas(session: Session, registry: Registry) -> flows.RecomputeSummary:
    """Minute data of DA001 over 1 and 2 March 2016, recomputed."""
    flue = registry.flue
    # H1: SO2 40 minutes N and 5 without flag at 80 (45 valid), plus 5 D, 5 C and 5 M
    # minutes at 1000 that must not count: mean 80, count 45.
    add_minutes(
        session,
        flue,
        SO2,
        H1,
        constant(80, 40)
        + constant(80, 5, None)
        + constant(1000, 5, "D")
        + constant(1000, 5, "C")
        + constant(1000, 5, "M"),
    )
    # H1: NOx 110 for 60 minutes (above the uncorrected NOx limit of 100).
    add_minutes(session, flue, NOX, H1, constant(110))
    # H2: SO2 44 valid minutes at 50, then 16 minutes flagged F (instrument stopped).
    add_minutes(session, flue, SO2, H2, constant(50, 44) + constant(50, 16, "F"))
    # H5, H3, H4: SO2 60 valid minutes at 60, 40 and 30.
    for start, value in ((H5, 60.0), (H3, 40.0), (H4, 30.0)):
        add_minutes(session, flue, SO2, start, constant(value))
    # O2 11 % and flow 10 m³/s in every hour.
    for start in (H1, H2, H5, H3, H4):
        add_minutes(session, flue, O2, start, constant(11))
        add_minutes(session, flue, GAS_FLOW, start, constant(10))
    return flows.recompute(session=session, first_day=D1, last_day=D2, now=NOW)


def test_45_valid_minutes_make_an_hour_44_do_not_and_flags_d_c_m_f_are_excluded(
    session: Session,
    registry: Registry,
    flue_gas: flows.RecomputeSummary,
) -> None:
    h1 = aggregate(session, registry.flue, SO2, "hour", H1)
    # 40 N + 5 unflagged minutes at 80 → mean 80 over 45 valid minutes; the 15 D/C/M
    # minutes at 1000 would give (45·80 + 15·1000)/60 = 310 if they counted.
    assert h1 is not None
    assert (h1["value"], h1["count"], h1["valid"]) == (pytest.approx(80.0), 45, True)
    h2 = aggregate(session, registry.flue, SO2, "hour", H2)
    # 44 valid minutes (the 16 F minutes excluded): below 45 → no value.
    assert h2 is not None
    assert (h2["value"], h2["count"], h2["valid"]) == (None, 44, False)
    assert h2["corrected_value"] is None and h2["amount"] is None
    assert h2["status"] == "provisional"


def test_o2_correction_to_the_reference_o2_and_hourly_emission_amounts(
    session: Session,
    registry: Registry,
    flue_gas: flows.RecomputeSummary,
) -> None:
    # Factor (21 − 6)/(21 − 11) = 15/10 = 1.5 in every hour (O2 11 %).
    # Amount = ρ' · 10 m³/s · 3600 s · 1e-6 = ρ' · 0.036 kg.
    expected = {
        H1: (80.0, 120.0, 2.88),  # 80 · 1.5 = 120; 80 · 0.036 = 2.88 kg
        H5: (60.0, 90.0, 2.16),  # 60 · 1.5 = 90; 60 · 0.036 = 2.16 kg
        H3: (40.0, 60.0, 1.44),
        H4: (30.0, 45.0, 1.08),
    }
    for start, (value, corrected, amount) in expected.items():
        row = aggregate(session, registry.flue, SO2, "hour", start)
        assert row is not None, start
        assert row["value"] == pytest.approx(value)
        assert row["corrected_value"] == pytest.approx(corrected)
        assert row["amount"] == pytest.approx(amount)
        assert (row["count"], row["valid"]) == (60 if start != H1 else 45, True)
    # NOx corrected the same way: 110 · 1.5 = 165; 110 · 0.036 = 3.96 kg.
    nox = aggregate(session, registry.flue, NOX, "hour", H1)
    assert nox is not None
    assert nox["corrected_value"] == pytest.approx(165.0)
    assert nox["amount"] == pytest.approx(3.96)
    # Operating parameters are averaged, never corrected; the flow row's amount is the
    # volume of the hour: 10 m³/s · 3600 s = 36 000 m³.
    oxygen = aggregate(session, registry.flue, O2, "hour", H1)
    assert oxygen is not None
    assert (oxygen["value"], oxygen["corrected_value"], oxygen["amount"]) == (
        pytest.approx(11.0),
        None,
        None,
    )
    flow = aggregate(session, registry.flue, GAS_FLOW, "hour", H1)
    assert flow is not None
    assert flow["value"] == pytest.approx(10.0) and flow["corrected_value"] is None
    assert flow["amount"] == pytest.approx(36_000.0)


def test_daily_amount_is_the_sum_of_the_valid_hours_and_the_mean_needs_20_hours(
    session: Session,
    registry: Registry,
    flue_gas: flows.RecomputeSummary,
) -> None:
    # 1 March: H1 2.88 + H5 2.16 = 5.04 kg (H2 is invalid and adds nothing); two valid
    # hours, below the 20 a daily mean needs.
    day1 = aggregate(session, registry.flue, SO2, "day", bj(2016, 3, 1))
    assert day1 is not None
    assert day1["amount"] == pytest.approx(5.04)
    assert (day1["value"], day1["corrected_value"], day1["count"], day1["valid"]) == (
        None,
        None,
        2,
        False,
    )
    # 2 March (starts 2016-03-01T16:00Z): H3 1.44 + H4 1.08 = 2.52 kg.
    day2 = aggregate(session, registry.flue, SO2, "day", bj(2016, 3, 2))
    assert day2 is not None
    assert day2["amount"] == pytest.approx(2.52)
    assert (day2["count"], day2["valid"]) == (2, False)
    # Flow: 1 March has three hours of 36 000 m³ (H1, H2, H5).
    flow = aggregate(session, registry.flue, GAS_FLOW, "day", bj(2016, 3, 1))
    assert flow is not None and flow["amount"] == pytest.approx(108_000.0)


def test_exceedances_use_the_limit_in_force_on_the_beijing_date_and_its_basis(
    session: Session,
    registry: Registry,
    flue_gas: flows.RecomputeSummary,
) -> None:
    # SO2 limits (corrected): 100 on 1 March, 50 from 2 March. Corrected hourly values:
    #   H1 120 > 100 → exceeds, (120 − 100)/100 = 0.2 (the measured 80 would not)
    #   H2 invalid → never judged
    #   H5 90 ≤ 100 → complies (23:00-24:00 on 1 March; 50 would have been exceeded)
    #   H3 60 > 50 → exceeds, (60 − 50)/50 = 0.2 (00:00 on 2 March = 16:00Z on 1 March:
    #      the Beijing date decides, under the UTC date the limit would be 100)
    #   H4 45 ≤ 50 → complies
    # NOx limit (measured basis) 100: H1 measured 110 → (110 − 100)/100 = 0.1, compared
    # on 110 and not on the corrected 165.
    rows = exceedances(session, registry.flue)
    assert [
        (r["parameter_code"], r["period_start"], r["limit_id"], r["corrected"])
        for r in rows
    ] == [
        (NOX, H1, registry.nox_limit, False),
        (SO2, H1, registry.so2_limit_march_1, True),
        (SO2, H3, registry.so2_limit_march_2, True),
    ]
    assert [r["value"] for r in rows] == pytest.approx([110.0, 120.0, 60.0])
    assert [r["limit_value"] for r in rows] == pytest.approx([100.0, 100.0, 50.0])
    assert [r["multiple"] for r in rows] == pytest.approx([0.1, 0.2, 0.2])
    assert {r["status"] for r in rows} == {"provisional"}
    assert flue_gas.exceedances == 3


def test_wastewater_amounts_from_the_flow_in_litres_per_second(
    session: Session, registry: Registry
) -> None:
    water = registry.water
    # W1: COD 50 mg/L over 45 valid minutes (the other 15 are missing), flow 20 L/s.
    add_minutes(session, water, COD, W1, constant(50, 45))
    add_minutes(session, water, WATER_FLOW, W1, constant(20))
    # W2: COD 30 mg/L, flow 10 L/s.
    add_minutes(session, water, COD, W2, constant(30))
    add_minutes(session, water, WATER_FLOW, W2, constant(10))
    flows.recompute(session=session, first_day=D1, last_day=D1, now=NOW)
    # 20 L/s · 3.6 = 72 m³ in the hour; 50 mg/L = 50 g/m³ → 72 · 50 g = 3.6 kg.
    w1 = aggregate(session, water, COD, "hour", W1)
    assert w1 is not None
    assert (w1["value"], w1["count"], w1["valid"]) == (pytest.approx(50.0), 45, True)
    assert w1["amount"] == pytest.approx(3.6)
    assert w1["corrected_value"] is None  # no O2 correction for wastewater
    # 10 L/s · 3.6 = 36 m³; 30 g/m³ · 36 m³ = 1.08 kg.
    w2 = aggregate(session, water, COD, "hour", W2)
    assert w2 is not None and w2["amount"] == pytest.approx(1.08)
    flow = aggregate(session, water, WATER_FLOW, "hour", W1)
    assert flow is not None and flow["amount"] == pytest.approx(72.0)
    # Daily: 3.6 + 1.08 = 4.68 kg of COD; 72 + 36 = 108 m³ of water.
    day_cod = aggregate(session, water, COD, "day", bj(2016, 3, 1))
    day_flow = aggregate(session, water, WATER_FLOW, "day", bj(2016, 3, 1))
    assert day_cod is not None and day_cod["amount"] == pytest.approx(4.68)
    assert day_flow is not None and day_flow["amount"] == pytest.approx(108.0)
    assert exceedances(session, water) == []


def test_a_daily_mean_of_20_valid_hours_with_its_corrected_mean_and_amount(
    session: Session, registry: Registry
) -> None:
    flue = registry.flue
    # 5 March: 20 hours (00:00-20:00) of 45 valid minutes each: SO2 40, O2 11 %, 10 m³/s;
    # the hour 20:00-21:00 has 44 valid SO2 minutes and does not count.
    for hour in range(21):
        start = bj(2016, 3, 5, hour)
        add_minutes(session, flue, SO2, start, constant(40, 45 if hour < 20 else 44))
        add_minutes(session, flue, O2, start, constant(11, 45))
        add_minutes(session, flue, GAS_FLOW, start, constant(10, 45))
    march_5 = date(2016, 3, 5)
    flows.recompute(session=session, first_day=march_5, last_day=march_5, now=NOW)
    # Daily mean 40 over 20 valid hours; corrected 40 · 15/10 = 60; amount
    # 20 h · 40 mg/m³ · 36 000 m³/h · 1e-6 = 28.8 kg.
    day = aggregate(session, flue, SO2, "day", bj(2016, 3, 5))
    assert day is not None
    assert (day["value"], day["corrected_value"], day["amount"]) == (
        pytest.approx(40.0),
        pytest.approx(60.0),
        pytest.approx(28.8),
    )
    assert (day["count"], day["valid"]) == (20, True)
    # Each valid hour: corrected 60 > 50 (the limit since 2 March) → 20 exceedances of
    # (60 − 50)/50 = 0.2; the invalid 21st hour is not judged.
    rows = exceedances(session, flue)
    assert [r["period_start"] for r in rows] == [
        bj(2016, 3, 5, hour) for hour in range(20)
    ]
    assert {r["limit_id"] for r in rows} == {registry.so2_limit_march_2}
    assert [r["multiple"] for r in rows] == pytest.approx([0.2] * 20)


def test_reported_hourly_values_are_corrected_charged_and_judged(
    session: Session, registry: Registry
) -> None:
    # Outlets may also send hourly values (HJ 212 CN 2061); they skip the minute
    # grouping, so this test holds on every backend.
    flue, water = registry.flue, registry.water
    for code, value in ((SO2, 60.0), (NOX, 110.0), (O2, 11.0), (GAS_FLOW, 10.0)):
        add_hours(session, flue, code, D1, {23: value})
    for code, value in ((SO2, 40.0), (O2, 11.0), (GAS_FLOW, 10.0)):
        add_hours(session, flue, code, D2, {0: value})
    # 2 March 01:00: SO2 500 flagged D (fault) → invalid, never judged.
    add_hours(session, flue, SO2, D2, {1: 500.0}, flag="D")
    add_hours(session, flue, O2, D2, {1: 11.0})
    add_hours(session, water, COD, D1, {10: 50.0})
    add_hours(session, water, WATER_FLOW, D1, {10: 20.0})
    flows.recompute(session=session, first_day=D1, last_day=D2, now=NOW)

    # H5 (1 March 23:00): 60 · 15/10 = 90 corrected, 60 · 36 000 · 1e-6 = 2.16 kg;
    # NOx 110 → 165 corrected, 3.96 kg.
    so2 = aggregate(session, flue, SO2, "hour", H5)
    assert so2 is not None
    assert (so2["value"], so2["corrected_value"], so2["amount"], so2["count"]) == (
        pytest.approx(60.0),
        pytest.approx(90.0),
        pytest.approx(2.16),
        1,
    )
    nox = aggregate(session, flue, NOX, "hour", H5)
    assert nox is not None
    assert (nox["corrected_value"], nox["amount"]) == (
        pytest.approx(165.0),
        pytest.approx(3.96),
    )
    assert aggregate(session, flue, SO2, "hour", H4) is None  # the D-flagged hour
    # Exceedances: SO2 90 ≤ 100 on 1 March complies; SO2 60 > 50 on 2 March 00:00
    # (16:00Z on 1 March) → 0.2; NOx measured 110 > 100 → 0.1 (not the corrected 165);
    # the D-flagged 500 is not judged.
    rows = exceedances(session, flue)
    assert [(r["parameter_code"], r["period_start"], r["limit_id"]) for r in rows] == [
        (NOX, H5, registry.nox_limit),
        (SO2, H3, registry.so2_limit_march_2),
    ]
    assert [(r["value"], r["multiple"]) for r in rows] == [
        (pytest.approx(110.0), pytest.approx(0.1)),
        (pytest.approx(60.0), pytest.approx(0.2)),
    ]
    assert [r["corrected"] for r in rows] == [False, True]
    # Wastewater: 50 mg/L · 20 L/s · 3.6 · 1e-3 = 3.6 kg.
    cod = aggregate(session, water, COD, "hour", W1)
    assert cod is not None and cod["amount"] == pytest.approx(3.6)
