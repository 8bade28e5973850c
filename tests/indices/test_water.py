"""GB 3838-2002 single-factor evaluation and the CWQI, against cases worked by hand.

Expected values come from water.md's tables and arithmetic written out in the comments;
none is computed by the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from envmon.indices.water import (
    EVALUATION_ITEMS,
    ITEMS,
    MainPollutant,
    WaterBody,
    WaterClass,
    WaterStatus,
    assess,
    cwqi,
    evaluate_record,
    item_class,
    item_classes,
    single_index,
)

I, II, III, IV, V, WORSE = (  # noqa: E741 - the standard's class names
    WaterClass.I,
    WaterClass.II,
    WaterClass.III,
    WaterClass.IV,
    WaterClass.V,
    WaterClass.WORSE_THAN_V,
)

# water.md §1, transcribed again for the test: class I..V limits ("≤"; DO "≥").
TABLE_1 = {
    "DO": (7.5, 6, 5, 3, 2),
    "CODMn": (2, 4, 6, 10, 15),
    "COD": (15, 15, 20, 30, 40),
    "BOD5": (3, 3, 4, 6, 10),
    "NH3N": (0.15, 0.5, 1.0, 1.5, 2.0),
    "TN": (0.2, 0.5, 1.0, 1.5, 2.0),
    "Cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "Zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "F": (1.0, 1.0, 1.0, 1.5, 1.5),
    "Se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "As": (0.05, 0.05, 0.05, 0.1, 0.1),
    "Hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "Cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "Cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "Pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "CN": (0.005, 0.05, 0.2, 0.2, 0.2),
    "VolatilePhenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "Petroleum": (0.05, 0.05, 0.05, 0.5, 1.0),
    "LAS": (0.2, 0.2, 0.2, 0.3, 0.3),
    "Sulfide": (0.05, 0.1, 0.2, 0.5, 1.0),
    "FecalColiform": (200, 2000, 10000, 20000, 40000),
}
RIVER_TP = (0.02, 0.1, 0.2, 0.3, 0.4)
LAKE_TP = (0.01, 0.025, 0.05, 0.1, 0.2)
LOWER_IS_BETTER = [item for item in TABLE_1 if item != "DO"]


def table_cases() -> Iterator[tuple[str, str, float, WaterClass]]:
    """A value equal to a limit is in the best class that has that limit (water.md §2)."""
    for item, limits in TABLE_1.items():
        body = "lake" if item == "TN" else "river"
        for limit in limits:
            yield item, body, float(limit), WaterClass(limits.index(limit) + 1)
    for body, limits in (("river", RIVER_TP), ("lake", LAKE_TP)):
        for number, limit in enumerate(limits, start=1):
            yield "TP", body, limit, WaterClass(number)


@pytest.mark.parametrize(("item", "body", "value", "expected"), list(table_cases()))
def test_value_at_a_limit_is_in_the_better_class(item, body, value, expected):
    assert item_class(item, value, waterbody=body) is expected


@pytest.mark.parametrize("item", LOWER_IS_BETTER)
def test_above_class_v_is_worse_than_v(item):
    body = "lake" if item == "TN" else "river"
    class_v = TABLE_1[item][4]
    assert item_class(item, class_v * 1.01, waterbody=body) is WORSE
    assert item_class(item, 0.0, waterbody=body) is I


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("NH3N", 1.0, III),  # water.md §2: 1.0 is III
        ("NH3N", 1.01, IV),  # 1.01 is IV
        ("NH3N", 0.16, II),
        ("COD", 15.1, III),  # I and II share 15, so 15.1 skips to III
        ("Cu", 0.02, II),
        ("Cu", 1.01, WORSE),  # II–V all 1.0
        ("Hg", 0.00006, III),  # the II/III step: 0.00005 < 0.00006 <= 0.0001
        ("Hg", 0.0002, IV),
        ("FecalColiform", 10000, III),
        ("DO", 7.6, I),  # DO is "≥": higher is better
        ("DO", 7.4, II),
        ("DO", 5.0, III),  # water.md §2: 5.0 is III
        ("DO", 4.9, IV),  # 4.9 is IV
        ("DO", 2.0, V),
        ("DO", 1.9, WORSE),  # below 2 is 劣V
        ("pH", 6.0, I),  # 6–9 inclusive, every class: never limits
        ("pH", 9.0, I),
        ("pH", 5.9, WORSE),  # outside 6–9: 劣V
        ("pH", 9.1, WORSE),
    ],
)
def test_worked_boundaries(item, value, expected):
    assert item_class(item, value, waterbody="river") is expected


@pytest.mark.parametrize(
    ("value", "river", "lake"),
    [
        (0.01, I, I),
        (0.02, I, II),  # lake: 0.01 < 0.02 <= 0.025
        (0.05, II, III),  # river: 0.02 < 0.05 <= 0.1; lake III limit 0.05
        (0.1, II, IV),
        (0.2, III, V),
        (0.25, IV, WORSE),  # lake V is 0.2
        (0.45, WORSE, WORSE),
    ],
)
def test_total_phosphorus_lake_versus_river(value, river, lake):
    assert item_class("TP", value, waterbody=WaterBody.RIVER) is river
    assert item_class("TP", value, waterbody=WaterBody.LAKE) is lake


def test_total_nitrogen_has_no_river_limits():
    assert item_class("TN", 1.2, waterbody="lake") is IV
    with pytest.raises(ValueError, match="lakes and reservoirs only"):
        item_class("TN", 1.2, waterbody="river")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: item_class("BOD", 1.0, waterbody="river"), "'BOD'"),
        (lambda: item_class("NH3N", math.nan, waterbody="river"), "NaN"),
        (lambda: item_class("NH3N", 1.0, waterbody="sea"), "'sea'"),
    ],
)
def test_item_class_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_item_classes_is_vectorised_and_marks_missing_zero():
    values = np.array([[0.1, 1.0], [np.nan, 2.5]])
    # 0.1 <= 0.15 -> I; 1.0 -> III; NaN -> 0; 2.5 > 2.0 -> 6
    assert_array_equal(
        item_classes("NH3N", values, waterbody="river"), [[1, 3], [0, 6]]
    )
    assert_array_equal(
        item_classes("pH", [5.5, 7, np.nan], waterbody="lake"), [6, 1, 0]
    )
    assert_array_equal(
        item_classes("DO", [8, 6, 3, 1], waterbody="river"), [1, 2, 4, 6]
    )


def test_class_labels():
    assert [c.label for c in WaterClass] == ["Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类"]
    assert [c.label_en for c in WaterClass] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "worse than V",
    ]
    assert [int(c) for c in WaterClass] == [1, 2, 3, 4, 5, 6]


def test_item_lists():
    assert len(ITEMS) == 23  # Table 1's 24 items less water temperature
    assert len(EVALUATION_ITEMS) == 21  # less TN and fecal coliform (water.md §2)
    assert "TN" not in EVALUATION_ITEMS
    assert "FecalColiform" not in EVALUATION_ITEMS


# A polluted river sample with all 23 items; classes by Table 1:
SAMPLE = {
    "pH": 7.2,  # I
    "DO": 4.5,  # 3 <= 4.5 < 5: IV
    "CODMn": 7.2,  # 6 < 7.2 <= 10: IV
    "COD": 32.0,  # 30 < 32 <= 40: V
    "BOD5": 4.0,  # III
    "NH3N": 2.3,  # > 2.0: 劣V
    "TP": 0.35,  # river 0.3 < 0.35 <= 0.4: V; lake > 0.2: 劣V
    "TN": 3.0,  # lake > 2.0: 劣V (not counted)
    "Cu": 0.005,
    "Zn": 0.02,
    "F": 0.8,
    "Se": 0.001,
    "As": 0.002,
    "Hg": 0.00002,
    "Cd": 0.0005,
    "Cr6": 0.004,
    "Pb": 0.006,
    "CN": 0.002,
    "VolatilePhenol": 0.001,
    "Petroleum": 0.03,
    "LAS": 0.1,
    "Sulfide": 0.03,  # these 13 are all class I
    "FecalColiform": 50000,  # > 40000: 劣V (not counted)
}
# CWQI, river: pH (7.2-7)/2 = 0.1; DO 5/4.5 = 1.111111; CODMn 7.2/6 = 1.2; COD 32/20 = 1.6;
# BOD5 4/4 = 1.0; NH3N 2.3/1 = 2.3; TP 0.35/0.2 = 1.75  -> 9.061111
# Cu .005 + Zn .02 + F .8 + Se .1 + As .04 + Hg .2 + Cd .1 + Cr6 .08 + Pb .12 + CN .01
# + phenol .2 + petroleum .6 + LAS .5 + sulfide .15 = 2.925  -> 11.986111
RIVER_CWQI = 7.95 + 10 / 9 + 2.925  # 0.1+1.2+1.6+1.0+2.3+1.75 = 7.95; DO 5/4.5 = 10/9
LAKE_CWQI = RIVER_CWQI - 1.75 + 7.0  # lake TP: 0.35/0.05 = 7


def test_assess_river_sample():
    result = assess(SAMPLE, waterbody="river")
    assert result.water_class is WORSE
    assert result.limiting_items == ("NH3N",)
    assert result.item_classes["DO"] is IV
    assert result.item_classes["COD"] is V
    assert result.item_classes["TP"] is V
    assert set(result.item_classes) == set(EVALUATION_ITEMS)
    # Multiples over class III: NH3N (2.3-1)/1 = 1.3; TP (0.35-0.2)/0.2 = 0.75;
    # COD (32-20)/20 = 0.6; CODMn (7.2-6)/6 = 0.2 and DO (no multiple) miss the top 3.
    assert [p.item for p in result.main_pollutants] == ["NH3N", "TP", "COD"]
    assert [p.multiple for p in result.main_pollutants] == pytest.approx(
        [1.3, 0.75, 0.6]
    )
    assert result.cwqi == pytest.approx(RIVER_CWQI, abs=1e-9)
    # Fecal coliform is reported on its own; a river's TN is not evaluated.
    assert result.reference_classes == {"FecalColiform": WORSE}
    assert result.status is WaterStatus.HEAVILY_POLLUTED


def test_assess_lake_sample():
    result = assess(SAMPLE, waterbody="lake")
    assert result.water_class is WORSE
    assert result.limiting_items == ("NH3N", "TP")
    # lake TP (0.35-0.05)/0.05 = 6.0 ranks above NH3N 1.3; then class V COD 0.6
    assert [p.item for p in result.main_pollutants] == ["TP", "NH3N", "COD"]
    assert [p.multiple for p in result.main_pollutants] == pytest.approx(
        [6.0, 1.3, 0.6]
    )
    assert result.cwqi == pytest.approx(LAKE_CWQI, abs=1e-9)
    assert result.reference_classes == {"TN": WORSE, "FecalColiform": WORSE}


def test_as_json():
    result = assess(SAMPLE, waterbody="river").as_json()
    assert set(result) == {
        "class",
        "class_number",
        "item_classes",
        "limiting_items",
        "main_pollutants",
        "cwqi",
    }
    assert result["class"] == "劣Ⅴ类"
    assert result["class_number"] == 6
    assert result["item_classes"]["DO"] == "Ⅳ类"
    assert result["limiting_items"] == ["NH3N"]
    assert result["main_pollutants"][0] == {
        "item": "NH3N",
        "multiple": pytest.approx(1.3),
    }
    assert result["cwqi"] == pytest.approx(RIVER_CWQI)


def test_heavy_metals_and_cyanide_come_first():
    values = {
        "Pb": 0.08,  # V, (0.08-0.05)/0.05 = 0.6, priority
        "NH3N": 3.0,  # 劣V, (3-1)/1 = 2.0
        "CODMn": 20.0,  # 劣V, (20-6)/6 = 2.333
        "TP": 0.5,  # 劣V, (0.5-0.2)/0.2 = 1.5: fourth, dropped
    }
    result = assess(values, waterbody="river")
    assert [p.item for p in result.main_pollutants] == ["Pb", "CODMn", "NH3N"]
    assert [p.multiple for p in result.main_pollutants] == pytest.approx(
        [0.6, 14 / 6, 2.0]
    )
    # Two priority items: worse class first, even with the smaller multiple.
    values = {"Hg": 0.0005, "CN": 0.3, "NH3N": 5.0}  # Hg IV x4.0; CN 劣V x0.5
    assert [p.item for p in assess(values, waterbody="river").main_pollutants] == [
        "CN",
        "Hg",
        "NH3N",
    ]


def test_ph_and_do_are_main_pollutants_without_multiple():
    values = {"pH": 9.5, "NH3N": 2.5, "COD": 35.0, "TP": 0.25, "DO": 2.5}
    # 劣V: NH3N x1.5 then pH (no multiple); V: COD x0.75 and DO (no multiple)
    result = assess(values, waterbody="river")
    assert result.limiting_items == ("pH", "NH3N")
    assert [p.item for p in result.main_pollutants] == ["NH3N", "pH", "COD"]
    assert result.main_pollutants[1] == MainPollutant("pH", None)


def test_no_main_pollutants_at_class_iii_or_better():
    values = {"pH": 7.0, "DO": 5.0, "NH3N": 1.0, "TP": 0.1}
    result = assess(values, waterbody="river")
    assert result.water_class is III
    assert result.limiting_items == ("DO", "NH3N")
    assert result.main_pollutants == ()
    # CWQI: pH 0 + DO 5/5 + NH3N 1/1 + TP 0.1/0.2 = 2.5
    assert result.cwqi == pytest.approx(2.5)
    assert result.status is WaterStatus.GOOD


def test_items_selects_what_counts():
    values = {"NH3N": 0.4, "TN": 1.8, "FecalColiform": 100}
    assert assess(values, waterbody="lake").water_class is II  # TN is reference only
    counted = assess(values, waterbody="lake", items=["NH3N", "TN"])
    assert counted.water_class is V  # 1.5 < 1.8 <= 2.0
    assert counted.reference_classes == {"FecalColiform": I}
    assert counted.cwqi == pytest.approx(0.4)  # TN is no CWQI item
    with pytest.raises(ValueError, match="lakes and reservoirs only"):
        assess(values, waterbody="river", items=["NH3N", "TN"])


def test_missing_values_are_skipped():
    result = assess({"NH3N": None, "TP": math.nan, "COD": 16.0}, waterbody="river")
    assert result.item_classes == {"COD": III}
    with pytest.raises(ValueError, match="no item to assess"):
        assess({"NH3N": None}, waterbody="river")
    with pytest.raises(ValueError, match="Temperature"):
        assess({"Temperature": 20.0}, waterbody="river")


def test_section_status_and_colour():
    grades = [WaterStatus.of_section(c) for c in WaterClass]
    assert [g.value for g in grades] == [
        "优",
        "优",
        "良好",
        "轻度污染",
        "中度污染",
        "重度污染",
    ]
    assert [g.colour for g in grades] == [
        "blue",
        "blue",
        "green",
        "yellow",
        "orange",
        "red",
    ]


def test_single_indices():
    # pH <= 7: (7-pH)/1; > 7: (pH-7)/2; DO: 5/C; others C/C_III
    assert_allclose(single_index("pH", [6.0, 7.0, 9.0], waterbody="river"), [1, 0, 1])
    assert_allclose(single_index("DO", [2.5, 10.0], waterbody="river"), [2.0, 0.5])
    assert_allclose(single_index("TP", 0.1, waterbody="river"), 0.5)
    assert_allclose(single_index("TP", 0.1, waterbody="lake"), 2.0)
    assert single_index("DO", 0.0, waterbody="river") == np.inf


def test_cwqi_over_rows():
    rows = {
        item: [value, value if item != "NH3N" else np.nan]
        for item, value in SAMPLE.items()
        if item in EVALUATION_ITEMS
    }
    assert_allclose(cwqi(rows, waterbody="river"), [RIVER_CWQI, np.nan])
    with pytest.raises(ValueError, match="'TN' is not a CWQI item"):
        cwqi({"TN": [1.0]}, waterbody="lake")


def test_evaluate_record():
    result = evaluate_record({"NH3N": 1.2, "DO": 6, "TP": None}, waterbody="river")
    assert result["class"] == "Ⅳ类"  # NH3N 1.0 < 1.2 <= 1.5
    assert result["main_pollutants"] == [
        {"item": "NH3N", "multiple": pytest.approx(0.2)}
    ]


@pytest.mark.parametrize(
    ("record", "match"),
    [
        ({"NH4": 1.0}, "unknown key 'NH4'"),
        ({"NH3N": "1.0"}, "NH3N: value '1.0' is not a number"),
        ({"NH3N": True}, "NH3N: value True is not a number"),
        ({"NH3N": [1.0]}, "NH3N"),
        ({"COD": -1.0}, "COD: negative concentration"),
        ({"TP": math.inf}, "TP: value inf is not finite"),
        ({"pH": 14.5}, "pH: value 14.5 is outside 0–14"),
        ({"pH": -0.1}, "pH: value -0.1 is outside 0–14"),
        ({}, "no item to assess"),
    ],
)
def test_evaluate_record_errors(record, match):
    with pytest.raises(ValueError, match=match):
        evaluate_record(record, waterbody="river")


def test_evaluate_record_rejects_unknown_water_body():
    with pytest.raises(ValueError, match="'sea'"):
        evaluate_record({"NH3N": 1.0}, waterbody="sea")


concentrations = st.floats(min_value=0.0, max_value=1e5, allow_nan=False)


@given(
    item=st.sampled_from(LOWER_IS_BETTER + ["TP"]),
    body=st.sampled_from(list(WaterBody)),
    low=concentrations,
    high=concentrations,
)
def test_class_never_improves_as_concentration_rises(item, body, low, high):
    if item == "TN":
        body = WaterBody.LAKE
    low, high = sorted((low, high))
    assert item_class(item, low, waterbody=body) <= item_class(
        item, high, waterbody=body
    )


@given(low=concentrations, high=concentrations)
def test_do_class_never_worsens_as_oxygen_rises(low, high):
    low, high = sorted((low, high))
    assert item_class("DO", high, waterbody="river") <= item_class(
        "DO", low, waterbody="river"
    )


@given(
    item=st.sampled_from(EVALUATION_ITEMS),
    values=st.lists(concentrations | st.just(math.nan), min_size=1, max_size=20),
)
def test_vectorised_matches_scalar(item, values):
    classes = item_classes(item, values, waterbody="lake")
    expected = [
        0 if math.isnan(v) else item_class(item, v, waterbody="lake") for v in values
    ]
    assert classes.tolist() == expected


@given(st.dictionaries(st.sampled_from(EVALUATION_ITEMS), concentrations, min_size=1))
def test_overall_class_is_the_worst_item(values):
    result = assess(values, waterbody="river")
    assert result.water_class == max(result.item_classes.values())
    assert len(result.main_pollutants) <= 3
    assert all(result.item_classes[p.item] > III for p in result.main_pollutants)
