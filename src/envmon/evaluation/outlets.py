"""Outlets' derived values: oxygen-corrected hourly and daily means, amounts, exceedances.

Flue gas (HJ 75-2017): hourly means of valid minutes (see :mod:`envmon.evaluation.grid`),
corrected to the outlet's reference O2 (GB 13223/13271 formula), emission rate from the
flow, daily means of ≥ 20 valid hours, daily amounts summed over valid hours. Wastewater:
hourly and daily means and discharge amounts from the flow. Every valid hourly value is
compared with the permit limit in force on that hour's Beijing date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from envmon.evaluation.grid import HourGrid
from envmon.evaluation.models import Period
from envmon.evaluation.rows import aggregate_rows
from envmon.indices import aggregation, cems
from envmon.registry.models import PermitLimit
from envmon.timeutil import to_beijing

__all__ = ["OXYGEN", "FLOW_TO_M3_PER_HOUR", "OutletRows", "outlet_rows"]

FloatArray = npt.NDArray[np.float64]

OXYGEN: Final = "a19001"
"""Flue-gas O2 content [%] (HJ 212-2017 Appendix B)."""

FLOW_TO_M3_PER_HOUR: Final = {"a00000": 3600.0, "w00000": 3.6}
"""Flow codes and the factor to m³/h: flue gas m³/s, wastewater L/s (catalogue units)."""

NOT_POLLUTANTS: Final = frozenset(
    {OXYGEN, "a01011", "a01012", "a01013", "a01014", "a01017", "w01001", "w01010"}
    | set(FLOW_TO_M3_PER_HOUR)
)
"""Operating parameters (O2, velocity, temperature, pressure, humidity, pH, water
temperature, flows): averaged, never corrected or turned into amounts."""


@dataclass
class OutletRows:
    """Aggregate and exceedance rows of a run's outlets, and the series they covered."""

    aggregates: list[tuple[Any, ...]] = field(default_factory=list)
    exceedances: list[tuple[Any, ...]] = field(default_factory=list)
    series: set[tuple[int, str]] = field(default_factory=set)


def _rows(
    point_id: int,
    code: str,
    period: Period,
    values: FloatArray,
    counts: npt.NDArray[np.int64],
    corrected: FloatArray | None,
    amounts: FloatArray | None,
    starts: Sequence[datetime],
    statuses: Sequence[str],
    now: datetime,
) -> list[tuple[Any, ...]]:
    """Rows of one series: :func:`aggregate_rows` on a one-row grid."""
    return aggregate_rows(
        [point_id],
        code,
        period,
        values[None, :],
        counts[None, :],
        ~np.isnan(values)[None, :],
        list(starts),
        list(statuses),
        now,
        corrected=None if corrected is None else corrected[None, :],
        amounts=None if amounts is None else amounts[None, :],
    )


def _daily_sum(hourly: FloatArray) -> FloatArray:
    blocks = hourly.reshape(-1, 24)
    valid = ~np.isnan(blocks)
    total = np.where(valid, blocks, 0.0).sum(axis=1)
    return np.where(valid.any(axis=1), total, np.nan)


def _exceedance_rows(
    point_id: int,
    code: str,
    measured: FloatArray,
    corrected: FloatArray | None,
    limits: Sequence[PermitLimit],
    hour_days: Sequence[date],
    starts: Sequence[datetime],
    statuses: Sequence[str],
    now: datetime,
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for limit in limits:
        compared = corrected if limit.corrected and corrected is not None else measured
        if limit.corrected and corrected is None:
            continue  # no O2 or reference O2: a corrected limit cannot be judged
        in_force = np.array(
            [
                limit.effective_from <= day
                and (limit.effective_to is None or day <= limit.effective_to)
                for day in hour_days
            ]
        )
        result = cems.exceedance(compared, limit.value, limit.lower_value)
        for c in np.nonzero(result.exceeds & in_force)[0].tolist():
            rows.append(
                (
                    point_id,
                    code,
                    starts[c],
                    float(compared[c]),
                    limit.value,
                    limit.lower_value,
                    float(result.multiple[c]),
                    bool(limit.corrected),
                    limit.id,
                    statuses[c],
                    now,
                )
            )
    return rows


def outlet_rows(
    *,
    grid: HourGrid,
    outlets: Mapping[int, tuple[str | None, float | None]],
    limits: Sequence[PermitLimit],
    day_starts: Sequence[datetime],
    statuses_h: Sequence[str],
    statuses_d: Sequence[str],
    now: datetime,
) -> OutletRows:
    """Rows for the outlets' series in ``grid`` (its first day is lead-in, not written).

    ``outlets`` maps an outlet id to (outlet kind, reference O2 [%] or None).
    """
    result = OutletRows()
    by_outlet: dict[int, dict[str, int]] = defaultdict(dict)
    for row, (point_id, code) in enumerate(grid.keys):
        if point_id in outlets:
            by_outlet[point_id][code] = row
    limits_of: dict[tuple[int, str], list[PermitLimit]] = defaultdict(list)
    for limit in limits:
        limits_of[(limit.outlet_id, limit.parameter_code)].append(limit)
    hour_starts = [grid.start + timedelta(hours=h) for h in range(grid.hours)]
    hour_days = [to_beijing(at).date() for at in hour_starts]
    for point_id, rows in by_outlet.items():
        kind, reference_o2 = outlets[point_id]
        oxygen = grid.values[rows[OXYGEN]] if OXYGEN in rows else None
        flow_code = next((c for c in FLOW_TO_M3_PER_HOUR if c in rows), None)
        flow = (
            grid.values[rows[flow_code]] * FLOW_TO_M3_PER_HOUR[flow_code]
            if flow_code is not None
            else None
        )
        for code, row in rows.items():
            values, counts = grid.values[row], grid.counts[row]
            corrected = amounts = None
            if code not in NOT_POLLUTANTS:
                if (
                    kind == "flue_gas"
                    and oxygen is not None
                    and reference_o2 is not None
                ):
                    corrected = cems.oxygen_corrected(values, oxygen, reference_o2)
                if flow is not None:
                    amounts = (
                        cems.emission_rate(values, flow)
                        if kind == "flue_gas"
                        else cems.discharge_amount(values, flow)
                    )  # kg in the hour (g for µg/L parameters)
            elif code == flow_code and flow is not None:
                amounts = flow  # m³ in the hour
            daily = aggregation.daily_means(values)
            daily_corrected = (
                None if corrected is None else aggregation.daily_means(corrected).values
            )
            daily_amounts = None if amounts is None else _daily_sum(amounts)
            result.aggregates += _rows(
                point_id,
                code,
                Period.HOUR,
                values[24:],
                counts[24:],
                None if corrected is None else corrected[24:],
                None if amounts is None else amounts[24:],
                hour_starts[24:],
                statuses_h[24:],
                now,
            )
            result.aggregates += _rows(
                point_id,
                code,
                Period.DAY,
                daily.values[1:],
                daily.valid_hours[1:],
                None if daily_corrected is None else daily_corrected[1:],
                None if daily_amounts is None else daily_amounts[1:],
                day_starts[1:],
                statuses_d[1:],
                now,
            )
            result.exceedances += _exceedance_rows(
                point_id,
                code,
                values[24:],
                None if corrected is None else corrected[24:],
                limits_of.get((point_id, code), []),
                hour_days[24:],
                hour_starts[24:],
                statuses_h[24:],
                now,
            )
            result.series.add((point_id, code))
    return result
