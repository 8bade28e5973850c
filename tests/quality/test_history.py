"""History: append-only columns, layered combination, runs, reviewers, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from envmon.quality import CHECKS, History, device_flag_columns
from envmon.quality.flags import UNSET, Flag

G, U, S, F, M = (
    int(f) for f in (Flag.GOOD, Flag.UNKNOWN, Flag.SUSPECT, Flag.FAIL, Flag.MISSING)
)
RUN1 = {"code_version": "0.1.0", "rules_version": "air-1"}
RUN2 = {"code_version": "0.1.0", "rules_version": "air-2"}


def meta(check: str, run: dict[str, str] = RUN1, **extra: object) -> dict[str, object]:
    return {"check": check, "params": {}, **run, **extra}


def test_empty_history_is_not_evaluated() -> None:
    history = History(3)
    assert len(history) == 0
    assert_array_equal(history.flags(), [U, U, U])
    assert history.checks_that_flagged(0) == []
    assert repr(history) == "History(length=3, columns=0)"


def test_flags_combine_automatic_columns_by_precedence() -> None:
    history = History(5)
    history.append([G, G, F, M, U], meta("gross_range"))
    history.append([U, S, G, M, U], meta("spike"))
    assert_array_equal(history.flags(), [G, S, F, M, U])
    assert history.flags().dtype == np.uint8


def test_checks_that_flagged_names_suspect_and_fail_only() -> None:
    history = History(4)
    history.append([G, S, F, F], meta("gross_range"))
    history.append([G, F, G, S], meta("spike"))
    history.append([G, G, G, G], meta("flat_line"))
    assert history.checks_that_flagged(0) == []
    assert history.checks_that_flagged(1) == ["gross_range", "spike"]
    assert history.checks_that_flagged(2) == ["gross_range"]
    assert history.checks_that_flagged(-1) == ["gross_range", "spike"]
    with pytest.raises(IndexError):
        history.checks_that_flagged(4)


def test_columns_are_copied_and_read_only() -> None:
    column = np.array([G, S], dtype=np.uint8)
    parameters = {"suspect_threshold": 5.0}
    history = History(2)
    history.append(column, {"check": "spike", "params": parameters, **RUN1})
    column[:] = F  # the caller's array changes; the history does not
    parameters["suspect_threshold"] = 99.0
    assert_array_equal(history.columns[0], [G, S])
    assert history.metas[0]["params"] == {"suspect_threshold": 5.0}
    with pytest.raises(ValueError, match="read-only"):
        history.columns[0][0] = F
    history.metas[0]["check"] = "changed"  # a fresh copy each time
    assert history.metas[0]["check"] == "spike"


def test_meta_is_completed_and_normalised() -> None:
    history = History(1)
    history.append([G], meta("gross_range", fail_span=(0, np.float64(5))))
    assert history.metas[0] == {
        "check": "gross_range",
        "params": {},
        "code_version": "0.1.0",
        "rules_version": "air-1",
        "kind": "automatic",
        "fail_span": [0, 5.0],
    }


@pytest.mark.parametrize(
    ("column", "the_meta", "error"),
    [
        ([G, G, G], meta("x"), "shape"),
        ([G, 5], meta("x"), "not QC flags"),
        ([G, G], {"check": "x", "params": {}}, "lacks"),
        ([G, G], meta("x", kind="robot"), "kind"),
        ([G, G], {"check": 3, "params": {}, **RUN1}, "str check"),
    ],
)
def test_append_rejects_bad_columns_and_metas(
    column: list[int], the_meta: dict[str, object], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        History(2).append(column, the_meta)


def test_append_rejects_meta_that_is_not_json() -> None:
    with pytest.raises(TypeError, match="JSON"):
        History(1).append([G], meta("x", thing=object()))


def test_newer_run_supersedes_older_run_where_it_set_flags() -> None:
    history = History(4)
    history.append([G, F, G, S], meta("gross_range", RUN1))
    history.append([G, G, G, G], meta("spike", RUN1))
    # re-QC of the first three values under new rules: the gross_range FAIL at 1 goes away
    history.append([G, G, S, UNSET], meta("gross_range", RUN2))
    history.append([G, G, G, UNSET], meta("spike", RUN2))
    assert_array_equal(history.flags(), [G, G, S, S])
    assert history.checks_that_flagged(1) == []  # the old run's FAIL is not in effect
    assert history.checks_that_flagged(2) == ["gross_range"]
    assert history.checks_that_flagged(3) == ["gross_range"]  # old run still rules here
    assert len(history) == 4  # nothing was removed


def test_device_layer_is_combined_and_named_per_code() -> None:
    history = History(4)
    history.append([G, G, G, G], meta("gross_range"))
    for name, column in device_flag_columns(["N", "D", "T", "N"]).items():
        history.append(column, meta(name, kind="device"))
    assert_array_equal(history.flags(), [G, F, S, G])
    assert history.checks_that_flagged(1) == ["device:D"]
    assert history.checks_that_flagged(2) == ["device:T"]


def test_reviewer_overrides_automatic_but_not_a_device_fault() -> None:
    history = History(4)
    history.append([S, S, G, G], meta("spike"))
    history.append([UNSET, F, UNSET, UNSET], meta("device:D", kind="device"))
    review = meta(
        "reviewer", kind="reviewer", reason="R01", user="wang", at="2026-01-01"
    )
    history.append([G, G, UNSET, F], review)
    # 0: reviewer GOOD over automatic SUSPECT; 1: device fault stays; 2: untouched; 3: FAIL
    assert_array_equal(history.flags(), [G, F, G, F])
    layers = history.layers()
    assert_array_equal(layers.automatic, [S, S, G, G])
    assert_array_equal(layers.device, [UNSET, F, UNSET, UNSET])
    assert_array_equal(layers.reviewer, [G, G, UNSET, F])
    # both the automatic and the reviewer flag stay visible
    assert history.checks_that_flagged(0) == ["spike"]
    assert history.checks_that_flagged(3) == ["reviewer"]


def test_newest_review_wins_and_can_overrule_the_device() -> None:
    history = History(3)
    history.append([G, G, G], meta("gross_range"))
    history.append([F, F, UNSET], meta("device:M", kind="device"))
    history.append([S, S, S], meta("reviewer", kind="reviewer"))
    history.append(
        [G, UNSET, UNSET], meta("reviewer", kind="reviewer", overrule_device=True)
    )
    # 0: the newer review overrules the maintenance flag; 1: older review cannot erase it
    assert_array_equal(history.flags(), [G, F, S])


def test_round_trip_through_json() -> None:
    history = History(6)
    history.append([G, G, F, F, F, M], meta("gross_range", fail_span=[0, 5]))
    history.append([U, S, G, UNSET, UNSET, M], meta("spike", RUN2))
    history.append(
        [UNSET, F, UNSET, UNSET, UNSET, UNSET], meta("device:D", kind="device")
    )
    history.append(
        [G, UNSET, UNSET, UNSET, G, UNSET], meta("reviewer", kind="reviewer")
    )
    data = json.loads(json.dumps(history.to_dict()))
    assert data["columns"][0]["runs"] == [[G, 2], [F, 3], [M, 1]]
    copy = History.from_dict(data)
    assert copy.to_dict() == history.to_dict()
    assert_array_equal(copy.flags(), history.flags())
    for a, b in zip(copy.columns, history.columns, strict=True):
        assert_array_equal(a, b)
    assert copy.metas == history.metas


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"format": "other/1"}, "format"),
        ({"columns": [{"meta": meta("x"), "runs": [[1, 5]]}]}, "cover"),
        ({"columns": [{"meta": meta("x"), "runs": [[300, 6]]}]}, "outside"),
    ],
)
def test_from_dict_rejects_bad_data(change: dict[str, object], error: str) -> None:
    data = {**History(6).to_dict(), **change}
    with pytest.raises(ValueError, match=error):
        History.from_dict(data)


def test_empty_series_round_trip() -> None:
    history = History(0)
    history.append([], meta("gross_range"))
    assert History.from_dict(history.to_dict()).flags().shape == (0,)
    with pytest.raises(ValueError, match="length"):
        History(-1)


flag_values = st.sampled_from([UNSET, G, U, S, F, M])


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 30).flatmap(
        lambda n: st.lists(
            st.tuples(
                st.lists(flag_values, min_size=n, max_size=n),
                st.sampled_from(["automatic", "device", "reviewer"]),
                st.sampled_from(["r1", "r2"]),
                st.booleans(),
            ),
            max_size=6,
        ).map(lambda columns: (n, columns))
    )
)
def test_round_trip_property(
    case: tuple[int, list[tuple[list[int], str, str, bool]]],
) -> None:
    n, columns = case
    history = History(n)
    for column, kind, rules, overrule in columns:
        history.append(
            column,
            {
                "check": sorted(CHECKS)[len(history) % len(CHECKS)],
                "params": {"n": len(history)},
                "code_version": "0.1.0",
                "rules_version": rules,
                "kind": kind,
                "overrule_device": overrule,
            },
        )
    copy = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert_array_equal(copy.flags(), history.flags())
    assert copy.to_dict() == history.to_dict()
    for index in range(n):
        assert copy.checks_that_flagged(index) == history.checks_that_flagged(index)


def test_history_meta_from_a_check_spec() -> None:
    spec = CHECKS["gross_range"]
    params = {"fail_span": (0, 500)}
    values = np.array([10.0, 600.0, np.nan])
    times = np.array([0, 60, 120], "datetime64[s]")
    history = History(3)
    history.append(
        spec(values, times, **params), spec.history_meta(params, rules_version="air-1")
    )
    assert history.metas[0]["params"] == {"fail_span": [0, 500], "suspect_span": None}
    assert history.metas[0]["code_version"] == "0.1.0"
    assert history.checks_that_flagged(1) == ["gross_range"]
    assert_array_equal(history.flags(), [G, F, M])
