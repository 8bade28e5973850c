"""QC rule sets: versioned data that name registered checks and their parameters. Pure.

A rule set is a YAML (or JSON) document validated by pydantic; it names registered checks
only and passes keyword arguments only (STYLE)::

    version: "air-2025.1"          # recorded in every history column (rules_version)
    rules:
      - parameter: a34004          # HJ 212 code (or any series name the caller uses)
        reference: "HJ 653-2013 measuring range"
        checks:
          - {check: gross_range, params: {fail_span: [null, 1000], suspect_span: [0, 600]}}
          - {check: spike, params: {suspect_threshold: 150}}
      - parameter: a21026
        element: flue_gas          # a more specific rule for the same code
        checks:
          - {check: gross_range, params: {fail_span: [null, 10000]}}
    columns:                       # optional: CSV column -> selector (``envmon qc run``)
      pm25: a34004
      so2_stack: {parameter: a21026, element: flue_gas}

A rule selects by ``parameter`` and optionally ``point_kind`` (:class:`PointKind`:
``station``/``outlet``) and ``element`` (:data:`ELEMENTS`: the station's environmental
element, or the outlet kind ``flue_gas``/``wastewater``). :func:`rules_for` picks the most
specific matching rule: element and point kind given > element > point kind > parameter
only. A rule may also carry an ioos_qc ``qartod:`` section instead of (or besides)
``checks:``; it is converted by :func:`from_ioos_qartod`. A whole ioos_qc configuration
(``qartod:``, ``streams:`` or ``contexts:`` at the top) is accepted by :func:`parse_rules`
too, with ``parameter:`` naming what it applies to.

Errors name the place (``rules[2].checks[0]``), the rule's parameter, the check and its
parameter: unknown checks (listing the known), unknown/missing parameters, wrong types (the
check's annotations), values the check refuses (it is called on an empty series),
repeated checks in a rule, repeated selectors.

:data:`DEFAULT_RULES` (``quality/data/default_rules.yaml``) covers every parameter of the
HJ 212 catalogue (``registry/data/parameters.yaml``); each rule cites its source.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache, partial
from importlib import resources
from typing import Any, Final

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from envmon.errors import Problem, ValidationError
from envmon.quality.checks import CHECKS, CheckSpec, Window
from envmon.registry.enums import Element, OutletKind, PointKind

__all__ = [
    "DEFAULT_RULES",
    "ELEMENTS",
    "IOOS_TESTS",
    "CheckRule",
    "ColumnSelector",
    "QcRulesError",
    "Rule",
    "RuleSet",
    "find_rule",
    "from_ioos_qartod",
    "parse_rules",
    "rules_for",
    "validate_rules",
]

ELEMENTS: Final[frozenset[str]] = frozenset(
    [e.value for e in Element] + [k.value for k in OutletKind]
)
"""Values of a rule's ``element``: a station's element (registry :class:`Element`) or an
outlet's kind (:class:`OutletKind`: ``flue_gas``, ``wastewater``)."""

IOOS_TESTS: Final[Mapping[str, str]] = {
    "gross_range_test": "gross_range",
    "spike_test": "spike",
    "flat_line_test": "flat_line",
    "rate_of_change_test": "rate_of_change",
    "climatology_test": "climatology",
}
"""ioos_qc ``qartod`` test names that :func:`from_ioos_qartod` converts → envmon checks."""

_ROOT_KEYS: Final = frozenset({"version", "parameter", "point_kind", "element"})
_DEFAULT_RULES_FILE: Final = "data/default_rules.yaml"


class QcRulesError(ValidationError, ValueError):
    """QC rules are invalid; ``problems`` names each (place, parameter, check)."""


# --- checks ------------------------------------------------------------------------


@cache
def _adapter(check: str, parameter: str) -> TypeAdapter[Any]:
    hints = typing.get_type_hints(CHECKS[check].function)
    return TypeAdapter(hints.get(parameter, Any))


