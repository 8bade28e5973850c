"""QC rule sets: validation errors, ioos_qc conversion, rule selection, default rules."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np
import pytest
import yaml

from envmon.errors import EnvmonError, ValidationError
from envmon.quality import CHECKS
from envmon.quality.rules import (
    DEFAULT_RULES,
    ELEMENTS,
    CheckRule,
    QcRulesError,
    RuleSet,
    find_rule,
    from_ioos_qartod,
    parse_rules,
    rules_for,
    validate_rules,
)
from envmon.quality.stream import (
    PARTNER_CODES,
    batch_qc,
    cross_flags,
    require_single_series,
    split_checks,
)


def catalogue() -> list[dict[str, Any]]:
    text = (
        resources.files("envmon.registry")
        .joinpath("data/parameters.yaml")
        .read_text("utf-8")
    )
    entries: list[dict[str, Any]] = yaml.safe_load(text)["parameters"]
    return entries


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(QcRulesError) as caught:
        validate_rules(document, "rules.yaml")
    return [str(problem) for problem in caught.value.problems]


def one_rule(*checks: dict[str, Any], **selector: Any) -> dict[str, Any]:
    return {
        "version": "t1",
        "rules": [{"parameter": "a34004", **selector, "checks": list(checks)}],
    }


# --- validation errors ----------------------------------------------------------------


def test_unknown_check_names_the_place_the_parameter_and_lists_the_known_checks() -> (
    None
):
    (problem,) = problems_of(one_rule({"check": "spikes"}))
    assert problem.startswith(
        "rules.yaml, field 'rules[0].checks[0]': rule for 'a34004': "
    )
    assert "unknown check 'spikes'" in problem
    for name in ("flat_line", "gross_range", "spike", "time_gap"):
        assert name in problem


def test_unknown_check_parameter_names_the_check_and_what_it_accepts() -> None:
    (problem,) = problems_of(
        one_rule({"check": "spike", "params": {"suspect_treshold": 5}})
    )
    assert "check 'spike' has no parameter ['suspect_treshold']" in problem
    assert "suspect_threshold" in problem.split("accepts")[1]


def test_missing_check_parameter_is_named() -> None:
    (problem,) = problems_of(
        one_rule({"check": "flat_line", "params": {"tolerance": 0}})
    )
    assert (
        "check 'flat_line' needs parameter(s) ['fail_seconds', 'suspect_seconds']"
        in problem
    )


@pytest.mark.parametrize(
    ("check", "params", "expected"),
    [
        (
            "spike",
            {"suspect_threshold": "high"},
            "parameter 'suspect_threshold' must be float",
        ),
        (
            "spike",
            {"suspect_threshold": True},
            "parameter 'suspect_threshold' must be float",
        ),
        (
            "gross_range",
            {"fail_span": [0, 1, 2]},
            "parameter 'fail_span' must be tuple",
        ),
        ("gross_range", {"fail_span": 5}, "parameter 'fail_span' must be tuple"),
        (
            "rate_of_change",
            {"n_deviations": 3, "window_points": 2.5},
            "'window_points' must be int",
        ),
        (
            "negative",
            {"allow_negative": "yes"},
            "parameter 'allow_negative' must be bool",
        ),
    ],
)
def test_wrong_types_name_the_check_parameter_and_the_expected_type(
    check: str, params: dict[str, Any], expected: str
) -> None:
    (problem,) = problems_of(one_rule({"check": check, "params": params}))
    assert f"check {check!r}: " in problem
    assert expected in problem


def test_values_the_check_refuses_are_reported_with_its_own_message() -> None:
    (problem,) = problems_of(
        one_rule(
            {
                "check": "gross_range",
                "params": {"fail_span": [0, 10], "suspect_span": [-1, 5]},
            }
        )
    )
    assert "check 'gross_range': suspect span" in problem
    assert "must lie within fail span" in problem
    (problem,) = problems_of(
        one_rule(
            {
                "check": "flat_line",
                "params": {"tolerance": 0, "suspect_seconds": 60, "fail_seconds": 30},
            }
        )
    )
    assert "0 < suspect_seconds ≤ fail_seconds" in problem


def test_every_problem_is_listed_with_its_rule_index() -> None:
    document = {
        "version": "t1",
        "rules": [
            {
                "parameter": "a34004",
                "checks": [{"check": "gross_range", "params": {"fail_span": [0, 9]}}],
            },
            {"parameter": "w01001", "checks": [{"check": "nope"}]},
            {"parameter": "a21026", "element": "sky", "checks": []},
            {
                "parameter": "a19001",
                "point_kind": "tower",
                "checks": [{"check": "duplicates", "param": {}}],
            },
        ],
    }
    problems = problems_of(document)
    assert len(problems) == 4
    assert "rules[1].checks[0]': rule for 'w01001': unknown check 'nope'" in problems[0]
    assert (
        "rules[2].element': rule for 'a21026': element 'sky' is not one of"
        in problems[1]
    )
    assert "rules[3].point_kind': rule for 'a19001': " in problems[2]
    assert "rules[3].checks[0].param': rule for 'a19001': Extra inputs" in problems[3]


def test_duplicate_selectors_and_repeated_checks_are_refused() -> None:
    document = {
        "version": "t1",
        "rules": [
            {"parameter": "a21026", "element": "flue_gas", "checks": []},
            {"parameter": "a21026", "checks": []},
            {
                "parameter": "a21026",
                "element": "flue_gas",
                "checks": [{"check": "duplicates"}],
            },
        ],
    }
    (problem,) = problems_of(document)
    assert "rules[2] repeats the selector of rules[0]" in problem
    assert "parameter 'a21026', element 'flue_gas'" in problem
    twice = one_rule(
        {"check": "duplicates"}, {"check": "negative"}, {"check": "duplicates"}
    )
    (problem,) = problems_of(twice)
    assert "check 'duplicates' appears twice (checks[0] and checks[2])" in problem


def test_document_level_errors() -> None:
    assert "Field required" in problems_of({"rules": []})[0]
    assert (
        'quote it (version: "2025.1")'
        in problems_of({"version": 2025.1, "rules": []})[0]
    )
    assert validate_rules({"version": 7, "rules": []}).version == "7"
    with pytest.raises(QcRulesError, match="must be a mapping"):
        validate_rules(["not", "a", "mapping"], "r.yaml")
    columns = {"version": "t1", "rules": [], "columns": {"pm25": "a34004"}}
    assert (
        "columns['pm25']: no rule matches parameter 'a34004'" in problems_of(columns)[0]
    )


def test_errors_are_domain_validation_errors_and_value_errors() -> None:
    with pytest.raises(QcRulesError) as caught:
        parse_rules(
            "version: x\nrules: [{parameter: a, checks: [{check: spkie}]}]", "x.yaml"
        )
    assert isinstance(caught.value, ValidationError | EnvmonError | ValueError)
    assert str(caught.value).startswith(
        "x.yaml: 1 problem(s) in the QC rules\n  - x.yaml, field"
    )


def test_not_yaml_or_json_names_line_and_column() -> None:
    with pytest.raises(
        QcRulesError, match=r"r\.yaml: not YAML: .*\(line 3, column 3\)"
    ):
        parse_rules("version: x\nrules: [\n  - {", "r.yaml")
    with pytest.raises(
        QcRulesError, match=r"r\.json: not JSON: .*\(line 1, column 2\)"
    ):
        parse_rules("{version: 1}", "r.json")


# --- parsing and selection --------------------------------------------------------------

SAMPLE = """
version: "site-2025.1"
x-templates:
  gap: &gap {check: time_gap, params: {expected_interval_seconds: 3600}}
