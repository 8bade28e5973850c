"""Measurements as received, by point, parameter, kind (realtime/minute/hour/day) and time.

Raw values are immutable (append-only table); QC flags, validated values, aggregates and
indices (HJ 633, GB 3838, HJ 75/76, GB 3096) are derived layers added by later work.
"""

from envmon.measurements.models import DataKind, Measurement

__all__ = ["DataKind", "Measurement"]
