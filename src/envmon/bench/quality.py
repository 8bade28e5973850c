"""QC benchmark: envmon's checks against ioos_qc and SaQC, speed and detection, in one run.

What is compared
----------------
The same three checks (gross range, spike, flat line) with equivalent parameters
(:class:`QcParams`) run on the same series by

* **envmon**: ``CHECKS["gross_range"]``, ``CHECKS["spike"]``, ``CHECKS["flat_line"]``,
  combined by :func:`envmon.quality.flags.qartod_compare`;
* **ioos_qc**: its functional API, ``ioos_qc.qartod.gross_range_test``, ``spike_test``
  (``method="average"``) and ``flat_line_test``, combined by ``qartod.qartod_compare``. The
  streams/config machinery (``Config``, ``PandasStream`` …) is deliberately not used: it
  adds bookkeeping around the same functions, and we time the checks themselves;
* **SaQC**: ``flagRange`` (range), ``flagOffset`` (spike) and ``flagConstants`` (flat line),
  each called once per level (DOUBTFUL for the suspect level, BAD for the fail level), all
  with ``dfilter=FILTER_NONE`` so that, as in QARTOD, every test sees the raw values.

The parameter mapping, one row per check (``p`` = :class:`QcParams`)::

    envmon                       ioos_qc.qartod                 SaQC
    gross_range(fail_span,       gross_range_test(fail_span,    flagRange(min, max) of
      suspect_span)                suspect_span)                  suspect_span → DOUBTFUL,
                                                                  of fail_span → BAD
    spike(suspect_threshold,     spike_test(suspect_threshold,  flagOffset(thresh=p.spike_*,
      fail_threshold)              fail_threshold, "average")     window=2 steps + 1 s,
                                                                  tolerance=None (= thresh))
    flat_line(tolerance,         flat_line_test(tolerance,      flagConstants(thresh=
      suspect_seconds,             suspect_threshold=s,           tolerance, window=f"{s}s")
      fail_seconds)                fail_threshold=s)              per level

Why ``flagOffset`` for the spike: it is SaQC's only spike check that, like the QARTOD spike
test, is deterministic, takes a threshold in the value's unit and looks at a value against
its direct neighbours ("abrupt rise and return within ``window``"). With ``window`` just over
two sampling steps it only accepts single-point excursions, as the QARTOD test does.
``flagZScore``/``flagMAD``/``flagUniLOF`` score a value against rolling statistics or
densities (no unit threshold), ``flagIsolated`` looks for values isolated by gaps, and
``flagByStatLowPass``/``flagRaise`` are gone from SaQC 2.9. It is not the same formula:
QARTOD flags ``|v[i] − (v[i−1] + v[i+1]) / 2| > T``; ``flagOffset`` flags ``|v[i] − v[i−1]| > T``
when ``|v[i+1] − v[i−1]| < tolerance``.

Timing covers everything from numpy arrays in to a QARTOD uint8 flag array out (for SaQC
that includes building the DataFrame and the ``SaQC`` object). The three implementations
are interleaved in each repeat and the median is reported.

SaQC has no UNKNOWN or MISSING flag: its unflagged values map to GOOD (1), DOUBTFUL to
SUSPECT (3), BAD to FAIL (4), and NaN values to MISSING (9), as both QARTOD libraries do.

Disagreements, explained (from inspecting samples of disagreeing points, then counted in
every run by :func:`explain`, which puts each one on the check and cause behind it):

* envmon vs ioos_qc — the gross range and spike tests are the same formulae (the spike
  reference ``(a + c) * 0.5`` equals ``(a + c) / 2`` exactly, NaN neighbours give UNKNOWN in
  both), and they agree point for point. The differences all come from the flat line:

  - ``flat_line/window_missing``: ioos_qc takes min/max over its window ignoring NaN, so the
    first value after a gap at least as long as the fail duration is alone in its window,
    has a range of 0 and is flagged FAIL (every such value in the Beijing series: 62 of
    them on 1M points). envmon needs the value at the start of the duration to be present
    (nothing shows the reading was flat before the gap) and leaves it GOOD (its flat-line
    flag is UNKNOWN there). This is an ioos_qc false alarm.
  - ``flat_line/series_start``: the first fail duration of the series — ioos_qc marks it
    GOOD (window not full), envmon UNKNOWN where the values so far are flat. None occur in
    the bench series.
  - (not counted) ioos_qc needs ``range < tolerance``, envmon ``range ≤ tolerance``; the
    bench's tolerance, half the 0.1 µg/m³ resolution, makes the two the same.

* envmon vs SaQC — the checks are defined differently:

  - ``flat_line/whole_plateau``: ``flagConstants`` flags the whole constant stretch from its
    first value (it spreads each constant window forwards), at the level of the stretch's
    full length; QARTOD flags a value only once the duration has elapsed, SUSPECT from 30
    min and FAIL from 60 min into the stretch. SaQC flags 30 more values per stuck
    stretch, and FAIL where envmon says SUSPECT. (Both detect the same stretches.)
  - ``flat_line/window_length``: SaQC's time window ``(t − W, t]`` holds ``W/step`` values,
    the QARTOD window ``[t − W, t]`` one more, so SaQC also flags stretches exactly one step
    shorter (e.g. a 60-minute dropout of zeros: FAIL in SaQC, SUSPECT in envmon).
  - ``flat_line/gap_edge``: ``flagConstants`` counts present values only
    (``min_periods=2``), so two equal values followed by a gap longer than the duration fill
    a "constant" window and are flagged FAIL — SaQC's counterpart of ioos_qc's gap alarm.
  - ``spike/definition``: ``flagOffset`` compares a value with the previous one and needs the
    next one to come back within ``tolerance``; QARTOD compares it with its neighbours'
    mean. So one-sided jumps (onset and end of offsets, drifts, dropouts) and the
    neighbours of a large spike (deviation ≈ height/2) are QARTOD spikes but not SaQC
    offsets, and single noisy values pass different thresholds (noise bursts).
  - ``spike/across_gap``: ``flagOffset`` drops NaN first and so compares values across a gap;
    QARTOD says UNKNOWN next to a missing neighbour.
  - Combining agrees: the BAD calls run after the DOUBTFUL ones, so SaQC's "last flag set
    wins" is QARTOD's "worst flag wins" (checked: the per-check flags combined by
    ``qartod_compare`` equal SaQC's final flags).

Detection quality
-----------------
:func:`inject_faults` puts ``per_type`` faults of each of six kinds at known positions in a
:func:`build_series` series; :func:`score` gives recall per kind (a fault counts as detected
if a value inside it is flagged SUSPECT or FAIL) and precision (flagged values attributable
to that kind, over those plus every flagged value not near any fault).

Nothing here is imported by the platform; ioos_qc and SaQC are imported lazily (they live
in a separate environment), so this module imports without them.
"""

