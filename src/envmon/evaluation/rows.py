"""Derived values as table rows: aggregates and AQI values, with their status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from envmon.evaluation.air import AqiBlock
from envmon.evaluation.models import Period, ResultStatus, SubjectKind
from envmon.timeutil import to_beijing

__all__ = ["aggregate_rows", "aqi_value_rows", "nullable", "period_statuses"]


def period_statuses(starts: list[datetime], finalized: set[date]) -> list[str]:
    statuses: list[str] = []
    for at in starts:
        month = to_beijing(at).date().replace(day=1)
        statuses.append(
            ResultStatus.REVISED if month in finalized else ResultStatus.PROVISIONAL
        )
    return statuses


def aggregate_rows(
    point_ids: list[int],
    code: str,
    period: Period,
    values: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    valid: npt.NDArray[np.bool_],
    starts: list[datetime],
    statuses: list[str],
    now: datetime,
    corrected: npt.NDArray[np.float64] | None = None,
    amounts: npt.NDArray[np.float64] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows for every (series, column) that saw any data."""
    rows_at, cols_at = np.nonzero((counts > 0) | ~np.isnan(values))
    value_list = nullable(values[rows_at, cols_at])
    corrected_list = (
        [None] * len(rows_at)
        if corrected is None
        else nullable(corrected[rows_at, cols_at])
    )
    amount_list = (
        [None] * len(rows_at)
        if amounts is None
        else nullable(amounts[rows_at, cols_at])
    )
    count_list = counts[rows_at, cols_at].tolist()
    valid_list = valid[rows_at, cols_at].tolist()
    return [
        (
            point_ids[r],
            code,
            period.value,
            starts[c],
            v,
            cv,
            a,
            n,
            ok,
            statuses[c],
            now,
        )
        for r, c, v, cv, a, n, ok in zip(
            rows_at.tolist(),
            cols_at.tolist(),
            value_list,
            corrected_list,
            amount_list,
            count_list,
            valid_list,
            strict=True,
        )
    ]


def nullable(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]  # NaN → NULL


def aqi_value_rows(
    kind: SubjectKind,
    subject_ids: list[int],
    blocks: list[AqiBlock],
    starts: list[datetime],
    statuses: list[str],
    station_counts: npt.NDArray[np.int64] | None,
    now: datetime,
    present: npt.NDArray[np.bool_] | None = None,
) -> list[tuple[Any, ...]]:
    """AQI rows of each subject and column of ``blocks``; with ``present``, only where it
    is true (a real-time AQI needs the hour's own data: moving means alone carry on for
    hours after a station falls silent)."""
    rows: list[tuple[Any, ...]] = []
    for block in blocks:
        result = block.result
        names = list(result.iaqi)
        iaqi = {n: result.iaqi[n] for n in names}
        inputs = {n: block.inputs[n] for n in names if n in block.inputs}
        for i, subject in enumerate(subject_ids):
            for offset in range(block.last - block.first):
                column = block.first + offset
                if present is not None and not present[i, column]:
                    continue
                aqi = result.aqi[i, offset]
                values = {n: iaqi[n][i, offset] for n in names}
                if aqi != aqi and all(v != v for v in values.values()):
                    continue  # nothing to evaluate in this period
                known = {n: int(v) for n, v in values.items() if v == v}
                primary = (
                    sorted(n for n, v in known.items() if v == aqi)
                    if aqi == aqi and aqi > 50
                    else []
                )
                rows.append(
                    (
                        kind.value,
                        subject,
                        block.mode.value,
                        starts[column],
                        result.standard.value,
                        None if aqi != aqi else int(aqi),
                        None if aqi != aqi else int(result.level[i, offset]),
                        ",".join(primary),
                        known,
                        {
                            n: round(float(v[i, offset]), 4)
                            for n, v in inputs.items()
                            if v[i, offset] == v[i, offset]
                        },
                        1 if station_counts is None else int(station_counts[i, column]),
                        bool(result.publishable[i, offset]),
                        statuses[column],
                        now,
                    )
                )
    return rows
