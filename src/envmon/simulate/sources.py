"""Realistic monitoring values for simulated HJ 212 points. Pure (numpy + stdlib).

Three kinds of point, each an infinite, seeded, deterministic sequence of records
``(data_time, {code: {suffix: value}})`` at a fixed interval:

* ambient air stations (ST 22): a replay of the packaged Beijing 2016 hourly extract,
  interpolated between hours (with a little noise) for minute and real-time data;
* flue-gas outlets (ST 31): plant load with a daily cycle, AR(1) wander, shut-downs and
  start-ups, O2 rising at low load, and oxygen-corrected concentrations (``-ZsAvg``);
* wastewater outlets (ST 32): diurnal flow, slowly wandering effluent quality under the
  GB 18918-2002 class 1-A limits, with interval amounts (``-Cou``).

Suffixes follow HJ 212-2017 §7.2: real-time ``Rtd``; minute and hourly ``Avg Min Max``
(plus ``ZsAvg`` for flue-gas pollutants and ``Cou`` for flows and loads); always ``Flag``.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from envmon.timeutil import BEIJING

__all__ = [
    "AIR_OXYGEN",
    "COMMAND_CODES",
    "DEFAULT_INTERVALS",
    "SYSTEM_CODES",
    "DataKind",
    "PointKind",
    "PointSpec",
    "Record",
    "air_series_codes",
    "generate",
    "o2_corrected",
]

DataKind = Literal["minute", "hour", "realtime"]
PointKind = Literal["air", "flue_gas", "wastewater"]
Params = dict[str, dict[str, float | str]]
FloatArray = npt.NDArray[np.float64]

COMMAND_CODES: Final[dict[str, str]] = {
    "realtime": "2011",
    "minute": "2051",
    "hour": "2061",
}
"""HJ 212-2017 §6 upload command (CN) of each data kind."""

SYSTEM_CODES: Final[dict[str, str]] = {
    "air": "22",
    "flue_gas": "31",
    "wastewater": "32",
}
"""HJ 212-2017 Table 5 system code (ST) of each point kind."""

DEFAULT_INTERVALS: Final[dict[str, timedelta]] = {
    "realtime": timedelta(seconds=30),
    "minute": timedelta(minutes=10),
    "hour": timedelta(hours=1),
}
"""Data interval of each kind (RtdInterval 30 s, MinInterval 10 min, one hour)."""

AIR_OXYGEN: Final = 21.0
"""O2 content of air in the correction formula of GB 13271-2014 §5.2 and GB 13223-2011 [%]."""

AIR_COLUMNS: Final = {
    "pm25": "a34004",
    "pm10": "a34002",
    "so2": "a21026",
    "no2": "a21004",
    "co": "a21005",
    "o3": "a05024",
}
_AIR_DATA: Final = "demo/data/beijing_air_2016.csv.gz"


@dataclass(frozen=True, slots=True)
class PointSpec:
    """One simulated HJ 212 point: identity, credentials and what to generate.

    ``source`` is the station code (air: selects the Beijing series) or the outlet id;
    ``parameters`` restricts the generated codes (empty = every code of the kind).
    """

    mn: str
    password: str
    st: str
    kind: PointKind
    source: str
    reference_o2: float | None = None
    parameters: tuple[str, ...] = ()


class Record(NamedTuple):
    """One upload's content: interval start (Beijing time) and values by code and suffix."""

    data_time: datetime
    params: Params


def o2_corrected(value: float, o2: float, reference_o2: float) -> float:
    """Convert a measured flue-gas concentration to the reference oxygen content.

    Parameters
    ----------
    value : float
        Measured concentration, dry, standard state [mg/m³].
    o2 : float
        Measured oxygen content, dry [%].
    reference_o2 : float
        Reference oxygen content of the source type [%].

    Returns
    -------
    float
        ``value × (21 − reference_o2) / (21 − o2)`` [mg/m³].

    Raises
    ------
    ValueError
        If ``o2`` is 21 % or more (the probe sees air; do not correct).

    References
    ----------
    GB 13271-2014 §5.2; shared/reference/emissions.md (b).

    Examples
    --------
    >>> round(o2_corrected(30.0, 12.0, 6.0), 3)
    50.0
    """
    if o2 >= AIR_OXYGEN:
        msg = f"measured O2 {o2} % is air: no oxygen correction"
        raise ValueError(msg)
    return value * (AIR_OXYGEN - reference_o2) / (AIR_OXYGEN - o2)