rules:
  - parameter: a21026
    checks:
      - {check: gross_range, params: {fail_span: [null, 1300], suspect_span: [0, 500]}}
      - *gap
  - parameter: a21026
    point_kind: outlet
    checks: [{check: duplicates}]
  - parameter: a21026
    element: flue_gas
    checks: [{check: gross_range, params: {fail_span: [null, 10000]}}]
  - parameter: a21026
    point_kind: outlet
    element: flue_gas
    checks: [{check: negative}]
columns:
  so2: a21026
  so2_stack: {parameter: a21026, element: flue_gas}
"""


def test_yaml_and_json_give_the_same_rule_set() -> None:
    from_yaml = parse_rules(SAMPLE, "s.yaml")
    from_json = parse_rules(json.dumps(from_yaml.model_dump(mode="json")), "s.json")
    assert from_json == from_yaml
    assert from_yaml.version == "site-2025.1"
    assert from_yaml.columns["so2_stack"].element == "flue_gas"
    assert from_yaml.columns["so2"].parameter == "a21026"


@pytest.mark.parametrize(
    ("element", "point_kind", "expected"),
    [
        (None, None, ["gross_range", "time_gap"]),
        ("air", "station", ["gross_range", "time_gap"]),
        (None, "outlet", ["duplicates"]),
        ("flue_gas", None, ["gross_range"]),
        ("flue_gas", "station", ["gross_range"]),
        ("flue_gas", "outlet", ["negative"]),
    ],
)
def test_the_most_specific_rule_wins(
    element: str | None, point_kind: str | None, expected: list[str]
) -> None:
    rules = parse_rules(SAMPLE)
    assert [
        c.check for c in rules_for(rules, "a21026", element, point_kind=point_kind)
    ] == expected


def test_no_matching_rule_gives_no_checks() -> None:
    rules = parse_rules(SAMPLE)
    assert rules_for(rules, "a34004") == []
    assert find_rule(rules, "a34004") is None


def test_check_rule_knows_its_window() -> None:
    rule = CheckRule(
        check="flat_line",
        params={"tolerance": 0, "suspect_seconds": 60, "fail_seconds": 120.5},
    )
    assert tuple(rule.window()) == (1, 120.5, 0)
    assert rule.spec is CHECKS["flat_line"]


# --- ioos_qc configurations ---------------------------------------------------------------

# The QARTOD checks of ioos_qc's documentation and tests (StreamConfig), one of each.
IOOS_STREAM = """
qartod:
  aggregate:
  gross_range_test:
    suspect_span: [1, 11]
    fail_span: [0, 12]
  flat_line_test:
    tolerance: 0.001
    suspect_threshold: 10800
    fail_threshold: 21600
  spike_test:
    suspect_threshold: 0.8
    fail_threshold: 3
  rate_of_change_test:
    threshold: 0.001
  climatology_test:
    config:
      - vspan: [10, 20]
        tspan: [0, 2]
        period: month
      - vspan: [30, 40]
        tspan: [3, 4]
        period: quarter
