"""Point-wise range checks: gross range, climatology, negative values, flue-gas O2. Pure.

Each flag depends on its own point only (window 0/0/0). See :mod:`envmon.quality.checks`
for the common signature and contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from envmon.quality.checks import (
    FAIL,
    GOOD,
    SUSPECT,
    UNKNOWN,
    Span,
    TimesLike,
    _finish,
    _seconds,
    _span,
    _values,
    check,
)
from envmon.quality.flags import FlagArray

__all__ = ["climatology", "gross_range", "negative", "oxygen_plausible"]

BEIJING_OFFSET_S: Final = 8 * 3600
"""Beijing time (UTC+8, no daylight saving) minus UTC [s]."""


def _outside(
    values: npt.NDArray[np.float64], span: tuple[float, float]
) -> npt.NDArray[np.bool_]:
    return (values < span[0]) | (values > span[1])


@check(
    "gross_range",
    reference="QARTOD gross range test (IOOS manuals, test 'gross range'); ioos_qc "
    "gross_range_test; sensor span = the instrument's certified measuring range",
)
def gross_range(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    fail_span: Span,
    suspect_span: Span | None = None,
) -> FlagArray:
    """Flag values outside the sensor span as FAIL and outside the plausible span as SUSPECT.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted; not used, kept for the uniform signature.
    fail_span : tuple of (float or None, float or None)
        Sensor (measuring) span ``(low, high)`` [parameter unit], closed; outside → FAIL.
        ``None`` leaves a side open.
    suspect_span : tuple of (float or None, float or None), optional
        Plausible (climatological/operator) span [parameter unit], closed, within
        ``fail_span``; outside → SUSPECT.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT, FAIL; MISSING where ``values`` is NaN.

    Raises
    ------
    ValueError
        If a span is malformed or ``suspect_span`` is not within ``fail_span``.

    References
    ----------
    .. [1] U.S. IOOS QARTOD manuals, "Gross Range Test" (sensor span → FAIL, user span →
       SUSPECT).
    .. [2] ioos_qc 3.0 ``qartod.gross_range_test``. The sensor span is the instrument's
       certified measuring range (e.g. under HJ 654-2013 for ambient gas analysers).

    Examples
    --------
    >>> t = np.zeros(5, "datetime64[s]")
    >>> gross_range([1.0, 2.0, 3.0, 8.0, np.nan], t, fail_span=(0, 5), suspect_span=(1, 2.5))
    array([1, 1, 3, 4, 9], dtype=uint8)
    """
    v = _values(values)
    _seconds(times, v.size)
    fail = _span(fail_span, "fail_span")
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    if suspect_span is not None:
        suspect = _span(suspect_span, "suspect_span")
        if suspect[0] < fail[0] or suspect[1] > fail[1]:
            msg = f"suspect span {suspect_span} must lie within fail span {fail_span}"
            raise ValueError(msg)
        flags[_outside(v, suspect)] = SUSPECT
    flags[_outside(v, fail)] = FAIL
    return _finish(flags, v)


def _by_key(
    spans: Mapping[int | str, Span] | None, size: int, base: int, name: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Lookup tables low[key], high[key] (NaN where no span) for keys base…base+size−1."""
    low = np.full(size, np.nan)
    high = np.full(size, np.nan)
    for key, span in (spans or {}).items():
        number = int(key)
        if not base <= number < base + size:
            msg = f"{name} key {key!r} must lie in {base}…{base + size - 1}"
            raise ValueError(msg)
        low[number - base], high[number - base] = _span(span, f"{name}[{key!r}]")
    return low, high


