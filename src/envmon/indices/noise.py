"""Environmental noise: GB 3096-2008 functional-zone limits and their evaluation. Pure.

Hourly or shorter Leq values are energy-averaged into the day level Ld and the night level
Ln (never the arithmetic mean of decibels); each complies when ``Leq ≤ limit`` (§5.1), and
night L_max when it is within the night limit + 15 dB (§5.4). Levels are reported at 0.1 dB,
so the judgements round half up to 0.1 dB first: Ld 60.04 in zone 2 complies. The day is
06:00–22:00 and the night 22:00–06:00 Beijing time by default; a county or higher government
may move the boundaries, so the hours are parameters.

Survey (普查) levels are *arithmetic* means, unlike Ld and Ln: a zone's grid cells
(``numpy.nanmean``), a class 4 trunk line's sections weighted by length (``numpy.average``).
The HJ 640-2012 grade tables and the Annex B rules are recalled, not quoted, in ``noise.md``;
check them before publishing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "DAY_START_HOUR",
    "EXISTING_RAILWAY_LIMITS",
    "GRADE_BOUNDS",
    "INDOOR_REDUCTION_DB",
    "NIGHT_MAXIMUM_ALLOWANCE_DB",
    "NIGHT_START_HOUR",
    "NOISE_LIMITS",
    "NightMaximum",
    "NoiseAssessment",
    "NoiseGrade",
    "NoiseZone",
    "Period",
    "ZoneLimits",
    "assess_night_maximum",
    "assess_noise",
    "compliance_rate",
    "day_night_level",
    "day_night_levels",
    "equivalent_level",
    "noise_grades",
    "zone_limits",
]

FloatArray = npt.NDArray[np.float64]


class NoiseZone(StrEnum):
    """Acoustic functional zone class, GB 3096-2008 §4 (声环境功能区)."""

    CLASS_0 = "0"  # convalescent areas
    CLASS_1 = "1"  # residential, medical, education, research, administration
    CLASS_2 = "2"  # commerce and markets, or mixed use
    CLASS_3 = "3"  # industry, warehousing and logistics
    CLASS_4A = "4a"  # along roads, surface urban rail and inland waterways
    CLASS_4B = "4b"  # along trunk railways

    @property
    def zh_name(self) -> str:
        """Chinese name, e.g. ``"4a类声环境功能区"``."""
        return f"{self.value}类声环境功能区"


class Period(StrEnum):
    """Day (昼间) or night (夜间)."""

    DAY = "day"
    NIGHT = "night"


class ZoneLimits(NamedTuple):
    """Day and night limits of a zone [dB(A)]."""

    day: float
    night: float


NOISE_LIMITS: Final[dict[NoiseZone, ZoneLimits]] = {
    NoiseZone.CLASS_0: ZoneLimits(50.0, 40.0),
    NoiseZone.CLASS_1: ZoneLimits(55.0, 45.0),
    NoiseZone.CLASS_2: ZoneLimits(60.0, 50.0),
    NoiseZone.CLASS_3: ZoneLimits(65.0, 55.0),
    NoiseZone.CLASS_4A: ZoneLimits(70.0, 55.0),
    NoiseZone.CLASS_4B: ZoneLimits(70.0, 60.0),
}
"""Equivalent sound level limits, GB 3096-2008 §5.1 Table 1 [dB(A)].

