"""Fault injection for simulated HJ 212 traffic. Pure (numpy + stdlib).

Two layers, each driven by a seeded :class:`numpy.random.Generator`:

* :class:`RecordFaults` changes the *content* of one point's records: device flags
  (``flag``), dropped records (``gap``), values above a limit (``exceed``) and a shifted
  ``DataTime`` (``skew``). Each starts an *episode* with probability ``rate`` per record
  and lasts several records, as real faults do.
* :class:`FrameFaults` changes the *bytes on the wire*: ``resend`` (the same bytes again
  later), ``split`` (one frame over several TCP writes), ``merge`` (several frames in one
  write, sometimes without CR LF), ``bad_crc`` (one CRC digit changed), ``unknown_mn`` and
  ``wrong_pw`` (credentials the platform must refuse). Each hits a frame with probability
  ``rate``.

Frames with a bad CRC, an unknown MN or a wrong password must not be acknowledged
(HJ 212-2017 §8.1: the platform acks what it has accepted); all others must be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Final

import numpy as np

from envmon.simulate.sources import Record

__all__ = [
    "BAD_FRAME_FAULTS",
    "FAULT_NAMES",
    "TYPICAL_LIMITS",
    "FaultConfig",
    "FrameFaults",
    "RecordFaults",
    "corrupt_crc",
    "merge_frames",
    "parse_faults",
    "split_frame",
]

TYPICAL_LIMITS: Final[dict[str, float]] = {
    # flue gas, GB 13271-2014 Table 3 gas boiler [mg/m³, at reference O2]
    "a21026": 50.0,
    "a21002": 150.0,
    "a34013": 20.0,
    # wastewater, GB 18918-2002 class 1-A [mg/L]
    "w01018": 50.0,
    "w21003": 5.0,
    "w21011": 0.5,
    "w21001": 15.0,
    # ambient air, GB 3095-2012 grade II (24-h PM, 1-h gases) [µg/m³; CO mg/m³]
    "a34004": 75.0,
    "a34002": 150.0,
    "a21004": 200.0,
    "a21005": 10.0,
    "a05024": 200.0,
}
"""Limits that ``exceed`` pushes values above, by parameter code."""

DEVICE_FLAGS: Final = ("M", "C", "D", "F")
"""HJ 212-2017 Table 8 flags injected by ``flag``: maintenance, calibration, fault, stopped."""

BAD_FRAME_FAULTS: Final = frozenset({"bad_crc", "unknown_mn", "wrong_pw"})
"""Faults that make a frame one the platform must not acknowledge."""

_HEX: Final = "0123456789ABCDEF"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Rate of each fault: per record (episode start) or per frame, between 0 and 1."""

    flag: float = 0.0
    gap: float = 0.0
    exceed: float = 0.0
    skew: float = 0.0
    resend: float = 0.0
    split: float = 0.0
    merge: float = 0.0
    bad_crc: float = 0.0
    unknown_mn: float = 0.0
    wrong_pw: float = 0.0

    def __str__(self) -> str:
        active = [f"{f.name}={getattr(self, f.name):g}" for f in fields(self)]
        return ",".join(a for a in active if not a.endswith("=0")) or "none"


FAULT_NAMES: Final = tuple(f.name for f in fields(FaultConfig))
"""Names accepted by :func:`parse_faults`."""


def parse_faults(spec: str) -> FaultConfig:
    """Parse ``"name=rate,name=rate"`` into a :class:`FaultConfig`.

    Parameters
    ----------
    spec : str
        Comma-separated ``name=rate`` items; empty or ``"none"`` means no fault.

    Returns
    -------
    FaultConfig

    Raises
    ------
    ValueError
        Naming the unknown fault, the malformed item or the rate outside [0, 1].

    Examples
    --------
    >>> parse_faults("bad_crc=0.01,resend=0.02,split=0.1").split
    0.1
    >>> parse_faults("typo=0.1")
    Traceback (most recent call last):
    ...
    ValueError: unknown fault 'typo'; known faults: flag, gap, exceed, skew, resend, split, merge, bad_crc, unknown_mn, wrong_pw
    """  # noqa: E501
    rates: dict[str, float] = {}
    text = spec.strip()
    if text.lower() in ("", "none"):
        return FaultConfig()
    for item in text.split(","):
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name:
            msg = f"fault item {item.strip()!r} is not name=rate"
            raise ValueError(msg)
        if name not in FAULT_NAMES:
            msg = f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}"
            raise ValueError(msg)
        if name in rates:
            msg = f"fault {name!r} is given twice"
            raise ValueError(msg)
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not 0.0 <= rate <= 1.0:
            msg = f"fault {name!r}: rate {value!r} is not a number between 0 and 1"
            raise ValueError(msg)
        rates[name] = rate
    return FaultConfig(**rates)


