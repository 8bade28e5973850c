"""Hand-made series for every check: the expected flags are obvious, and why is commented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from envmon.quality import (
    climatology,
    device_windows,
    duplicates,
    flat_line,
    gross_range,
    late_data,
    negative,
    neighbour_consistency,
    nox_consistency,
    oxygen_plausible,
    pm25_le_pm10,
    rate_of_change,
    spike,
    time_gap,
)

G, U, S, F, M = 1, 2, 3, 4, 9
NAN = np.nan
T0 = np.datetime64("2024-05-01T00:00:00", "s")


def minutes(n: int, step: int = 60) -> np.ndarray:
    return T0 + np.arange(n) * np.timedelta64(step, "s")


def at(*offsets_s: int) -> np.ndarray:
    return T0 + np.array(offsets_s) * np.timedelta64(1, "s")


# gross_range --------------------------------------------------------------------------


def test_gross_range_closed_spans() -> None:
    values = [-1.0, 0.0, 3.0, 50.0, 85.0, 100.0, 101.0, NAN]
    flags = gross_range(values, minutes(8), fail_span=(0, 100), suspect_span=(5, 80))
    # −1 and 101 outside the sensor span (FAIL); 0, 3, 85 and 100 inside it but outside the
    # plausible span (SUSPECT); NaN is missing
    assert_array_equal(flags, [F, S, S, G, S, S, F, M])
    # the bounds belong to the spans (closed)
    flags = gross_range(
        [0.0, 5.0, 80.0, 100.0], minutes(4), fail_span=(0, 100), suspect_span=(5, 80)
    )
    assert_array_equal(flags, [S, G, G, S])
    assert flags.dtype == np.uint8


def test_gross_range_open_side_and_no_suspect_span() -> None:
    flags = gross_range([-5.0, 1e9], minutes(2), fail_span=(0, None))
    assert_array_equal(flags, [F, G])


@pytest.mark.parametrize(
    ("fail_span", "suspect_span", "error"),
    [
        ((0, 10), (-1, 5), "within"),
        ((0, 10), (5, 11), "within"),
        ((10, 0), None, "low must not exceed"),
        ((1, 2, 3), None, "pair"),
        (5, None, "pair"),
    ],
)
def test_gross_range_rejects_bad_spans(
    fail_span: object, suspect_span: object, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        gross_range([1.0], minutes(1), fail_span=fail_span, suspect_span=suspect_span)  # type: ignore[arg-type]


def test_times_must_match_and_be_sorted() -> None:
    with pytest.raises(ValueError, match="shape"):
        gross_range([1.0, 2.0], minutes(3), fail_span=(0, 1))
    with pytest.raises(ValueError, match="sorted"):
        gross_range([1.0, 2.0], at(60, 0), fail_span=(0, 1))
    with pytest.raises(ValueError, match="NaT"):
        gross_range([1.0], np.array(["NaT"], "datetime64[s]"), fail_span=(0, 1))
    with pytest.raises(ValueError, match="1-D"):
        gross_range([[1.0]], minutes(1), fail_span=(0, 1))


def test_times_accept_aware_datetimes() -> None:
    beijing = timezone(timedelta(hours=8))
    times = [
        datetime(2024, 5, 1, 8, tzinfo=beijing),
        datetime(2024, 5, 1, 1, tzinfo=UTC),
    ]
    # 08:00+08:00 is 00:00 UTC, before 01:00 UTC: sorted
    assert_array_equal(gross_range([1.0, 2.0], times, fail_span=(0, 5)), [G, G])


# climatology --------------------------------------------------------------------------


def test_climatology_uses_beijing_month() -> None:
    # 2024-01-31 16:00 UTC is 2024-02-01 00:00 in Beijing: February's span applies
    times = np.array(["2024-01-31T15:59:59", "2024-01-31T16:00:00"], "datetime64[s]")
    flags = climatology([50.0, 50.0], times, spans_by_month={1: (0, 100), 2: (0, 40)})
    assert_array_equal(flags, [G, S])


def test_climatology_uses_beijing_hour_and_unknown_without_span() -> None:
    # UTC 22:00 → Beijing 06:00; UTC 23:00 → 07:00 (no span → cannot decide)
    times = np.array(
        ["2024-07-01T22:00", "2024-07-01T22:30", "2024-07-01T23:00"], "M8[s]"
    )
    flags = climatology(
        [10.0, 500.0, 500.0, NAN][:3], times, spans_by_hour={"6": (0, 200)}
    )
    assert_array_equal(flags, [G, S, U])


def test_climatology_both_tables_either_violation_counts() -> None:
    times = np.array(
        ["2024-07-01T04:00", "2024-07-01T04:00", "2024-07-01T04:00"], "M8[s]"
    )
    # Beijing July, 12:00: month span (0, 300), hour span (0, 150)
    flags = climatology(
        [100.0, 200.0, NAN],
        times,
        spans_by_month={7: (0, 300)},
        spans_by_hour={12: (0, 150)},
    )
    assert_array_equal(flags, [G, S, M])


def test_climatology_without_spans_is_unknown_and_rejects_bad_keys() -> None:
    assert_array_equal(climatology([1.0], minutes(1)), [U])
    with pytest.raises(ValueError, match="1…12"):
        climatology([1.0], minutes(1), spans_by_month={13: (0, 1)})
    with pytest.raises(ValueError, match="0…23"):
        climatology([1.0], minutes(1), spans_by_hour={24: (0, 1)})


# flat_line ----------------------------------------------------------------------------


def test_flat_line_suspect_then_fail_as_the_duration_grows() -> None:
    # minute data: 20, then stuck at 5 ± 0.02 from minute 1. At minute i the value has been
    # stuck for (i − 1) min: SUSPECT from 3 min (i = 4), FAIL from 5 min (i = 6).
    values = [20.0, 5.0, 5.01, 4.99, 5.0, 5.02, 5.0, 5.01]
    flags = flat_line(
        values, minutes(8), tolerance=0.05, suspect_seconds=180, fail_seconds=300
    )
    assert_array_equal(flags, [U, G, G, G, S, S, F, F])


def test_flat_line_tolerance_is_max_minus_min() -> None:
    # 5.0 and 5.06 differ by more than 0.05, so the stretch is not flat
    values = [5.0, 5.06, 5.0, 5.06, 5.0]
    flags = flat_line(
        values, minutes(5), tolerance=0.05, suspect_seconds=120, fail_seconds=180
    )
    assert_array_equal(flags, [U, G, G, G, G])
    flags = flat_line(
        values, minutes(5), tolerance=0.06, suspect_seconds=120, fail_seconds=180
    )
    assert_array_equal(flags, [U, U, S, F, F])


def test_flat_line_missing_values_neither_break_nor_prove() -> None:
    values = [1.0, 7.0, NAN, 7.0, NAN, 7.0, 7.0]
    flags = flat_line(
        values, minutes(7), tolerance=0.0, suspect_seconds=180, fail_seconds=240
    )
    # i=5: m = 2 (NaN at the start of the 3-min stretch) → cannot decide; i=6: m = 3 → SUSPECT
    # fail at i=5 would need m = 1 (7.0): covered and flat → FAIL; i=6: m=2 NaN → not FAIL
    assert_array_equal(flags, [U, G, M, G, M, F, S])


def test_flat_line_counts_time_not_points() -> None:
    # three equal values 10 minutes apart: stuck for 20 min at the third
    flags = flat_line(
        [3.0, 3.0, 3.0],
        at(0, 600, 1200),
        tolerance=0,
        suspect_seconds=600,
        fail_seconds=1200,
    )
    assert_array_equal(flags, [U, S, F])


def test_flat_line_rejects_bad_parameters() -> None:
    for kwargs in (
        {"tolerance": -1, "suspect_seconds": 60, "fail_seconds": 60},
        {"tolerance": 0, "suspect_seconds": 0, "fail_seconds": 60},
        {"tolerance": 0, "suspect_seconds": 120, "fail_seconds": 60},
    ):
        with pytest.raises(ValueError, match="suspect_seconds"):
            flat_line([1.0], minutes(1), **kwargs)


# spike --------------------------------------------------------------------------------


def test_spike_average_of_neighbours() -> None:
    values = [10.0, 10.0, 50.0, 10.0, 25.0, 10.0, NAN, 10.0, 10.0]
    flags = spike(values, minutes(9), suspect_threshold=10, fail_threshold=30)
    # i=2: |50 − 10| = 40 > 30 → FAIL; its neighbours: |10 − 30| = 20 > 10 → SUSPECT;
    # i=4: |25 − 10| = 15 → SUSPECT; i=5, i=7 have a NaN neighbour → UNKNOWN; ends UNKNOWN
    assert_array_equal(flags, [U, S, F, S, S, U, M, U, U])


def test_spike_threshold_is_strict_and_fail_optional() -> None:
    flags = spike([0.0, 10.0, 0.0, 0.0], minutes(4), suspect_threshold=10)
    # i=1: |10 − 0| = 10 is not > 10; i=2: |0 − (10 + 0)/2| = 5
    assert_array_equal(flags, [U, G, G, U])
    flags = spike([0.0, 10.0, 0.0, 0.0], minutes(4), suspect_threshold=4)
    assert_array_equal(flags, [U, S, S, U])


def test_spike_short_series_and_errors() -> None:
    assert_array_equal(spike([1.0, 2.0], minutes(2), suspect_threshold=1), [U, U])
    assert spike([], minutes(0), suspect_threshold=1).shape == (0,)
    with pytest.raises(ValueError, match="fail_threshold"):
        spike([1.0], minutes(1), suspect_threshold=5, fail_threshold=1)
    with pytest.raises(ValueError, match="suspect_threshold"):
        spike([1.0], minutes(1), suspect_threshold=-5)


# rate_of_change -----------------------------------------------------------------------


def test_rate_of_change_per_second() -> None:
    values = [10.0, 16.0, 40.0, 40.0, NAN, 45.0, 45.0, 46.0]
    times = at(0, 60, 120, 180, 240, 300, 300, 360)
    flags = rate_of_change(
        values, times, max_rate_per_second=0.1, fail_rate_per_second=0.3
    )
    # rates: 0.1 (not > 0.1), 0.4 (> 0.3 FAIL), 0; after NaN unknown; repeated time
    # unknown; 1/60
    assert_array_equal(flags, [U, G, F, G, M, U, U, G])


def test_rate_of_change_n_deviations() -> None:
    values = [10.0, 11.0, 10.0, 11.0, 30.0]
    flags = rate_of_change(values, minutes(5), n_deviations=3, window_points=3)
    # fewer than 3 previous values → UNKNOWN; i=3: |1| ≤ 3·0.577; i=4: |19| > 3·0.577
    assert_array_equal(flags, [U, U, U, G, S])


def test_rate_of_change_parts_combine() -> None:
    values = [10.0, 11.0, 10.0, 11.0, 30.0]
    flags = rate_of_change(
        values, minutes(5), max_rate_per_second=1.0, n_deviations=3, window_points=3
    )
    # the rate part decides from i = 1; the SD part adds SUSPECT at i = 4
    assert_array_equal(flags, [U, G, G, G, S])


def test_rate_of_change_errors() -> None:
    with pytest.raises(ValueError, match="needs"):
        rate_of_change([1.0], minutes(1))
    with pytest.raises(ValueError, match="window_points"):
        rate_of_change([1.0], minutes(1), n_deviations=3, window_points=2)
    with pytest.raises(ValueError, match="fail_rate"):
        rate_of_change([1.0], minutes(1), max_rate_per_second=2, fail_rate_per_second=1)


# time_gap, late_data, duplicates ------------------------------------------------------


def test_time_gap_flags_first_value_after_gap() -> None:
    times = at(0, 60, 120, 125, 300, 360, 480)
    flags = time_gap(
        [1.0, 2.0, 3.0, 4.0, 5.0, NAN, 7.0],
        times,
        expected_interval_seconds=60,
        tolerance=30,
    )
    # 120→125 is early, not a gap; 125→300 (175 s) and 360→480 (120 s) exceed 90 s
    assert_array_equal(flags, [U, G, G, G, S, M, S])
    with pytest.raises(ValueError, match="expected_interval_seconds"):
        time_gap([1.0], at(0), expected_interval_seconds=0)


def test_late_data() -> None:
    data = np.array(["2024-05-01T10:00"] * 4, "datetime64[s]")
    received = np.array(
        ["2024-05-01T10:00:30", "2024-05-01T12:00", "2024-05-01T09:50", "NaT"],
        "datetime64[s]",
    )
    # 30 s fine; 2 h late; stamped 10 min in the future (clock ahead); receive time unknown
    flags = late_data(received, data, max_delay_seconds=600, max_ahead_seconds=300)
    assert_array_equal(flags, [G, S, S, U])
    assert_array_equal(late_data(received, data, max_delay_seconds=600), [G, S, G, U])
    with pytest.raises(ValueError, match="shape"):
        late_data(received[:2], data, max_delay_seconds=1)


def test_duplicates_keep_the_first() -> None:
    flags = duplicates([1.0, 2.0, 2.0, NAN, 5.0], at(0, 60, 60, 60, 120))
    assert_array_equal(flags, [G, G, F, M, G])


# negative, oxygen ---------------------------------------------------------------------


def test_negative() -> None:
    values = [0.0, -0.3, -2.0, 4.0, NAN]
    assert_array_equal(negative(values, minutes(5)), [G, F, F, G, M])
    assert_array_equal(negative(values, minutes(5), tolerance=0.5), [G, G, F, G, M])
    assert_array_equal(
        negative(values, minutes(5), allow_negative=True), [G, G, G, G, M]
    )
    with pytest.raises(ValueError, match="tolerance"):
        negative(values, minutes(5), tolerance=-1)


def test_oxygen_plausible() -> None:
    values = [6.0, 19.5, 19.6, 21.0, 21.1, -0.1, NAN]
    # 19.5 is not above 19.5; 19.6 and 21.0 look like air; outside 0–21 impossible
    assert_array_equal(oxygen_plausible(values, minutes(7)), [G, G, S, S, F, F, M])
    assert_array_equal(
        oxygen_plausible(values, minutes(7), stopped_above=None), [G, G, G, G, F, F, M]
    )


# device_windows -----------------------------------------------------------------------


def test_device_windows_half_open_and_worst_wins() -> None:
    times = minutes(6)  # 00:00 … 00:05
    windows = [
        ("2024-05-01T00:01", "2024-05-01T00:03", "startup"),  # covers 00:01, 00:02
        {
            "start": T0 + np.timedelta64(2, "m"),
            "end": T0 + np.timedelta64(4, "m"),
            "kind": "calibration",
        },
    ]
    flags = device_windows([1.0, 2.0, 3.0, 4.0, NAN, 6.0], times, windows=windows)
    # 00:02 is in both: calibration (FAIL) beats start-up (SUSPECT); 00:04 is the end: out
    assert_array_equal(flags, [G, S, F, F, M, G])


def test_device_windows_aware_datetimes_and_errors() -> None:
    beijing = timezone(timedelta(hours=8))
    window = (
        datetime(2024, 5, 1, 8, 0, tzinfo=beijing),
        datetime(2024, 5, 1, 8, 1, tzinfo=beijing),
        "fault",
    )
    assert_array_equal(device_windows([1.0, 1.0], minutes(2), windows=[window]), [F, G])
    assert_array_equal(device_windows([1.0], minutes(1), windows=[]), [G])
    with pytest.raises(ValueError, match="kind"):
        device_windows(
            [1.0], minutes(1), windows=[("2024-05-01", "2024-05-02", "coffee")]
        )
    with pytest.raises(ValueError, match="before it starts"):
        device_windows(
            [1.0], minutes(1), windows=[("2024-05-02", "2024-05-01", "fault")]
        )
    with pytest.raises(ValueError, match="start, end, kind"):
        device_windows([1.0], minutes(1), windows=[("2024-05-01", "fault")])


# cross-parameter ----------------------------------------------------------------------


def test_pm25_le_pm10() -> None:
    pm25 = [30.0, 54.0, 56.0, 80.0, NAN, 20.0]
    pm10 = [50.0, 50.0, 50.0, 70.0, 50.0, NAN]
    # allowance 50 × 1.1 + 0 = 55: 54 passes, 56 does not; 80 > 77; NaN PM10 → unknown
    flags = pm25_le_pm10(pm25, pm10, minutes(6), tolerance=0, relative_tolerance=0.1)
    assert_array_equal(flags, [G, G, S, S, M, U])
    with pytest.raises(ValueError, match="shape"):
        pm25_le_pm10(pm25, pm10[:2], minutes(6), tolerance=0)
    with pytest.raises(ValueError, match="tolerance"):
        pm25_le_pm10(pm25, pm10, minutes(6), tolerance=-1)


def test_nox_consistency_mass_and_volume() -> None:
    no = [30.0, 30.0, 30.0, NAN]
    no2 = [30.0, 30.0, 30.0, 30.0]
    # expected NOx as NO2 = 30 × 46/30 + 30 = 76 µg/m³
    flags = nox_consistency([76.0, 80.0, 90.0, 76.0], no, no2, minutes(4), tolerance=5)
    assert_array_equal(flags, [G, G, S, U])
    # in ppb NOx = NO + NO2 = 60
    flags = nox_consistency(
        [61.0, 76.0, 60.0, 60.0], no, no2, minutes(4), tolerance=2, basis="volume"
    )
    assert_array_equal(flags, [G, S, G, U])
    with pytest.raises(ValueError, match="basis"):
        nox_consistency([1.0], [1.0], [1.0], minutes(1), tolerance=1, basis="ppm")  # type: ignore[arg-type]


def test_neighbour_consistency_ratio_and_zscore() -> None:
    neighbours = [
        [40.0, 40.0, 40.0, 40.0, 0.0],
        [44.0, 44.0, 44.0, NAN, 0.0],
        [38.0, 38.0, 38.0, NAN, 0.0],
    ]
    values = [42.0, 100.0, 15.0, 300.0, 0.0]
    # medians 40, 40, 40, (one neighbour), 0: 100/40 = 2.5 > 2; 40/15 = 2.7 > 2
    flags = neighbour_consistency(
        values, neighbours, minutes(5), max_ratio=2.0, floor=1.0
    )
    assert_array_equal(flags, [G, S, S, U, G])
    # MAD of (40, 44, 38) around 40 is 2 → scale 2.97; |42 − 40| = 2 → z = 0.67
    flags = neighbour_consistency(values, neighbours, minutes(5), max_zscore=3.0)
    assert_array_equal(flags, [G, S, S, U, G])


def test_neighbour_consistency_edges() -> None:
    assert_array_equal(
        neighbour_consistency([1.0, NAN], np.zeros((0, 2)), minutes(2), max_ratio=2),
        [U, M],
    )
    # neighbours that agree exactly: any difference is infinitely many MADs, unless min_scale
    same = [[10.0], [10.0], [10.0]]
    assert_array_equal(
        neighbour_consistency([11.0], same, minutes(1), max_zscore=3), [S]
    )
    assert_array_equal(
        neighbour_consistency([11.0], same, minutes(1), max_zscore=3, min_scale=1), [G]
    )
    # zero values without a floor: the ratio is undefined
    assert_array_equal(neighbour_consistency([0.0], same, minutes(1), max_ratio=2), [U])
    with pytest.raises(ValueError, match="needs"):
        neighbour_consistency([1.0], same, minutes(1))
    with pytest.raises(ValueError, match="shape"):
        neighbour_consistency([1.0], [1.0], minutes(1), max_ratio=2)
    with pytest.raises(ValueError, match="max_ratio"):
        neighbour_consistency([1.0], same, minutes(1), max_ratio=0.5)