Class 4b applies beside trunk railways whose EIA was approved on or after 2011-01-01.
"""

EXISTING_RAILWAY_LIMITS: Final = ZoneLimits(70.0, 55.0)
"""Background limits beside existing trunk railways through towns, GB 3096-2008 §5.2 [dB(A)]."""

NIGHT_MAXIMUM_ALLOWANCE_DB: Final = 15.0
"""Night L_max may exceed the night limit by at most this, GB 3096-2008 §5.4 [dB]."""

INDOOR_REDUCTION_DB: Final = 10.0
"""Indoor measurement (windows open) is held to the limit minus this [dB] (recalled)."""

DAY_START_HOUR: Final = 6
"""Default start of the day, Beijing time [h] (GB 3096-2008 §3; local rules may differ)."""

NIGHT_START_HOUR: Final = 22
"""Default start of the night, Beijing time [h]."""


def zone_limits(
    zone: NoiseZone | str, *, existing_railway: bool = False, indoor: bool = False
) -> ZoneLimits:
    """Return the day and night limits that apply at a point.

    Parameters
    ----------
    zone : NoiseZone or str
        Functional zone class: ``"0"``, ``"1"``, ``"2"``, ``"3"``, ``"4a"`` or ``"4b"``.
    existing_railway : bool, default False
        Zone 4b beside a railway in service or EIA-approved by 2010-12-31: the §5.2
        background limits apply.
    indoor : bool, default False
        Measured inside a sensitive building with windows open: limits minus 10 dB.

    Returns
    -------
    ZoneLimits
        Day and night limits [dB(A)].

    Raises
    ------
    ValueError
        For an unknown zone, or ``existing_railway`` outside zone 4b.

    References
    ----------
    .. [1] GB 3096-2008, §5.1 Table 1, §5.2; Annex C (indoor measurement).

    Examples
    --------
    >>> zone_limits("2")
    ZoneLimits(day=60.0, night=50.0)
    >>> zone_limits("4b", existing_railway=True)
    ZoneLimits(day=70.0, night=55.0)
    """
    try:
        zone = NoiseZone(zone)
    except ValueError as err:
        msg = f"unknown noise zone {zone!r}; expected one of {[z.value for z in NoiseZone]}"
        raise ValueError(msg) from err
    if existing_railway and zone is not NoiseZone.CLASS_4B:
        msg = f"existing-railway limits apply to zone 4b only, not zone {zone.value}"
        raise ValueError(msg)
    limits = EXISTING_RAILWAY_LIMITS if existing_railway else NOISE_LIMITS[zone]
    reduction = INDOOR_REDUCTION_DB if indoor else 0.0
    return ZoneLimits(limits.day - reduction, limits.night - reduction)


def _floats(values: npt.ArrayLike, shape: tuple[int, ...] | None = None) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array if shape is None else np.broadcast_to(array, shape)


def _round_db(levels: npt.ArrayLike) -> FloatArray:
    # Half up on the printed value: 1e-9 absorbs the binary error of e.g. 60.05 * 10.
    return np.floor(np.asarray(levels, dtype=np.float64) * 10.0 + 0.5 + 1e-9) / 10.0


def equivalent_level(
    levels_db: npt.ArrayLike, durations: npt.ArrayLike | None = None
) -> float:
    """Energy-average sound levels: Leq = 10·lg(Σ tᵢ·10^(Lᵢ/10) / Σ tᵢ).

    Parameters
    ----------
    levels_db : array-like
        Equivalent levels of the periods [dB(A)]; NaN is ignored.
    durations : array-like, optional
        Length of each period [any one unit, e.g. min]; equal lengths by default.

    Returns
    -------
    float
        Leq [dB(A)], not rounded; NaN when no period has a level and a positive duration.

    Raises
    ------
    ValueError
        If a duration is negative.

    References
    ----------
    .. [1] GB 3096-2008, §3 (equivalent continuous A-weighted sound level).

    Examples
    --------
    >>> round(equivalent_level([49.0] * 15 + [62.0]), 1)
    52.4
    >>> equivalent_level([60.0, 70.0], durations=[0, 30])
    70.0
    """
    levels = _floats(levels_db)
    weights = _floats(1.0 if durations is None else durations, levels.shape)
    if np.any(weights < 0):
        msg = f"durations must not be negative: {weights[weights < 0].tolist()}"
        raise ValueError(msg)
    valid = ~np.isnan(levels) & ~np.isnan(weights) & (weights > 0)
    if not np.any(valid):
        return float("nan")
    levels, weights = levels[valid], weights[valid]
    top = float(levels.max())  # factored out so that 10^(L/10) cannot overflow
    energy = np.sum(weights * 10.0 ** ((levels - top) / 10.0)) / np.sum(weights)
    return top + 10.0 * float(np.log10(energy))


def day_night_levels(
    levels_db: npt.ArrayLike,
    hours_beijing: npt.ArrayLike,
    durations: npt.ArrayLike | None = None,
    *,
    day_start_hour: int = DAY_START_HOUR,
    night_start_hour: int = NIGHT_START_HOUR,
) -> tuple[float, float]:
    """Energy-average hourly levels into the day level Ld and the night level Ln.

    Parameters
    ----------
    levels_db : array-like
        Hourly (or shorter) Leq [dB(A)]; NaN is ignored.
    hours_beijing : array-like of int
        Beijing-time hour in which each period starts [h], 0–23: 22 is 22:00–23:00, night.
    durations : array-like, optional
        Length of each period [any one unit]; equal by default.
    day_start_hour, night_start_hour : int
        Period boundaries [h]; defaults 6 and 22.

    Returns
    -------
    tuple of float
        ``(Ld, Ln)`` [dB(A)], not rounded; NaN for a period without data.

    Raises
    ------
    ValueError
        If an hour is not a whole number in 0–23, or a duration is negative.

    References
    ----------
    .. [1] GB 3096-2008, §3 (day, night) and Annex B (24-h continuous monitoring).

    Examples
    --------
    >>> day, night = day_night_levels([55.0] * 16 + [45.0] * 8, [*range(6, 24), *range(6)])
    >>> round(day, 1), round(night, 1)
    (55.0, 45.0)
    """
    levels = _floats(levels_db)
    hours = _floats(hours_beijing, levels.shape)
    bad = np.isnan(hours) | (hours != np.floor(hours)) | (hours < 0) | (hours > 23)
    if np.any(bad):
        msg = f"hours must be whole numbers 0–23: {hours[bad].tolist()}"
        raise ValueError(msg)
    if day_start_hour <= night_start_hour:
        day = (hours >= day_start_hour) & (hours < night_start_hour)
    else:
        day = (hours >= day_start_hour) | (hours < night_start_hour)
    weights = _floats(1.0 if durations is None else durations, levels.shape)
    return (
        equivalent_level(levels[day], weights[day]),
        equivalent_level(levels[~day], weights[~day]),
    )


def day_night_level(
    day_leq: float,
    night_leq: float,
    *,
    day_start_hour: int = DAY_START_HOUR,
    night_start_hour: int = NIGHT_START_HOUR,
) -> float:
    """Day–night level Ldn = 10·lg((16·10^(Ld/10) + 8·10^((Ln+10)/10)) / 24).

    Parameters
    ----------
    day_leq, night_leq : float
        Ld and Ln [dB(A)].
    day_start_hour, night_start_hour : int
        Period boundaries [h]; they set the 16/8 hour weights.

    Returns
    -------
    float
        Ldn [dB(A)], not rounded; the night carries a 10 dB penalty.

    References
    ----------
    .. [1] ``noise.md`` §2 (used in some reports and in HJ 640 trends; recalled).

    Examples
    --------
    >>> round(day_night_level(60.0, 50.0), 1)
    60.0
    """
    day_hours = (night_start_hour - day_start_hour) % 24
    day_energy = day_hours * 10.0 ** (day_leq / 10.0)
    night_energy = (24 - day_hours) * 10.0 ** ((night_leq + 10.0) / 10.0)
    return 10.0 * float(np.log10((day_energy + night_energy) / 24.0))


@dataclass(frozen=True)
class NoiseAssessment:
    """Ld and Ln against the zone limits (see :func:`assess_noise`); levels at 0.1 dB."""

    zone: NoiseZone
    limits: ZoneLimits
    day_leq: float | None  # None: period not measured
    night_leq: float | None
    day_exceedance: float | None  # Ld - limit [dB]; positive when over
    night_exceedance: float | None
    day_compliant: bool | None
    night_compliant: bool | None

    @property
    def compliant(self) -> bool | None:
        """Every measured period complies; None if no period was measured."""
        verdicts = {self.day_compliant, self.night_compliant} - {None}
        return all(verdicts) if verdicts else None

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        periods = {
            "day": (self.day_leq, self.day_exceedance, self.day_compliant),
            "night": (self.night_leq, self.night_exceedance, self.night_compliant),
        }
        return {
            "zone": self.zone.value,
            "limits": self.limits._asdict(),
            **{
                name: dict(zip(("leq", "exceedance", "compliant"), values, strict=True))
                for name, values in periods.items()
            },
            "compliant": self.compliant,
        }


def _judge(leq: float | None, limit: float) -> tuple[float, float, bool] | None:
    if leq is None or np.isnan(leq):
        return None
    level = float(_round_db(leq))
    return level, round(level - limit, 1), level <= limit


def assess_noise(
    day_leq: float | None,
    night_leq: float | None,
    *,
    zone: NoiseZone | str,
    existing_railway: bool = False,
    indoor: bool = False,
) -> NoiseAssessment:
    """Compare Ld and Ln with the limits of a functional zone.

    Parameters
    ----------
    day_leq, night_leq : float or None
        Ld and Ln [dB(A)], rounded half up to 0.1 dB; None or NaN: period not measured.
    zone : NoiseZone or str
        Functional zone class.
    existing_railway, indoor : bool
        As in :func:`zone_limits`.

    Returns
    -------
    NoiseAssessment
        Limits, rounded levels, exceedances ΔL = Leq − limit [dB] and compliance flags.

    References
    ----------
    .. [1] GB 3096-2008, §5.1 Table 1 and Annex B.

    Examples
    --------
    >>> result = assess_noise(60.1, 50.0, zone="2")
    >>> result.day_exceedance, result.day_compliant, result.night_compliant
    (0.1, False, True)
    """
    limits = zone_limits(zone, existing_railway=existing_railway, indoor=indoor)
    day = _judge(day_leq, limits.day) or (None, None, None)
    night = _judge(night_leq, limits.night) or (None, None, None)
    return NoiseAssessment(
        NoiseZone(zone), limits, day[0], night[0], day[1], night[1], day[2], night[2]
    )


class NightMaximum(NamedTuple):
    """Night L_max against the night limit + 15 dB (see :func:`assess_night_maximum`)."""

    level: float  # L_max rounded to 0.1 dB [dB(A)]
    allowed: float  # night limit + 15 dB [dB(A)]
    exceedance: float  # level - allowed [dB]; positive when over
    compliant: bool


def assess_night_maximum(
    night_lmax_db: float,
    *,
    zone: NoiseZone | str,
    existing_railway: bool = False,
    indoor: bool = False,
) -> NightMaximum:
    """Judge night sudden noise: L_max may exceed the night limit by at most 15 dB.

    Parameters
    ----------
    night_lmax_db : float
        Maximum A-weighted level at night [dB(A)], rounded half up to 0.1 dB.
    zone : NoiseZone or str
        Functional zone class.
    existing_railway, indoor : bool
        As in :func:`zone_limits`.

    Returns
    -------
    NightMaximum
        Rounded level, allowed maximum, exceedance [dB] and compliance.

    Raises
    ------
    ValueError
        If ``night_lmax_db`` is NaN.

    References
    ----------
    .. [1] GB 3096-2008, §5.4 (夜间突发噪声, 最大声级超过限值的幅度不得高于 15 dB(A)).

    Examples
    --------
    >>> assess_night_maximum(60.5, zone="1")
    NightMaximum(level=60.5, allowed=60.0, exceedance=0.5, compliant=False)
    """
    limits = zone_limits(zone, existing_railway=existing_railway, indoor=indoor)
    judged = _judge(night_lmax_db, limits.night + NIGHT_MAXIMUM_ALLOWANCE_DB)
    if judged is None:
        msg = f"night L_max must be a number, not {night_lmax_db!r}"
        raise ValueError(msg)
    level, exceedance, compliant = judged
    return NightMaximum(
        level, limits.night + NIGHT_MAXIMUM_ALLOWANCE_DB, exceedance, compliant
    )


class NoiseGrade(IntEnum):
    """HJ 640-2012 grade of a regional or road-traffic level."""

    GOOD = 1
    FAIRLY_GOOD = 2
    FAIR = 3
    FAIRLY_POOR = 4
    POOR = 5

    @property
    def label(self) -> str:
        """Chinese label: 好, 较好, 一般, 较差 or 差."""
        return ("好", "较好", "一般", "较差", "差")[self - 1]


GRADE_BOUNDS: Final[dict[tuple[str, Period], tuple[float, float, float, float]]] = {
    ("regional", Period.DAY): (50.0, 55.0, 60.0, 65.0),
    ("regional", Period.NIGHT): (40.0, 45.0, 50.0, 55.0),
    ("road_traffic", Period.DAY): (68.0, 70.0, 72.0, 74.0),
    ("road_traffic", Period.NIGHT): (58.0, 60.0, 62.0, 64.0),
}
"""Inclusive upper bounds of grades 1–4 (above the last: grade 5), HJ 640-2012 [dB(A)].

