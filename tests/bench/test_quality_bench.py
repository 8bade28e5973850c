"""Smoke test of the QC benchmark's fault injection and scoring (no ioos_qc/SaQC needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from envmon.bench.quality import (
    FAULT_KINDS,
    Fault,
    inject_faults,
    max_faults_per_type,
    score,
)

PER_TYPE = 2
N = 20_000
GOOD, SUSPECT, FAIL, MISSING = 1, 3, 4, 9


@pytest.fixture(scope="module")
def clean() -> tuple[np.ndarray, np.ndarray]:
    """A smooth, noisy minute series with no repeated neighbours and no gaps."""
    rng = np.random.default_rng(7)
    minutes = np.arange(N)
    values = 60.0 + 25.0 * np.sin(minutes / 300.0) + rng.normal(0.0, 1.0, N)
    times = np.datetime64("2024-01-01T00:00:00", "s") + minutes * np.timedelta64(
        60, "s"
    )
    return np.round(values, 1), times


def test_six_kinds_at_the_stated_positions(
    clean: tuple[np.ndarray, np.ndarray],
) -> None:
    values, times = clean
    before = values.copy()
    faulted = inject_faults(values, times, seed=3, per_type=PER_TYPE)

    assert np.array_equal(values, before)  # the input is not modified
    kinds = [fault.kind for fault in faulted.faults]
    assert sorted(kinds) == sorted(FAULT_KINDS * PER_TYPE)
    starts = [fault.start for fault in faulted.faults]
    assert starts == sorted(starts)
    for first, second in zip(faulted.faults, faulted.faults[1:], strict=False):
        assert first.stop + 60 <= second.start  # faults never touch

    inside = np.zeros(N, dtype=bool)
    for fault in faulted.faults:
        inside[fault.start : fault.stop] = True
    # nothing changes outside the stated positions
    assert np.array_equal(faulted.values[~inside], values[~inside])

    for kind, start, stop, magnitude in faulted.faults:
        got = faulted.values[start:stop]
        change = got - values[start:stop]
        length = stop - start
        if kind == "stuck":
            assert 20 <= length <= 180
            assert magnitude == values[start]
            assert np.all(got == magnitude)
        elif kind == "spike":
            assert length == 1
            assert 20 <= magnitude <= 200
            assert change[0] == pytest.approx(magnitude, abs=0.051)
        elif kind == "drift":
            assert 360 <= length <= 1440
            assert 30 <= abs(magnitude) <= 100
            ramp = magnitude * np.arange(1, length + 1) / length
            assert np.allclose(change, ramp, atol=0.051)
        elif kind == "offset":
            assert 60 <= length <= 360
            assert 40 <= abs(magnitude) <= 120
            assert np.allclose(change, magnitude, atol=0.051)
        elif kind == "noise_burst":
            assert 15 <= length <= 120
            assert 15 <= magnitude <= 40
            assert 0.3 * magnitude < np.std(change) < 2.0 * magnitude
        else:
            assert kind == "dropout"
            assert 5 <= length <= 60
            assert np.all(got == 0.0)


def test_injection_is_reproducible(clean: tuple[np.ndarray, np.ndarray]) -> None:
    values, times = clean
    first = inject_faults(values, times, seed=5, per_type=PER_TYPE)
    again = inject_faults(values, times, seed=5, per_type=PER_TYPE)
    other = inject_faults(values, times, seed=6, per_type=PER_TYPE)
    assert first.faults == again.faults
    assert np.array_equal(first.values, again.values)
    assert first.faults != other.faults


def test_too_short_a_series_is_refused(clean: tuple[np.ndarray, np.ndarray]) -> None:
    values, times = clean
    assert max_faults_per_type(N) == PER_TYPE
    with pytest.raises(ValueError, match="too few"):
        inject_faults(values, times, seed=0, per_type=PER_TYPE + 1)


def test_perfect_and_empty_flags(clean: tuple[np.ndarray, np.ndarray]) -> None:
    values, times = clean
    faults = inject_faults(values, times, seed=3, per_type=PER_TYPE).faults
    perfect = np.full(N, GOOD, dtype=np.uint8)
    for fault in faults:
        perfect[fault.start : fault.stop] = FAIL

    scores = score(perfect, faults)
    assert set(scores) == {*FAULT_KINDS, "all"}
    for kind in (*FAULT_KINDS, "all"):
        assert scores[kind].recall == 1.0
        assert scores[kind].precision == 1.0
        assert scores[kind].false_points == 0
    assert scores["all"].events == 6 * PER_TYPE

    for empty in (np.full(N, GOOD, np.uint8), np.full(N, MISSING, np.uint8)):
        scores = score(empty, faults)  # MISSING is not a detection
        for kind in (*FAULT_KINDS, "all"):
            assert scores[kind].recall == 0.0
            assert math.isnan(scores[kind].precision)  # nothing flagged


def test_precision_counts_flags_away_from_faults() -> None:
    faults = [Fault("spike", 10, 11, 50.0), Fault("stuck", 30, 40, 7.0)]
    flags = np.full(100, GOOD, dtype=np.uint8)
    flags[10] = SUSPECT  # the spike
    flags[11] = SUSPECT  # its neighbour: within the 1-point margin, not a false alarm
    flags[35] = FAIL  # inside the stuck stretch
    flags[[70, 80, 90]] = SUSPECT  # far from every fault: false alarms

    scores = score(flags, faults)
    assert (scores["spike"].detected, scores["spike"].true_points) == (1, 2)
    assert scores["spike"].precision == pytest.approx(2 / 5)
    assert scores["stuck"].precision == pytest.approx(1 / 4)
    assert scores["all"].precision == pytest.approx(3 / 6)
    assert scores["drift"].events == 0
    assert math.isnan(scores["drift"].recall)
    assert score(flags, faults, margin=0)["spike"].true_points == 1
