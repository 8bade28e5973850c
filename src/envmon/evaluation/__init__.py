"""Evaluation: measurements turned into the numbers the standards define.

Aggregates with the validity rules of GB 3095-2012/-2026 and HJ 663 (ambient air) and
HJ 75-2017 (flue gas), AQI under HJ 633-2012 and HJ 633-2026 for stations, counties and
cities, permit exceedances, recomputation when late or revised data arrive, and the
provisional → final life of every derived value. The arithmetic lives in the pure
``envmon.indices`` package; this package reads, recomputes and stores.
"""

from envmon.evaluation.models import (
    Aggregate,
    AqiValue,
    Exceedance,
    Finalization,
    Period,
    ResultStatus,
    SubjectKind,
)

__all__ = [
    "Aggregate",
    "AqiValue",
    "Exceedance",
    "Finalization",
    "Period",
    "ResultStatus",
    "SubjectKind",
]