"""


def test_ioos_stream_config_converts_to_envmon_checks() -> None:
    checks = from_ioos_qartod(yaml.safe_load(IOOS_STREAM), "w01010")
    assert [(c.check, c.params) for c in checks] == [
        ("gross_range", {"fail_span": [0.0, 12.0], "suspect_span": [1.0, 11.0]}),
        (
            "flat_line",
            {"tolerance": 0.001, "suspect_seconds": 10800, "fail_seconds": 21600},
        ),
        ("spike", {"suspect_threshold": 0.8, "fail_threshold": 3}),
        ("rate_of_change", {"max_rate_per_second": 0.001}),
        (
            "climatology",
            {
                "spans_by_month": {1: [10.0, 20.0], 2: [10.0, 20.0]}
                | {m: [30.0, 40.0] for m in range(7, 13)}
            },
        ),
    ]


def test_converted_checks_flag_like_ioos_qc_on_its_gross_range_example() -> None:
    # ioos_qc docs: gross_range_test(inp=[0..12], suspect_span=[0, 8], fail_span=[0, 10])
    (rule,) = from_ioos_qartod(
        {
            "qartod": {
                "gross_range_test": {"suspect_span": [0, 8], "fail_span": [0, 10]}
            }
        },
        "x",
    )
    times = np.arange(13).astype("datetime64[h]").astype("datetime64[s]")
    flags, _ = batch_qc(times, np.arange(13.0), [rule])
    assert flags.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 4, 4]


def test_ioos_context_and_config_pick_the_parameter_stream() -> None:
    context = {
        "region": None,
        "window": {"starting": None, "ending": None},
        "streams": {
            "variable1": {"qartod": {"gross_range_test": {"fail_span": [0, 5]}}},
            "a34004": {
                "qartod": {
                    "gross_range_test": {"suspect_span": [3, 4], "fail_span": [5, 2]}
                }
            },
        },
    }
    (rule,) = from_ioos_qartod(context, "a34004")
    assert rule.params == {"fail_span": [2.0, 5.0], "suspect_span": [3.0, 4.0]}
    (rule,) = from_ioos_qartod({"contexts": [context]}, "pm25", stream="variable1")
    assert rule.params == {"fail_span": [0.0, 5.0]}
    (rule,) = from_ioos_qartod(
        {"only": {"qartod": {"spike_test": {"fail_threshold": 3}}}}, "a34004"
    )
    assert (rule.check, rule.params) == (
        "spike",
        {"suspect_threshold": 3, "fail_threshold": 3},
    )
    with pytest.raises(
        QcRulesError,
        match=r"no stream 'w01001' in the configuration; streams: \['a34004', 'variable1'\]",
    ):
        from_ioos_qartod(context, "w01001")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"qartod": {"location_test": {"bbox": [0, 0, 1, 1]}}},
            "test 'location_test' (for 'p') is not supported; supported: gross_range_test",
        ),
        (
            {
                "qartod": {
                    "spike_test": {"suspect_threshold": 1, "method": "differential"}
                }
            },
            "method 'differential' is not supported",
        ),
        (
            {"qartod": {"spike_test": {}}},
            "spike_test needs suspect_threshold or fail_threshold",
        ),
        (
            {"qartod": {"gross_range_test": {"suspect_span": [0, 1]}}},
            "gross_range_test needs ['fail_span']",
        ),
        (
            {"qartod": {"gross_range_test": {"fail_span": [0, 1], "foo": 1}}},
            "option(s) ['foo'] are not supported",
        ),
        (
            {"qartod": {"flat_line_test": {"suspect_threshold": 10}}},
            "flat_line_test needs ['fail_threshold']",
        ),
        (
            {
                "qartod": {
                    "flat_line_test": {"suspect_threshold": 20, "fail_threshold": 10}
                }
            },
            "flat_line_test (for 'p') → flat_line: check 'flat_line': need",
        ),
        (
            {
                "qartod": {
                    "climatology_test": {
                        "config": [
                            {"vspan": [1, 2], "tspan": [1, 90], "period": "dayofyear"}
                        ]
                    }
                }
            },
            "period 'dayofyear' cannot be expressed",
        ),
        (
            {
                "qartod": {
                    "climatology_test": {
                        "config": [
                            {"vspan": [1, 2], "tspan": ["2020-01-01", "2020-06-01"]}
                        ]
                    }
                }
            },
            "period None cannot be expressed",
        ),
        (
            {
                "qartod": {
                    "climatology_test": {
                        "config": [
                            {
                                "vspan": [1, 2],
                                "fspan": [0, 3],
                                "tspan": [1, 2],
                                "period": "month",
                            }
                        ]
                    }
                }
            },
            "fspan is not supported",
        ),
        (
            {
                "qartod": {
                    "climatology_test": {
                        "config": [
                            {
                                "vspan": [1, 2],
                                "zspan": [0, 3],
                                "tspan": [1, 2],
                                "period": "month",
                            }
                        ]
                    }
                }
            },
            "zspan is not supported",
        ),
        (
            {
                "qartod": {
                    "climatology_test": {
                        "config": [
                            {"vspan": [1, 2], "tspan": [1, 2], "period": "month"},
                            {"vspan": [1, 2], "tspan": [0, 5], "period": "hour"},
                        ]
                    }
                }
            },
            "mixes monthly and hourly members",
        ),
        (
            {
                "streams": {"p": {"qartod": {}}},
                "window": {"starting": "2020-01-01T00:00:00Z"},
            },
            "a time window",
        ),
        (
            {"contexts": [{"streams": {}}, {"streams": {}}]},
            "only a configuration with one context",
        ),
        ({"p": {"argo": {}}}, "stream 'p' has no 'qartod' section"),
    ],
)
def test_what_ioos_qc_config_cannot_be_represented_is_named(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(QcRulesError) as caught:
        from_ioos_qartod(config, "p")
    assert message in str(caught.value)


def test_parse_rules_accepts_a_whole_ioos_document_with_its_parameter() -> None:
    text = "parameter: w01010\nelement: surface_water\nversion: ioos-1\n" + IOOS_STREAM
    rules = parse_rules(text, "ioos.yaml")
    assert rules.version == "ioos-1"
    (rule,) = rules.rules
    assert (rule.parameter, rule.element) == ("w01010", "surface_water")
    assert [c.check for c in rule.checks] == [
        "gross_range",
        "flat_line",
        "spike",
        "rate_of_change",
        "climatology",
    ]
    with pytest.raises(QcRulesError, match="needs 'parameter: <code>'"):
        parse_rules(IOOS_STREAM, "ioos.yaml")
    with pytest.raises(QcRulesError) as caught:
        parse_rules("parameter: p\nqartod: {syntax_test: {}}", "ioos.yaml")
    assert "test 'syntax_test' (for 'p') is not supported" in str(
        caught.value.problems[0]
    )


def test_a_rule_may_carry_a_qartod_section() -> None:
    text = """
