"""Flags: the QARTOD scale, precedence tables, HJ 212 translation, effective flag, labels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from envmon.quality.flags import (
    DEVICE_FLAGS,
    DEVICE_WINDOW_KINDS,
    FLAG_LABELS,
    PRECEDENCE,
    UNSET,
    Flag,
    device_flag_columns,
    device_flag_to_qc,
    device_reason,
    effective_flag,
    flag_labels,
    qartod_compare,
)

G, U, S, F, M = Flag.GOOD, Flag.UNKNOWN, Flag.SUSPECT, Flag.FAIL, Flag.MISSING
ORDER = [UNSET, M, U, G, S, F]  # lowest → highest precedence, as documented


def test_flag_values_are_the_qartod_codes() -> None:
    assert {f.name: int(f) for f in Flag} == {
        "GOOD": 1,
        "UNKNOWN": 2,
        "SUSPECT": 3,
        "FAIL": 4,
        "MISSING": 9,
    }
    assert UNSET == 0
    assert PRECEDENCE == (M, U, G, S, F)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ORDER, repeat=2)))
def test_qartod_compare_pairwise_table(a: int, b: int) -> None:
    # the higher of the two in ORDER wins, whichever side it is on
    expected = max(a, b, key=ORDER.index)
    assert qartod_compare([a], [b]).tolist() == [expected]
    assert qartod_compare([b], [a]).tolist() == [expected]


def test_qartod_compare_matches_ioos_semantics() -> None:
    # MISSING only where every input is MISSING; GOOD beats UNKNOWN; FAIL beats all
    result = qartod_compare([9, 9, 2, 1, 3], [9, 2, 1, 4, 1], [9, 9, 9, 9, 4])
    assert_array_equal(result, [9, 2, 1, 4, 4])
    assert result.dtype == np.uint8


def test_qartod_compare_single_array_and_broadcast() -> None:
    assert_array_equal(qartod_compare([1, 4, 9]), [1, 4, 9])
    assert_array_equal(qartod_compare([1, 2, 9], 3), [3, 3, 3])


@pytest.mark.parametrize("bad", [[5], [7], [255], [-1], [300]])
def test_qartod_compare_rejects_codes_that_are_not_flags(bad: list[int]) -> None:
    with pytest.raises(ValueError, match="not QC flags|outside"):
        qartod_compare([1], bad)


def test_qartod_compare_needs_an_array() -> None:
    with pytest.raises(ValueError, match="at least one"):
        qartod_compare()


def test_qartod_compare_does_not_mutate_inputs() -> None:
    a = np.array([1, 4, 9], dtype=np.uint8)
    b = np.array([3, 1, 2], dtype=np.uint8)
    qartod_compare(a, b)
    assert_array_equal(a, [1, 4, 9])
    assert_array_equal(b, [3, 1, 2])


# effective_flag: (device, automatic, reviewer, overrule) → effective, and why.
EFFECTIVE_TABLE = [
    # nothing set anywhere: not evaluated
    (UNSET, UNSET, UNSET, False, U),
    # no review: device and automatic by precedence
    (UNSET, G, UNSET, False, G),
    (UNSET, S, UNSET, False, S),
    (UNSET, M, UNSET, False, M),
    (F, G, UNSET, False, F),  # device fault beats a passing automatic QC
    (S, G, UNSET, False, S),  # device T/S qualifies the value
    (S, F, UNSET, False, F),
    (F, UNSET, UNSET, False, F),
    # reviewer overrides automatic QC both ways
    (UNSET, S, G, False, G),
    (UNSET, G, F, False, F),
    (UNSET, F, G, False, G),
    (S, S, G, False, G),  # a device qualifier (T, S) may be overruled
    # a device fault is confirmed, never erased without an explicit overrule
    (F, G, G, False, F),
    (F, G, S, False, F),
    (F, G, U, False, F),
    (F, S, F, False, F),
    (F, G, G, True, G),
    (F, F, S, True, S),
    # overrule without a review changes nothing
    (F, G, UNSET, True, F),
]


@pytest.mark.parametrize(
    ("device", "automatic", "reviewer", "overrule", "expected"), EFFECTIVE_TABLE
)
def test_effective_flag_table(
    device: int, automatic: int, reviewer: int, overrule: bool, expected: int
) -> None:
    result = effective_flag([device], [automatic], [reviewer], overrule_device=overrule)
    assert result.tolist() == [expected]
    assert result.dtype == np.uint8


def test_effective_flag_vectorised_matches_table() -> None:
    device, automatic, reviewer, overrule, expected = (
        list(c) for c in zip(*EFFECTIVE_TABLE, strict=True)
    )
    result = effective_flag(device, automatic, reviewer, overrule_device=overrule)
    assert result.tolist() == expected


def test_effective_flag_rejects_bad_reviewer_code() -> None:
    with pytest.raises(ValueError, match="reviewer"):
        effective_flag([0], [1], [5])


# HJ 212-2017 Table 8 and HJ/T 212-2005, as chosen in flags.py
DEVICE_2017 = {"N": UNSET, "F": F, "M": F, "S": S, "D": F, "C": F, "T": S, "B": F}
DEVICE_2005 = {
    "P": F, "F": F, "C": F, "M": F, "T": S, "D": F, "S": S, "N": UNSET,
    "0": F, "1": UNSET, "2": F, "3": UNSET,
}  # fmt: skip


@pytest.mark.parametrize(
    ("protocol", "table"), [("2017", DEVICE_2017), ("2005", DEVICE_2005)]
)
def test_device_flag_to_qc_tables(protocol: str, table: dict[str, int]) -> None:
    codes = list(table)
    assert_array_equal(
        device_flag_to_qc(codes, protocol=protocol), list(table.values())
    )
    assert set(DEVICE_FLAGS[protocol]) == set(table)


def test_device_flags_cover_the_hj212_code_tables() -> None:
    from envmon.hj212.codes import DATA_FLAGS_2005, DATA_FLAGS_2017

    assert set(DEVICE_FLAGS["2017"]) == set(DATA_FLAGS_2017)
    assert set(DEVICE_FLAGS["2005"]) == set(DATA_FLAGS_2005)


def test_device_flag_to_qc_unknown_missing_and_case() -> None:
    # no flag sets nothing; unknown provincial codes are SUSPECT; lower case is tolerated
    result = device_flag_to_qc([None, "", "St", "Md", "d", "n", np.nan])
    assert_array_equal(result, [UNSET, UNSET, S, S, F, UNSET, UNSET])


def test_device_flag_to_qc_shape_and_empty() -> None:
    assert device_flag_to_qc([]).shape == (0,)
    assert device_flag_to_qc([["N", "D"], ["C", "T"]]).tolist() == [[0, 4], [4, 3]]


def test_device_flag_to_qc_rejects_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="protocol"):
        device_flag_to_qc(["N"], protocol="2025")


def test_device_flag_columns_one_column_per_flagging_code() -> None:
    columns = device_flag_columns(["N", "D", "C", "D", "T", "N"])
    assert list(columns) == ["device:C", "device:D", "device:T"]
    assert_array_equal(columns["device:D"], [0, 4, 0, 4, 0, 0])
    assert_array_equal(columns["device:C"], [0, 0, 4, 0, 0, 0])
    assert_array_equal(columns["device:T"], [0, 0, 0, 0, 3, 0])
    assert device_flag_columns(["N", "N"]) == {}
    assert device_reason("M") == "device:M"


def test_labels() -> None:
    assert set(FLAG_LABELS) == set(Flag)
    assert flag_labels([1, 2, 3, 4, 9, 0]) == [
        "有效",
        "未检查",
        "可疑",
        "无效",
        "缺失",
        "",
    ]
    assert flag_labels([1, 2, 3, 4, 9], language="en") == [
        "valid",
        "not evaluated",
        "suspect",
        "invalid",
        "missing",
    ]
    assert DEVICE_FLAGS["2017"]["T"].label.zh == "超测量上限"
    with pytest.raises(ValueError, match="language"):
        flag_labels([1], language="fr")  # type: ignore[arg-type]


def test_device_window_kinds_fail_or_qualify() -> None:
    assert {k for k, (flag, _) in DEVICE_WINDOW_KINDS.items() if flag == F} == {
        "maintenance",
        "calibration",
        "fault",
        "stopped",
        "commissioning",
    }
    assert {k for k, (flag, _) in DEVICE_WINDOW_KINDS.items() if flag == S} == {
        "startup",
        "shutdown",
        "abatement_fault",
    }
