"""QC flags: the QARTOD scale, HJ 212 data flags, display labels and precedence. Pure.

Every table that translates between flag vocabularies lives here (SaQC ``translation``
style): QARTOD QC flags ↔ display labels, HJ 212-2017 / HJ/T 212-2005 device data flags →
QC meaning, device-state window kinds → QC meaning.

Three layers, never overwriting each other
------------------------------------------
1. **device** — the instrument's HJ 212 data flag, stored verbatim by ingest and translated
   here by :func:`device_flag_to_qc`. ``N`` (and the 2005 air-station ``3``/``1``) means
   "the device says nothing against the value": it sets *no* QC flag (:data:`UNSET`).
   Faults and non-measuring states (``D C M B F``, 2005 ``P``, air ``0``/``2``) give FAIL
   with reason ``"device:<flag>"``; ``T`` (above the measuring range) and ``S`` (manually
   entered set value) give SUSPECT; an unknown code (provincial ``St``, ``Sd`` …) gives
   SUSPECT, so it is looked at rather than silently accepted.
2. **automatic** — the QARTOD flag of each check (``checks.py``), combined by
   :func:`qartod_compare`.
3. **reviewer** — a monitoring-centre user's flag (through the ledger), :data:`UNSET`
   where nobody reviewed.

:data:`UNSET` (0) is not a QARTOD value: it means "this layer/column says nothing here".

Precedence
----------
:func:`qartod_compare` (the same order as ioos_qc's ``qartod_compare``), lowest first::

    UNSET(0) < MISSING(9) < UNKNOWN(2) < GOOD(1) < SUSPECT(3) < FAIL(4)

so FAIL wins over everything, MISSING results only where every input is MISSING (or
unset), and UNSET only where every input is UNSET.

:func:`effective_flag` (the value's effective flag from the three layers):

* where the reviewer set a flag, the reviewer's flag is effective — it overrides the
  automatic QC in both directions — **except** that a device FAIL (a fault/maintenance/
  calibration/stopped/communication flag from the instrument itself) can only be
  *confirmed* (reviewer FAIL), not erased: a reviewer GOOD, UNKNOWN, SUSPECT or MISSING
  over a device FAIL leaves FAIL unless the review explicitly says ``overrule_device``;
* where the reviewer set nothing, ``qartod_compare(device, automatic)``;
* where no layer set anything, UNKNOWN (not evaluated).

References
----------
.. [1] HJ 212-2017 Table 8 (数据标记); HJ/T 212-2005 data flags (hj212.md §7.3).
.. [2] U.S. IOOS, *Manual for Real-Time Quality Control* series (QARTOD), flag scheme
   1/2/3/4/9 (UNESCO-IOC 2013, Ocean Data Standards Vol. 3).
.. [3] ioos_qc ``qartod.qartod_compare`` (precedence); SaQC ``core/translation``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEVICE_FLAGS",
    "DEVICE_WINDOW_KINDS",
    "FLAG_LABELS",
    "PRECEDENCE",
    "UNSET",
    "VALID_QC_FLAGS",
    "DeviceFlag",
    "Flag",
    "FlagArray",
    "FloatArray",
    "Label",
    "device_flag_columns",
    "device_flag_to_qc",
    "device_reason",
    "effective_flag",
    "flag_labels",
    "qartod_compare",
]

FloatArray = npt.NDArray[np.float64]
FlagArray = npt.NDArray[np.uint8]
CodesLike = npt.ArrayLike | Sequence[object]
"""Device flags as received: strings, with None/NaN/"" for no flag."""


class Flag(IntEnum):
    """QARTOD quality flag: the value each check and the combined QC assigns."""

    GOOD = 1
    """Passed every check that could decide."""
    UNKNOWN = 2
    """Not evaluated: no check could decide (e.g. the first point of a spike check)."""
    SUSPECT = 3
    """Questionable: kept, shown, excluded from compliance until reviewed."""
    FAIL = 4
    """Bad: invalid for statistics and compliance."""
    MISSING = 9
    """No value (NaN)."""


UNSET: Final = 0
"""Not a QARTOD value: "this layer or history column sets no flag at this position"."""

VALID_QC_FLAGS: Final[tuple[int, ...]] = (int(Flag.GOOD), int(Flag.UNKNOWN))
"""Effective flags of values that count for means, indices and compliance: GOOD, and
UNKNOWN (no check could decide, e.g. a parameter without rules). SUSPECT values count only
once a reviewer overrules them GOOD; FAIL and MISSING never."""

PRECEDENCE: Final[tuple[Flag, ...]] = (
    Flag.MISSING,
    Flag.UNKNOWN,
    Flag.GOOD,
    Flag.SUSPECT,
    Flag.FAIL,
)
"""QARTOD flags from lowest to highest precedence (ioos_qc ``qartod_compare``)."""

# Code → rank (0 = UNSET, 255 = not a flag) and back; one ``take`` per array.
_INVALID: Final = 255
_RANK = np.full(256, _INVALID, dtype=np.uint8)
_RANK[UNSET] = 0
for _rank, _flag in enumerate(PRECEDENCE, start=1):
    _RANK[_flag] = _rank
_FROM_RANK = np.array([UNSET, *PRECEDENCE], dtype=np.uint8)


class Label(NamedTuple):
    """A display label in Chinese and English."""

    zh: str
    en: str


FLAG_LABELS: Final[Mapping[Flag, Label]] = {
    Flag.GOOD: Label("有效", "valid"),
    Flag.UNKNOWN: Label("未检查", "not evaluated"),
    Flag.SUSPECT: Label("可疑", "suspect"),
    Flag.FAIL: Label("无效", "invalid"),
    Flag.MISSING: Label("缺失", "missing"),
}
"""Display labels of the QC flags (UI, reports, CSV exports)."""


class DeviceFlag(NamedTuple):
    """What one HJ 212 data flag means for QC.

    ``qc`` is the QC flag it sets (``None`` = sets no flag), ``label`` the short display
    label; the standard's full names are in :mod:`envmon.hj212.codes`.
    """

    code: str
    qc: Flag | None
    label: Label
    reference: str


def _table(
    reference: str, rows: Sequence[tuple[str, Flag | None, str, str]]
) -> Mapping[str, DeviceFlag]:
    return {c: DeviceFlag(c, qc, Label(zh, en), reference) for c, qc, zh, en in rows}


_FAIL, _SUSPECT = Flag.FAIL, Flag.SUSPECT
DEVICE_FLAGS: Final[Mapping[str, Mapping[str, DeviceFlag]]] = {
    "2017": _table(
        "HJ 212-2017 Table 8",
        [
            ("N", None, "正常", "normal"),
            ("F", _FAIL, "停运", "instrument stopped"),
            ("M", _FAIL, "维护", "maintenance"),
            ("S", _SUSPECT, "手工设定值", "manual set value"),
            ("D", _FAIL, "故障", "instrument fault"),
            ("C", _FAIL, "校准", "calibration"),
            # emissions.md: T is "measured value unknown but high" — keep it, never drop.
            ("T", _SUSPECT, "超测量上限", "above measuring range"),
            ("B", _FAIL, "通讯异常", "communication failure"),
        ],
    ),
    "2005": _table(
        "HJ/T 212-2005 data flags",
        [
            ("P", _FAIL, "电源故障", "power failure"),
            # 2005: F is "emission source stopped", 2017: "instrument stopped" (emissions.md).
            ("F", _FAIL, "排放源停运", "source stopped"),
            ("C", _FAIL, "校验", "calibration"),
            ("M", _FAIL, "维护", "maintenance"),
            ("T", _SUSPECT, "超测上限", "above measuring range"),
            ("D", _FAIL, "故障", "fault"),
            ("S", _SUSPECT, "设定值", "set value"),
            ("N", None, "正常", "normal"),
            ("0", _FAIL, "校准数据", "calibration data"),
            ("1", None, "气象参数", "meteorological parameter"),
            ("2", _FAIL, "异常", "abnormal"),
            ("3", None, "正常", "normal"),
        ],
    ),
}
"""HJ 212 data flags → QC meaning, per protocol version (``"2017"``, ``"2005"``)."""

DEVICE_WINDOW_KINDS: Final[Mapping[str, tuple[Flag, Label]]] = {
    "maintenance": (Flag.FAIL, Label("维护", "maintenance")),
    "calibration": (Flag.FAIL, Label("校准", "calibration")),
    "fault": (Flag.FAIL, Label("故障", "fault")),
    "stopped": (Flag.FAIL, Label("停运", "stopped")),
    "commissioning": (Flag.FAIL, Label("调试", "commissioning")),
    "startup": (Flag.SUSPECT, Label("启动", "start-up")),
    "shutdown": (Flag.SUSPECT, Label("停机", "shutdown")),
    "abatement_fault": (
        Flag.SUSPECT,
        Label("治理设施异常", "abatement facility fault"),
    ),
}
"""Device-state window kinds → QC flag, for :func:`envmon.quality.checks.device_windows`.