version: "mixed-1"
rules:
  - parameter: w01001
    checks: [{check: duplicates}]
    qartod:
      gross_range_test: {fail_span: [0, 14], suspect_span: [4, 10]}
  - parameter: w01009
    qartod:
      spike_test: {suspect_threshold: 2, method: differential}
"""
    problems = problems_of(yaml.safe_load(text))
    assert len(problems) == 1
    assert (
        "rules[1]': rule for 'w01009': ioos_qc configuration: spike_test method 'differential'"
        in problems[0]
    )
    rules = parse_rules(text.split("  - parameter: w01009")[0])
    assert [c.check for c in rules_for(rules, "w01001")] == [
        "duplicates",
        "gross_range",
    ]


# --- default rules ------------------------------------------------------------------------


def test_every_catalogue_parameter_has_default_rules() -> None:
    codes = {entry["code"] for entry in catalogue()}
    assert len(codes) > 60
    missing = sorted(code for code in codes if find_rule(DEFAULT_RULES, code) is None)
    assert missing == []
    assert set(DEFAULT_RULES.parameters()) == codes
    for code in codes:
        checks = rules_for(DEFAULT_RULES, code)
        assert [c.check for c in checks][:1] == ["gross_range"], code
        assert "duplicates" in [c.check for c in checks], code


def test_the_default_rule_file_validates_and_every_rule_runs_on_a_single_series() -> (
    None
):
    text = (
        resources.files("envmon.quality")
        .joinpath("data/default_rules.yaml")
        .read_text("utf-8")
    )
    assert parse_rules(text) == DEFAULT_RULES
    times = np.arange(50).astype("datetime64[h]").astype("datetime64[s]")
    values = np.linspace(-5, 200, 50)
    for rule in DEFAULT_RULES.rules:
        assert rule.reference, rule.parameter
        assert rule.element is None or rule.element in ELEMENTS
        single, cross = split_checks(rule.checks)
        require_single_series(single)
        flags, history = batch_qc(
            times, values, single, rules_version=DEFAULT_RULES.version
        )
        assert len(history) == len(single)
        assert flags.shape == (50,)
        for check in cross:  # with their partner parameters at the same times
            partners = dict.fromkeys(PARTNER_CODES[check.check].values(), values / 2)
            assert cross_flags(check, values, times, partners).shape == (50,)


@pytest.mark.parametrize(
    ("code", "element", "fail_span", "suspect_span"),
    [
        ("a34004", None, [None, 1000], [0, 600]),  # PM2.5, HJ 653-2013
        ("a19001", None, [0, 21], [0, 19.5]),  # O2 in flue gas
        ("w01001", None, [0, 14], [4, 10]),  # pH
        ("Leq", None, [20, 140], [25, 120]),  # noise
        ("a21026", None, [None, 1300], [0, 500]),  # ambient SO2, ug/m3
        ("a21026", "flue_gas", [None, 10000], [0, 3000]),  # CEMS SO2, mg/m3
        ("w21003", "surface_water", [None, 200], [0, 30]),
    ],
)
def test_default_spans(
    code: str, element: str | None, fail_span: list[Any], suspect_span: list[Any]
) -> None:
    gross = next(
        c for c in rules_for(DEFAULT_RULES, code, element) if c.check == "gross_range"
    )
    assert gross.params == {"fail_span": fail_span, "suspect_span": suspect_span}


def test_default_pm25_rules_flag_the_obvious() -> None:
    checks, _ = split_checks(
        rules_for(DEFAULT_RULES, "a34004", "air", point_kind="station")
    )
    times = np.arange(8).astype("datetime64[h]").astype("datetime64[s]")
    values = np.array([30.0, 32.0, 700.0, 31.0, 1200.0, -20.0, -2.0, np.nan])
    flags, history = batch_qc(
        times, values, checks, rules_version=DEFAULT_RULES.version
    )
    assert flags.tolist()[4:] == [4, 4, 3, 9]
    assert "gross_range" in history.checks_that_flagged(2)
    assert history.checks_that_flagged(5) == ["gross_range", "negative", "spike"]
    assert history.metas[0]["rules_version"] == "envmon-defaults-2025.1"


def test_rule_sets_are_immutable() -> None:
    with pytest.raises(Exception, match="frozen"):
        DEFAULT_RULES.version = "x"  # type: ignore[misc]
    assert isinstance(DEFAULT_RULES, RuleSet)