def generate(
    point: PointSpec,
    *,
    kind: DataKind,
    start: datetime,
    seed: int,
    interval: timedelta | None = None,
) -> Iterator[Record]:
    """Yield the point's records from ``start`` on, one per interval, forever.

    Parameters
    ----------
    point : PointSpec
        The point; ``point.kind`` selects the model.
    kind : {"minute", "hour", "realtime"}
        Data kind: sets the suffixes and the default interval.
    start : datetime
        First interval (floored to the interval); naive means Beijing time.
    seed : int
        Seed; the same seed and point give the same sequence.
    interval : timedelta, optional
        Interval between records (default :data:`DEFAULT_INTERVALS`).

    Returns
    -------
    Iterator[Record]
        Records with Beijing-time ``data_time``; missing values are left out.

    Examples
    --------
    >>> p = PointSpec("M1", "123456", "22", "air", "1001A")
    >>> first = next(generate(p, kind="hour", start=datetime(2016, 2, 29, 23), seed=1))
    >>> first.params["a34004"]["Avg"], first.params["a21005"]["Avg"]
    (70.0, 1.5)
    """
    step = DEFAULT_INTERVALS[kind] if interval is None else interval
    if step <= timedelta(0):
        msg = f"interval must be positive, got {step}"
        raise ValueError(msg)
    if start.tzinfo is None:
        start = start.replace(tzinfo=BEIJING)
    start = _floor(start.astimezone(BEIJING), step)
    rng = np.random.default_rng([abs(seed), zlib.crc32(point.mn.encode())])
    model: _Model
    if point.kind == "air":
        model = _AirModel(point, rng)
    elif point.kind == "flue_gas":
        model = _FlueGasModel(point, rng)
    else:
        model = _WastewaterModel(point, rng)
    return _records(model, point, kind, start, step, rng)


def _records(
    model: _Model,
    point: PointSpec,
    kind: DataKind,
    at: datetime,
    step: timedelta,
    rng: np.random.Generator,
) -> Iterator[Record]:
    wanted = set(point.parameters)
    dt_s = step.total_seconds()
    while True:
        values = model.step(at, dt_s)
        params = {
            code: _suffixes(code, state, kind, dt_s, rng, point.reference_o2)
            for code, state in values.items()
            if not wanted or code in wanted
        }
        yield Record(at, params)
        at += step


def air_series_codes() -> tuple[str, ...]:
    """Return the station codes that have a series in the packaged Beijing extract."""
    return tuple(sorted(_air_data()[1]))


def _floor(at: datetime, step: timedelta) -> datetime:
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    n = (at - midnight) // step
    return midnight + n * step


class _Value(NamedTuple):
    """One parameter at one interval: mean, relative spread, decimals and extras."""

    mean: float
    spread: float
    decimals: int
    flag: str = "N"
    o2: float | None = None  # set for pollutants to correct
    amount: float | None = None  # factor: mean × amount × dt = interval amount (Cou)


class _Model:
    def step(self, at: datetime, dt_s: float) -> dict[str, _Value]:
        raise NotImplementedError


def _ar(
    x: float, dt_s: float, tau_s: float, sigma: float, rng: np.random.Generator
) -> float:
    # Exact discretisation of an Ornstein-Uhlenbeck process: stationary sd = sigma.
    phi = math.exp(-dt_s / tau_s)
    return phi * x + math.sqrt(1.0 - phi * phi) * sigma * float(rng.standard_normal())


