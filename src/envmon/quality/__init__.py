"""Quality control (质控) of monitoring data: flags, checks, history. Pure core.

Implements the QARTOD flag scheme (GOOD 1, UNKNOWN 2, SUSPECT 3, FAIL 4, MISSING 9) and
its checks as pure numpy functions, translates HJ 212-2017 / HJ/T 212-2005 device data
flags (N F M S D C T B; P, air 0–3) into QC flags, and records which check flagged each
value with which parameters in an append-only, SaQC-style :class:`History`.

Modules: ``flags`` (flag scale, HJ 212 and label tables, precedence, effective flag),
``history`` (the flag history), ``checks`` (the registry :data:`CHECKS` and window
declarations) with the checks in ``checks_range``, ``checks_series``, ``checks_time`` and
``checks_cross``. Importing this package registers every check. Nothing here does I/O,
logs or reads the clock.
"""

from envmon.quality.checks import CHECKS, CheckSpec, Parameter, Window, check
from envmon.quality.checks_cross import (
    neighbour_consistency,
    nox_consistency,
    pm25_le_pm10,
)
from envmon.quality.checks_range import (
    climatology,
    gross_range,
    negative,
    oxygen_plausible,
)
from envmon.quality.checks_series import flat_line, rate_of_change, spike
from envmon.quality.checks_time import device_windows, duplicates, late_data, time_gap
from envmon.quality.flags import (
    DEVICE_FLAGS,
    DEVICE_WINDOW_KINDS,
    FLAG_LABELS,
    PRECEDENCE,
    UNSET,
    DeviceFlag,
    Flag,
    Label,
    device_flag_columns,
    device_flag_to_qc,
    device_reason,
    effective_flag,
    flag_labels,
    qartod_compare,
)
from envmon.quality.history import History, Layers

__all__ = [
    "CHECKS",
    "DEVICE_FLAGS",
    "DEVICE_WINDOW_KINDS",
    "FLAG_LABELS",
    "PRECEDENCE",
    "UNSET",
    "CheckSpec",
    "DeviceFlag",
    "Flag",
    "History",
    "Label",
    "Layers",
    "Parameter",
    "Window",
    "check",
    "climatology",
    "device_flag_columns",
    "device_flag_to_qc",
    "device_reason",
    "device_windows",
    "duplicates",
    "effective_flag",
    "flag_labels",
    "flat_line",
    "gross_range",
    "late_data",
    "negative",
    "neighbour_consistency",
    "nox_consistency",
    "oxygen_plausible",
    "pm25_le_pm10",
    "qartod_compare",
    "rate_of_change",
    "spike",
    "time_gap",
]