from __future__ import annotations

import csv
import gc
import importlib
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from envmon.quality import CHECKS
from envmon.quality.flags import Flag, FlagArray, FloatArray, qartod_compare

__all__ = [
    "BEIJING_AIR",
    "CHECK_NAMES",
    "DEFAULT_CHECKS",
    "FAULT_KINDS",
    "IMPLEMENTATIONS",
    "PM25",
    "Agreement",
    "DefaultParams",
    "DefaultTiming",
    "Fault",
    "Faulted",
    "ImplementationResult",
    "QcParams",
    "QualityBench",
    "Run",
    "Score",
    "agreement",
    "build_series",
    "explain",
    "inject_faults",
    "library_version",
    "max_faults_per_type",
    "read_beijing_pm25",
    "run_envmon",
    "run_ioos",
    "run_quality_bench",
    "run_saqc",
    "score",
    "time_default_checks",
]

BEIJING_AIR: Final = (
    Path(__file__).resolve().parents[3].parent / "shared/data/beijing_air"
)
"""The real Beijing data (UCI PRSA 2013–2017, hourly), read in place from shared/."""

START: Final = np.datetime64("2013-02-28T16:00:00", "s")
"""First time of a built series: 2013-03-01 00:00 Beijing time (UTC+8), in UTC."""
STEP_SECONDS: Final = 60
"""Sampling step of a built series [s]."""

TimeArray = npt.NDArray[np.datetime64]
BoolArray = npt.NDArray[np.bool_]

IMPLEMENTATIONS: Final = ("envmon", "ioos_qc", "saqc")
"""Implementation names, in table order."""
_DISTRIBUTIONS: Final = {"envmon": "envmon", "ioos_qc": "ioos_qc", "saqc": "saqc"}


@dataclass(frozen=True, slots=True)
class QcParams:
    """Parameters of the three compared checks, for minute PM2.5 [µg/m³].

    Attributes
    ----------
    fail_span : tuple of float
        Sensor span [µg/m³]: the measuring range of a PM2.5 continuous monitor (HJ 653-2013:
        0–1000 µg/m³); outside → FAIL.
    suspect_span : tuple of float
        Plausible span [µg/m³]: the 4-year hourly record of the 12 Beijing stations lies
        within 2–999 and only 255 of its 420,768 station-hours exceed 600; below 1 µg/m³
        ambient PM2.5 is implausible (an analyser reading zero); outside → SUSPECT. (Values
        of the clean series outside it — 68 above 600, 2 noisy readings below 1 on 1M
        points — are envmon's only false alarms in the benchmark.)
    spike_suspect, spike_fail : float
        ``|v[i] − (v[i−1] + v[i+1]) / 2|`` above this → SUSPECT / FAIL [µg/m³]; the minute
        noise of the built series has a standard deviation of 0.5–10 µg/m³.
    flat_tolerance : float
        ``max − min`` still "not changing" [µg/m³]: half the 0.1 µg/m³ resolution, i.e. only
        exactly repeated values (and ``<`` vs ``≤`` cannot matter).
    flat_suspect_seconds, flat_fail_seconds : int
        Stuck for this long → SUSPECT / FAIL [s] (30 and 60 minutes: a working analyser
        never repeats a 0.1 µg/m³ reading for half an hour).
    """

    fail_span: tuple[float, float] = (0.0, 1000.0)
    suspect_span: tuple[float, float] = (1.0, 600.0)
    spike_suspect: float = 30.0
    spike_fail: float = 60.0
    flat_tolerance: float = 0.05
    flat_suspect_seconds: int = 1800
    flat_fail_seconds: int = 3600


PM25: Final = QcParams()
"""The parameters the benchmark uses."""


@dataclass(frozen=True, slots=True)
class DefaultParams:
    """Parameters of the 'default' checks of one parameter (minute PM2.5) for the 10M run.

    Attributes
    ----------
    qc : QcParams
        Range, spike and flat line as in the comparison.
    negative_tolerance : float
        Zero noise tolerated below 0 [µg/m³].
    rate_suspect_per_second, rate_fail_per_second : float
        Rate of change above this → SUSPECT / FAIL [µg/m³/s] (30 and 120 µg/m³ in a minute).
    expected_interval_seconds : float
        Reporting interval [s] for the time-gap check.
    """

    qc: QcParams = PM25
    negative_tolerance: float = 0.0
    rate_suspect_per_second: float = 0.5
    rate_fail_per_second: float = 2.0
    expected_interval_seconds: float = 60.0


DEFAULT_CHECKS: Final = (
    "gross_range",
    "negative",
    "spike",
    "flat_line",
    "rate_of_change",
    "duplicates",
    "time_gap",
)
"""The checks timed by :func:`time_default_checks`."""


CHECK_NAMES: Final = ("gross_range", "spike", "flat_line")
"""The three compared checks, by their envmon names."""


