from datetime import datetime, timedelta
from itertools import islice

import numpy as np
import pytest

from envmon.simulate.faults import (
    FAULT_NAMES,
    FaultConfig,
    FrameFaults,
    RecordFaults,
    corrupt_crc,
    merge_frames,
    parse_faults,
    split_frame,
)
from envmon.simulate.sources import PointSpec, Record, generate
from envmon.timeutil import BEIJING

FRAME = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)
GAS = PointSpec("SIMGAS001", "123456", "31", "flue_gas", "DA001", reference_o2=3.5)


def records(n=300):
    # seed 2: the boiler runs throughout (no shut-down flags F of its own)
    start = datetime(2024, 1, 1, tzinfo=BEIJING)
    result = list(islice(generate(GAS, kind="minute", start=start, seed=2), n))
    assert all(v["Flag"] == "N" for r in result for v in r.params.values())
    return result


def run_faults(config, n=300, seed=0):
    faults = RecordFaults(config, np.random.default_rng(seed))
    return [(r, *faults.apply(r)) for r in records(n)]


# ---------------------------------------------------------------------------- parsing


def test_parse_faults_reads_every_rate():
    config = parse_faults("bad_crc=0.01, resend=0.02,split=0.1")
    assert config == FaultConfig(bad_crc=0.01, resend=0.02, split=0.1)
    assert str(config) == "resend=0.02,split=0.1,bad_crc=0.01"


@pytest.mark.parametrize("spec", ["", "none", "  "])
def test_empty_spec_means_no_fault(spec):
    assert parse_faults(spec) == FaultConfig()
    assert str(parse_faults(spec)) == "none"


