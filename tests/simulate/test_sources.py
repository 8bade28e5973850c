from datetime import datetime, timedelta
from itertools import islice

import pytest

from envmon.simulate.sources import (
    AIR_OXYGEN,
    PointSpec,
    air_series_codes,
    generate,
    o2_corrected,
)
from envmon.timeutil import BEIJING

START = datetime(2016, 3, 1, tzinfo=BEIJING)
AIR = PointSpec("SIMAIR001", "123456", "22", "air", "1001A")
GAS_BOILER = PointSpec(
    "SIMGAS001", "123456", "31", "flue_gas", "DA001", reference_o2=3.5
)
WWTP = PointSpec("SIMWW001", "123456", "32", "wastewater", "DW001")


def take(point, kind, n, seed=7, start=START, interval=None):
    return list(
        islice(generate(point, kind=kind, start=start, seed=seed, interval=interval), n)
    )


@pytest.mark.parametrize("point", [AIR, GAS_BOILER, WWTP], ids=lambda p: p.kind)
@pytest.mark.parametrize("kind", ["minute", "hour", "realtime"])
def test_same_seed_same_sequence_other_seed_other_values(point, kind):
    assert take(point, kind, 20) == take(point, kind, 20)
    assert take(point, kind, 20) != take(point, kind, 20, seed=8)


def test_beijing_replay_equals_the_extract():
    # Extract row "1001A,2016-03-01T00:00,70,71,24,76,1500,4" is hour-ending: it covers
    # 2016-02-29 23:00-24:00, which HJ 212 labels with the interval start (DataTime).
    label = datetime(2016, 3, 1, 0, tzinfo=BEIJING)
    (record,) = take(AIR, "hour", 1, start=label - timedelta(hours=1))
    assert record.data_time == label - timedelta(hours=1)
    assert record.params["a34004"]["Avg"] == 70
    assert record.params["a34002"]["Avg"] == 71
    assert record.params["a21026"]["Avg"] == 24
    assert record.params["a21004"]["Avg"] == 76
    assert record.params["a21005"]["Avg"] == 1.5  # 1500 µg/m³ sent as mg/m³
    assert record.params["a05024"]["Avg"] == 4
    # the next hour: "1001A,2016-03-01T01:00,90,95,32,75,1700,4"
    second = take(AIR, "hour", 2, start=label - timedelta(hours=1))[1]
    assert second.params["a34004"]["Avg"] == 90
    assert second.params["a21005"]["Avg"] == 1.7


def test_replay_is_the_same_for_every_seed():
    for seed in (1, 2, 3):
        (record,) = take(AIR, "hour", 1, seed=seed, start=datetime(2016, 2, 29, 23))
        assert record.params["a34004"]["Avg"] == 70


def test_missing_values_are_not_sent():
    # 1001A has no PM2.5 for some hours of the extract; those records lack a34004.
    records = take(AIR, "hour", 24 * 60)
    missing = [r for r in records if "a34004" not in r.params]
    assert missing
    assert all("a21005" in r.params or "a34004" not in r.params for r in records)


def test_minute_data_follow_the_hour_between_neighbours():
    minutes = take(AIR, "minute", 6, start=datetime(2016, 3, 1, 0, tzinfo=BEIJING))
    # hours starting 00:00 (label 01:00) = 90 and 01:00 = 98; 23:00 = 70
    for record in minutes:
        values = record.params["a34004"]
        assert values["Min"] <= values["Avg"] <= values["Max"]
        assert 60 <= values["Avg"] <= 110
        assert values["Flag"] == "N"
    assert [r.data_time.minute for r in minutes] == [0, 10, 20, 30, 40, 50]


def test_realtime_has_only_rtd_and_flag():
    for point in (AIR, WWTP):
        (record,) = take(point, "realtime", 1)
        for values in record.params.values():
            assert set(values) == {"Rtd", "Flag"}


def test_unknown_station_replays_one_of_the_twelve_series_chosen_by_seed():
    stranger = PointSpec("SIMAIR999", "123456", "22", "air", "9999X")
    own = {
        code: take(PointSpec("X", "1", "22", "air", code), "hour", 1)[0].params
        for code in air_series_codes()
    }
    assert len(own) == 12
    params = take(stranger, "hour", 1)[0].params
    assert any(
        {c: v["Avg"] for c, v in params.items()} == {c: v["Avg"] for c, v in p.items()}
        for p in own.values()
    )