def _tuples(value: Any) -> Any:
    """Lists → tuples (YAML/JSON have no tuples), so strict validation accepts spans."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _dry_run(spec: CheckSpec, params: Mapping[str, Any]) -> None:
    """Call the check on an empty series: it validates its parameter values first."""
    arrays = [
        np.zeros(0, "datetime64[s]") if name.endswith("times") else np.zeros(0)
        for name in spec.inputs
    ]
    spec.function(*arrays, **params)


def _validate_check(name: str, params: Mapping[str, Any]) -> None:
    spec = CHECKS.get(name)
    if spec is None:
        msg = f"unknown check {name!r}; known checks: {', '.join(sorted(CHECKS))}"
        raise ValueError(msg)
    try:
        spec.resolve(params)
    except TypeError as err:
        raise ValueError(str(err)) from err
    for key, value in params.items():
        try:
            _adapter(name, key).validate_python(_tuples(value), strict=True)
        except PydanticValidationError as err:
            expected = spec.parameters[key].type or "another type"
            unit = (
                f" [{spec.parameters[key].unit}]" if spec.parameters[key].unit else ""
            )
            msg = (
                f"check {name!r}: parameter {key!r} must be {expected}{unit}, "
                f"got {value!r}"
            )
            raise ValueError(msg) from err
    try:
        _dry_run(spec, params)
    except (TypeError, ValueError) as err:
        msg = f"check {name!r}: {err}"
        raise ValueError(msg) from err


class CheckRule(BaseModel):
    """One registered check with its keyword parameters (defaults filled in at run time).

    Examples
    --------
    >>> rule = CheckRule(check="spike", params={"suspect_threshold": 30})
    >>> rule.window()
    Window(lookback_points=1, lookback_seconds=0.0, lookahead_points=1)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_check(self) -> CheckRule:
        _validate_check(self.check, self.params)
        return self

    @property
    def spec(self) -> CheckSpec:
        """The registered check."""
        return CHECKS[self.check]

    def window(self) -> Window:
        """Return how far the check's flag at a point reaches back and ahead."""
        return self.spec.window(**self.params)


# --- rules -------------------------------------------------------------------------


Selector = tuple[str, PointKind | None, str | None]


def _valid_element(value: str | None) -> str | None:
    if value is not None and value not in ELEMENTS:
        msg = f"element {value!r} is not one of {', '.join(sorted(ELEMENTS))}"
        raise ValueError(msg)
    return value


class Rule(BaseModel):
    """The checks for one parameter, optionally for one point kind and/or element."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameter: str = Field(min_length=1)
    point_kind: PointKind | None = None
    element: str | None = None
    reference: str = ""
    checks: list[CheckRule] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _convert_qartod(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "qartod" not in data:
            return data
        data = dict(data)
        section = data.pop("qartod")
        parameter = str(data.get("parameter", ""))
        converted = from_ioos_qartod({"qartod": section}, parameter)
        existing = list(data.get("checks") or [])
        data["checks"] = existing + [c.model_dump() for c in converted]
        return data

    _element = field_validator("element")(_valid_element)

    @model_validator(mode="after")
    def _distinct_checks(self) -> Rule:
        seen: dict[str, int] = {}
        for number, rule in enumerate(self.checks):
            if rule.check in seen:
                msg = (
                    f"check {rule.check!r} appears twice (checks[{seen[rule.check]}] "
                    f"and checks[{number}]); give its parameters once"
                )
                raise ValueError(msg)
            seen[rule.check] = number
        return self

    @property
    def selector(self) -> Selector:
        """``(parameter, point_kind, element)``: what the rule applies to."""
        return (self.parameter, self.point_kind, self.element)


class ColumnSelector(BaseModel):
    """Which rule a table column uses: a parameter code, optionally narrowed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameter: str = Field(min_length=1)
    point_kind: PointKind | None = None
    element: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_code(cls, data: Any) -> Any:
        return {"parameter": data} if isinstance(data, str) else data

    _element = field_validator("element")(_valid_element)