def test_every_documented_fault_parses():
    spec = ",".join(f"{name}=0.5" for name in FAULT_NAMES)
    assert all(getattr(parse_faults(spec), name) == 0.5 for name in FAULT_NAMES)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bad_crcc=0.1", "unknown fault 'bad_crcc'; known faults: flag, gap"),
        ("split=1.5", "fault 'split': rate '1.5' is not a number between 0 and 1"),
        ("split=-0.1", "rate '-0.1' is not"),
        ("split=abc", "rate 'abc' is not"),
        ("split=nan", "rate 'nan' is not"),
        ("split", "fault item 'split' is not name=rate"),
        ("split=0.1,split=0.2", "fault 'split' is given twice"),
    ],
)
def test_parse_errors_name_the_culprit(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


# ---------------------------------------------------------------------------- records


def test_no_fault_leaves_records_alone():
    for original, changed, applied in run_faults(FaultConfig()):
        assert changed == original
        assert applied == []


def test_faults_do_not_modify_the_input():
    original = records(50)
    snapshot = [
        Record(r.data_time, {c: dict(v) for c, v in r.params.items()}) for r in original
    ]
    faults = RecordFaults(
        FaultConfig(flag=0.5, exceed=0.5, skew=0.5), np.random.default_rng(0)
    )
    for record in original:
        faults.apply(record)
    assert original == snapshot


def test_gap_drops_records_in_stretches():
    results = run_faults(FaultConfig(gap=0.05))
    dropped = [i for i, (_, changed, applied) in enumerate(results) if changed is None]
    assert dropped
    assert all(results[i][2] == ["gap"] for i in dropped)
    assert len(dropped) < len(results) / 2


@pytest.mark.parametrize("rate", [0.05, 1.0])
def test_flag_marks_one_parameter_with_a_device_flag_for_a_while(rate):
    results = run_faults(FaultConfig(flag=rate))
    flagged = [(o, c) for o, c, applied in results if "flag" in applied]
    assert flagged
    for original, changed in flagged:
        diffs = [
            code
            for code in changed.params
            if changed.params[code] != original.params[code]
        ]
        assert len(diffs) == 1
        assert changed.params[diffs[0]]["Flag"] in {"M", "C", "D", "F"}
    # an episode lasts 3 to 12 records (two may follow each other)
    runs, current = [], 0
    for _, _, applied in results:
        if "flag" in applied:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    if rate < 1:
        assert all(r >= 3 for r in runs)


def test_exceed_pushes_a_pollutant_above_its_limit():
    limits = {"a21002": 150.0}
    faults = RecordFaults(FaultConfig(exceed=0.1), np.random.default_rng(0), limits)
    hit = 0
    for record in records():
        changed, applied = faults.apply(record)
        if "exceed" in applied:
            hit += 1
            nox = changed.params["a21002"]
            assert nox["ZsAvg"] > 150
            assert nox["Min"] <= nox["Avg"] <= nox["Max"]
            assert nox["Flag"] == record.params["a21002"]["Flag"]
        else:
            assert changed.params["a21002"]["ZsAvg"] < 150
    assert hit


def test_skew_shifts_data_time_by_whole_seconds():
    results = run_faults(FaultConfig(skew=0.05))
    skewed = [(o, c) for o, c, applied in results if "skew" in applied]
    assert skewed
    for original, changed in skewed:
        offset = changed.data_time - original.data_time
        assert timedelta(seconds=60) <= abs(offset) <= timedelta(hours=2)
        assert offset.microseconds == 0
        assert changed.params == original.params


def test_record_faults_are_deterministic_per_seed():
    config = FaultConfig(flag=0.1, gap=0.1, exceed=0.1, skew=0.1)
    assert run_faults(config, seed=3) == run_faults(config, seed=3)
    assert run_faults(config, seed=3) != run_faults(config, seed=4)


# ---------------------------------------------------------------------------- frames


def test_corrupt_crc_changes_exactly_one_crc_digit():
    rng = np.random.default_rng(0)
    for _ in range(50):
        bad = corrupt_crc(FRAME, rng)
        assert len(bad) == len(FRAME)
        diffs = [i for i, (a, b) in enumerate(zip(FRAME, bad, strict=True)) if a != b]
        assert len(diffs) == 1
        assert len(FRAME) - 6 <= diffs[0] < len(FRAME) - 2
        assert bad[-6:-2].upper() != FRAME[-6:-2].upper()


def test_split_keeps_every_byte_in_order():
    rng = np.random.default_rng(0)
    for _ in range(50):
        chunks = split_frame(FRAME, rng)
        assert 2 <= len(chunks) <= 4
        assert all(chunks)
        assert b"".join(chunks) == FRAME


def test_merge_glues_frames_sometimes_without_crlf():
    rng = np.random.default_rng(0)
    blobs = {merge_frames([FRAME, FRAME, FRAME], rng) for _ in range(30)}
    assert FRAME * 3 in blobs  # all CR LF kept
    assert any(blob.count(b"\r\n") < 3 for blob in blobs)
    assert all(blob.endswith(b"\r\n") for blob in blobs)
    assert merge_frames([FRAME], rng) == FRAME


def test_frame_faults_at_rate_zero_and_one():
    clean = FrameFaults(FaultConfig(), np.random.default_rng(0))
    assert clean.identity("MN1", "123456") == ("MN1", "123456", None)
    assert clean.corrupt(FRAME) is None
    assert clean.resend_after() is None
    assert clean.chunks(FRAME) == [FRAME]
    assert clean.merge_count() == 1
    config = FaultConfig(resend=1, split=1, merge=1, bad_crc=1)
    always = FrameFaults(config, np.random.default_rng(0))
    assert 1 <= (always.resend_after() or 0) < 20
    assert len(always.chunks(FRAME)) > 1
    assert 2 <= always.merge_count() <= 4
    assert always.corrupt(FRAME) != FRAME


def test_unknown_mn_and_wrong_password():
    mn, password, fault = FrameFaults(
        FaultConfig(unknown_mn=1), np.random.default_rng(0)
    ).identity("MN1", "123456")
    assert (password, fault) == ("123456", "unknown_mn")
    assert mn.startswith("UNKNOWN") and len(mn) == 25
    mn, password, fault = FrameFaults(
        FaultConfig(wrong_pw=1), np.random.default_rng(0)
    ).identity("MN1", "123456")
    assert (mn, fault) == ("MN1", "wrong_pw")
    assert password != "123456" and len(password) == 6