def _suffixes(
    code: str,
    value: _Value,
    kind: DataKind,
    dt_s: float,
    rng: np.random.Generator,
    reference_o2: float | None,
) -> dict[str, float | str]:
    mean = round(max(float(value.mean), 0.0), value.decimals)
    if kind == "realtime":
        out: dict[str, float | str] = {"Rtd": mean}
    else:
        low, high = (float(x) * value.spread for x in rng.uniform(0.2, 1.0, 2))
        out = {
            "Avg": mean,
            "Min": round(max(mean * (1 - low), 0.0), value.decimals),
            "Max": round(mean * (1 + high), value.decimals),
        }
    if value.o2 is not None and reference_o2 is not None and value.o2 < 19.0:
        # emissions.md (b): O2 near air means a stopped source or a leak: no correction.
        # Corrected with the O2 as sent (2 decimals), so receivers can recompute it.
        o2 = round(float(value.o2), 2)
        out["ZsRtd" if kind == "realtime" else "ZsAvg"] = round(
            o2_corrected(mean, o2, reference_o2), 2
        )
    if value.amount is not None and kind != "realtime":
        out["Cou"] = round(mean * float(value.amount) * dt_s, 4)
    out["Flag"] = value.flag
    return out


# ----------------------------------------------------------------------------- air


@lru_cache(maxsize=1)
def _air_data() -> tuple[datetime, dict[str, dict[str, FloatArray]]]:
    """Packaged extract as (start of the first hour, {station: {code: hourly values}})."""
    blob = resources.files("envmon").joinpath(_AIR_DATA).read_bytes()
    reader = csv.reader(io.StringIO(gzip.decompress(blob).decode("utf-8")))
    header = next(reader)
    columns = [(header.index(c), code) for c, code in AIR_COLUMNS.items()]
    rows = list(reader)
    # Labels are hour-ending Beijing time: the value labelled 01:00 covers 00:00-01:00.
    labels = {t: datetime.fromisoformat(t) for t in {row[1] for row in rows}}
    origin = min(labels.values()) - timedelta(hours=1)
    index = {t: round((v - origin) / timedelta(hours=1)) - 1 for t, v in labels.items()}
    hours = max(index.values()) + 1
    series: dict[str, dict[str, FloatArray]] = {}
    for row in rows:
        if row[0] not in series:
            series[row[0]] = {
                code: np.full(hours, np.nan) for code in AIR_COLUMNS.values()
            }
        station = series[row[0]]
        at = index[row[1]]
        for column, code in columns:
            if row[column]:
                station[code][at] = float(row[column])
    for station in series.values():
        station["a21005"] /= 1000.0  # the extract gives CO in µg/m³; HJ 212 uses mg/m³
    return origin.replace(tzinfo=BEIJING), series


class _AirModel(_Model):
    def __init__(self, point: PointSpec, rng: np.random.Generator) -> None:
        self.origin, data = _air_data()
        codes = sorted(data)
        code = (
            point.source
            if point.source in data
            else codes[int(rng.integers(len(codes)))]
        )
        self.series = data[code]
        self.noise = dict.fromkeys(self.series, 0.0)
        self.rng = rng

    def step(self, at: datetime, dt_s: float) -> dict[str, _Value]:
        hours = (at - self.origin) / timedelta(hours=1)
        out: dict[str, _Value] = {}
        for code, values in self.series.items():
            n = len(values)
            own = float(values[math.floor(hours) % n])
            self.noise[code] = _ar(self.noise[code], dt_s, 1200.0, 0.05, self.rng)
            if math.isnan(own):
                continue  # missing in the source: the station sent nothing
            decimals = 3 if code == "a21005" else 1
            if dt_s >= 3600:
                out[code] = _Value(own, 0.25, decimals)
                continue
            # Hourly means sit at mid-hour; interpolate the interval's own midpoint.
            mid = hours + dt_s / 7200.0 - 0.5
            lower = math.floor(mid)
            v0, v1 = float(values[lower % n]), float(values[(lower + 1) % n])
            if math.isnan(v0) or math.isnan(v1):
                v0 = v1 = own
            level = v0 + (v1 - v0) * (mid - lower)
            out[code] = _Value(level * (1.0 + self.noise[code]), 0.05, decimals)
        return out


# ----------------------------------------------------------------------------- flue gas


class _Stack(NamedTuple):
    """Full-load operating point of a stack; concentrations at the reference O2."""

    o2: float
    so2: float
    nox: float
    dust: float
    co: float
    flow: float
    temp: float
    humidity: float
    velocity: float
    startup_nox: float  # NOx multiplier at the start of a start-up (SCR still cold)


