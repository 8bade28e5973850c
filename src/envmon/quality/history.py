"""SaQC-style flag history: which check flagged each value, with what parameters. Pure.

A :class:`History` belongs to one series of ``length`` values (one station parameter over a
block of time). It is an append-only list of *columns*: a uint8 flag array of that length
plus its *meta*::

    {"check": "spike", "params": {"suspect_threshold": 30.0}, "code_version": "0.1.0",
     "rules_version": "air-2025.1", "kind": "automatic"}

Columns are copied on append and read-only afterwards; nothing is ever overwritten. A
column may hold :data:`~envmon.quality.flags.UNSET` (0) where it says nothing (a reviewer
column outside the reviewed range, a re-QC over part of the block).

``kind`` (default ``"automatic"``):

* ``"automatic"`` — a check's result. Columns with the same ``(code_version,
  rules_version)`` form one QC *run* and are combined by
  :func:`~envmon.quality.flags.qartod_compare`. A newer run (the one whose latest column
  was appended last) supersedes older runs wherever it set a flag, so a re-QC after a rule
  or code change replaces the old verdict while the old columns stay for audit. A run must
  therefore append a column for every check of its rule set.
* ``"device"`` — the device layer (``device:<flag>`` columns from
  :func:`~envmon.quality.flags.device_flag_columns`), combined by precedence.
* ``"reviewer"`` — a reviewer's flags (reason, who and when in ``params``; the ledger
  entry is the authority). Newer reviewer columns override older ones where set; meta
  ``"overrule_device": true`` lets the review erase a device FAIL.

:meth:`History.flags` returns the effective flag per value by
:func:`~envmon.quality.flags.effective_flag` on the three layers (see ``flags.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final, Literal, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from envmon.quality.flags import (
    UNSET,
    Flag,
    FlagArray,
    effective_flag,
    qartod_compare,
)

__all__ = ["HISTORY_FORMAT", "KINDS", "History", "Layers"]

HISTORY_FORMAT: Final = "envmon.quality.history/1"
"""Format tag of :meth:`History.to_dict` (bump when the layout changes)."""

KINDS: Final = ("automatic", "device", "reviewer")
"""Allowed values of a column's ``meta["kind"]``."""

Kind = Literal["automatic", "device", "reviewer"]
_REQUIRED: Final = ("check", "params", "code_version", "rules_version")
_VALID_CODES: Final = frozenset({UNSET, *(int(flag) for flag in Flag)})
_FLAGGING: Final = (int(Flag.SUSPECT), int(Flag.FAIL))


class Layers(NamedTuple):
    """The three flag layers of a history (UNSET where a layer says nothing)."""

    device: FlagArray
    automatic: FlagArray
    reviewer: FlagArray
    overrule_device: npt.NDArray[np.bool_]


def _json_default(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item() if not isinstance(value, np.datetime64) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    msg = f"history meta holds a value that is not JSON-able: {value!r}"
    raise TypeError(msg)


def _normalise_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in _REQUIRED if key not in meta]
    if missing:
        msg = f"history meta lacks {missing}: {dict(meta)!r}"
        raise ValueError(msg)
    text = json.dumps(
        dict(meta), default=_json_default, ensure_ascii=False, sort_keys=True
    )
    normal: dict[str, Any] = json.loads(text)
    normal.setdefault("kind", "automatic")
    if normal["kind"] not in KINDS:
        msg = f"history meta kind={normal['kind']!r} must be one of {KINDS}"
        raise ValueError(msg)
    if not isinstance(normal["check"], str) or not isinstance(normal["params"], dict):
        msg = f"history meta needs a str check and a dict params: {normal!r}"
        raise ValueError(msg)
    return normal


def _encode_runs(column: FlagArray) -> list[list[int]]:
    if column.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    counts = np.diff(np.r_[starts, column.size])
    return np.column_stack([column[starts], counts]).tolist()  # type: ignore[no-any-return]


def _decode_runs(runs: list[list[int]], length: int) -> FlagArray:
    pairs = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
    if (pairs[:, 1] < 0).any() or int(pairs[:, 1].sum()) != length:
        msg = f"history runs cover {int(pairs[:, 1].sum())} values, expected {length}"
        raise ValueError(msg)
    if (pairs[:, 0] < 0).any() or (pairs[:, 0] > 255).any():
        msg = f"history runs hold codes outside 0…255: {pairs[:, 0].tolist()}"
        raise ValueError(msg)
    return np.repeat(pairs[:, 0].astype(np.uint8), pairs[:, 1])