@check(
    "climatology",
    absolute_time=True,
    reference="QARTOD climatology test (IOOS manuals; ioos_qc climatology_test): "
    "seasonal/diurnal spans → SUSPECT",
)
def climatology(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    spans_by_month: Mapping[int | str, Span] | None = None,
    spans_by_hour: Mapping[int | str, Span] | None = None,
) -> FlagArray:
    """Flag values outside the span expected for their Beijing month or hour as SUSPECT.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted; converted to Beijing time (UTC+8).
    spans_by_month : mapping of int to (float or None, float or None), optional
        Month 1–12 of Beijing local time → closed span ``(low, high)`` [parameter unit].
    spans_by_hour : mapping of int to (float or None, float or None), optional
        Hour of day 0–23 of Beijing local time (the hour the instant falls in) → closed
        span [parameter unit]. With both mappings, a value outside either is SUSPECT.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT; UNKNOWN where no span covers the time; MISSING where NaN.

    Raises
    ------
    ValueError
        If a key is out of range or a span is malformed.

    References
    ----------
    .. [1] U.S. IOOS QARTOD manuals, "Climatology Test" (SUSPECT only).
    .. [2] GB/T 7408 / Beijing time = UTC+8 (no daylight saving).

    Examples
    --------
    2024-01-31 20:00 UTC is already February in Beijing:

    >>> t = np.array(["2024-01-31T15:00", "2024-01-31T20:00"], "datetime64[s]")
    >>> climatology([50.0, 50.0], t, spans_by_month={1: (0, 100), 2: (0, 40)})
    array([1, 3], dtype=uint8)
    """
    v = _values(values)
    local = _seconds(times, v.size) + BEIJING_OFFSET_S
    flags = np.full(v.shape, UNKNOWN, dtype=np.uint8)
    tables = []
    if spans_by_month is not None:
        months = (
            local.astype("datetime64[s]").astype("datetime64[M]").view(np.int64) % 12
        )
        tables.append((months, *_by_key(spans_by_month, 12, 1, "spans_by_month")))
    if spans_by_hour is not None:
        hours = (local // 3600) % 24
        tables.append((hours, *_by_key(spans_by_hour, 24, 0, "spans_by_hour")))
    for keys, low_table, high_table in tables:
        low, high = low_table[keys], high_table[keys]
        covered = ~np.isnan(low)
        flags[covered & (flags == UNKNOWN)] = GOOD
        flags[covered & ((v < low) | (v > high))] = SUSPECT
    return _finish(flags, v)


@check(
    "negative",
    reference="concentrations are physically non-negative; SaQC flagRange with a zero "
    "lower bound, with a zero-noise tolerance",
)
def negative(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    allow_negative: bool = False,
    tolerance: float = 0.0,
) -> FlagArray:
    """Flag negative values as FAIL where the quantity cannot be negative.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted; not used.
    allow_negative : bool, default False
        True for quantities that may be negative (temperature, ORP): everything passes.
    tolerance : float, default 0.0
        Zero noise tolerated below 0 [parameter unit]: values ≥ −tolerance pass.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, FAIL; MISSING where NaN.

    Raises
    ------
    ValueError
        If ``tolerance`` is negative.

    References
    ----------
    .. [1] SaQC ``flagRange`` (a lower bound of 0). Concentrations are non-negative, but
       analysers report small negatives around zero (zero drift), hence ``tolerance``.

    Examples
    --------
    >>> t = np.zeros(4, "datetime64[s]")
    >>> negative([3.0, -0.2, -5.0, np.nan], t, tolerance=0.5)
    array([1, 1, 4, 9], dtype=uint8)
    """
    v = _values(values)
    _seconds(times, v.size)
    if tolerance < 0:
        msg = f"tolerance={tolerance} must be ≥ 0"
        raise ValueError(msg)
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    if not allow_negative:
        flags[v < -tolerance] = FAIL
    return _finish(flags, v)


@check(
    "oxygen_plausible",
    reference="flue-gas O2 plausibility: GB 13271-2014 §5.2 / GB 13223-2011 O2 correction "
    "(emissions.md (b)): O2 near 21 % means air (leak, dilution, stopped source)",
)
def oxygen_plausible(
    o2: npt.ArrayLike,
    times: TimesLike,
    *,
    span: Span = (0.0, 21.0),
    stopped_above: float | None = 19.5,
) -> FlagArray:
    """Flag flue-gas O2 outside its physical span as FAIL and near-ambient O2 as SUSPECT.

    Parameters
    ----------
    o2 : array-like of float
        Measured O2 [% by volume, dry]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted; not used.
    span : tuple of (float or None, float or None), default (0.0, 21.0)
        Physical span [% vol], closed; outside → FAIL (air holds 20.9 %).
    stopped_above : float or None, default 19.5
        O2 above this [% vol] means the probe sees air → SUSPECT; the O2 correction
        (21 − ref)/(21 − O2) blows up there, so corrected values must not be trusted.
        ``None`` disables.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT, FAIL; MISSING where NaN. Apply the flag to the O2-corrected
        concentrations too.

    Raises
    ------
    ValueError
        If ``span`` is malformed.

    References
    ----------
    .. [1] GB 13271-2014 §5.2, GB 13223-2011: ρ = ρ' (21 − φref)/(21 − φ'); emissions.md
       (b): "values ≥ about 19–20 % mean the probe is seeing air … flag them".

    Examples
    --------
    >>> t = np.zeros(4, "datetime64[s]")
    >>> oxygen_plausible([8.5, 20.6, 23.0, -1.0], t)
    array([1, 3, 4, 4], dtype=uint8)
    """
    v = _values(o2, "o2")
    _seconds(times, v.size)
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    if stopped_above is not None:
        flags[v > stopped_above] = SUSPECT
    flags[_outside(v, _span(span, "span"))] = FAIL
    return _finish(flags, v)