def _stack_for(reference_o2: float | None) -> _Stack:
    ref = 3.5 if reference_o2 is None else reference_o2
    if ref >= 14:  # gas turbine, GB 13223 (limits 35/50/5)
        return _Stack(15.0, 2.0, 28.0, 1.5, 8.0, 380.0, 95.0, 8.0, 18.0, 1.5)
    if ref >= 10.5:  # waste incinerator, GB 18485
        return _Stack(10.0, 30.0, 150.0, 4.0, 20.0, 45.0, 150.0, 22.0, 13.0, 1.3)
    if ref >= 9.5:  # cement kiln, GB 4915
        return _Stack(10.5, 25.0, 190.0, 8.0, 200.0, 120.0, 110.0, 8.0, 14.0, 1.2)
    if ref >= 6:  # coal: ultra-low power unit (6 %) or industrial boiler (9 %)
        flow = 300.0 if ref < 8 else 25.0
        return _Stack(ref + 0.8, 22.0, 38.0, 4.0, 15.0, flow, 50.0, 13.0, 15.0, 2.5)
    # gas boiler, GB 13271 / GB 13223 (NOx 20-80 under limits of 150-200)
    return _Stack(4.5, 3.0, 40.0, 2.0, 10.0, 15.0, 75.0, 12.0, 11.0, 1.2)


class _FlueGasModel(_Model):
    MEAN_RUN_S: Final = 10 * 86400.0
    MEAN_DOWN_S: Final = 8 * 3600.0
    RAMP_S: Final = 5400.0

    def __init__(self, point: PointSpec, rng: np.random.Generator) -> None:
        base = _stack_for(point.reference_o2)
        scale = rng.lognormal(0.0, 0.25, 5)
        self.stack = base._replace(
            so2=base.so2 * scale[0],
            nox=base.nox * scale[1],
            dust=base.dust * scale[2],
            flow=base.flow * scale[3],
            co=base.co * scale[4],
        )
        self.ref = point.reference_o2
        self.rng = rng
        self.running = True
        self.since_start_s = 1e9  # long ago: at full operation
        self.wander = dict.fromkeys(("load", "o2", "so2", "nox", "dust", "co"), 0.0)

    def _operate(self, dt_s: float) -> None:
        rate = 1.0 / (self.MEAN_RUN_S if self.running else self.MEAN_DOWN_S)
        if self.rng.random() < 1.0 - math.exp(-rate * dt_s):
            self.running = not self.running
            self.since_start_s = 0.0
        else:
            self.since_start_s += dt_s

    def step(self, at: datetime, dt_s: float) -> dict[str, _Value]:
        self._operate(dt_s)
        w, rng, s = self.wander, self.rng, self.stack
        for name, sigma in (("load", 0.08), ("o2", 0.04), ("so2", 0.15)):
            w[name] = _ar(w[name], dt_s, 7200.0, sigma, rng)
        for name, sigma in (("nox", 0.12), ("dust", 0.2), ("co", 0.3)):
            w[name] = _ar(w[name], dt_s, 3600.0, sigma, rng)
        hour = at.hour + at.minute / 60.0
        spread = 0.04 if dt_s < 3600 else 0.12
        if not self.running:
            return self._stopped(spread)
        ramp = min(1.0, self.since_start_s / self.RAMP_S)
        daily = 0.12 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
        load = min(1.0, max(0.35, 0.8 + daily + w["load"])) * (0.25 + 0.75 * ramp)
        # More excess air at low load and during start-up.
        o2 = min(18.5, s.o2 * (1 + w["o2"]) + 3.0 * (1 - load) + 4.0 * (1 - ramp))
        dilution = (AIR_OXYGEN - o2) / (AIR_OXYGEN - (self.ref or s.o2))
        nox = (
            s.nox
            * (1 + w["nox"])
            * (0.8 + 0.2 * load)
            * (1 + (s.startup_nox - 1) * (1 - ramp))
        )
        flow = s.flow * load
        kg = flow * 1e-6  # mg/m³ × m³/s × s → kg
        pollutants = {
            "a21026": s.so2 * (1 + w["so2"]),
            "a21002": nox,
            "a34013": s.dust * (1 + w["dust"]),
            "a21005": s.co * (1 + w["co"]),
        }
        return {
            **{
                code: _Value(corrected * dilution, spread, 2, o2=o2, amount=kg)
                for code, corrected in pollutants.items()
            },
            "a19001": _Value(o2, spread / 2, 2),
            "a00000": _Value(flow, spread, 2, amount=1.0),
            "a01012": _Value(s.temp * (0.85 + 0.15 * load), spread / 4, 1),
            "a01013": _Value(0.05 + 0.25 * load, spread, 3),
            "a01014": _Value(s.humidity * (1 + w["o2"] / 2), spread / 2, 2),
            "a01011": _Value(s.velocity * load, spread, 2),
        }

    def _stopped(self, spread: float) -> dict[str, _Value]:
        # Source stopped: the analysers see ambient air; flagged F.
        r = self.rng.uniform(0.0, 1.0, 4)
        cool = math.exp(-self.since_start_s / 7200.0)
        return {
            "a21026": _Value(2.0 * r[0], spread, 2, "F", o2=20.6),
            "a21002": _Value(4.0 * r[1], spread, 2, "F", o2=20.6),
            "a34013": _Value(0.5 * r[2], spread, 2, "F", o2=20.6),
            "a21005": _Value(1.0 * r[3], spread, 2, "F", o2=20.6),
            "a19001": _Value(20.6 + 0.2 * r[0], 0.005, 2, "F"),
            "a00000": _Value(0.1 * r[1], spread, 2, "F", amount=1.0),
            "a01012": _Value(20.0 + (self.stack.temp - 20.0) * cool, 0.01, 1, "F"),
            "a01013": _Value(0.0, 0.0, 3, "F"),
            "a01014": _Value(2.0 + r[2], spread, 2, "F"),
            "a01011": _Value(0.1 * r[3], spread, 2, "F"),
        }