def test_parameters_restrict_the_codes():
    point = PointSpec(
        "SIMAIR001", "123456", "22", "air", "1001A", parameters=("a34004",)
    )
    assert set(take(point, "hour", 1)[0].params) == {"a34004"}


def test_flue_gas_minute_fields_and_oxygen_correction():
    for record in take(GAS_BOILER, "minute", 200):
        o2 = record.params["a19001"]["Avg"]
        for code in ("a21026", "a21002", "a34013"):
            values = record.params[code]
            assert {"Avg", "Min", "Max", "Flag", "Cou"} <= set(values)
            if "ZsAvg" in values:
                expected = values["Avg"] * (AIR_OXYGEN - 3.5) / (AIR_OXYGEN - o2)
                assert values["ZsAvg"] == pytest.approx(expected, abs=0.006)
        flow = record.params["a00000"]
        assert flow["Cou"] == pytest.approx(flow["Avg"] * 600, rel=1e-6)


def test_o2_correction_formula():
    assert o2_corrected(30.0, 12.0, 6.0) == pytest.approx(50.0)
    assert o2_corrected(40.0, 3.5, 3.5) == pytest.approx(40.0)
    with pytest.raises(ValueError, match="is air"):
        o2_corrected(1.0, 21.0, 6.0)


def test_gas_boiler_magnitudes_stay_under_typical_permit_limits():
    hours = take(GAS_BOILER, "hour", 24 * 30)
    running = [r for r in hours if r.params["a21002"]["Flag"] == "N"]
    assert len(running) > len(hours) * 0.7
    nox = sorted(r.params["a21002"]["ZsAvg"] for r in running)
    assert 15 <= nox[len(nox) // 2] <= 90  # gas boiler NOx 20-80 mg/m³ at 3.5 % O2
    assert max(r.params["a21026"]["ZsAvg"] for r in running) < 50  # GB 13271 Table 3
    assert max(r.params["a34013"]["ZsAvg"] for r in running) < 20
    assert all(3 < r.params["a19001"]["Avg"] < 19 for r in running)
    assert all(r.params["a00000"]["Avg"] > 0 for r in running)


@pytest.mark.parametrize(
    ("reference_o2", "nox_limit"), [(15.0, 50), (6.0, 100), (9.0, 200), (11.0, 300)]
)
def test_other_sources_run_under_their_limits(reference_o2, nox_limit):
    point = PointSpec(
        "SIMFG", "123456", "31", "flue_gas", "DA001", reference_o2=reference_o2
    )
    running = [
        r for r in take(point, "hour", 24 * 10) if r.params["a21002"]["Flag"] == "N"
    ]
    median = sorted(r.params["a21002"]["ZsAvg"] for r in running)[len(running) // 2]
    assert 0 < median < nox_limit


def test_shutdowns_send_flag_f_and_no_correction():
    point = PointSpec("SIMFG2", "123456", "31", "flue_gas", "DA001", reference_o2=6.0)
    hours = take(point, "hour", 24 * 120, seed=3)
    stopped = [r for r in hours if r.params["a21002"]["Flag"] == "F"]
    assert stopped, "120 days should contain a shut-down"
    for record in stopped:
        assert record.params["a19001"]["Avg"] > 20
        assert "ZsAvg" not in record.params["a21002"]


def test_wastewater_hourly_values_are_realistic():
    hours = take(WWTP, "hour", 24 * 14)
    for record in hours:
        p = record.params
        assert 6.0 <= p["w01001"]["Avg"] <= 9.0
        assert "Cou" not in p["w01001"]
        assert 0 < p["w01018"]["Avg"] < 60
        assert 0 < p["w21003"]["Avg"] < 5
        assert 0 < p["w21011"]["Avg"] < 0.7
        assert 0 < p["w21001"]["Avg"] < 20
        flow = p["w00000"]
        assert flow["Cou"] == pytest.approx(
            flow["Avg"] * 3.6, rel=1e-6
        )  # L/s over 1 h → m³
        cod = p["w01018"]
        assert cod["Cou"] == pytest.approx(
            cod["Avg"] * flow["Avg"] * 3600 / 1e6, rel=1e-2
        )


def test_naive_start_is_beijing_time_and_floored_to_the_interval():
    (record,) = take(WWTP, "minute", 1, start=datetime(2024, 5, 1, 8, 17, 30))
    assert record.data_time == datetime(2024, 5, 1, 8, 10, tzinfo=BEIJING)


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="interval"):
        take(WWTP, "minute", 1, interval=timedelta(0))