HJ 75-2017 and MEE 公告2022年第21号 (device-marking rule): data produced during
maintenance, calibration, faults, stops or commissioning are not valid → FAIL. Start-up,
shutdown and abatement-facility faults are operating conditions judged under separate
rules → SUSPECT (qualified, kept for review) (emissions.md §6)."""

_NO_CODE: Final = frozenset({"", "None", "nan", "NaN"})


def _as_flags(array: npt.ArrayLike, name: str) -> FlagArray:
    codes = np.asarray(array)
    if codes.dtype != np.uint8:
        if codes.size and (codes.min() < 0 or codes.max() > 255):
            msg = f"{name} holds codes outside 0…255: {np.unique(codes)[:10]}"
            raise ValueError(msg)
        codes = codes.astype(np.uint8)
    return codes


def _ranks(flags: FlagArray, name: str) -> npt.NDArray[np.uint8]:
    ranks = _RANK[flags]
    if ranks.size and int(ranks.max()) == _INVALID:
        bad = np.unique(flags[ranks == _INVALID])
        msg = f"{name} holds codes that are not QC flags: {bad.tolist()}"
        raise ValueError(msg)
    return ranks


def qartod_compare(*flag_arrays: npt.ArrayLike) -> FlagArray:
    """Combine flag arrays by precedence into one flag array.

    Precedence, highest first: FAIL > SUSPECT > GOOD > UNKNOWN > MISSING > UNSET. This is
    ioos_qc's order: a value is MISSING only where every input says MISSING, and GOOD
    beats UNKNOWN (one check that could decide is enough).

    Parameters
    ----------
    *flag_arrays : array-like of int
        QC flags [QARTOD code, or 0 = :data:`UNSET`], all broadcastable to one shape.

    Returns
    -------
    numpy.ndarray of uint8
        The combined flags, UNSET only where every input is UNSET.

    Raises
    ------
    ValueError
        If no array is given or an array holds a code that is not a QC flag.

    References
    ----------
    .. [1] ioos_qc 3.0 ``qartod.qartod_compare``.

    Examples
    --------
    >>> qartod_compare([1, 2, 9, 9, 1], [3, 1, 2, 9, 4], [0, 0, 0, 0, 0])
    array([3, 1, 2, 9, 4], dtype=uint8)
    """
    if not flag_arrays:
        msg = "qartod_compare needs at least one flag array"
        raise ValueError(msg)
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in flag_arrays))
    best = _ranks(_as_flags(arrays[0], "flag array 0"), "flag array 0").copy()
    for number, array in enumerate(arrays[1:], start=1):
        name = f"flag array {number}"
        np.maximum(best, _ranks(_as_flags(array, name), name), out=best)
    return _FROM_RANK[best]


def device_reason(code: str) -> str:
    """Return the history/check name for a device flag: ``"device:<flag>"``.

    Examples
    --------
    >>> device_reason("D")
    'device:D'
    """
    return f"device:{code}"


def _device_qc(code: str, table: Mapping[str, DeviceFlag]) -> int:
    if code in _NO_CODE:
        return UNSET
    meaning = table.get(code) or table.get(code.upper())
    if meaning is None:
        # Unknown (provincial) codes: not silently accepted, not silently rejected.
        return int(Flag.SUSPECT)
    return UNSET if meaning.qc is None else int(meaning.qc)


def _device_table(protocol: str) -> Mapping[str, DeviceFlag]:
    table = DEVICE_FLAGS.get(protocol)
    if table is None:
        msg = f"protocol={protocol!r} must be one of {sorted(DEVICE_FLAGS)}"
        raise ValueError(msg)
    return table


def _unique_codes(
    flags: CodesLike,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.intp]]:
    codes = np.asarray(flags, dtype=object)
    text = np.array([""], dtype="U1") if codes.size == 0 else codes.astype(str)
    unique, inverse = np.unique(text.ravel(), return_inverse=True)
    if codes.size == 0:
        inverse = inverse[:0]
    return unique, inverse.reshape(codes.shape)


def device_flag_to_qc(
    flags: CodesLike, protocol: Literal["2017", "2005"] | str = "2017"
) -> FlagArray:
    """Translate HJ 212 device data flags into the QC flags they imply.

    Parameters
    ----------
    flags : array-like of str or None
        Data flags as received (``xxxxxx-Flag``), verbatim; ``None``/``""`` = no flag
        (HJ/T 212-2005 uploads often carry none).
    protocol : {"2017", "2005"}, default "2017"
        The protocol version that sent them: ``F`` means "instrument stopped" in 2017 and
        "emission source stopped" in 2005; the 2005 air-station digits ``0``–``3`` exist
        only in 2005.

    Returns
    -------
    numpy.ndarray of uint8
        FAIL, SUSPECT or :data:`UNSET` (``N``, ``3``, ``1`` and no flag set no QC flag);
        unknown codes give SUSPECT. See :data:`DEVICE_FLAGS`.

    Raises
    ------
    ValueError
        If ``protocol`` is not a known version.

    References
    ----------
    .. [1] HJ 212-2017 Table 8; HJ/T 212-2005 data flags (hj212.md §7.3, emissions.md).

    Examples
    --------
    >>> device_flag_to_qc(["N", "D", "T", "C", None, "St"])
    array([0, 4, 3, 4, 0, 3], dtype=uint8)
    >>> device_flag_to_qc(["3", "0", "P"], protocol="2005")
    array([0, 4, 4], dtype=uint8)
    """
    table = _device_table(protocol)
    unique, inverse = _unique_codes(flags)
    mapped = np.array([_device_qc(str(code), table) for code in unique], dtype=np.uint8)
    return mapped[inverse]


def device_flag_columns(
    flags: CodesLike, protocol: Literal["2017", "2005"] | str = "2017"
) -> dict[str, FlagArray]:
    """Split device flags into one history column per flagging code.

    Parameters
    ----------
    flags : array-like of str or None
        Data flags as received, as for :func:`device_flag_to_qc`.
    protocol : {"2017", "2005"}, default "2017"
        Protocol version that sent them.

    Returns
    -------
    dict of str to numpy.ndarray of uint8
        ``{"device:<flag>": column}`` for every code that sets a QC flag; each column holds
        that flag where the code occurs and :data:`UNSET` elsewhere, ready for
        ``History.append(column, {..., "check": name, "kind": "device"})``.

    Examples
    --------
    >>> device_flag_columns(["N", "D", "D", "T"])
    {'device:D': array([0, 4, 4, 0], dtype=uint8), 'device:T': array([0, 0, 0, 3], dtype=uint8)}
    """
    table = _device_table(protocol)
    unique, inverse = _unique_codes(flags)
    columns: dict[str, FlagArray] = {}
    for number, code in enumerate(unique.tolist()):
        qc = _device_qc(code, table)
        if qc != UNSET:
            columns[device_reason(code)] = np.where(
                inverse == number, np.uint8(qc), np.uint8(UNSET)
            ).astype(np.uint8)
    return columns


def effective_flag(
    device: npt.ArrayLike,
    automatic: npt.ArrayLike,
    reviewer: npt.ArrayLike,
    *,
    overrule_device: npt.ArrayLike = False,
) -> FlagArray:
    """Return the effective flag of each value from its three flag layers.

    Parameters
    ----------
    device : array-like of int
        QC flags implied by the device (:func:`device_flag_to_qc`), 0 = UNSET.
    automatic : array-like of int
        Combined automatic QC flags, 0 = UNSET (no check ran).
    reviewer : array-like of int
        Reviewer flags, 0 = UNSET (not reviewed).
    overrule_device : bool or array-like of bool, default False
        Where True, the reviewer explicitly overrules a device FAIL.

    Returns
    -------
    numpy.ndarray of uint8
        Reviewer flag where set (a device FAIL stays FAIL unless overruled), else
        ``qartod_compare(device, automatic)``, UNKNOWN where no layer set a flag.

    Raises
    ------
    ValueError
        If a layer holds a code that is not a QC flag.

    Examples
    --------
    Reviewer GOOD beats an automatic SUSPECT, but not a device fault unless overruled:

    >>> effective_flag([0, 4, 4, 0, 3], [3, 1, 1, 0, 1], [1, 1, 1, 0, 1],
    ...                overrule_device=[False, False, True, False, False])
    array([1, 4, 1, 2, 1], dtype=uint8)
    """
    device_flags = _as_flags(device, "device")
    reviewer_flags = _as_flags(reviewer, "reviewer")
    _ranks(reviewer_flags, "reviewer")
    base = qartod_compare(device_flags, automatic)
    base[base == UNSET] = Flag.UNKNOWN
    kept = (device_flags == Flag.FAIL) & ~np.asarray(overrule_device, dtype=bool)
    reviewed = reviewer_flags != UNSET
    device_fail = np.full(base.shape, Flag.FAIL, dtype=np.uint8)
    result = np.where(kept, device_fail, np.broadcast_to(reviewer_flags, base.shape))
    return np.where(reviewed, result, base).astype(np.uint8)


def flag_labels(
    flags: npt.ArrayLike, language: Literal["zh", "en"] = "zh"
) -> list[str]:
    """Return the display label of each QC flag (``""`` for UNSET).

    Parameters
    ----------
    flags : array-like of int
        QC flags [QARTOD code or 0].
    language : {"zh", "en"}, default "zh"
        Label language.

    Returns
    -------
    list of str
        One label per flag, in order (flattened).

    Raises
    ------
    ValueError
        If ``language`` is unknown or a code is not a QC flag.

    Examples
    --------
    >>> flag_labels([1, 3, 4, 9, 2])
    ['有效', '可疑', '无效', '缺失', '未检查']
    >>> flag_labels([1, 0], language="en")
    ['valid', '']
    """
    if language not in ("zh", "en"):
        msg = f"language={language!r} must be 'zh' or 'en'"
        raise ValueError(msg)
    codes = _as_flags(flags, "flags").ravel()
    _ranks(codes, "flags")
    names = np.full(256, "", dtype=object)
    for flag, label in FLAG_LABELS.items():
        names[flag] = getattr(label, language)
    labels: list[str] = names[codes].tolist()
    return labels
