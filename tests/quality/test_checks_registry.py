"""The check registry: names, uniform signatures, documented parameters, window declarations."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import numpy as np
import pytest

from envmon.quality import CHECKS, CheckSpec, Window, check
from envmon.quality.checks import _documented

EXPECTED_CHECKS = {
    "gross_range": (("values", "times"), (0, 0.0, 0)),
    "climatology": (("values", "times"), (0, 0.0, 0)),
    "flat_line": (("values", "times"), (1, 600.0, 0)),
    "spike": (("values", "times"), (1, 0.0, 1)),
    "rate_of_change": (("values", "times"), (1, 0.0, 0)),
    "time_gap": (("values", "times"), (1, 0.0, 0)),
    "late_data": (("received_times", "data_times"), (0, 0.0, 0)),
    "duplicates": (("values", "times"), (1, 0.0, 0)),
    "negative": (("values", "times"), (0, 0.0, 0)),
    "device_windows": (("values", "times"), (0, 0.0, 0)),
    "pm25_le_pm10": (("pm25", "pm10", "times"), (0, 0.0, 0)),
    "nox_consistency": (("nox", "no", "no2", "times"), (0, 0.0, 0)),
    "oxygen_plausible": (("o2", "times"), (0, 0.0, 0)),
    "neighbour_consistency": (("values", "neighbours", "times"), (0, 0.0, 0)),
}
# keyword parameters a rule may need for the window of each check (others: defaults)
WINDOW_PARAMS: dict[str, dict[str, Any]] = {
    "gross_range": {"fail_span": (0, 1)},
    "flat_line": {"tolerance": 0, "suspect_seconds": 300, "fail_seconds": 600},
    "spike": {"suspect_threshold": 1},
    "rate_of_change": {"max_rate_per_second": 1},
    "time_gap": {"expected_interval_seconds": 60},
    "late_data": {"max_delay_seconds": 60},
    "device_windows": {"windows": []},
    "pm25_le_pm10": {"tolerance": 0},
    "nox_consistency": {"tolerance": 0},
    "neighbour_consistency": {"max_ratio": 2},
}
UNITLESS = {"allow_negative", "basis"}  # a flag and a choice


def test_registry_holds_the_expected_checks() -> None:
    assert set(CHECKS) == set(EXPECTED_CHECKS)
    for name in CHECKS:
        assert not name.startswith("test_")
        assert not name.endswith("_test")


@pytest.mark.parametrize("name", sorted(EXPECTED_CHECKS))
def test_spec_is_uniform_and_documented(name: str) -> None:
    spec = CHECKS[name]
    inputs, window = EXPECTED_CHECKS[name]
    assert isinstance(spec, CheckSpec)
    assert spec.name == name
    assert spec.inputs == inputs
    assert spec.time_input in spec.inputs
    assert spec.reference
    assert spec.summary
    assert spec.window(**WINDOW_PARAMS.get(name, {})) == window
    signature = inspect.signature(spec.function)
    keyword_only = [
        p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY
    ]
    assert list(spec.parameters) == keyword_only
    assert all(
        p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        for p in signature.parameters.values()
    )
    for parameter_name, parameter in spec.parameters.items():
        assert parameter.description, parameter_name
        assert parameter.type, parameter_name
        assert parameter.unit or parameter_name in UNITLESS, parameter_name
        default = signature.parameters[parameter_name].default
        assert parameter.required == (default is inspect.Parameter.empty)
        if not parameter.required:
            assert parameter.default == default
    doc = inspect.getdoc(spec.function) or ""
    for section in ("Parameters", "Returns", "References", "Examples"):
        assert f"\n{section}\n" in doc, (name, section)


def test_units_are_read_from_the_docstring() -> None:
    assert CHECKS["flat_line"].parameters["fail_seconds"].unit == "s"
    assert CHECKS["pm25_le_pm10"].parameters["tolerance"].unit == "µg/m³"
    # an index such as v[i] is not a unit
    assert CHECKS["spike"].parameters["suspect_threshold"].unit == "parameter unit"
    assert (
        CHECKS["rate_of_change"].parameters["max_rate_per_second"].unit
        == "parameter unit/s"
    )
    assert _documented(None) == {}
    assert _documented("No sections.") == {}


def test_resolve_fills_defaults_and_names_problems() -> None:
    spec = CHECKS["spike"]
    assert spec.resolve({"suspect_threshold": 2}) == {
        "suspect_threshold": 2,
        "fail_threshold": None,
    }
    with pytest.raises(TypeError, match=r"'spike' has no parameter \['threshold'\]"):
        spec.resolve({"threshold": 2})
    with pytest.raises(
        TypeError, match=r"needs parameter\(s\) \['suspect_threshold'\]"
    ):
        spec.resolve({})
    with pytest.raises(TypeError, match="no parameter"):
        spec(np.zeros(3), np.zeros(3, "datetime64[s]"), suspect_threshold=1, bogus=2)


def test_calling_by_name_with_keyword_parameters_only() -> None:
    # what a YAML rule does: a check name and a mapping of keyword parameters
    rule: dict[str, Any] = {
        "check": "gross_range",
        "params": {"fail_span": [0, 10], "suspect_span": [1, 5]},
    }
    times = np.array([0, 60, 120], "datetime64[s]")
    flags = CHECKS[rule["check"]](np.array([0.5, 3.0, 12.0]), times, **rule["params"])
    assert flags.tolist() == [3, 1, 4]


def test_window_follows_parameters() -> None:
    flat = CHECKS["flat_line"]
    assert flat.window(tolerance=0, suspect_seconds=900, fail_seconds=3600) == Window(
        1, 3600.0, 0
    )
    assert CHECKS["rate_of_change"].window(n_deviations=3) == Window(25, 0.0, 0)


def test_window_bounds_edges() -> None:
    times = np.array([0, 0, 60, 120, 120, 180], "datetime64[s]")
    # repeated times: the point before i is the previous index, whatever its time
    assert Window(1, 0.0, 1).bounds(times, 4) == (3, 6)
    assert Window(0, 0.0, 0).bounds(times, 0) == (0, 1)
    # 60 s back from 180: the points after 120 s … and one more point (index 4)
    assert Window(1, 60.0, 0).bounds(times, 5) == (4, 6)
    assert Window(0, 1e9, 5).bounds(times, 2) == (0, 6)
    with pytest.raises(IndexError):
        Window(0, 0.0, 0).bounds(times, 6)


def test_decorator_refuses_pytest_like_or_taken_names_and_undocumented_parameters() -> (
    None
):
    for bad in ("test_range", "range_test", "spike"):
        with pytest.raises(ValueError, match="taken or reads like"):
            check(bad, reference="x")

    def undocumented(values: object, times: object, *, limit: float) -> np.ndarray:
        """Do something.

        Parameters
        ----------
        values : array-like
            Values [unit].
        """
        raise NotImplementedError

    with pytest.raises(ValueError, match="'limit' is not documented"):
        check("undocumented_probe", reference="x")(undocumented)
    assert "undocumented_probe" not in CHECKS


PUBLIC = {
    "envmon.quality": [
        "CHECKS", "DEVICE_FLAGS", "DEVICE_WINDOW_KINDS", "FLAG_LABELS", "PRECEDENCE", "UNSET",
        "CheckSpec", "DeviceFlag", "Flag", "History", "Label", "Layers", "Parameter", "Window",
        "check", "climatology", "device_flag_columns", "device_flag_to_qc", "device_reason",
        "device_windows", "duplicates", "effective_flag", "flag_labels", "flat_line",
        "gross_range", "late_data", "negative", "neighbour_consistency", "nox_consistency",
        "oxygen_plausible", "pm25_le_pm10", "qartod_compare", "rate_of_change", "spike",
        "time_gap",
    ],
    "envmon.quality.flags": [
        "DEVICE_FLAGS", "DEVICE_WINDOW_KINDS", "FLAG_LABELS", "PRECEDENCE", "UNSET",
        "VALID_QC_FLAGS", "DeviceFlag", "Flag", "FlagArray", "FloatArray", "Label",
        "device_flag_columns", "device_flag_to_qc", "device_reason", "effective_flag",
        "flag_labels", "qartod_compare",
    ],
    "envmon.quality.history": ["HISTORY_FORMAT", "KINDS", "History", "Layers"],
    "envmon.quality.checks": [
        "CHECKS", "CheckSpec", "Parameter", "Span", "TimeArray", "TimesLike", "Window",
        "check",
    ],
    "envmon.quality.checks_range": ["climatology", "gross_range", "negative", "oxygen_plausible"],
    "envmon.quality.checks_series": ["flat_line", "rate_of_change", "spike"],
    "envmon.quality.checks_time": ["device_windows", "duplicates", "late_data", "time_gap"],
    "envmon.quality.checks_cross": ["neighbour_consistency", "nox_consistency", "pm25_le_pm10"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(PUBLIC[module])
    for name in imported.__all__:
        assert hasattr(imported, name)