class History:
    """Append-only flag history of one series (SaQC ``History``, without pandas).

    Parameters
    ----------
    length : int
        Number of values in the series; every column must have this length.

    Examples
    --------
    >>> h = History(4)
    >>> meta = {"code_version": "0.1.0", "rules_version": "r1"}
    >>> h.append(np.array([1, 1, 4, 9], np.uint8), {"check": "gross_range", "params": {}, **meta})
    >>> h.append(np.array([2, 3, 1, 9], np.uint8), {"check": "spike", "params": {}, **meta})
    >>> h.flags()
    array([1, 3, 4, 9], dtype=uint8)
    >>> h.checks_that_flagged(2)
    ['gross_range']
    >>> History.from_dict(h.to_dict()).flags()
    array([1, 3, 4, 9], dtype=uint8)
    """

    __slots__ = ("_columns", "_length", "_metas")

    def __init__(self, length: int) -> None:
        if length < 0:
            msg = f"length={length} must be ≥ 0"
            raise ValueError(msg)
        self._length = int(length)
        self._columns: list[FlagArray] = []
        self._metas: list[str] = []

    @property
    def length(self) -> int:
        """Number of values in the series."""
        return self._length

    def __len__(self) -> int:
        """Return the number of columns."""
        return len(self._columns)

    def __repr__(self) -> str:
        """Return a short description."""
        return f"History(length={self._length}, columns={len(self._columns)})"

    @property
    def columns(self) -> tuple[FlagArray, ...]:
        """The columns in append order (read-only arrays)."""
        return tuple(self._columns)

    @property
    def metas(self) -> tuple[dict[str, Any], ...]:
        """The metas in append order (fresh copies: editing them changes nothing)."""
        return tuple(cast(dict[str, Any], json.loads(text)) for text in self._metas)

    def append(self, column: npt.ArrayLike, meta: Mapping[str, Any]) -> None:
        """Append one column with its meta.

        Parameters
        ----------
        column : array-like of int, shape (length,)
            Flags [QARTOD code, or 0 = UNSET where this column says nothing].
        meta : mapping
            ``check`` (str), ``params`` (JSON-able mapping), ``code_version`` and
            ``rules_version`` (str); optional ``kind`` (``"automatic"``, ``"device"``,
            ``"reviewer"``), ``overrule_device`` (bool, reviewer only) and any other
            JSON-able keys (reason, user, time, ledger entry …).

        Raises
        ------
        ValueError
            If the shape, a code or the meta is invalid.
        TypeError
            If the meta is not JSON-able.
        """
        array = np.array(column, copy=True)
        if array.shape != (self._length,):
            msg = f"column has shape {array.shape}, history length is {self._length}"
            raise ValueError(msg)
        codes = np.unique(array).tolist()
        if not set(codes) <= _VALID_CODES:
            msg = f"column holds codes that are not QC flags: {codes}"
            raise ValueError(msg)
        normal = _normalise_meta(meta)
        flags = array.astype(np.uint8)
        flags.setflags(write=False)
        self._columns.append(flags)
        self._metas.append(json.dumps(normal, ensure_ascii=False, sort_keys=True))

    def _kinds(self) -> list[Kind]:
        return [cast(Kind, json.loads(text)["kind"]) for text in self._metas]

    def _runs(self) -> list[list[int]]:
        """Automatic columns grouped by run, newest run first."""
        runs: dict[tuple[str, str], list[int]] = {}
        for number, text in enumerate(self._metas):
            meta = json.loads(text)
            if meta["kind"] == "automatic":
                key = (str(meta["code_version"]), str(meta["rules_version"]))
                runs.setdefault(key, []).append(number)
        return sorted(runs.values(), key=lambda numbers: numbers[-1], reverse=True)

    def _in_effect(self) -> npt.NDArray[np.bool_]:
        """Per column and value: does the column take part in the effective flag there."""
        effect = np.ones((len(self._columns), self._length), dtype=bool)
        decided = np.zeros(self._length, dtype=bool)
        for numbers in self._runs():
            set_here = np.zeros(self._length, dtype=bool)
            for number in numbers:
                set_here |= self._columns[number] != UNSET
            take = set_here & ~decided
            effect[numbers] = take
            decided |= take
        return effect

    def layers(self) -> Layers:
        """Return the device, automatic and reviewer layers (UNSET where empty).

        Returns
        -------
        Layers
            ``device`` and ``automatic`` combined by precedence (automatic: per value the
            newest run that set a flag there), ``reviewer`` the newest reviewer flag per
            value, ``overrule_device`` where that review overrules a device FAIL.
        """
        n = self._length
        device = np.zeros(n, dtype=np.uint8)
        automatic = np.zeros(n, dtype=np.uint8)
        reviewer = np.zeros(n, dtype=np.uint8)
        overrule = np.zeros(n, dtype=bool)
        effect = self._in_effect()
        for number, text in enumerate(self._metas):
            meta = json.loads(text)
            column = self._columns[number]
            if meta["kind"] == "device":
                device = qartod_compare(device, column)
            elif meta["kind"] == "automatic":
                in_effect = np.where(effect[number], column, np.uint8(UNSET))
                automatic = qartod_compare(automatic, in_effect)
            else:
                reviewed = column != UNSET
                reviewer = np.where(reviewed, column, reviewer).astype(np.uint8)
                overrule = np.where(
                    reviewed, bool(meta.get("overrule_device")), overrule
                )
        return Layers(device, automatic, reviewer, overrule)

    def flags(self) -> FlagArray:
        """Return the effective flag per value (UNKNOWN where no column set a flag).

        Returns
        -------
        numpy.ndarray of uint8, shape (length,)
            :func:`~envmon.quality.flags.effective_flag` of :meth:`layers`.
        """
        layers = self.layers()
        return effective_flag(
            layers.device,
            layers.automatic,
            layers.reviewer,
            overrule_device=layers.overrule_device,
        )

    def flagged(self) -> tuple[tuple[str, ...], npt.NDArray[np.bool_]]:
        """Return each column's check name and where it set SUSPECT or FAIL in effect.

        Returns
        -------
        names : tuple of str
            ``meta["check"]`` per column.
        mask : numpy.ndarray of bool, shape (columns, length)
            True where the column set SUSPECT/FAIL and takes part in the effective flag
            (automatic columns of a superseded run do not).
        """
        names = tuple(str(json.loads(text)["check"]) for text in self._metas)
        if not self._columns:
            return names, np.zeros((0, self._length), dtype=bool)
        stacked = np.stack(self._columns)
        mask = np.isin(stacked, _FLAGGING) & self._in_effect()
        return names, mask

    def checks_that_flagged(self, index: int) -> list[str]:
        """Return the names of the checks that set SUSPECT or FAIL at one value.

        Parameters
        ----------
        index : int
            Position in the series (negative counts from the end).

        Returns
        -------
        list of str
            Check names in append order, each once; device columns appear as
            ``device:<flag>``, superseded runs do not appear.

        Raises
        ------
        IndexError
            If ``index`` is outside the series.
        """
        if not -self._length <= index < self._length:
            msg = f"index {index} outside a history of length {self._length}"
            raise IndexError(msg)
        names, mask = self.flagged()
        found = [name for name, hit in zip(names, mask[:, index], strict=True) if hit]
        return list(dict.fromkeys(found))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (columns run-length encoded as ``[flag, count]``).

        Returns
        -------
        dict
            ``{"format": HISTORY_FORMAT, "length": n, "columns": [{"meta": …,
            "runs": [[flag, count], …]}, …]}``.
        """
        return {
            "format": HISTORY_FORMAT,
            "length": self._length,
            "columns": [
                {"meta": json.loads(text), "runs": _encode_runs(column)}
                for column, text in zip(self._columns, self._metas, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """Rebuild a history from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            As returned by :meth:`to_dict` (possibly through JSON).

        Returns
        -------
        History

        Raises
        ------
        ValueError
            If the format tag, a column or a meta is invalid.
        """
        if data.get("format") != HISTORY_FORMAT:
            msg = f"history format {data.get('format')!r}, expected {HISTORY_FORMAT!r}"
            raise ValueError(msg)
        history = cls(int(data["length"]))
        for column in data["columns"]:
            history.append(_decode_runs(column["runs"], history.length), column["meta"])
        return history