# ----------------------------------------------------------------------------- wastewater


class _WastewaterModel(_Model):
    # Typical WWTP effluent under GB 18918-2002 class 1-A: COD 50, NH3-N 5, TP 0.5, TN 15.
    TYPICAL: Final = {"w01018": 24.0, "w21003": 1.0, "w21011": 0.22, "w21001": 9.0}

    def __init__(self, point: PointSpec, rng: np.random.Generator) -> None:
        self.rng = rng
        self.flow = float(rng.lognormal(math.log(150.0), 0.6))  # [L/s]
        self.levels = {
            c: v * float(rng.lognormal(0.0, 0.2)) for c, v in self.TYPICAL.items()
        }
        self.wander = dict.fromkeys((*self.TYPICAL, "flow", "ph"), 0.0)

    def step(self, at: datetime, dt_s: float) -> dict[str, _Value]:
        w, rng = self.wander, self.rng
        w["flow"] = _ar(w["flow"], dt_s, 3 * 3600.0, 0.08, rng)
        w["ph"] = _ar(w["ph"], dt_s, 4 * 3600.0, 0.15, rng)
        for code in self.TYPICAL:
            w[code] = _ar(w[code], dt_s, 6 * 3600.0, 0.18, rng)
        hour = at.hour + at.minute / 60.0
        # Two daily peaks of inflow (morning, evening), damped by the plant.
        diurnal = 0.2 * math.sin(2 * math.pi * (hour - 8.0) / 24.0) + 0.08 * math.sin(
            4 * math.pi * (hour - 7.0) / 24.0
        )
        flow = self.flow * max(0.3, 1.0 + diurnal + w["flow"])
        load = 1.0 + 0.3 * diurnal  # a little higher concentrations at peak inflow
        spread = 0.03 if dt_s < 3600 else 0.1
        kg = flow * 1e-6  # mg/L × L/s × s → kg
        out = {
            code: _Value(level * load * (1 + w[code]), spread, 3, amount=kg)
            for code, level in self.levels.items()
        }
        season = 20.0 - 6.0 * math.cos(
            2 * math.pi * (at.timetuple().tm_yday - 20) / 365.0
        )
        out["w01001"] = _Value(min(8.6, max(6.2, 7.2 + w["ph"])), 0.01, 2)
        out["w01010"] = _Value(season + 0.5 * w["ph"], 0.01, 1)
        out["w00000"] = _Value(flow, spread, 2, amount=1e-3)  # L/s × s → m³
        return out