class Run(NamedTuple):
    """Combined QARTOD flags of one implementation, the seconds it took, and (when asked
    for) each check's own QARTOD flags by envmon check name (:data:`CHECK_NAMES`)."""

    flags: FlagArray
    seconds: float
    checks: Mapping[str, FlagArray] = MappingProxyType({})


# Data ------------------------------------------------------------------------------


def _station_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("PRSA_Data_*.csv"))
    if not files:
        msg = f"no PRSA_Data_*.csv in {folder}"
        raise FileNotFoundError(msg)
    return files


def read_beijing_pm25(hours: int, folder: Path = BEIJING_AIR) -> FloatArray:
    """Return ``hours`` hourly PM2.5 values [µg/m³] of the real Beijing record (NaN = NA).

    The stations' 2013-03-01…2017-02-28 series (35,064 hours each) are laid end to end in
    file-name order (Aotizhongxin, Changping, …), and repeated if more hours are asked
    for than the 12 stations hold (420,768). Only as many files as needed are read.
    """
    if hours < 1:
        msg = f"hours={hours} must be ≥ 1"
        raise ValueError(msg)
    parts: list[FloatArray] = []
    count = 0
    for path in _station_files(folder):
        with path.open(newline="", encoding="utf-8") as handle:
            column = [row["PM2.5"] for row in csv.DictReader(handle)]
        part = np.array([np.nan if x in ("NA", "") else float(x) for x in column])
        parts.append(part)
        count += part.size
        if count >= hours:
            break
    return np.resize(np.concatenate(parts), hours)


def build_series(
    n_points: int = 1_000_000, seed: int = 0, folder: Path = BEIJING_AIR
) -> tuple[FloatArray, TimeArray]:
    """Build a realistic minute PM2.5 series of ``n_points`` from the real Beijing data.

    How it is made:

    1. the hourly PM2.5 of the real Beijing stations (:func:`read_beijing_pm25`), as many
       hours as needed plus one;
    2. linearly interpolated to minutes (minute ``k`` of hour ``h`` is
       ``v[h] + (v[h+1] − v[h]) · k/60``); a minute whose bracketing hours are not both
       present is missing (NaN), so a missing hour of the real record leaves a 2-hour gap
       (3.5 % of the minutes of a 1M series are missing);
    3. plus Gaussian measurement noise with standard deviation ``0.5 + 0.01·v`` µg/m³
       (a minute reading scatters more at high load), from ``numpy.random.default_rng(seed)``;
    4. rounded to the analyser's 0.1 µg/m³ resolution and clipped at 0.

    Times are regular minutes from :data:`START` (2013-03-01 00:00 Beijing), ``datetime64[s]``
    UTC; beyond one station's four years the next station's record follows on the same
    clock (the series is a realistic signal, not a record of one place).

    Returns
    -------
    tuple of (numpy.ndarray of float64, numpy.ndarray of datetime64[s])
        Values [µg/m³] and times [UTC].
    """
    if n_points < 2:
        msg = f"n_points={n_points} must be ≥ 2"
        raise ValueError(msg)
    per_hour = 3600 // STEP_SECONDS
    hours = n_points // per_hour + 2
    hourly = read_beijing_pm25(hours, folder)
    minute = np.arange(n_points)
    hour, within = np.divmod(minute, per_hour)
    low, high = hourly[hour], hourly[hour + 1]
    values = low + (high - low) * (within / per_hour)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(n_points)
    values += noise * (0.5 + 0.01 * np.nan_to_num(values))
    values = np.clip(np.round(values, 1), 0.0, None)
    times = START + minute.astype("timedelta64[m]").astype("timedelta64[s]")
    return values, times.astype("datetime64[s]")


# The three implementations ------------------------------------------------------------


def library_version(name: str) -> str | None:
    """Installed version of an implementation's distribution, ``None`` if not installed."""
    try:
        return metadata.version(_DISTRIBUTIONS.get(name, name))
    except metadata.PackageNotFoundError:
        return None


def run_envmon(
    values: FloatArray,
    times: TimeArray,
    params: QcParams = PM25,
    *,
    per_check: bool = False,
) -> Run:
    """Run envmon's gross range, spike and flat line and combine them; time it."""
    start = time.perf_counter()
    results = (
        CHECKS["gross_range"](
            values, times, fail_span=params.fail_span, suspect_span=params.suspect_span
        ),
        CHECKS["spike"](
            values,
            times,
            suspect_threshold=params.spike_suspect,
            fail_threshold=params.spike_fail,
        ),
        CHECKS["flat_line"](
            values,
            times,
            tolerance=params.flat_tolerance,
            suspect_seconds=params.flat_suspect_seconds,
            fail_seconds=params.flat_fail_seconds,
        ),
    )
    flags = qartod_compare(*results)
    seconds = time.perf_counter() - start
    checks = dict(zip(CHECK_NAMES, results, strict=True)) if per_check else {}
    return Run(flags, seconds, checks)


def run_ioos(
    values: FloatArray,
    times: TimeArray,
    params: QcParams = PM25,
    *,
    per_check: bool = False,
) -> Run:
    """Run ioos_qc's QARTOD functions (functional API, not streams) and combine; time it.

    Raises
    ------
    ModuleNotFoundError
        If ioos_qc is not installed.
    """
    qartod: Any = importlib.import_module("ioos_qc.qartod")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        results = [
            qartod.gross_range_test(
                values, fail_span=params.fail_span, suspect_span=params.suspect_span
            ),
            qartod.spike_test(
                values,
                suspect_threshold=params.spike_suspect,
                fail_threshold=params.spike_fail,
                method="average",
            ),
            qartod.flat_line_test(
                values,
                times,
                suspect_threshold=params.flat_suspect_seconds,
                fail_threshold=params.flat_fail_seconds,
                tolerance=params.flat_tolerance,
            ),
        ]
        combined = np.asarray(qartod.qartod_compare(results), dtype=np.uint8)
        seconds = time.perf_counter() - start
    checks = {}
    if per_check:
        for name, result in zip(CHECK_NAMES, results, strict=True):
            checks[name] = np.asarray(np.ma.getdata(result), dtype=np.uint8)
    return Run(combined, seconds, checks)


