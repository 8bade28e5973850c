"""QC check registry: :data:`CHECKS`, the ``@check`` decorator and window declarations. Pure.

Every check is a pure, vectorised function (ioos_qc signature, STYLE "Pure-core patterns")::

    fn(values, times, **params) -> flags

* ``values``: float64 array [parameter unit], NaN = missing; ``times``: ``datetime64[s]``
  array of the same length, UTC, sorted (non-decreasing). Cross-parameter checks take more
  aligned arrays before ``times`` (``pm25_le_pm10(pm25, pm10, times, ...)``); the names
  of these positional *inputs* are in :attr:`CheckSpec.inputs`.
* ``params``: keyword-only, so a YAML rule names a check and passes keyword arguments only.
* Result: a new uint8 array of the same shape — GOOD (1) where the value passes, UNKNOWN (2)
  where the check cannot decide, SUSPECT (3), FAIL (4), MISSING (9) where the value is NaN.
  Inputs are never mutated.

Window declarations (streaming equals batch)
--------------------------------------------
Each :class:`CheckSpec` declares how far the flag at index ``i`` reaches into the series:
``lookback_points``, ``lookback_seconds``, ``lookahead_points`` (each a number, or a callable
of the resolved parameters). :meth:`Window.bounds` turns them into the slice that must be
present: points ``j`` with ``start ≤ j < stop`` where

* ``a = i`` if ``lookback_seconds == 0``, else ``a = min(i, first j with
  times[j] > times[i] − lookback_seconds)`` (the points less than ``lookback_seconds``
  before point ``i``);
* ``start = max(0, a − lookback_points)``, ``stop = min(n, i + lookahead_points + 1)``.

The guarantee, tested by property tests: running a check on *any* contiguous slice of the
series that contains ``[start, stop)`` gives the same flag at ``i`` as running it on the
whole series. A streaming runner therefore keeps that much history (and delays a flag by
``lookahead_points``) and agrees with batch exactly.

The checks themselves live in ``checks_range`` (value ranges), ``checks_series`` (spike,
flat line, rate of change), ``checks_time`` (gaps, late data, duplicates, device windows)
and ``checks_cross`` (cross-parameter and neighbour consistency); importing
:mod:`envmon.quality` registers them all.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from envmon import __version__
from envmon.quality.flags import Flag, FlagArray, FloatArray

__all__ = [
    "CHECKS",
    "CheckSpec",
    "Parameter",
    "Span",
    "TimeArray",
    "TimesLike",
    "Window",
    "check",
]

TimeArray = npt.NDArray[np.datetime64]
TimesLike = npt.ArrayLike | Sequence[datetime | np.datetime64 | str]
"""Times: datetime64 array, or a sequence of datetimes (aware → UTC), datetime64, ISO text."""
Span = tuple[float | None, float | None]
"""A closed interval ``(low, high)`` [value unit]; ``None`` leaves that side open."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Extent = float | Callable[[Mapping[str, Any]], float]
CheckFunction = Callable[..., FlagArray]
F = TypeVar("F", bound=CheckFunction)

GOOD: Final = np.uint8(Flag.GOOD)
UNKNOWN: Final = np.uint8(Flag.UNKNOWN)
SUSPECT: Final = np.uint8(Flag.SUSPECT)
FAIL: Final = np.uint8(Flag.FAIL)
MISSING: Final = np.uint8(Flag.MISSING)


class Parameter(NamedTuple):
    """One keyword parameter of a check, as documented in its docstring."""

    type: str
    unit: str
    description: str
    required: bool
    default: Any


class Window(NamedTuple):
    """Resolved window declaration of a check for given parameters (see module doc)."""

    lookback_points: int
    lookback_seconds: float
    lookahead_points: int

    def bounds(self, times: TimesLike, index: int) -> tuple[int, int]:
        """Return ``(start, stop)``: the slice the flag at ``index`` depends on.

        Parameters
        ----------
        times : array-like of datetime64
            The series' sorted times [UTC].
        index : int
            Position of the flag, 0 ≤ index < len(times).

        Returns
        -------
        tuple of int
            ``start ≤ index < stop``, clipped to the series.

        Examples
        --------
        Minute data, 180 s back plus one point: minutes 3 and 4 are within 180 s of
        minute 5, and one more point is minute 2.

        >>> t = np.arange(10).astype("datetime64[m]").astype("datetime64[s]")
        >>> Window(1, 180.0, 0).bounds(t, 5)
        (2, 6)
        """
        seconds = np.asarray(times, dtype="datetime64[s]").view(np.int64)
        n = seconds.size
        if not 0 <= index < n:
            msg = f"index {index} outside a series of {n} points"
            raise IndexError(msg)
        first = index
        if self.lookback_seconds > 0:
            # times are whole seconds: t[j] > t[i] − d  ⇔  t[j] > t[i] − ceil(d)
            limit = seconds[index] - int(np.ceil(self.lookback_seconds))
            first = min(index, int(np.searchsorted(seconds, limit, side="right")))
        start = max(0, first - self.lookback_points)
        return start, min(n, index + self.lookahead_points + 1)


