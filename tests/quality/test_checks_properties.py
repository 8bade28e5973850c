"""Property tests for every registered check (hypothesis, SaQC ``tests/fuzzy`` spirit).

* the window each check declares is exact: on any slice that holds ``Window.bounds``
  around an index, the flag at that index equals the flag on the whole series — the
  guarantee a streaming runner relies on (streaming equals batch);
* the declarations are tight where they are non-zero (one point less can change a flag);
* uint8 result of the input's shape, MISSING exactly where the value is NaN, inputs
  never mutated;
* the vectorised spike, flat line, rate of change and neighbour median agree with plain
  per-point reference implementations.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from envmon.quality import CHECKS

T0 = np.datetime64("2024-05-01T00:00:00", "s")
ONE_S = np.timedelta64(1, "s")
NAN = math.nan

STEP = st.sampled_from([0, 1, 30, 60, 60, 60, 60, 61, 90, 120, 600])
# a few repeated levels make flat stretches, spikes and equal values likely
VALUE = st.one_of(
    st.sampled_from([0.0, 1.0, 1.0, 1.0, 1.5, 2.0, 3.0, -1.0, 10.0, NAN]),
    st.floats(-5, 20, allow_nan=False),
)
Case = tuple[tuple[Any, ...], dict[str, Any]]


def floats(n: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(VALUE, min_size=n, max_size=n).map(
        lambda v: np.array(v, dtype=np.float64)
    )


@st.composite
def series(draw: st.DrawFn, max_size: int = 40) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(0, max_size))
    steps = draw(st.lists(STEP, min_size=n, max_size=n))
    times = T0 + np.cumsum(np.array(steps, dtype=np.int64)) * ONE_S
    return draw(floats(n)), times.astype("datetime64[s]")


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def gross_range_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    fail, suspect = draw(
        st.sampled_from(
            [
                ((-1.0, 10.0), (0.5, 2.5)),
                ((None, 10.0), (None, 2.0)),
                ((0.0, None), None),
            ]
        )
    )
    return (values, times), {"fail_span": fail, "suspect_span": suspect}


@st.composite
def climatology_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    months = draw(st.dictionaries(st.integers(1, 12), st.just((0.0, 2.0)), max_size=12))
    hours = draw(optional(st.dictionaries(st.integers(0, 23), st.just((-1.0, 1.5)))))
    return (values, times), {"spans_by_month": months, "spans_by_hour": hours}


@st.composite
def flat_line_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    suspect = draw(st.sampled_from([1, 30, 60, 90, 120, 150.5, 300]))
    fail = suspect + draw(st.sampled_from([0, 1, 60, 120, 600]))
    tolerance = draw(st.sampled_from([0.0, 0.5, 1.0]))
    return (values, times), {
        "tolerance": tolerance,
        "suspect_seconds": suspect,
        "fail_seconds": fail,
    }


@st.composite
def spike_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    fail = draw(optional(st.sampled_from([2.0, 5.0])))
    return (values, times), {"suspect_threshold": 1.0, "fail_threshold": fail}


@st.composite
def rate_of_change_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    params = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "max_rate_per_second": st.sampled_from([0.01, 0.05]),
                "fail_rate_per_second": st.sampled_from([0.1, 1.0]),
                "n_deviations": st.sampled_from([0.5, 2.0]),
                "window_points": st.integers(3, 6),
            },
        ).filter(
            lambda p: any(
                k in p
                for k in ("max_rate_per_second", "fail_rate_per_second", "n_deviations")
            )
        )
    )
    return (values, times), params


@st.composite
def time_gap_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    tolerance = draw(st.sampled_from([0.0, 0.5, 30.0]))
    return (values, times), {"expected_interval_seconds": 60, "tolerance": tolerance}


@st.composite
def late_data_case(draw: st.DrawFn) -> Case:
    _, times = draw(series())
    delays = draw(
        st.lists(
            st.sampled_from([-400, -10, 0, 30, 600, 7200, None]),
            min_size=times.size,
            max_size=times.size,
        )
    )
    received = np.array(
        [
            np.datetime64("NaT", "s") if d is None else t + d * ONE_S
            for t, d in zip(times, delays, strict=True)
        ],
        dtype="datetime64[s]",
    )
    ahead = draw(optional(st.just(300.0)))
    return (received, times), {"max_delay_seconds": 600.0, "max_ahead_seconds": ahead}


@st.composite
def plain_case(draw: st.DrawFn) -> Case:
    return draw(series()), {}


@st.composite
def negative_case(draw: st.DrawFn) -> Case:
    return draw(series()), {
        "tolerance": draw(st.sampled_from([0.0, 0.5])),
        "allow_negative": draw(st.booleans()),
    }


@st.composite
def device_windows_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    kinds = st.sampled_from(
        ["maintenance", "calibration", "startup", "abatement_fault"]
    )
    windows = draw(
        st.lists(
            st.tuples(st.integers(-60, 3000), st.integers(0, 900), kinds).map(
                lambda w: (T0 + w[0] * ONE_S, T0 + (w[0] + w[1]) * ONE_S, w[2])
            ),
            max_size=4,
        )
    )
    return (values, times), {"windows": windows}


@st.composite
def pm25_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    return (values, draw(floats(values.size)), times), {
        "tolerance": 0.5,
        "relative_tolerance": 0.1,
    }


@st.composite
def nox_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    n = values.size
    basis = draw(st.sampled_from(["mass_as_no2", "volume"]))
    arrays = (values, draw(floats(n)), draw(floats(n)), times)
    return arrays, {"tolerance": 1.0, "relative_tolerance": 0.1, "basis": basis}


@st.composite
def oxygen_case(draw: st.DrawFn) -> Case:
    _, times = draw(series())
    o2 = draw(
        st.lists(
            st.sampled_from([0.0, 5.0, 19.5, 20.0, 21.0, 22.0, -1.0, NAN]),
            min_size=times.size,
            max_size=times.size,
        )
    )
    return (np.array(o2), times), {}


@st.composite
def neighbour_case(draw: st.DrawFn) -> Case:
    values, times = draw(series())
    k = draw(st.integers(0, 4))
    neighbours = np.array([draw(floats(values.size)) for _ in range(k)]).reshape(
        k, values.size
    )
    params = draw(
        st.fixed_dictionaries(
            {"min_neighbours": st.integers(1, 3)},
            optional={"max_ratio": st.just(2.0), "max_zscore": st.just(2.0)},
        ).filter(lambda p: "max_ratio" in p or "max_zscore" in p)
    )
    return (values, neighbours, times), {**params, "floor": 0.5, "min_scale": 0.1}


CASES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "gross_range": gross_range_case,
    "climatology": climatology_case,
    "flat_line": flat_line_case,
    "spike": spike_case,
    "rate_of_change": rate_of_change_case,
    "time_gap": time_gap_case,
    "late_data": late_data_case,
    "duplicates": plain_case,
    "negative": negative_case,
    "device_windows": device_windows_case,
    "pm25_le_pm10": pm25_case,
    "nox_consistency": nox_case,
    "oxygen_plausible": oxygen_case,
    "neighbour_consistency": neighbour_case,
}

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_every_registered_check_has_a_property_case() -> None:
    assert set(CASES) == set(CHECKS)


def _slice(
    name: str, arrays: tuple[Any, ...], start: int, stop: int
) -> tuple[Any, ...]:
    inputs = CHECKS[name].inputs
    return tuple(
        array[:, start:stop] if input_name == "neighbours" else array[start:stop]
        for input_name, array in zip(inputs, arrays, strict=True)
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_declared_window_is_exact(name: str) -> None:
    spec = CHECKS[name]

    @PROPERTY
    @given(case=CASES[name](), seed=st.integers(0, 2**32 - 1))
    def run(case: Case, seed: int) -> None:
        arrays, params = case
        whole = spec(*arrays, **params)
        times = arrays[spec.inputs.index(spec.time_input)]
        window = spec.window(**params)
        rng = np.random.default_rng(seed)
        for index in range(whole.size):
            start, stop = window.bounds(times, index)
            assert start <= index < stop
            # the minimal slice and a random larger one
            for first, last in (
                (start, stop),
                (rng.integers(0, start + 1), rng.integers(stop, whole.size + 1)),
            ):
                part = spec(*_slice(name, arrays, int(first), int(last)), **params)
                assert part[index - first] == whole[index], (
                    name,
                    index,
                    first,
                    last,
                    params,
                )

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_contract_shape_dtype_missing_no_mutation(name: str) -> None:
    spec = CHECKS[name]

    @PROPERTY
    @given(case=CASES[name]())
    def run(case: Case) -> None:
        arrays, params = case
        before = [np.array(a, copy=True) for a in arrays]
        flags = spec(*arrays, **params)
        for a, b in zip(arrays, before, strict=True):
            assert_array_equal(a, b)  # NaN/NaT compare equal here
        first = arrays[0]
        assert flags.dtype == np.uint8
        assert flags.shape == first.shape
        assert set(np.unique(flags).tolist()) <= {1, 2, 3, 4, 9}
        if first.dtype.kind == "f":
            assert_array_equal(flags == 9, np.isnan(first))
        else:
            assert not (flags == 9).any()
        assert spec(*arrays, **params).tobytes() == flags.tobytes()  # deterministic

    run()


# tight declarations: one point less changes the flag ------------------------------------


def minutes(n: int) -> np.ndarray:
    return (T0 + np.arange(n) * np.timedelta64(60, "s")).astype("datetime64[s]")


def test_spike_window_is_tight() -> None:
    values, times = np.array([0.0, 10.0, 0.0]), minutes(3)
    spec = CHECKS["spike"]
    assert spec.window(suspect_threshold=1) == (1, 0.0, 1)
    assert spec.function(values, times, suspect_threshold=1)[1] == 3
    assert (
        spec.function(values[1:], times[1:], suspect_threshold=1)[0] == 2
    )  # no point before
    assert (
        spec.function(values[:2], times[:2], suspect_threshold=1)[1] == 2
    )  # no point after


def test_flat_line_window_is_tight() -> None:
    params = {"tolerance": 0.0, "suspect_seconds": 120, "fail_seconds": 180}
    values, times = np.array([5.0, 5.0, 5.0, 5.0, 5.0]), minutes(5)
    window = CHECKS["flat_line"].window(**params)
    assert window == (1, 180.0, 0)
    assert window.bounds(times, 4) == (1, 5)  # 00:01 is 180 s before 00:04
    assert CHECKS["flat_line"].function(values, times, **params)[4] == 4
    assert CHECKS["flat_line"].function(values[2:], times[2:], **params)[2] == 3


@pytest.mark.parametrize("name", ["time_gap", "duplicates"])
def test_one_point_back_is_tight(name: str) -> None:
    params = {"expected_interval_seconds": 60} if name == "time_gap" else {}
    times = np.array([0, 0 if name == "duplicates" else 600], dtype="datetime64[s]")
    values = np.array([1.0, 1.0])
    assert CHECKS[name].window(**params) == (1, 0.0, 0)
    assert CHECKS[name].function(values, times, **params)[1] in (3, 4)
    assert CHECKS[name].function(values[1:], times[1:], **params)[0] in (1, 2)


def test_rate_of_change_window_follows_parameters() -> None:
    spec = CHECKS["rate_of_change"]
    assert spec.window(max_rate_per_second=1) == (1, 0.0, 0)
    assert spec.window(n_deviations=3, window_points=5) == (5, 0.0, 0)
    values = np.array([10.0, 11.0, 10.0, 11.0, 30.0])
    params = {"n_deviations": 3.0, "window_points": 3}
    assert spec.function(values, minutes(5), **params)[4] == 3
    assert spec.function(values[2:], minutes(5)[2:], **params)[2] == 2


# vectorised = per-point reference ---------------------------------------------------------


def flat_line_reference(
    values: np.ndarray,
    times: np.ndarray,
    tolerance: float,
    suspect_seconds: float,
    fail_seconds: float,
) -> list[int]:
    seconds = times.astype(np.int64)
    out = []
    for i, value in enumerate(values):
        if math.isnan(value):
            out.append(9)
            continue

        def stuck(duration: float, i: int = i) -> tuple[bool, bool]:
            before = [j for j in range(i + 1) if seconds[j] <= seconds[i] - duration]
            m = before[-1] if before else None
            present = [x for x in values[(m or 0) : i + 1] if not math.isnan(x)]
            flat = max(present) - min(present) <= tolerance
            return flat, m is not None and not math.isnan(values[m])

        (fail_flat, fail_covered), (flat, covered) = (
            stuck(fail_seconds),
            stuck(suspect_seconds),
        )
        out.append(
            4
            if fail_flat and fail_covered
            else 3
            if flat and covered
            else 2
            if flat
            else 1
        )
    return out


@settings(max_examples=300, deadline=None)
@given(case=flat_line_case())
def test_flat_line_matches_reference(case: Case) -> None:
    (values, times), params = case
    expected = flat_line_reference(values, times, **params)
    assert CHECKS["flat_line"].function(values, times, **params).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.sampled_from([1.0, 1.0, 2.0, NAN]), min_size=0, max_size=3000),
    step=st.sampled_from([1, 60]),
)
def test_flat_line_long_windows_match_reference_on_deep_levels(
    values: list[float], step: int
) -> None:
    # windows of hundreds of points exercise many sparse-table levels at once
    array = np.array(values)
    times = (T0 + np.arange(array.size) * step * ONE_S).astype("datetime64[s]")
    params = {
        "tolerance": 0.0,
        "suspect_seconds": 37 * step,
        "fail_seconds": 300 * step,
    }
    flags = CHECKS["flat_line"].function(array, times, **params)
    chosen = np.linspace(0, array.size - 1, num=min(array.size, 40)).astype(int)
    expected = flat_line_reference(array, times, **params)
    assert flags[chosen].tolist() == [expected[i] for i in chosen]


@settings(max_examples=200, deadline=None)
@given(case=spike_case())
def test_spike_matches_reference(case: Case) -> None:
    (values, times), params = case
    suspect, fail = params["suspect_threshold"], params["fail_threshold"]
    expected = []
    for i, value in enumerate(values):
        if math.isnan(value):
            expected.append(9)
        elif (
            i == 0 or i == values.size - 1 or math.isnan(values[i - 1] + values[i + 1])
        ):
            expected.append(2)
        else:
            deviation = abs(value - (values[i - 1] + values[i + 1]) / 2)
            expected.append(
                4
                if fail is not None and deviation > fail
                else 3
                if deviation > suspect
                else 1
            )
    assert CHECKS["spike"].function(values, times, **params).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    case=series(), n_deviations=st.sampled_from([0.5, 2.0]), points=st.integers(3, 6)
)
def test_rate_of_change_deviation_matches_reference(
    case: tuple[np.ndarray, np.ndarray], n_deviations: float, points: int
) -> None:
    values, times = case
    expected: list[int | None] = []
    for i, value in enumerate(values):
        previous = [x for x in values[max(0, i - points) : i] if not math.isnan(x)]
        if math.isnan(value):
            expected.append(9)
        elif i == 0 or math.isnan(values[i - 1]) or len(previous) < 3:
            expected.append(2)
        else:
            limit = n_deviations * statistics.stdev(previous)
            change = abs(value - values[i - 1])
            # equal up to rounding: skip the knife edge, where summation order decides
            if math.isclose(change, limit, rel_tol=1e-9, abs_tol=1e-12):
                expected.append(None)
            else:
                expected.append(3 if change > limit else 1)
    flags = CHECKS["rate_of_change"].function(
        values, times, n_deviations=n_deviations, window_points=points
    )
    assert [
        f if e is not None else None
        for f, e in zip(flags.tolist(), expected, strict=True)
    ] == expected


@settings(max_examples=200, deadline=None)
@given(case=neighbour_case())
def test_neighbour_median_matches_reference(case: Case) -> None:
    (values, neighbours, times), params = case
    flags = CHECKS["neighbour_consistency"].function(
        values, neighbours, times, max_ratio=1e300, min_neighbours=1, floor=0.5
    )
    # with an unreachable ratio the flag is GOOD exactly where a median exists
    for i, value in enumerate(values):
        present = [x for x in neighbours[:, i] if not math.isnan(x)]
        expected = 9 if math.isnan(value) else 2 if not present else 1
        assert flags[i] == expected
    from envmon.quality.checks_cross import _medians

    medians, counts = _medians(
        neighbours if neighbours.shape[0] else np.full((1, values.size), NAN)
    )
    for i in range(values.size):
        present = [x for x in neighbours[:, i] if not math.isnan(x)]
        assert counts[i] == len(present)
        if present:
            assert medians[i] == pytest.approx(statistics.median(present))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(VALUE, min_size=1, max_size=200),
    spans=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 60)), max_size=30),
)
def test_window_range_helpers_match_brute_force(
    values: list[float], spans: list[tuple[int, int]]
) -> None:
    from envmon.quality.checks_series import _sparse_window_range, _window_range

    array = np.array(values)
    n = array.size
    # non-decreasing ends and starts, as flat_line asks for them
    ends = np.sort(np.array([min(e, n - 1) for e, _ in spans], dtype=np.int64))
    starts = np.maximum.accumulate(np.maximum(ends - [w for _, w in spans], 0))
    starts = np.minimum(starts, ends)
    expected = []
    for first, last in zip(starts, ends, strict=True):
        present = [x for x in array[first : last + 1] if not math.isnan(x)]
        expected.append(max(present) - min(present) if present else -math.inf)
    assert _window_range(array, starts, ends).tolist() == expected
    assert _sparse_window_range(array, starts, ends).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(case=series(max_size=300), lag=st.integers(0, 2000))
def test_last_at_or_before_matches_searchsorted(
    case: tuple[np.ndarray, np.ndarray], lag: int
) -> None:
    from envmon.quality.checks_series import _last_at_or_before

    seconds = case[1].astype(np.int64)
    keys = seconds - lag
    expected = np.searchsorted(seconds, keys, side="right") - 1
    assert_array_equal(_last_at_or_before(seconds, keys), expected)