def _saqc_spike_window() -> str:
    # flagOffset accepts an excursion when |t[n−1] − t[n+k+1]| < window: a window just
    # over two steps admits k = 0 only, i.e. single-point spikes as in QARTOD.
    return f"{2 * STEP_SECONDS + 1}s"


def _saqc_calls(params: QcParams, saqc_constants: Any) -> list[tuple[str, str, Any]]:
    """``(check, SaQC method, keyword arguments)`` in call order: DOUBTFUL level first."""
    doubtful, bad = saqc_constants.DOUBTFUL, saqc_constants.BAD
    everything = saqc_constants.FILTER_NONE
    calls = []
    for flag, span, threshold, seconds in (
        (
            doubtful,
            params.suspect_span,
            params.spike_suspect,
            params.flat_suspect_seconds,
        ),
        (bad, params.fail_span, params.spike_fail, params.flat_fail_seconds),
    ):
        common = {"flag": flag, "dfilter": everything}
        calls += [
            ("gross_range", "flagRange", {"min": span[0], "max": span[1], **common}),
            (
                "spike",
                "flagOffset",
                {"window": _saqc_spike_window(), "thresh": threshold, **common},
            ),
            (
                "flat_line",
                "flagConstants",
                {"window": f"{seconds}s", "thresh": params.flat_tolerance, **common},
            ),
        ]
    return calls


def _saqc_flags(
    qc: Any, values: FloatArray, saqc_constants: Any
) -> npt.NDArray[np.uint8]:
    raw = np.asarray(qc.flags["x"].to_numpy(), dtype=np.float64)
    flags = np.full(raw.shape, Flag.GOOD, dtype=np.uint8)
    flags[raw >= saqc_constants.DOUBTFUL] = Flag.SUSPECT
    flags[raw >= saqc_constants.BAD] = Flag.FAIL
    flags[np.isnan(values)] = Flag.MISSING
    return flags


def run_saqc(
    values: FloatArray,
    times: TimeArray,
    params: QcParams = PM25,
    *,
    per_check: bool = False,
) -> Run:
    """Run SaQC's flagRange, flagOffset and flagConstants (two levels each); time it.

    The DOUBTFUL-level calls run first and the BAD-level calls last, all with
    ``dfilter=FILTER_NONE``: SaQC's final flag is the last one set, which in this order
    is the worst one, as in QARTOD. Unflagged → GOOD, DOUBTFUL → SUSPECT, BAD → FAIL,
    NaN values → MISSING. ``per_check`` runs each check's two calls again on a fresh
    ``SaQC`` object, outside the timing (SaQC's public API gives the final flags only).

    Raises
    ------
    ModuleNotFoundError
        If SaQC (or pandas) is not installed.
    """
    saqc: Any = importlib.import_module("saqc")
    constants: Any = importlib.import_module("saqc.constants")
    pd: Any = importlib.import_module("pandas")
    calls = _saqc_calls(params, constants)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        frame = pd.DataFrame({"x": values}, index=pd.DatetimeIndex(times))
        qc = saqc.SaQC(frame)
        for _check, method, kwargs in calls:
            qc = getattr(qc, method)("x", **kwargs)
        flags = _saqc_flags(qc, values, constants)
        seconds = time.perf_counter() - start
        checks = {}
        if per_check:
            for name in CHECK_NAMES:
                qc = saqc.SaQC(frame)
                for check, method, kwargs in calls:
                    if check == name:
                        qc = getattr(qc, method)("x", **kwargs)
                checks[name] = _saqc_flags(qc, values, constants)
    return Run(flags, seconds, checks)


class _Runner(Protocol):
    def __call__(
        self,
        values: FloatArray,
        times: TimeArray,
        params: QcParams = ...,
        *,
        per_check: bool = ...,
    ) -> Run: ...


_RUNNERS: Final[Mapping[str, _Runner]] = {
    "envmon": run_envmon,
    "ioos_qc": run_ioos,
    "saqc": run_saqc,
}


# Agreement -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agreement:
    """How two flag arrays compare point by point."""

    counts: Mapping[tuple[int, int], int]
    """``(flag_a, flag_b) → number of points``."""
    total: int

    @property
    def equal(self) -> int:
        """Points with the same flag."""
        return sum(c for (a, b), c in self.counts.items() if a == b)

    @property
    def share(self) -> float:
        """Share of points with the same flag (1.0 for empty arrays)."""
        return self.equal / self.total if self.total else 1.0

    def disagreements(self) -> dict[tuple[int, int], int]:
        """The off-diagonal counts, largest first."""
        pairs = [(k, c) for k, c in self.counts.items() if k[0] != k[1]]
        return dict(sorted(pairs, key=lambda item: -item[1]))