def _describe(selector: Selector) -> str:
    parameter, point_kind, element = selector
    parts = [f"parameter {parameter!r}"]
    if point_kind is not None:
        parts.append(f"point_kind {point_kind.value!r}")
    if element is not None:
        parts.append(f"element {element!r}")
    return ", ".join(parts)


class RuleSet(BaseModel):
    """A versioned set of QC rules (see the module docstring for the file format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    description: str = ""
    rules: list[Rule]
    columns: dict[str, ColumnSelector] = Field(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, bool | float):
            msg = f'version {value!r} must be text; quote it (version: "{value}")'
            raise ValueError(msg)
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _distinct_selectors(self) -> RuleSet:
        seen: dict[Selector, int] = {}
        for number, rule in enumerate(self.rules):
            first = seen.setdefault(rule.selector, number)
            if first != number:
                msg = (
                    f"rules[{number}] repeats the selector of rules[{first}] "
                    f"({_describe(rule.selector)})"
                )
                raise ValueError(msg)
        for column, chosen in self.columns.items():
            selector = (chosen.parameter, chosen.point_kind, chosen.element)
            found = find_rule(
                self, chosen.parameter, chosen.element, point_kind=chosen.point_kind
            )
            if found is None:
                msg = f"columns[{column!r}]: no rule matches {_describe(selector)}"
                raise ValueError(msg)
        return self

    def parameters(self) -> list[str]:
        """Return the parameters that have at least one rule, sorted."""
        return sorted({rule.parameter for rule in self.rules})


def find_rule(
    rule_set: RuleSet,
    parameter: str,
    element: str | None = None,
    *,
    point_kind: PointKind | str | None = None,
) -> Rule | None:
    """Return the most specific rule for a series, or None.

    A rule matches if its parameter is ``parameter`` and its point kind and element are
    unset or equal to the ones given; the most specific match wins (element and point
    kind > element > point kind > neither; selectors are unique, so the winner is too).

    Examples
    --------
    >>> rule = find_rule(DEFAULT_RULES, "a21026", "flue_gas", point_kind="outlet")
    >>> rule.element, find_rule(DEFAULT_RULES, "a21026").element
    ('flue_gas', None)
    >>> find_rule(DEFAULT_RULES, "no-such-code") is None
    True
    """
    kind = None if point_kind is None else PointKind(point_kind)
    best: tuple[int, Rule] | None = None
    for rule in rule_set.rules:
        if rule.parameter != parameter:
            continue
        if rule.point_kind is not None and rule.point_kind != kind:
            continue
        if rule.element is not None and rule.element != element:
            continue
        score = (2 if rule.element is not None else 0) + (rule.point_kind is not None)
        if best is None or score > best[0]:
            best = (score, rule)
    return None if best is None else best[1]


def rules_for(
    rule_set: RuleSet,
    parameter: str,
    element: str | None = None,
    *,
    point_kind: PointKind | str | None = None,
) -> list[CheckRule]:
    """Return the checks of the most specific rule for a series ([] if none matches).

    Parameters
    ----------
    rule_set : RuleSet
        The rules.
    parameter : str
        HJ 212 parameter code of the series (or the name the rules use).
    element : str, optional
        The point's element (:data:`ELEMENTS`), e.g. ``"air"``, ``"flue_gas"``.
    point_kind : {"station", "outlet"}, optional
        What the point is.

    Returns
    -------
    list of CheckRule
        In the rule's order; empty when no rule matches (see :func:`find_rule`).

    Examples
    --------
    >>> [c.check for c in rules_for(DEFAULT_RULES, "a34004")]
    ['gross_range', 'negative', 'spike', 'flat_line', 'duplicates', 'time_gap', 'pm25_le_pm10']
    """
    rule = find_rule(rule_set, parameter, element, point_kind=point_kind)
    return [] if rule is None else list(rule.checks)


# --- ioos_qc QARTOD configurations ----------------------------------------------------


def _fail(message: str) -> QcRulesError:
    return QcRulesError(f"ioos_qc configuration: {message}")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"{what} must be a mapping, got {value!r}"
        raise _fail(msg)
    return value


def _whole_context(context: Mapping[str, Any]) -> Mapping[str, Any]:
    window = _mapping(context.get("window"), "window")
    if window.get("starting") is not None or window.get("ending") is not None:
        msg = (
            f"a time window {dict(window)!r} is not supported (one rule set per period)"
        )
        raise _fail(msg)
    if context.get("region") is not None:
        msg = "a region is not supported: envmon rules select by parameter and element"
        raise _fail(msg)
    return _mapping(context.get("streams"), "streams")


def _qartod_section(
    config: Mapping[str, Any], parameter: str, stream: str | None
) -> Mapping[str, Any]:
    """The ``qartod`` mapping of an ioos_qc StreamConfig, ContextConfig or Config."""
    if "qartod" in config:
        return _mapping(config["qartod"], "qartod")
    if "contexts" in config:
        contexts = config["contexts"]
        if not isinstance(contexts, Sequence) or len(contexts) != 1:
            msg = "only a configuration with one context can be converted"
            raise _fail(msg)
        streams = _whole_context(_mapping(contexts[0], "contexts[0]"))
    elif "streams" in config:
        streams = _whole_context(config)
    else:
        streams = config
    wanted = stream or parameter
    if wanted in streams:
        chosen = wanted
    elif stream is None and len(streams) == 1:
        chosen = next(iter(streams))
    else:
        msg = f"no stream {wanted!r} in the configuration; streams: {sorted(streams)}"
        raise _fail(msg)
    body = _mapping(streams[chosen], f"stream {chosen!r}")
    if "qartod" not in body:
        msg = f"stream {chosen!r} has no 'qartod' section (modules: {sorted(body)})"
        raise _fail(msg)
    return _mapping(body["qartod"], "qartod")


def _span(value: Any, what: str) -> list[float]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        msg = f"{what} must be a [low, high] pair, got {value!r}"
        raise _fail(msg)
    try:
        return sorted(float(item) for item in value)
    except (TypeError, ValueError) as err:
        msg = f"{what} must hold two numbers, got {value!r}"
        raise _fail(msg) from err


def _only(test: str, kwargs: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        msg = f"{test}: option(s) {unknown} are not supported (supported: {sorted(allowed)})"
        raise _fail(msg)


def _spike(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    _only("spike_test", kwargs, {"suspect_threshold", "fail_threshold", "method"})
    method = kwargs.get("method") or "average"
    if method != "average":
        msg = f"spike_test method {method!r} is not supported (envmon's spike is 'average')"
        raise _fail(msg)
    # ioos_qc tests `if threshold:`: 0 or null switches that level off
    suspect, fail = kwargs.get("suspect_threshold"), kwargs.get("fail_threshold")
    if not suspect and not fail:
        msg = "spike_test needs suspect_threshold or fail_threshold"
        raise _fail(msg)
    if not suspect:  # FAIL only: SUSPECT at the same threshold is then never separate
        return {"suspect_threshold": fail, "fail_threshold": fail}
    return {"suspect_threshold": suspect, "fail_threshold": fail or None}


_SECONDS: Final = {
    "suspect_threshold": "suspect_seconds",
    "fail_threshold": "fail_seconds",
}
# ioos_qc test → (its options → envmon parameters, required options, ioos defaults)
_RENAMED: Final[Mapping[str, tuple[Mapping[str, str], set[str], Mapping[str, Any]]]] = {
    "gross_range_test": (
        {"fail_span": "fail_span", "suspect_span": "suspect_span"},
        {"fail_span"},
        {},
    ),
    "flat_line_test": (
        {"tolerance": "tolerance", **_SECONDS},
        {"suspect_threshold", "fail_threshold"},
        {"tolerance": 0.0},
    ),
    "rate_of_change_test": (
        {"threshold": "max_rate_per_second", "fail_threshold": "fail_rate_per_second"},
        {"threshold"},
        {},
    ),
}


def _renamed(test: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    names, required, defaults = _RENAMED[test]
    _only(test, kwargs, set(names))
    given = {**defaults, **{k: v for k, v in kwargs.items() if v is not None}}
    missing = sorted(required - set(given))
    if missing:
        msg = f"{test} needs {missing}"
        raise _fail(msg)
    return {  # ioos_qc sorts spans
        names[key]: _span(given[key], key) if key.endswith("_span") else given[key]
        for key in names
        if key in given
    }


_PERIOD_KEYS: Final[Mapping[str, tuple[str, range]]] = {
    "month": ("spans_by_month", range(1, 13)),
    "quarter": ("spans_by_month", range(1, 5)),
    "hour": ("spans_by_hour", range(24)),
}


def _climatology_member(number: int, member: Any) -> tuple[str, list[int], list[float]]:
    what = f"climatology_test config[{number}]"
    member = _mapping(member, what)
    _only(what, member, {"tspan", "vspan", "fspan", "zspan", "period"})
    if member.get("fspan") is not None:
        msg = f"{what}: fspan is not supported (climatology flags SUSPECT only)"
        raise _fail(msg)
    if member.get("zspan") is not None:
        msg = f"{what}: zspan is not supported (envmon series have no depth)"
        raise _fail(msg)
    period = member.get("period")
    if period not in _PERIOD_KEYS:
        msg = (
            f"{what}: period {period!r} cannot be expressed (envmon's climatology has "
            f"spans by Beijing month or hour); supported periods: {sorted(_PERIOD_KEYS)}"
        )
        raise _fail(msg)
    key, keys = _PERIOD_KEYS[period]
    low, high = _span(member.get("tspan"), f"{what}: tspan")
    selected = [k for k in keys if low <= k <= high]  # ioos_qc: tspan closed both ends
    if period == "quarter":
        selected = [m for q in selected for m in range(3 * q - 2, 3 * q + 1)]
    if not selected:
        msg = f"{what}: tspan {[low, high]} selects no {period}"
        raise _fail(msg)
    return key, selected, _span(member.get("vspan"), f"{what}: vspan")


def _climatology(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    _only("climatology_test", kwargs, {"config"})
    members = kwargs.get("config")
    if not isinstance(members, Sequence) or isinstance(members, str) or not members:
        msg = "climatology_test needs config: a list of {tspan, vspan, period}"
        raise _fail(msg)
    params: dict[str, dict[int, list[float]]] = {}
    for number, member in enumerate(members):
        key, selected, vspan = _climatology_member(number, member)
        spans = params.setdefault(key, {})
        for index in selected:
            spans[index] = vspan  # ioos_qc applies members in order: later ones win
    if len(params) > 1:
        msg = (
            "climatology_test mixes monthly and hourly members: ioos_qc lets the later "
            "member decide, envmon flags a value outside either; split the test"
        )
        raise _fail(msg)
    return params


_CONVERTERS: Final[Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "spike_test": _spike,
    "climatology_test": _climatology,
    **{test: partial(_renamed, test) for test in _RENAMED},
}


def from_ioos_qartod(
    config: Mapping[str, Any], parameter: str, *, stream: str | None = None
) -> list[CheckRule]:
    """Convert an ioos_qc QARTOD configuration into envmon checks.

    * ``gross_range_test`` → ``gross_range`` (``fail_span``, ``suspect_span``);
    * ``spike_test`` → ``spike`` (``suspect_threshold``, ``fail_threshold``; ``method:
      average`` only);
    * ``flat_line_test`` → ``flat_line``: ``tolerance``, ``suspect_threshold`` /
      ``fail_threshold`` [s] → ``suspect_seconds`` / ``fail_seconds``;
    * ``rate_of_change_test`` → ``rate_of_change``: ``threshold`` [unit/s] →
      ``max_rate_per_second``, ``fail_threshold`` → ``fail_rate_per_second``;
    * ``climatology_test`` → ``climatology``: ``config`` members with ``period`` month,
      quarter or hour and a ``vspan`` → ``spans_by_month`` / ``spans_by_hour``;
    * ``aggregate`` is ignored (envmon always combines by precedence).

    Differences kept on purpose: ioos_qc's flat line counts ``threshold / median step``
    points and tests ``range < tolerance``, envmon measures seconds and tests ``range ≤
    tolerance``; envmon reads climatology months and hours in Beijing time.

    Parameters
    ----------
    config : mapping
        An ioos_qc StreamConfig (``{"qartod": {...}}``), ContextConfig (``{"streams":
        {name: {"qartod": ...}}}``, without window or region) or Config (``{"contexts":
        [one context]}`` or ``{name: {"qartod": ...}}``).
    parameter : str
        The parameter the checks are for; also the stream chosen from several.
    stream : str, optional
        The stream to convert when its name is not ``parameter``.

    Returns
    -------
    list of CheckRule
        In the configuration's order.

    Raises
    ------
    QcRulesError
        If a test, option, climatology member, window or region cannot be represented
        (the message names it), or a converted check is invalid.

    Examples
    --------
    >>> checks = from_ioos_qartod({"qartod": {
    ...     "gross_range_test": {"suspect_span": [1, 11], "fail_span": [0, 12]},
    ...     "rate_of_change_test": {"threshold": 0.001}}}, "w01010")
    >>> [(c.check, c.params) for c in checks]  # doctest: +NORMALIZE_WHITESPACE
    [('gross_range', {'fail_span': [0.0, 12.0], 'suspect_span': [1.0, 11.0]}),
     ('rate_of_change', {'max_rate_per_second': 0.001})]
    """
    section = _qartod_section(config, parameter, stream)
    checks: list[CheckRule] = []
    for test, kwargs in section.items():
        if test == "aggregate":  # ioos_qc's "combine the flags" marker
            continue
        converter = _CONVERTERS.get(test)
        if converter is None:
            msg = (
                f"ioos_qc test {test!r} (for {parameter!r}) is not supported; "
                f"supported: {', '.join(IOOS_TESTS)}"
            )
            raise _fail(msg)
        params = converter(_mapping(kwargs, test))
        try:
            checks.append(CheckRule(check=IOOS_TESTS[test], params=params))
        except PydanticValidationError as err:
            message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            msg = f"{test} (for {parameter!r}) → {IOOS_TESTS[test]}: {message}"
            raise _fail(msg) from err
    return checks


# --- parsing and validation ----------------------------------------------------------


def _rule_parameter(data: Any, loc: Sequence[int | str]) -> str:
    """``"rule for 'a34004': "`` when ``loc`` is inside a rule that names its parameter."""
    rules = data.get("rules") if isinstance(data, Mapping) else None
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(rules, list):
        return ""
    number = loc[1]
    rule = rules[number] if isinstance(number, int) and number < len(rules) else None
    if isinstance(rule, Mapping) and rule.get("parameter") is not None:
        return f"rule for {rule['parameter']!r}: "
    return ""


def _problems(
    err: PydanticValidationError, data: Any, source: str
) -> Iterator[Problem]:
    for detail in err.errors():
        loc = detail["loc"]
        place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        message = str(detail["msg"]).removeprefix("Value error, ")
        yield Problem(
            _rule_parameter(data, loc) + message,
            field=place.removeprefix(".") or None,
            source=source,
        )


def validate_rules(data: Any, source: str = "<rules>") -> RuleSet:
    """Validate parsed rules (a mapping) into a :class:`RuleSet`.

    Raises
    ------
    QcRulesError
        Listing every problem with its place, rule parameter, check and check parameter.
    """
    if not isinstance(data, Mapping):
        msg = f"{source}: QC rules must be a mapping with 'version' and 'rules'"
        raise QcRulesError(msg)
    # "x-…" keys hold YAML anchors (as in Compose files); they are not rules
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    if any(key in data for key in ("qartod", "streams", "contexts")):
        return _from_ioos_document(data, source)
    try:
        return RuleSet.model_validate(data)
    except PydanticValidationError as err:
        problems = list(_problems(err, data, source))
        msg = f"{source}: {len(problems)} problem(s) in the QC rules"
        raise QcRulesError(msg, problems) from err


def _from_ioos_document(data: Mapping[str, Any], source: str) -> RuleSet:
    """A whole ioos_qc configuration, with ``parameter:`` (and optional selectors)."""
    ours = {key: data[key] for key in _ROOT_KEYS if key in data}
    parameter = ours.get("parameter")
    if not isinstance(parameter, str) or not parameter:
        msg = (
            f"{source}: an ioos_qc configuration needs 'parameter: <code>' next to its "
            "qartod/streams/contexts section"
        )
        raise QcRulesError(msg)
    foreign = {key: data[key] for key in data if key not in _ROOT_KEYS}
    try:
        checks = from_ioos_qartod(foreign, parameter)
    except QcRulesError as err:
        msg = f"{source}: invalid ioos_qc configuration"
        raise QcRulesError(msg, [Problem(str(err), source=source)]) from err
    selector = ("parameter", "point_kind", "element")
    rule: dict[str, Any] = {key: ours[key] for key in selector if key in ours}
    document = {
        "version": ours.get("version", "ioos_qc"),
        "rules": [{**rule, "checks": [c.model_dump() for c in checks]}],
    }
    return validate_rules(document, source)


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parse QC rules from YAML or JSON text.

    Parameters
    ----------
    text : str
        A rule-set document (module docstring), or an ioos_qc configuration with a
        ``qartod:``/``streams:``/``contexts:`` section plus ``parameter:`` (and optionally
        ``version:``, ``point_kind:``, ``element:``).
    source : str, default "<rules>"
        The document's name for messages (file path); a ``.json`` name is read as JSON.

    Returns
    -------
    RuleSet

    Raises
    ------
    QcRulesError
        If the text is not YAML/JSON or the rules are invalid (every problem is listed).

    Examples
    --------
    >>> rules = parse_rules('''
    ... version: "demo-1"
    ... rules:
    ...   - parameter: a34004
    ...     checks:
    ...       - {check: gross_range, params: {fail_span: [0, 1000], suspect_span: [0, 600]}}
    ... ''')
    >>> rules.version, [c.check for c in rules_for(rules, "a34004")]
    ('demo-1', ['gross_range'])
    >>> parse_rules("version: x\\nrules: [{parameter: a, checks: [{check: spkie}]}]")
    Traceback (most recent call last):
    ...
    envmon.quality.rules.QcRulesError: <rules>: 1 problem(s) in the QC rules
      - <rules>, field 'rules[0].checks[0]': rule for 'a': unknown check 'spkie'; ...
    """
    try:
        is_json = source.lower().endswith(".json")
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except json.JSONDecodeError as err:
        msg = f"{source}: not JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        raise QcRulesError(msg) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        msg = f"{source}: not YAML: {problem}{where}"
        raise QcRulesError(msg) from err
    return validate_rules(data, source)


def _load_default_rules() -> RuleSet:
    text = (
        resources.files("envmon.quality")
        .joinpath(_DEFAULT_RULES_FILE)
        .read_text("utf-8")
    )
    return parse_rules(text, "envmon/quality/" + _DEFAULT_RULES_FILE)


DEFAULT_RULES: Final[RuleSet] = _load_default_rules()
"""The packaged default rules: every parameter of the HJ 212 catalogue (sources cited
per rule in ``quality/data/default_rules.yaml``)."""
