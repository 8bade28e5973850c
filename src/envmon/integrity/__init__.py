"""Falsification detection (弄虚作假识别): signatures, scores, evidence. Pure core first.

Implements the data signatures of falsification.md §3, which maps the behaviours of
环发〔2015〕175号 and the 两高 interpretations (法释〔2016〕29号, 法释〔2023〕7号) to
patterns in monitoring, activity and abatement data. ``signatures`` holds the detectors:
pure functions over numpy arrays returning :class:`~envmon.integrity.signatures.Hit`.
Nothing here does I/O, logs or reads the clock.
"""

from envmon.integrity.signatures import (
    STOPPED_FLAGS,
    Hit,
    abatement_off,
    copied_series,
    data_while_stopped,
    dilution,
    flags_while_producing,
    frozen_output,
    oxygen_manipulation,
    pinned_below_limit,
    regular_timestamps,
    runs,
    sampling_interference,
)

__all__ = [
    "STOPPED_FLAGS",
    "Hit",
    "abatement_off",
    "copied_series",
    "data_while_stopped",
    "dilution",
    "flags_while_producing",
    "frozen_output",
    "oxygen_manipulation",
    "pinned_below_limit",
    "regular_timestamps",
    "runs",
    "sampling_interference",
]