def agreement(a: npt.ArrayLike, b: npt.ArrayLike) -> Agreement:
    """Count points per ``(flag_a, flag_b)`` pair.

    Examples
    --------
    >>> result = agreement([1, 1, 3, 9], [1, 3, 3, 9])
    >>> result.counts[(1, 3)], result.share
    (1, 0.75)
    """
    first = np.asarray(a).astype(np.int64)
    second = np.asarray(b).astype(np.int64)
    if first.shape != second.shape:
        msg = f"flag arrays differ in shape: {first.shape} vs {second.shape}"
        raise ValueError(msg)
    pairs, counts = np.unique(first * 256 + second, return_counts=True)
    table = {
        (int(p) // 256, int(p) % 256): int(c)
        for p, c in zip(pairs.tolist(), counts.tolist(), strict=True)
    }
    return Agreement(table, int(first.size))


def _flat_runs(
    values: FloatArray, tolerance: float
) -> tuple[npt.NDArray[np.intp], BoolArray]:
    """Per point: length of its run of repeated values (within ``tolerance``, no NaN
    inside), and whether that run touches a missing value on either side."""
    n = values.size
    same = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        same[1:] = np.abs(np.diff(values)) <= tolerance
    run = np.cumsum(~same) - 1
    length = np.bincount(run)[run]
    first = np.flatnonzero(~same)
    last = np.append(first[1:] - 1, n - 1)
    missing = np.isnan(values)
    before = np.concatenate([[False], missing[:-1]])
    after = np.concatenate([missing[1:], [False]])
    touches = (before[first] | after[last])[run]
    return length, touches


def _causes(
    values: FloatArray, other: str, params: QcParams
) -> dict[str, list[tuple[str, BoolArray]]]:
    """Per check, the known causes of a disagreement with ``other`` and where they apply."""
    n = values.size
    index = np.arange(n)
    suspect_points = params.flat_suspect_seconds // STEP_SECONDS
    fail_points = params.flat_fail_seconds // STEP_SECONDS
    missing = np.isnan(values)
    if other == "ioos_qc":
        # NaN among points i − fail_points … i: ioos_qc's window ignores it (a single
        # present value is "flat"), envmon needs the window's first value
        before = np.concatenate([[0], np.cumsum(missing)])
        back = np.maximum(index - fail_points, 0)
        return {
            "flat_line": [
                ("window_missing", before[index + 1] - before[back] > 0),
                ("series_start", index < fail_points),
            ],
        }
    if other == "saqc":
        length, touches = _flat_runs(values, params.flat_tolerance)
        return {
            "flat_line": [
                ("window_length", np.isin(length, (suspect_points, fail_points))),
                ("whole_plateau", length > suspect_points),
                ("gap_edge", (length >= 2) & touches),
            ],
            "spike": [
                ("across_gap", np.convolve(missing, [1, 0, 1], "same") > 0),
                ("definition", np.ones(n, dtype=bool)),
            ],
        }
    msg = f"other={other!r} must be 'ioos_qc' or 'saqc'"
    raise ValueError(msg)


def explain(
    values: FloatArray,
    envmon_checks: Mapping[str, FlagArray],
    other_checks: Mapping[str, FlagArray],
    other: str,
    params: QcParams = PM25,
) -> dict[str, int]:
    """Sort the points where the combined flags of ``other`` and envmon differ by cause.

    A disagreement is put on a check when using envmon's flags of that check (and the
    other's flags of the other two) gives envmon's combined flag (checks tried in the
    order flat line, spike, gross range); within the check, on the first cause that
    applies at the point (module docstring):

    * ioos_qc, flat line: ``window_missing`` (a value is missing among the fail duration's
      points up to it), ``series_start`` (within the first fail duration);
    * SaQC, flat line: ``window_length`` (in a run of repeated values exactly as many
      points as a duration has steps), ``whole_plateau`` (in a longer run), ``gap_edge``
      (in a run of ≥ 2 repeated values beside a missing value);
    * SaQC, spike: ``across_gap`` (a neighbour is missing), ``definition`` (the rest:
      ``flagOffset`` is another criterion than the neighbours' mean).

    Anything else is counted as ``"<check>/unexplained"`` or, if no single check accounts
    for the point, ``"several checks"``; both are 0 in the runs reported.

    Parameters
    ----------
    values : numpy.ndarray of float
        The series both ran on [µg/m³].
    envmon_checks, other_checks : mapping of str to numpy.ndarray of uint8
        Each check's QARTOD flags (``Run.checks`` with ``per_check=True``).
    other : {"ioos_qc", "saqc"}
        Which implementation ``other_checks`` came from.
    params : QcParams
        The parameters both ran with.

    Returns
    -------
    dict of str to int
        ``"<check>/<cause>"`` → disagreeing points, empty causes left out.
    """
    causes = _causes(values, other, params)
    mine = qartod_compare(*(envmon_checks[name] for name in CHECK_NAMES))
    theirs = qartod_compare(*(other_checks[name] for name in CHECK_NAMES))
    left = mine != theirs
    result: dict[str, int] = {}
    for check in ("flat_line", "spike", "gross_range"):
        swapped = qartod_compare(
            *(
                envmon_checks[name] if name == check else other_checks[name]
                for name in CHECK_NAMES
            )
        )
        hit = left & (swapped == mine)
        left &= ~hit
        for cause, where in causes.get(check, []):
            found = hit & where
            if found.any():
                result[f"{check}/{cause}"] = int(found.sum())
            hit &= ~where
        if hit.any():
            result[f"{check}/unexplained"] = int(hit.sum())
    if left.any():
        result["several checks"] = int(left.sum())
    return result


# Fault injection and scoring ------------------------------------------------------------

FAULT_KINDS: Final = ("stuck", "spike", "drift", "offset", "noise_burst", "dropout")
"""The six fault kinds :func:`inject_faults` injects."""

_DURATIONS_MINUTES: Final[Mapping[str, tuple[int, int]]] = {
    "stuck": (20, 180),
    "spike": (1, 1),
    "drift": (360, 1440),
    "offset": (60, 360),
    "noise_burst": (15, 120),
    "dropout": (5, 60),
}
_GUARD_POINTS: Final = 60


class Fault(NamedTuple):
    """One injected fault: values ``start ≤ i < stop`` are affected."""

    kind: str
    start: int
    stop: int
    magnitude: float
    """Stuck value, spike height, drift end, offset, noise SD [µg/m³]; 0 for dropout."""


class Faulted(NamedTuple):
    """A series with injected faults and where they are."""

    values: FloatArray
    faults: tuple[Fault, ...]


def _clean_start(
    base: FloatArray, low: int, high: int, length: int, rng: np.random.Generator
) -> tuple[int, int]:
    """A random start in ``[low, high]`` among those whose window (±1 point) holds the
    fewest NaN, and that number."""
    before = np.concatenate(
        [[0], np.cumsum(np.isnan(base[low - 1 : high + length + 1]))]
    )
    starts = np.arange(low, high + 1)
    gaps = before[starts - low + length + 2] - before[starts - low]
    fewest = int(gaps.min())
    best = np.flatnonzero(gaps == fewest)
    return int(starts[best[rng.integers(best.size)]]), fewest


def _apply(
    values: FloatArray, kind: str, start: int, stop: int, rng: np.random.Generator
) -> float:
    """Write one fault into ``values[start:stop]``; return its magnitude."""
    length = stop - start
    window = values[start:stop]
    sign = 1.0 if rng.random() < 0.5 else -1.0
    if kind == "stuck":  # the reading freezes at its value when the fault begins
        magnitude = float(window[0])
        window[:] = magnitude
    elif kind == "spike":  # one reading jumps up (a dust puff, an electrical glitch)
        magnitude = float(rng.uniform(20.0, 200.0))
        window += magnitude
    elif kind == "drift":  # zero/span drift growing linearly, reset by a calibration
        magnitude = sign * float(rng.uniform(30.0, 100.0))
        window += magnitude * np.arange(1, length + 1) / length
    elif kind == "offset":  # a constant bias (wrong zero after maintenance)
        magnitude = sign * float(rng.uniform(40.0, 120.0))
        window += magnitude
    elif kind == "noise_burst":  # the reading scatters (loose contact, flow problem)
        magnitude = float(rng.uniform(15.0, 40.0))
        window += rng.normal(0.0, magnitude, length)
    elif kind == "dropout":  # the signal drops to the analyser's zero floor
        magnitude = 0.0
        window[:] = 0.0
    else:
        msg = f"unknown fault kind {kind!r}; known: {FAULT_KINDS}"
        raise ValueError(msg)
    values[start:stop] = np.round(window, 1)
    return magnitude


def inject_faults(
    values: FloatArray, times: TimeArray, seed: int = 0, per_type: int = 40
) -> Faulted:
    """Inject ``per_type`` faults of each kind in :data:`FAULT_KINDS` at known positions.

    The series is cut into ``6 · per_type`` equal slots plus up to 10 % spare ones; the
    kinds are shuffled and take the slots in order. Each fault starts at a random
    position of its slot leaving at least 60 points to the slot's edges (so faults never
    touch), drawn among the positions where the fault and its two neighbours have no
    missing value; a slot without such a position (inside a long gap of the real record)
    is skipped while spare slots remain (then the position with the fewest missing values
    is taken). Durations are drawn in minutes and converted with the series' median
    step. The kinds (values rounded to 0.1 µg/m³ afterwards):

    * ``stuck`` (20–180 min): the value freezes at the first value of the fault;
    * ``spike`` (1 point): the value plus 20–200 µg/m³ (some stay below a 30 µg/m³
      spike threshold, as real small spikes do);
    * ``drift`` (6–24 h): plus a linear ramp from 0 to ±30–100 µg/m³, then back at once
      (a calibration resets it);
    * ``offset`` (1–6 h): plus a constant ±40–120 µg/m³ (may go negative, as a biased
      analyser reports);
    * ``noise_burst`` (15–120 min): plus Gaussian noise of SD 15–40 µg/m³;
    * ``dropout`` (5–60 min): the value reads 0 (the analyser's floor).

    Parameters
    ----------
    values : numpy.ndarray of float
        The clean series [µg/m³] (not modified).
    times : numpy.ndarray of datetime64
        Its times [UTC], sorted and regular enough for a median step.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    per_type : int, default 40
        Faults of each kind.

    Returns
    -------
    Faulted
        The faulted copy and the faults, in position order.

    Raises
    ------
    ValueError
        If the series is too short for the faults.
    """
    base = np.asarray(values, dtype=np.float64)
    seconds = np.asarray(times, dtype="datetime64[s]").view(np.int64)
    if seconds.shape != base.shape or base.ndim != 1:
        msg = f"values {base.shape} and times {seconds.shape} must be 1-D and aligned"
        raise ValueError(msg)
    step = float(np.median(np.diff(seconds))) if base.size > 1 else 0.0
    if not step > 0:
        msg = "times must advance (median step > 0)"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    kinds = rng.permutation(np.repeat(np.array(FAULT_KINDS), per_type)).tolist()
    longest = max(
        int(np.ceil(high * 60 / step)) for _, high in _DURATIONS_MINUTES.values()
    )
    usable = base.size // (longest + 2 * _GUARD_POINTS)
    if per_type < 1 or usable < len(kinds):
        msg = (
            f"{base.size} points are too few for {per_type} faults per kind: need ≥ "
            f"{(longest + 2 * _GUARD_POINTS) * len(FAULT_KINDS)} points per fault of "
            f"each kind"
        )
        raise ValueError(msg)
    # up to 10 % spare slots, used when a slot lies in a long data gap
    slots = min(usable, len(kinds) + len(kinds) // 10 + 1)
    slot = base.size // slots
    faulted = base.copy()
    faults: list[Fault] = []
    number = 0
    for kind in kinds:
        low_minutes, high_minutes = _DURATIONS_MINUTES[kind]
        minutes = int(rng.integers(low_minutes, high_minutes + 1))
        length = max(1, round(minutes * 60 / step))
        while True:
            low = number * slot + _GUARD_POINTS
            high = (number + 1) * slot - _GUARD_POINTS - length
            start, gaps = _clean_start(base, low, high, length, rng)
            number += 1
            spare = slots - number - (len(kinds) - len(faults) - 1)
            if gaps == 0 or spare <= 0:
                break
        magnitude = _apply(faulted, kind, start, start + length, rng)
        faults.append(Fault(kind, start, start + length, magnitude))
    return Faulted(faulted, tuple(faults))


def max_faults_per_type(n_points: int) -> int:
    """The most faults of each kind :func:`inject_faults` can place in ``n_points``
    minute values."""
    longest = max(high for _, high in _DURATIONS_MINUTES.values())
    return n_points // ((longest + 2 * _GUARD_POINTS) * len(FAULT_KINDS))


class Score(NamedTuple):
    """Detection figures of one fault kind (or ``"all"``)."""

    kind: str
    events: int
    detected: int
    true_points: int
    """Flagged values inside (or within ``margin`` of) faults of this kind."""
    false_points: int
    """Flagged values not inside or within ``margin`` of any fault (all kinds share it)."""

    @property
    def recall(self) -> float:
        """Detected faults / faults (NaN if none)."""
        return self.detected / self.events if self.events else float("nan")

    @property
    def precision(self) -> float:
        """``true_points / (true_points + false_points)`` (NaN if nothing flagged)."""
        flagged = self.true_points + self.false_points
        return self.true_points / flagged if flagged else float("nan")


def score(
    flags: npt.ArrayLike, faults: Sequence[Fault], margin: int = 1
) -> dict[str, Score]:
    """Precision and recall per fault kind of a flag array against the injected faults.

    Definitions (a value is *flagged* if its flag is SUSPECT (3) or FAIL (4); MISSING,
    UNKNOWN and GOOD are not flagged):

    * **recall** of a kind: faults of that kind with at least one flagged value inside
      ``[start, stop)``, over the faults of that kind (event level);
    * **precision** of a kind (value level): ``TP / (TP + FP)`` where ``TP`` counts flagged
      values inside faults of that kind or within ``margin`` points of one (a neighbour-
      based check such as the spike test legitimately flags the value next to a step),
      and ``FP`` counts flagged values not inside or within ``margin`` of *any* fault.
      Values flagged because of faults of other kinds count for neither, so the figure
      answers: "of the alarms this detector raises on data with only this kind of fault,
      how many are real?". The ``"all"`` row takes every fault.

    Returns
    -------
    dict of str to Score
        One per kind in :data:`FAULT_KINDS`, then ``"all"``.

    Examples
    --------
    >>> faults = [Fault("spike", 2, 3, 50.0), Fault("stuck", 5, 8, 7.0)]
    >>> result = score([1, 1, 3, 1, 1, 1, 1, 1, 1, 3], faults)
    >>> result["spike"].recall, result["stuck"].recall, result["spike"].precision
    (1.0, 0.0, 0.5)
    """
    flagged = np.isin(np.asarray(flags), (Flag.SUSPECT, Flag.FAIL))
    n = flagged.size
    near = np.zeros(n, dtype=bool)
    near_kind = {kind: np.zeros(n, dtype=bool) for kind in FAULT_KINDS}
    detected = dict.fromkeys(FAULT_KINDS, 0)
    events = dict.fromkeys(FAULT_KINDS, 0)
    for fault in faults:
        if fault.kind not in near_kind:
            msg = f"unknown fault kind {fault.kind!r}"
            raise ValueError(msg)
        zone = slice(max(0, fault.start - margin), min(n, fault.stop + margin))
        near[zone] = True
        near_kind[fault.kind][zone] = True
        events[fault.kind] += 1
        detected[fault.kind] += bool(flagged[fault.start : fault.stop].any())
    false_points = int((flagged & ~near).sum())
    result = {
        kind: Score(
            kind,
            events[kind],
            detected[kind],
            int((flagged & near_kind[kind]).sum()),
            false_points,
        )
        for kind in FAULT_KINDS
    }
    result["all"] = Score(
        "all",
        sum(events.values()),
        sum(detected.values()),
        int((flagged & near).sum()),
        false_points,
    )
    return result


# Default checks at 10M --------------------------------------------------------------------


class DefaultTiming(NamedTuple):
    """Seconds of the default checks of one parameter (median over repeats)."""

    points: int
    seconds: float
    per_check: Mapping[str, float]
    """Median seconds per check, plus ``"combine"`` (qartod_compare)."""
    repeats: int


def _default_calls(
    params: DefaultParams,
) -> Iterator[tuple[str, Callable[[FloatArray, TimeArray], FlagArray]]]:
    qc = params.qc
    yield (
        "gross_range",
        lambda v, t: CHECKS["gross_range"](
            v, t, fail_span=qc.fail_span, suspect_span=qc.suspect_span
        ),
    )
    yield (
        "negative",
        lambda v, t: CHECKS["negative"](v, t, tolerance=params.negative_tolerance),
    )
    yield (
        "spike",
        lambda v, t: CHECKS["spike"](
            v, t, suspect_threshold=qc.spike_suspect, fail_threshold=qc.spike_fail
        ),
    )
    yield (
        "flat_line",
        lambda v, t: CHECKS["flat_line"](
            v,
            t,
            tolerance=qc.flat_tolerance,
            suspect_seconds=qc.flat_suspect_seconds,
            fail_seconds=qc.flat_fail_seconds,
        ),
    )
    yield (
        "rate_of_change",
        lambda v, t: CHECKS["rate_of_change"](
            v,
            t,
            max_rate_per_second=params.rate_suspect_per_second,
            fail_rate_per_second=params.rate_fail_per_second,
        ),
    )
    yield ("duplicates", lambda v, t: CHECKS["duplicates"](v, t))
    yield (
        "time_gap",
        lambda v, t: CHECKS["time_gap"](
            v, t, expected_interval_seconds=params.expected_interval_seconds
        ),
    )


def time_default_checks(
    n: int = 10_000_000,
    *,
    repeats: int = 3,
    seed: int = 0,
    params: DefaultParams | None = None,
    series: tuple[FloatArray, TimeArray] | None = None,
) -> DefaultTiming:
    """Time all default checks of one parameter (:data:`DEFAULT_CHECKS`) on ``n`` points.

    The series is :func:`build_series` ``(n, seed)`` (built outside the timing) unless
    given. Each repeat runs the seven checks and combines them with ``qartod_compare``;
    the median total over ``repeats`` is reported, with each part's median.
    """
    chosen = params or DefaultParams()
    values, times = series if series is not None else build_series(n, seed)
    totals: list[float] = []
    parts: dict[str, list[float]] = {}
    for _ in range(max(1, repeats)):
        gc.collect()
        results = []
        begin = time.perf_counter()
        for name, call in _default_calls(chosen):
            start = time.perf_counter()
            results.append(call(values, times))
            parts.setdefault(name, []).append(time.perf_counter() - start)
        start = time.perf_counter()
        qartod_compare(*results)
        end = time.perf_counter()
        parts.setdefault("combine", []).append(end - start)
        totals.append(end - begin)
    return DefaultTiming(
        int(values.size),
        statistics.median(totals),
        {name: statistics.median(times_) for name, times_ in parts.items()},
        len(totals),
    )


# The whole benchmark ------------------------------------------------------------------------


@dataclass(slots=True)
class ImplementationResult:
    """One implementation's figures (``version`` ``None``: not installed)."""

    name: str
    version: str | None
    timings: list[float] = field(default_factory=list)
    agreement_clean: Agreement | None = None
    """Agreement with envmon on the clean series (envmon: ``None``)."""
    agreement_faulted: Agreement | None = None
    explained_clean: dict[str, int] = field(default_factory=dict)
    explained_faulted: dict[str, int] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)
    error: str | None = None

    @property
    def median_seconds(self) -> float:
        """Median of the timed repeats (NaN if none)."""
        return statistics.median(self.timings) if self.timings else float("nan")

    @property
    def best_seconds(self) -> float:
        """Fastest timed repeat (NaN if none): the least disturbed by other load."""
        return min(self.timings) if self.timings else float("nan")


@dataclass(slots=True)
class QualityBench:
    """Figures of one ``envmon bench quality`` run."""

    points: int
    repeats: int
    params: QcParams
    implementations: dict[str, ImplementationResult]
    default_checks: DefaultTiming | None
    faults_per_type: int

    @property
    def baseline(self) -> ImplementationResult | None:
        """The faster of ioos_qc and SaQC in this run (``None`` if neither ran)."""
        ran = [
            self.implementations[name]
            for name in ("ioos_qc", "saqc")
            if self.implementations[name].timings
        ]
        return min(ran, key=lambda r: r.median_seconds) if ran else None

    def speedup(self, name: str, *, best: bool = False) -> float:
        """Baseline median / this implementation's median (NaN without a baseline);
        with ``best``, the ratio of the fastest repeats."""
        baseline = self.baseline
        mine = self.implementations[name]
        if baseline is None or not mine.timings:
            return float("nan")
        if best:
            return baseline.best_seconds / mine.best_seconds
        return baseline.median_seconds / mine.median_seconds


def _available(name: str) -> bool:
    modules = {"envmon": "envmon", "ioos_qc": "ioos_qc.qartod", "saqc": "saqc"}
    try:
        importlib.import_module(modules[name])
    except ImportError:
        return False
    return True


def _attempt(
    name: str,
    values: FloatArray,
    times: TimeArray,
    params: QcParams,
    per_check: bool,
    results: dict[str, ImplementationResult],
) -> Run | None:
    """Run one implementation; a failure of ioos_qc or SaQC is recorded, not raised."""
    try:
        return _RUNNERS[name](values, times, params, per_check=per_check)
    except Exception as error:
        if name == "envmon":
            raise
        results[name].error = f"{type(error).__name__}: {error}"
        return None


def run_quality_bench(
    *,
    points: int = 1_000_000,
    repeats: int = 5,
    seed: int = 0,
    params: QcParams = PM25,
    default_points: int = 10_000_000,
    faults_per_type: int = 40,
    progress: Callable[[str], None] | None = None,
) -> QualityBench:
    """Run the whole benchmark: speed, agreement, detection and the default-checks time.

    ``default_points=0`` skips the default-checks timing. ioos_qc or SaQC missing gives
    an :class:`ImplementationResult` without figures (``version=None``).
    """
    say = progress or (lambda _message: None)
    faults_per_type = min(faults_per_type, max_faults_per_type(points))
    say(f"building the {points:,}-point series from the Beijing data")
    values, times = build_series(points, seed)
    results = {
        name: ImplementationResult(
            name, library_version(name) if _available(name) else None
        )
        for name in IMPLEMENTATIONS
    }
    ready = [name for name in IMPLEMENTATIONS if results[name].version is not None]
    clean: dict[str, Run] = {}
    for repeat in range(repeats):
        for name in list(ready):
            say(f"repeat {repeat + 1}/{repeats}: {name}")
            gc.collect()
            run = _attempt(name, values, times, params, repeat == repeats - 1, results)
            if run is None:
                ready.remove(name)
                continue
            results[name].timings.append(run.seconds)
            clean[name] = run
    say("injecting faults")
    if faults_per_type < 1:
        msg = f"{points:,} points are too few for the fault series"
        raise ValueError(msg)
    faulted = inject_faults(values, times, seed, faults_per_type)
    dirty: dict[str, Run] = {}
    for name in list(ready):
        say(f"detection: {name}")
        run = _attempt(name, faulted.values, times, params, True, results)
        if run is None:
            ready.remove(name)
            continue
        dirty[name] = run
        results[name].scores = score(run.flags, faulted.faults)
    if "envmon" in ready:
        for name in ready[1:]:
            result = results[name]
            result.agreement_clean = agreement(clean["envmon"].flags, clean[name].flags)
            result.agreement_faulted = agreement(
                dirty["envmon"].flags, dirty[name].flags
            )
            result.explained_clean = explain(
                values, clean["envmon"].checks, clean[name].checks, name, params
            )
            result.explained_faulted = explain(
                faulted.values, dirty["envmon"].checks, dirty[name].checks, name, params
            )
    default = None
    if default_points:
        say(f"default checks on {default_points:,} points")
        default = time_default_checks(default_points, seed=seed)
    return QualityBench(points, repeats, params, results, default, faults_per_type)