Keyed by survey (``"regional"`` grid survey or ``"road_traffic"``) and period.
"""


def noise_grades(
    levels_db: npt.ArrayLike, *, survey: str, period: Period | str
) -> npt.NDArray[np.int64]:
    """Grade regional or road-traffic levels 1 好 … 5 差, vectorised.

    Parameters
    ----------
    levels_db : array-like
        Regional mean or length-weighted road-traffic levels [dB(A)], rounded half up to
        0.1 dB.
    survey : str
        ``"regional"`` or ``"road_traffic"``.
    period : Period or str
        ``"day"`` or ``"night"``.

    Returns
    -------
    numpy.ndarray of int
        Grades 1–5 (see :class:`NoiseGrade`), 0 for NaN.

    Raises
    ------
    ValueError
        For an unknown survey or period.

    References
    ----------
    .. [1] HJ 640-2012, grades of regional and road-traffic noise (recalled in ``noise.md``).

    Examples
    --------
    >>> noise_grades([50.0, 50.04, 50.1, 65.1], survey="regional", period="day")
    array([1, 1, 2, 5])
    >>> noise_grades([68.0, 69.9, 74.1], survey="road_traffic", period="day")
    array([1, 2, 5])
    """
    key = (survey, Period(period))
    if key not in GRADE_BOUNDS:
        msg = f"unknown survey {survey!r}; expected 'regional' or 'road_traffic'"
        raise ValueError(msg)
    levels = _round_db(levels_db)
    grades = np.searchsorted(np.asarray(GRADE_BOUNDS[key]), levels, side="left") + 1
    return np.where(np.isnan(levels), 0, grades).astype(np.int64)


def compliance_rate(leqs_db: npt.ArrayLike, limits_db: npt.ArrayLike) -> float:
    """Share of point-measurements (点次) that comply, for one period.

    Parameters
    ----------
    leqs_db : array-like
        Ld (or Ln) of each point-measurement [dB(A)], rounded half up to 0.1 dB; NaN is
        ignored.
    limits_db : array-like
        The matching limits [dB(A)], broadcast against ``leqs_db``.

    Returns
    -------
    float
        Compliance rate [%]; NaN without data.

    References
    ----------
    .. [1] GB 3096-2008, Annex B (定点监测法; recalled in ``noise.md``).

    Examples
    --------
    >>> compliance_rate([59.0, 60.04, 61.0, float("nan")], 60.0)
    66.66666666666667
    """
    levels = _round_db(leqs_db)
    limits = np.broadcast_to(np.asarray(limits_db, dtype=np.float64), levels.shape)
    valid = ~np.isnan(levels)
    if not np.any(valid):
        return float("nan")
    passed = np.count_nonzero(levels[valid] <= limits[valid])
    return 100.0 * float(passed) / float(np.count_nonzero(valid))
