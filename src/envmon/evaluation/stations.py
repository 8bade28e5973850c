"""Air stations and their regions: the aggregate and AQI rows of a recomputation.

A region (county or city) is treated like a station whose hourly series is the mean of its
stations' valid hourly values, and whose daily 24-h means are the mean of their valid daily
means (HJ 663 city scale; HJ 633: the AQI comes from averaged concentrations, never from
averaged AQIs). Its O3 8-h moving means and MDA8 come from the averaged hourly series — the
common practice aqi.md reports; whether HJ 663 averages the stations' MDA8 instead is an
open item.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from envmon.evaluation.air import AIR_CODES, AirIndicators, air_indicators, aqi_blocks
from envmon.evaluation.grid import HourGrid
from envmon.evaluation.models import Period, SubjectKind
from envmon.evaluation.rows import aggregate_rows, aqi_value_rows, period_statuses
from envmon.indices import aggregation
from envmon.indices.aqi import AqiMode, AqiStandard

__all__ = ["evaluate_air"]


def _air_matrix(
    grid: HourGrid, point_ids: list[int], code: str
) -> npt.NDArray[np.float64]:
    index = grid.index
    matrix = np.full((len(point_ids), grid.hours), np.nan)
    for i, point_id in enumerate(point_ids):
        row = index.get((point_id, code))
        if row is not None:
            matrix[i] = grid.values[row]
    return matrix


_AGGREGATE_PERIODS: Final = {
    "so2_24h": Period.MOVING_24H,
    "pm10_24h": Period.MOVING_24H,
    "pm25_24h": Period.MOVING_24H,
    "o3_8h": Period.MOVING_8H,
}


def _air_aggregate_rows(
    stations: list[int],
    indicators: AirIndicators,
    hour_list: list[datetime],
    day_list: list[datetime],
    statuses_h: list[str],
    statuses_d: list[str],
    now: datetime,
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    hours, days = hour_list[24:], day_list[1:]
    for name, period in _AGGREGATE_PERIODS.items():
        values = indicators.hourly[name][:, 24:]
        counts = indicators.hourly_counts[name][:, 24:]
        rows += aggregate_rows(
            stations,
            AIR_CODES[name.split("_")[0]],
            period,
            values,
            counts,
            ~np.isnan(values),
            hours,
            statuses_h,
            now,
        )
    for name, period in (
        ("o3_8h_max", Period.DAILY_MAX_8H),
        ("o3_1h_max", Period.DAILY_MAX_1H),
    ):
        values = indicators.daily[name][:, 1:]
        counts = indicators.daily_counts[name][:, 1:]
        rows += aggregate_rows(
            stations,
            AIR_CODES["o3"],
            period,
            values,
            counts,
            ~np.isnan(values),
            days,
            statuses_d,
            now,
        )
    return rows


def _any_present(hourly: dict[str, npt.NDArray[np.float64]]) -> npt.NDArray[np.bool_]:
    stacked = np.stack(list(hourly.values()))
    return np.asarray((~np.isnan(stacked)).any(axis=0))


def evaluate_air(
    grid: HourGrid,
    ids: list[int],
    regions: dict[int, list[int]],
    hour_list: list[datetime],
    day_list: list[datetime],
    finalized: set[date],
    now: datetime,
    standard: AqiStandard | None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Aggregate rows and AQI rows of the air stations and their regions."""
    hourly = {p: _air_matrix(grid, ids, code) for p, code in AIR_CODES.items()}
    indicators = air_indicators(hourly)
    statuses_h, statuses_d = (
        period_statuses(hour_list, finalized),
        period_statuses(day_list, finalized),
    )
    aggregates = _air_aggregate_rows(
        ids, indicators, hour_list, day_list, statuses_h[24:], statuses_d[1:], now
    )
    aqi_rows: list[tuple[Any, ...]] = []
    for mode, starts, statuses, first in (
        (AqiMode.HOURLY, hour_list, statuses_h, 24),
        (AqiMode.DAILY, day_list, statuses_d, 1),
    ):
        blocks = aqi_blocks(
            indicators, mode=mode, starts=starts, first=first, standard=standard
        )
        present = _any_present(hourly) if mode == AqiMode.HOURLY else None
        aqi_rows += aqi_value_rows(
            SubjectKind.POINT, ids, blocks, starts, statuses, None, now, present
        )
    if regions:
        position = {point_id: i for i, point_id in enumerate(ids)}
        region_ids = sorted(regions)
        region_hourly: dict[str, npt.NDArray[np.float64]] = {}
        region_daily: dict[str, npt.NDArray[np.float64]] = {}
        counts_h = counts_d = np.zeros((0, 0), dtype=np.int64)
        for pollutant, matrix in hourly.items():
            daily = indicators.daily[f"{pollutant}_24h"]
            means_h, means_d = [], []
            sites_h, sites_d = [], []
            for region_id in region_ids:
                rows = [position[m] for m in regions[region_id]]
                city_h = aggregation.city_mean(matrix[rows])
                city_d = aggregation.city_mean(daily[rows])
                means_h.append(city_h.values)
                means_d.append(city_d.values)
                sites_h.append(city_h.site_count)
                sites_d.append(city_d.site_count)
            region_hourly[pollutant] = np.vstack(means_h)
            region_daily[pollutant] = np.vstack(means_d)
            # A region's station count: the most stations any pollutant averaged.
            counts_h = (
                np.maximum(counts_h, np.vstack(sites_h))
                if counts_h.size
                else np.vstack(sites_h)
            )
            counts_d = (
                np.maximum(counts_d, np.vstack(sites_d))
                if counts_d.size
                else np.vstack(sites_d)
            )
        region_indicators = air_indicators(region_hourly, daily_means=region_daily)
        for mode, starts, statuses, first, counts in (
            (AqiMode.HOURLY, hour_list, statuses_h, 24, counts_h),
            (AqiMode.DAILY, day_list, statuses_d, 1, counts_d),
        ):
            blocks = aqi_blocks(
                region_indicators,
                mode=mode,
                starts=starts,
                first=first,
                standard=standard,
            )
            present = counts_h > 0 if mode == AqiMode.HOURLY else None
            aqi_rows += aqi_value_rows(
                SubjectKind.REGION,
                region_ids,
                blocks,
                starts,
                statuses,
                counts,
                now,
                present,
            )
    return aggregates, aqi_rows
