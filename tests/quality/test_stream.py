"""Streaming QC equals batch QC (hypothesis), keeps a bounded tail, and its API contract."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from envmon.quality.rules import DEFAULT_RULES, CheckRule, Rule, parse_rules, rules_for
from envmon.quality.stream import Finalised, StreamingQC, batch_qc, split_checks

T0 = np.datetime64("2024-05-01T00:00:00", "s")
NAN = math.nan


def minutes(n: int, start: int = 0) -> np.ndarray:
    return T0 + (start + np.arange(n)) * np.timedelta64(60, "s")


def distinct_default_rules() -> list[Rule]:
    """One rule per distinct check set of the default rules (their single-series checks:
    the cross-parameter ones run where the parameters are aligned)."""
    seen: dict[str, Rule] = {}
    for rule in DEFAULT_RULES.rules:
        single, _ = split_checks(rule.checks)
        key = json.dumps([c.model_dump() for c in single], sort_keys=True)
        seen.setdefault(key, rule.model_copy(update={"checks": single}))
    return list(seen.values())


def rule_id(rule: Rule) -> str:
    return rule.parameter + (f"-{rule.element}" if rule.element else "")


def scale_of(checks: Sequence[CheckRule]) -> tuple[float, float]:
    """A value step that trips the spike check, and a value beyond the fail span."""
    params = {c.check: c.params for c in checks}
    high = params["gross_range"]["fail_span"][1]
    if "spike" in params:
        step = float(params["spike"]["suspect_threshold"])
    else:
        step = float(high or 100.0) / 10
    return step, float(high) * 1.1 if high is not None else 20 * step


@st.composite
def series(
    draw: st.DrawFn,
    step: float,
    beyond: float,
    steps: Sequence[int],
    max_size: int = 70,
) -> tuple[np.ndarray, np.ndarray]:
    """Irregular times (repeats, gaps) and values in runs, so stuck stretches, spikes,
    duplicates and NaNs are all common."""
    levels = [0.0, step, step, 2 * step, 3 * step, -step, -0.01 * step, beyond, NAN]
    level = st.one_of(st.sampled_from(levels), st.floats(-2 * step, 4 * step))
    runs = draw(st.lists(st.tuples(level, st.integers(1, 12)), max_size=max_size // 3))
    values = [value for value, length in runs for _ in range(length)][:max_size]
    n = len(values)
    gaps = draw(st.lists(st.sampled_from(steps), min_size=n, max_size=n))
    times = T0 + np.cumsum(np.array(gaps, dtype=np.int64)) * np.timedelta64(1, "s")
    return times.astype("datetime64[s]"), np.array(values, dtype=np.float64)


def stream(
    checks: Sequence[CheckRule] | Any,
    times: np.ndarray,
    values: np.ndarray,
    chunks: Sequence[int],
    batch_points: int = 1,
    **feed: Any,
) -> list[Finalised]:
    qc = StreamingQC(checks, batch_points=batch_points)
    out: list[Finalised] = []
    position = 0
    for size in [*chunks, times.size]:
        piece = slice(position, position + size)
        out += qc.feed(times[piece], values[piece], **feed)
        position += size
        if position >= times.size:
            break
    out += qc.flush()
    return out


def assert_same_as_batch(
    checks: Sequence[CheckRule],
    times: np.ndarray,
    values: np.ndarray,
    out: list[Finalised],
) -> None:
    flags, history = batch_qc(times, values, checks)
    assert [r.position for r in out] == list(range(times.size))
    assert_array_equal(np.array([r.flag for r in out], dtype=np.uint8), flags)
    expected = [tuple(history.checks_that_flagged(i)) for i in range(times.size)]
    assert [r.checks for r in out] == expected
    assert_array_equal(np.array([r.time for r in out], dtype="datetime64[s]"), times)
    assert_array_equal(np.array([r.value for r in out]), values)


DEFAULT_STEPS = [0, 60, 60, 60, 60, 600, 3600, 3600, 7200, 21600, 43200, 86400]
CHUNKS = st.lists(st.integers(1, 9), max_size=40)
BATCH = st.sampled_from([1, 1, 1, 2, 5])


@pytest.mark.parametrize("rule", distinct_default_rules(), ids=rule_id)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), chunks=CHUNKS, batch_points=BATCH)
def test_streaming_equals_batch_for_every_default_check_set(
    rule: Rule, data: st.DataObject, chunks: list[int], batch_points: int
) -> None:
    step, beyond = scale_of(rule.checks)
    times, values = data.draw(series(step, beyond, DEFAULT_STEPS))
    out = stream(rule.checks, times, values, chunks, batch_points)
    assert_same_as_batch(rule.checks, times, values, out)


# Short windows and every single-series check with a window, so that tails are trimmed,
# flat lines reach FAIL and the flat-line shortcut is exercised with a tolerance.
SHORT = [
    CheckRule(
        check="gross_range", params={"fail_span": [-1, 10], "suspect_span": [0, 3]}
    ),
    CheckRule(check="spike", params={"suspect_threshold": 1.0, "fail_threshold": 4.0}),
    CheckRule(
        check="flat_line",
        params={"tolerance": 0.5, "suspect_seconds": 120, "fail_seconds": 300},
    ),
    CheckRule(
        check="rate_of_change",
        params={"max_rate_per_second": 0.05, "n_deviations": 2, "window_points": 4},
    ),
    CheckRule(
        check="time_gap", params={"expected_interval_seconds": 60, "tolerance": 5}
    ),
    CheckRule(check="duplicates"),
    CheckRule(
        check="climatology",
        params={"spans_by_hour": {h: [0, 2] for h in range(0, 24, 2)}},
    ),
    CheckRule(check="negative", params={"tolerance": 0.2}),
]


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    chunks=CHUNKS,
    batch_points=BATCH,
    chosen=st.lists(
        st.sampled_from(range(len(SHORT))), min_size=0, max_size=5, unique=True
    ),
)
def test_streaming_equals_batch_with_short_windows(
    data: st.DataObject, chunks: list[int], batch_points: int, chosen: list[int]
) -> None:
    checks = [SHORT[i] for i in sorted(chosen)]
    times, values = data.draw(
        series(1.0, 12.0, [0, 1, 30, 60, 60, 60, 61, 90, 120, 600], 60)
    )
    out = stream(checks, times, values, chunks, batch_points)
    assert_same_as_batch(checks, times, values, out)


def test_the_tail_stays_bounded_by_the_longest_window() -> None:
    # PM2.5 defaults: the newest point (its spike flag waits for the next) needs flat_line's
    # day: the 1439 minutes before it, and the point a day before it (lookback_points=1);
    # trimming is amortised, once the tail has grown by an eighth beyond that.
    qc = StreamingQC(DEFAULT_RULES)
    times, values = minutes(5000), np.resize([30.0, 31.0, 33.0, 30.0, 35.0], 5000)
    sizes = []
    for i in range(5000):
        qc.feed(times[i : i + 1], values[i : i + 1], series=("110000001", "a34004"))
        sizes.append(qc.retained(("110000001", "a34004")))
        assert qc.pending(("110000001", "a34004")) == 1  # spike waits for the next
    assert 1441 < max(sizes) <= 1441 + 1441 // 8
    assert min(sizes[3000:]) == 1441  # right after each trim


def test_a_rule_set_gives_each_series_its_rule_and_interleaving_does_not_matter() -> (
    None
):
    qc = StreamingQC(DEFAULT_RULES, batch_points=3)
    pm25 = np.array([30, 32, 900, 31, 1500, -20, 33, NAN, 34, 35], dtype=float)
    so2_stack = np.array([50, 52, 51, 20000, 53, 54, 55, 56, 57, 58], dtype=float)
    times = minutes(10)
    out: dict[Hashable, list[Finalised]] = {
        ("A", "a34004"): [],
        ("B", "a21026"): [],
    }
    for i in range(0, 10, 2):
        for key, values, element in (
            (("A", "a34004"), pm25, "air"),
            (("B", "a21026"), so2_stack, "flue_gas"),
        ):
            for record in qc.feed(
                times[i : i + 2], values[i : i + 2], series=key, element=element
            ):
                out[record.series].append(record)
    for record in qc.flush():
        out[record.series].append(record)
    pm25_checks, _ = split_checks(rules_for(DEFAULT_RULES, "a34004", "air"))
    flue_checks, _ = split_checks(rules_for(DEFAULT_RULES, "a21026", "flue_gas"))
    assert pm25_checks != flue_checks
    assert_same_as_batch(pm25_checks, times, pm25, out[("A", "a34004")])
    assert_same_as_batch(flue_checks, times, so2_stack, out[("B", "a21026")])
    assert out[("B", "a21026")][3].flag == 4  # 20 000 mg/m3 is beyond the CEMS span


def test_values_are_emitted_once_they_can_be_decided() -> None:
    checks = [CheckRule(check="spike", params={"suspect_threshold": 30})]
    qc = StreamingQC(checks)
    times = minutes(4)
    assert qc.feed(times[:1], [10.0]) == []  # the first point waits for its neighbour
    assert [r.position for r in qc.feed(times[1:2], [11.0])] == [0]
    assert [r.position for r in qc.feed(times[2:3], [60.0])] == [1]
    assert [(r.position, r.checks) for r in qc.feed(times[3:4], [12.0])] == [
        (2, ("spike",))
    ]
    assert [r.position for r in qc.flush()] == [3]
    # after a flush the series starts again
    assert qc.feed(times[:1], [5.0]) == [] and qc.pending() == 1


def test_batch_points_delay_flags_but_do_not_change_them() -> None:
    checks = list(DEFAULT_RULES.rules[0].checks)
    times, values = minutes(23), np.resize([40.0, 41.0, 150.0, 39.0, 39.0], 23)
    qc = StreamingQC(checks, batch_points=5)
    sizes = [len(qc.feed(times[i : i + 1], values[i : i + 1])) for i in range(23)]
    assert set(sizes) == {0, 5}
    assert sum(sizes) == 20
    assert len(qc.flush()) == 3
    assert_same_as_batch(
        checks, times, values, stream(checks, times, values, [1] * 23, 5)
    )


def test_series_without_a_rule_are_not_evaluated() -> None:
    qc = StreamingQC(parse_rules("version: v\nrules: []"))
    out = qc.feed(minutes(3), [1.0, NAN, 3.0], series=("P", "x99999"))
    assert [(r.position, r.flag, r.checks) for r in out] == [
        (0, 2, ()),
        (1, 2, ()),
        (2, 2, ()),
    ]
    flags, history = batch_qc(minutes(3), [1.0, NAN, 3.0], [])
    assert flags.tolist() == [2, 2, 2] and len(history) == 0


def test_refusals() -> None:
    qc = StreamingQC([CheckRule(check="duplicates")])
    qc.feed(minutes(2, start=5), [1.0, 2.0])
    with pytest.raises(ValueError, match="is before the last time fed"):
        qc.feed(minutes(1, start=4), [1.0])
    with pytest.raises(ValueError, match="must be sorted"):
        qc.feed(minutes(2, start=9)[::-1], [1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        qc.feed(minutes(2, start=20), [1.0])
    assert qc.feed(minutes(0), []) == []
    with pytest.raises(ValueError, match="batch_points=0"):
        StreamingQC([], batch_points=0)
    cross = CheckRule(check="pm25_le_pm10", params={"tolerance": 5})
    with pytest.raises(
        ValueError, match=r"check 'pm25_le_pm10' needs inputs \(pm25, pm10, times\)"
    ):
        StreamingQC([cross])
    late = CheckRule(check="late_data", params={"max_delay_seconds": 60})
    with pytest.raises(ValueError, match="late_data"):
        batch_qc(minutes(1), [1.0], [late])


def test_aware_datetimes_and_iso_text_are_accepted() -> None:
    from datetime import UTC, datetime, timedelta

    checks = [CheckRule(check="time_gap", params={"expected_interval_seconds": 60})]
    start = datetime(2024, 5, 1, tzinfo=UTC)
    times = [start + timedelta(minutes=m) for m in (0, 1, 5)]
    out = StreamingQC(checks).feed(times, [1.0, 2.0, 3.0])
    assert [r.flag for r in out] == [2, 1, 3]
    assert out[2].time == np.datetime64("2024-05-01T00:05:00")


def test_batch_history_records_each_check_with_its_parameters() -> None:
    checks = list(DEFAULT_RULES.rules[0].checks)
    _, history = batch_qc(minutes(3), [40.0, 41.0, 42.0], checks, rules_version="r7")
    metas = history.metas
    assert [m["check"] for m in metas] == [c.check for c in checks]
    assert all(m["rules_version"] == "r7" and m["kind"] == "automatic" for m in metas)
    assert metas[0]["params"] == {"fail_span": [20, 140], "suspect_span": [25, 120]}


def feed_together(
    checks: Sequence[CheckRule],
    drawn: list[tuple[np.ndarray, np.ndarray]],
    chunks: list[int],
    batch_points: int,
) -> dict[int, list[Finalised]]:
    """Feed every series with feed_many, each call taking the next chunk of each."""
    qc = StreamingQC(checks, batch_points=batch_points)
    out: dict[int, list[Finalised]] = {k: [] for k in range(len(drawn))}
    positions = [0] * len(drawn)
    for size in [*chunks, max((t.size for t, _ in drawn), default=0)]:
        feeds = []
        for k, (times, values) in enumerate(drawn):
            piece = slice(positions[k], positions[k] + size)
            if positions[k] < times.size:
                feeds.append((k, times[piece], values[piece]))
            positions[k] += size
        for result in qc.feed_many(feeds):
            out[int(result.series)].append(result)  # type: ignore[call-overload]
        if all(p >= t.size for p, (t, _) in zip(positions, drawn, strict=True)):
            break
    for result in qc.flush():
        out[int(result.series)].append(result)  # type: ignore[call-overload]
    return out


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    chunks=CHUNKS,
    batch_points=BATCH,
    chosen=st.lists(
        st.sampled_from(range(len(SHORT))), min_size=0, max_size=5, unique=True
    ),
    count=st.integers(1, 5),
)
def test_many_series_fed_together_equal_batch(
    data: st.DataObject,
    chunks: list[int],
    batch_points: int,
    chosen: list[int],
    count: int,
) -> None:
    checks = [SHORT[i] for i in sorted(chosen)]
    drawn = [
        data.draw(series(1.0, 12.0, [0, 1, 30, 60, 60, 60, 61, 90, 120, 600], 40))
        for _ in range(count)
    ]
    out = feed_together(checks, drawn, chunks, batch_points)
    for k, (times, values) in enumerate(drawn):
        assert_same_as_batch(checks, times, values, out[k])


@pytest.mark.parametrize("rule", distinct_default_rules()[:8], ids=rule_id)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), chunks=CHUNKS)
def test_default_check_sets_fed_together_equal_batch(
    rule: Rule, data: st.DataObject, chunks: list[int]
) -> None:
    step, beyond = scale_of(rule.checks)
    drawn = [data.draw(series(step, beyond, DEFAULT_STEPS)) for _ in range(3)]
    out = feed_together(rule.checks, drawn, chunks, 1)
    for k, (times, values) in enumerate(drawn):
        assert_same_as_batch(rule.checks, times, values, out[k])


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    chosen=st.lists(
        st.sampled_from(range(len(SHORT))), min_size=0, max_size=5, unique=True
    ),
    count=st.integers(1, 5),
    batch_points=BATCH,
)
def test_one_value_each_equals_batch(
    data: st.DataObject, chosen: list[int], count: int, batch_points: int
) -> None:
    checks = [SHORT[i] for i in sorted(chosen)]
    drawn = [
        data.draw(series(1.0, 12.0, [0, 1, 30, 60, 60, 60, 61, 90, 120, 600], 40))
        for _ in range(count)
    ]
    qc = StreamingQC(checks, batch_points=batch_points)
    out: dict[int, list[Finalised]] = {k: [] for k in range(count)}
    for step in range(max(t.size for t, _ in drawn)):
        keys = [k for k, (t, _) in enumerate(drawn) if step < t.size]
        results = qc.feed_each(
            keys,
            np.array([drawn[k][0][step] for k in keys], dtype="datetime64[s]"),
            np.array([drawn[k][1][step] for k in keys]),
        )
        for result in results:
            out[int(result.series)].append(result)  # type: ignore[call-overload]
    for result in qc.flush():
        out[int(result.series)].append(result)  # type: ignore[call-overload]
    for k, (times, values) in enumerate(drawn):
        assert_same_as_batch(checks, times, values, out[k])


def test_feed_each_refusals() -> None:
    qc = StreamingQC(SHORT[:1])
    t = minutes(2)
    with pytest.raises(ValueError, match="at most once"):
        qc.feed_each(["a", "a"], t, [1.0, 2.0])
    with pytest.raises(ValueError, match="differ"):
        qc.feed_each(["a"], t, [1.0, 2.0])
    qc.feed_each(["a"], t[1:], [1.0])
    with pytest.raises(ValueError, match="before the last time fed"):
        qc.feed_each(["a"], t[:1], [1.0])