def _resolve(extent: Extent, params: Mapping[str, Any]) -> float:
    return float(extent(params) if callable(extent) else extent)


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check: its function, inputs, documented parameters and window."""

    name: str
    function: CheckFunction
    inputs: tuple[str, ...]
    parameters: Mapping[str, Parameter]
    lookback_points: Extent
    lookback_seconds: Extent
    lookahead_points: Extent
    reference: str
    time_input: str = "times"
    version: str = "1"
    summary: str = field(default="")
    absolute_time: bool = False
    """True if a flag depends on the clock time itself (month, hour, a window's dates),
    not only on time differences; such a check cannot run on time-shifted copies."""

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` with defaults filled in.

        Raises
        ------
        TypeError
            If a parameter is unknown or a required one is missing (the message names
            the check and the accepted parameters).
        """
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            accepted = sorted(self.parameters)
            msg = (
                f"check {self.name!r} has no parameter {unknown}; it accepts {accepted}"
            )
            raise TypeError(msg)
        missing = sorted(
            name
            for name, parameter in self.parameters.items()
            if parameter.required and name not in params
        )
        if missing:
            msg = f"check {self.name!r} needs parameter(s) {missing}"
            raise TypeError(msg)
        return {  # in declaration order
            name: params.get(name, parameter.default)
            for name, parameter in self.parameters.items()
        }

    def window(self, **params: Any) -> Window:
        """Return the window declaration resolved for ``params`` (defaults filled in)."""
        resolved = self.resolve(params)
        return Window(
            int(_resolve(self.lookback_points, resolved)),
            _resolve(self.lookback_seconds, resolved),
            int(_resolve(self.lookahead_points, resolved)),
        )

    def history_meta(
        self, params: Mapping[str, Any], *, rules_version: str
    ) -> dict[str, Any]:
        """Return the :class:`~envmon.quality.history.History` meta for one run.

        ``params`` are recorded with their defaults filled in; ``code_version`` is the
        envmon version and ``check_version`` this check's :attr:`version`.

        Examples
        --------
        >>> meta = CHECKS["spike"].history_meta({"suspect_threshold": 5}, rules_version="r1")
        >>> meta["params"], meta["rules_version"], meta["check_version"]
        ({'suspect_threshold': 5, 'fail_threshold': None}, 'r1', '1')
        """
        return {
            "check": self.name,
            "params": self.resolve(params),
            "code_version": __version__,
            "rules_version": rules_version,
            "check_version": self.version,
            "kind": "automatic",
        }

    def __call__(self, *arrays: Any, **params: Any) -> FlagArray:
        """Run the check (parameters are validated first)."""
        self.resolve(params)
        return self.function(*arrays, **params)


CHECKS: Final[dict[str, CheckSpec]] = {}
"""All registered checks by name (filled by :func:`check` when :mod:`envmon.quality` loads)."""

_ENTRY = re.compile(r"^(\w+) : (.+)$")
# "[µg/m³]" but not the index in "v[i]" or the interval in "``[start, end)``"
_UNIT = re.compile(r"(?<![\w\]`])\[([^\[\]]+)\]")


def _documented(doc: str | None) -> dict[str, tuple[str, str, str]]:
    """Parse a numpydoc ``Parameters`` section into name → (type, unit, description)."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    try:
        begin = lines.index("Parameters") + 2
    except ValueError:
        return {}
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[begin:]:
        if line and not line.startswith(" "):
            match = _ENTRY.match(line)
            if match is None:
                break
            current = entries.setdefault(match[1], [match[2]])
        elif current is not None and line.strip():
            current.append(line.strip())
    documented = {}
    for name, (kind, *text) in entries.items():
        description = " ".join(text)
        unit = _UNIT.search(kind + " " + description)
        documented[name] = (kind, unit[1] if unit else "", description)
    return documented


def check(
    name: str,
    *,
    reference: str,
    lookback_points: Extent = 0,
    lookback_seconds: Extent = 0.0,
    lookahead_points: Extent = 0,
    time_input: str = "times",
    version: str = "1",
    absolute_time: bool = False,
) -> Callable[[F], F]:
    """Register a check function in :data:`CHECKS` under ``name``.

    Parameters
    ----------
    name : str
        Check name in QARTOD vocabulary (never ``test_…``/``…_test``).
    reference : str
        The rule the check implements (standard and clause, manual, SaQC/ioos_qc function).
    lookback_points, lookback_seconds, lookahead_points : float or callable
        Window declaration (module docstring); a callable receives the resolved parameters.
    time_input : str, default "times"
        The input holding the series' times (for :meth:`Window.bounds`).
    version : str, default "1"
        Bumped when the check's behaviour changes (recorded in the history meta).
    absolute_time : bool, default False
        The flags depend on clock times (month, hour of day, dated windows), not only on
        differences between times (:attr:`CheckSpec.absolute_time`).

    Returns
    -------
    callable
        A decorator returning the function unchanged.

    Raises
    ------
    ValueError
        If the name is taken or breaks the naming rule, or a keyword parameter is not
        documented in the function's ``Parameters`` section.
    """
    if name.startswith("test_") or name.endswith("_test") or name in CHECKS:
        msg = f"check name {name!r} is taken or reads like a pytest test"
        raise ValueError(msg)

    def register(function: F) -> F:
        signature = inspect.signature(function)
        inputs = tuple(
            p.name
            for p in signature.parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD
        )
        documented = _documented(function.__doc__)
        parameters = {}
        for p in signature.parameters.values():
            if p.kind is not p.KEYWORD_ONLY:
                continue
            if function.__doc__ and p.name not in documented:
                msg = f"check {name!r}: parameter {p.name!r} is not documented"
                raise ValueError(msg)
            kind, unit, description = documented.get(p.name, ("", "", ""))
            required = p.default is p.empty
            parameters[p.name] = Parameter(
                kind, unit, description, required, None if required else p.default
            )
        summary = (inspect.getdoc(function) or "").split("\n", 1)[0]
        CHECKS[name] = CheckSpec(
            name=name,
            function=function,
            inputs=inputs,
            parameters=MappingProxyType(parameters),
            lookback_points=lookback_points,
            lookback_seconds=lookback_seconds,
            lookahead_points=lookahead_points,
            reference=reference,
            time_input=time_input,
            version=version,
            summary=summary,
            absolute_time=absolute_time,
        )
        return function

    return register


# Helpers shared by the check modules -------------------------------------------------


def _values(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        msg = f"{name} must be 1-D, got shape {array.shape}"
        raise ValueError(msg)
    return array


def _seconds(times: TimesLike, length: int, name: str = "times") -> IntArray:
    """Times as int64 seconds since the epoch, checked: same length, no NaT, sorted."""
    array = _datetimes(times, name)
    if array.shape != (length,):
        msg = f"{name} has shape {array.shape}, values have {length} points"
        raise ValueError(msg)
    seconds = array.view(np.int64)
    if np.isnat(array).any():
        msg = f"{name} holds NaT"
        raise ValueError(msg)
    if length > 1 and (seconds[1:] < seconds[:-1]).any():
        position = int(np.argmax(seconds[1:] < seconds[:-1])) + 1
        msg = f"{name} must be sorted; {array[position]} follows {array[position - 1]}"
        raise ValueError(msg)
    return seconds


def _datetimes(times: TimesLike, name: str) -> TimeArray:
    array = np.asarray(times)
    if array.dtype == object and array.size:
        # aware datetimes → naive UTC, so numpy does not warn about time zones
        array = np.array([_naive_utc(item) for item in array.ravel()]).reshape(
            array.shape
        )
    try:
        return array.astype("datetime64[s]")
    except (TypeError, ValueError) as err:
        msg = f"{name} must be datetime64 [UTC], got dtype {array.dtype}"
        raise ValueError(msg) from err


def _naive_utc(item: object) -> object:
    if isinstance(item, datetime) and item.tzinfo is not None:
        return item.astimezone(UTC).replace(tzinfo=None)
    return item


def _instant(value: object, name: str) -> int:
    """One instant (datetime64, ISO string or datetime; aware → UTC) as epoch seconds."""
    array = _datetimes(np.array([value], dtype=object), name)
    if np.isnat(array[0]):
        msg = f"{name} is NaT"
        raise ValueError(msg)
    return int(array.view(np.int64)[0])


def _span(span: Any, name: str) -> tuple[float, float]:
    """A closed ``(low, high)`` span with ``None`` → ±inf, checked."""
    try:
        low, high = span
    except (TypeError, ValueError) as err:
        msg = f"{name}={span!r} must be a (low, high) pair"
        raise ValueError(msg) from err
    lo = -np.inf if low is None else float(low)
    hi = np.inf if high is None else float(high)
    if not lo <= hi:
        msg = f"{name}={span!r}: low must not exceed high"
        raise ValueError(msg)
    return lo, hi


def _finish(flags: FlagArray, values: FloatArray) -> FlagArray:
    """Set MISSING where the value is NaN (every check's contract)."""
    flags[np.isnan(values)] = MISSING
    return flags