def corrupt_crc(frame: bytes, rng: np.random.Generator) -> bytes:
    """Return ``frame`` with one of its four CRC digits replaced by a different digit.

    Parameters
    ----------
    frame : bytes
        A whole frame ``##LLLL…CCCC\\r\\n`` (HJ 212-2017 §2).
    rng : numpy.random.Generator

    Returns
    -------
    bytes
        The same length; the CRC no longer matches the data segment.
    """
    end = len(frame) - 2 if frame.endswith(b"\r\n") else len(frame)
    position = end - 4 + int(rng.integers(4))
    current = chr(frame[position]).upper()
    choices = [c for c in _HEX if c != current]
    new = choices[int(rng.integers(len(choices)))].encode()
    return frame[:position] + new + frame[position + 1 :]


def split_frame(
    frame: bytes, rng: np.random.Generator, parts: int | None = None
) -> list[bytes]:
    """Cut ``frame`` at random places into 2–4 (or ``parts``) non-empty chunks.

    Examples
    --------
    >>> chunks = split_frame(b"##0004ABCD1234\\r\\n", np.random.default_rng(0), 3)
    >>> len(chunks), b"".join(chunks)
    (3, b'##0004ABCD1234\\r\\n')
    """
    count = parts or int(rng.integers(2, 5))
    count = max(1, min(count, len(frame)))
    cuts = sorted(
        int(c) for c in rng.choice(np.arange(1, len(frame)), count - 1, False)
    )
    bounds = [0, *cuts, len(frame)]
    return [frame[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def merge_frames(
    frames: Sequence[bytes], rng: np.random.Generator, drop_crlf: float = 0.5
) -> bytes:
    """Glue frames into one write; each but the last loses its CR LF with ``drop_crlf``.

    HJ 212-2017 §2.1: the tail is not a reliable delimiter, length and CRC are.
    """
    out = bytearray()
    for index, frame in enumerate(frames):
        last = index == len(frames) - 1
        cut = not last and frame.endswith(b"\r\n") and rng.random() < drop_crlf
        out += frame[:-2] if cut else frame
    return bytes(out)


class _Episode:
    """A fault in progress over the next ``left`` records."""

    __slots__ = ("code", "left", "value")

    def __init__(self, left: int, code: str, value: float | str) -> None:
        self.left, self.code, self.value = left, code, value


class RecordFaults:
    """Content faults for one point's record stream (stateful, deterministic per rng).

    Parameters
    ----------
    config : FaultConfig
    rng : numpy.random.Generator
    limits : Mapping[str, float], optional
        Limits ``exceed`` goes above (default :data:`TYPICAL_LIMITS`).
    """

    def __init__(
        self,
        config: FaultConfig,
        rng: np.random.Generator,
        limits: Mapping[str, float] = TYPICAL_LIMITS,
    ) -> None:
        self.config, self.rng, self.limits = config, rng, limits
        self.episodes: dict[str, _Episode] = {}

    def _episode(
        self, name: str, rate: float, make: Callable[[], _Episode]
    ) -> _Episode | None:
        # A new episode of a kind may start only when none of that kind is running.
        episode = self.episodes.get(name)
        if episode is None:
            if rate <= 0 or self.rng.random() >= rate:
                return None
            episode = self.episodes[name] = make()
        episode.left -= 1
        if episode.left <= 0:
            del self.episodes[name]
        return episode

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def _length(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def apply(self, record: Record) -> tuple[Record | None, list[str]]:
        """Return the record as the faulty device sends it (None: dropped) and the faults.

        Parameters
        ----------
        record : Record
            The clean record; it is not modified.

        Returns
        -------
        tuple of (Record or None, list of str)
            The changed copy, or None for a dropped record, and the faults applied.
        """
        cfg, rng = self.config, self.rng
        if self._episode("gap", cfg.gap, lambda: _Episode(self._length(1, 6), "", "")):
            return None, ["gap"]
        applied: list[str] = []
        params = {code: dict(values) for code, values in record.params.items()}
        codes = sorted(params)
        flag = self._episode(
            "flag",
            cfg.flag if codes else 0.0,
            lambda: _Episode(
                self._length(3, 12), self._pick(codes), self._pick(DEVICE_FLAGS)
            ),
        )
        if flag is not None and flag.code in params:
            params[flag.code]["Flag"] = flag.value
            applied.append("flag")
        limited = [c for c in codes if c in self.limits]
        exceed = self._episode(
            "exceed",
            cfg.exceed if limited else 0.0,
            lambda: _Episode(
                self._length(2, 8), self._pick(limited), rng.uniform(1.3, 3.0)
            ),
        )
        if exceed is not None and exceed.code in params:
            limit = self.limits[exceed.code]
            if _exceed(params[exceed.code], limit, float(exceed.value)):
                applied.append("exceed")
        at = record.data_time
        skew = self._episode(
            "skew",
            cfg.skew,
            lambda: _Episode(
                self._length(5, 30),
                "",
                round(rng.uniform(60, 7200)) * (1 if rng.random() < 0.5 else -1),
            ),
        )
        if skew is not None:
            at += timedelta(seconds=float(skew.value))
            applied.append("skew")
        return Record(at, params), applied


def _exceed(values: dict[str, float | str], limit: float, multiple: float) -> bool:
    """Scale every number of one parameter so its main value is ``multiple`` × ``limit``."""
    main = next(
        (values[k] for k in ("ZsAvg", "ZsRtd", "Avg", "Rtd") if k in values), None
    )
    if not isinstance(main, float | int) or main <= 0:
        return False
    factor = limit * multiple / float(main)
    for key, value in values.items():
        if key != "Flag" and isinstance(value, float | int):
            values[key] = round(float(value) * factor, 4)
    return True


class FrameFaults:
    """Wire faults: decides per frame, with its own seeded generator."""

    def __init__(self, config: FaultConfig, rng: np.random.Generator) -> None:
        self.config, self.rng = config, rng

    def _hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def identity(self, mn: str, password: str) -> tuple[str, str, str | None]:
        """Return the (MN, PW) to send and the fault applied, if any."""
        if self._hit(self.config.unknown_mn):
            digits = "".join(str(int(d)) for d in self.rng.integers(0, 10, 18))
            return f"UNKNOWN{digits}", password, "unknown_mn"
        if self._hit(self.config.wrong_pw):
            wrong = password
            while wrong == password:
                wrong = "".join(str(int(d)) for d in self.rng.integers(0, 10, 6))
            return mn, wrong, "wrong_pw"
        return mn, password, None

    def corrupt(self, frame: bytes) -> bytes | None:
        """Return the frame with a bad CRC (``bad_crc``), or None to leave it alone."""
        return corrupt_crc(frame, self.rng) if self._hit(self.config.bad_crc) else None

    def resend_after(self) -> int | None:
        """Return after how many later frames to send this one again, or None."""
        return int(self.rng.integers(1, 20)) if self._hit(self.config.resend) else None

    def chunks(self, frame: bytes) -> list[bytes]:
        """Return the writes to send ``frame`` in: several with ``split``, else one."""
        return split_frame(frame, self.rng) if self._hit(self.config.split) else [frame]

    def merge_count(self) -> int:
        """Return how many frames to glue into the next write (1: no merge)."""
        return int(self.rng.integers(2, 5)) if self._hit(self.config.merge) else 1

    def merge(self, frames: Sequence[bytes]) -> bytes:
        """Glue ``frames`` into one write, sometimes without CR LF between them."""
        return merge_frames(frames, self.rng)
