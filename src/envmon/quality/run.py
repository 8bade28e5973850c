"""QC of a table of series on one time axis (the CSV of ``envmon qc run``). Pure.

``parse_table`` reads CSV text with a ``time`` column (ISO 8601; a time without zone is
Beijing time) and numeric value columns (empty, ``nan``, ``na``, ``null`` or ``none`` =
missing); ``select_checks`` finds each column's rule; ``qc_table`` runs
:func:`~envmon.quality.stream.batch_qc` per column; ``format_table`` writes the table back
with ``<column>__flag`` (QARTOD code) and ``<column>__checks`` (the checks that set
SUSPECT or FAIL, joined by ``;``) after each value column.

Which rule a column uses, first match wins:

1. ``parameter`` given (``--parameter CODE``): that parameter's rule for every column;
2. the rule set's ``columns:`` mapping (column → code or ``{parameter, point_kind,
   element}``);
3. the column's name as the parameter code (``a34004``).

``element`` and ``point_kind`` (``--element``, ``--point-kind``) narrow 1 and 3 and fill
what a ``columns:`` entry leaves unset.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from envmon.errors import Problem, ValidationError
from envmon.quality.flags import FlagArray, FloatArray
from envmon.quality.rules import ELEMENTS, CheckRule, RuleSet, find_rule
from envmon.quality.stream import (
    PARTNER_CODES,
    batch_qc,
    cross_flags,
    require_single_series,
    split_checks,
)
from envmon.registry.enums import PointKind
from envmon.timeutil import parse_instant

__all__ = [
    "TIME_COLUMN",
    "ColumnResult",
    "Table",
    "format_table",
    "parse_table",
    "qc_table",
    "select_checks",
]

TIME_COLUMN: Final = "time"
MISSING_TEXT: Final = frozenset({"", "nan", "na", "null", "none"})
MAX_PROBLEMS: Final = 20
"""At most this many problems are listed (the count says how many there were)."""


class Table(NamedTuple):
    """A parsed table: the cells as read plus the times and value columns."""

    header: list[str]
    rows: list[list[str]]
    times: npt.NDArray[np.datetime64]
    columns: dict[str, FloatArray]


class ColumnResult(NamedTuple):
    """QC of one column: the rule used, the flags and who flagged each value."""

    parameter: str
    flags: FlagArray
    checks: list[str]


def _rejected(source: str, problems: list[Problem]) -> ValidationError:
    count = len(problems)
    listed = problems[:MAX_PROBLEMS]
    more = f" (first {MAX_PROBLEMS} listed)" if count > MAX_PROBLEMS else ""
    return ValidationError(f"{source}: {count} problem(s) in the table{more}", listed)


def _header(row: list[str] | None, source: str) -> list[str]:
    if row is None:
        msg = f"{source}: the table is empty (no header line)"
        raise ValidationError(msg)
    header = [name.strip() for name in row]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        msg = f"{source}: column(s) {repeated} appear more than once in the header"
        raise ValidationError(msg)
    if TIME_COLUMN not in header:
        msg = f"{source}: no {TIME_COLUMN!r} column; the header has {header}"
        raise ValidationError(msg)
    if len(header) < 2:
        msg = f"{source}: no value column next to {TIME_COLUMN!r}"
        raise ValidationError(msg)
    return header


def _number(cell: str) -> float:
    text = cell.strip()
    if text.lower() in MISSING_TEXT:
        return float("nan")
    if "_" in text:  # float() accepts 1_000; a CSV value does not
        raise ValueError(text)
    return float(text)


def _parse_row(
    header: list[str], row: list[str], here: partial[Problem], problems: list[Problem]
) -> tuple[np.datetime64, list[float]]:
    """The row's time (NaT if bad) and numbers (NaN if bad); problems are appended."""
    time: np.datetime64 = np.datetime64("NaT", "s")
    numbers = []
    for name, cell in zip(header, row, strict=True):
        if name == TIME_COLUMN:
            try:
                time = np.datetime64(parse_instant(cell).replace(tzinfo=None), "s")
            except ValueError as err:
                problems.append(here(str(err), field=name))
            continue
        try:
            numbers.append(_number(cell))
        except ValueError:
            problems.append(here(f"not a number: {cell!r}", field=name))
            numbers.append(float("nan"))
    return time, numbers


def parse_table(text: str, source: str = "<table>") -> Table:
    """Parse CSV text with a ``time`` column and numeric value columns.

    Parameters
    ----------
    text : str
        CSV with a header line; ``time`` in ISO 8601 (no zone = Beijing time), sorted.
    source : str, default "<table>"
        Name for messages (the file path).

    Returns
    -------
    Table
        ``times`` as ``datetime64[s]`` UTC; every other column as float64 (NaN =
        missing).

    Raises
    ------
    ValidationError
        No header or ``time`` column, or cells that are not a time or number, rows of
        the wrong length, times going back; each problem names its row, line and column.

    Examples
    --------
    >>> table = parse_table("time,a34004\\n2024-05-01T08:00,35\\n2024-05-01T09:00,\\n")
    >>> print(table.times)
    ['2024-05-01T00:00:00' '2024-05-01T01:00:00']
    >>> table.columns["a34004"]
    array([35., nan])
    """
    reader = csv.reader(io.StringIO(text))
    header = _header(next(reader, None), source)
    rows: list[list[str]] = []
    times: list[np.datetime64] = []
    values: list[list[float]] = []
    problems: list[Problem] = []
    latest: tuple[np.datetime64, str] | None = None  # the latest time and its text
    at = header.index(TIME_COLUMN)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        here = partial(Problem, row=len(rows) + 1, line=reader.line_num, source=source)
        if len(row) != len(header):
            problems.append(here(f"has {len(row)} cells, the header {len(header)}"))
            continue
        time, numbers = _parse_row(header, row, here, problems)
        if not np.isnat(time):
            if latest is not None and time < latest[0]:
                message = f"time {row[at]!r} is before an earlier row's {latest[1]!r}"
                problems.append(here(message, field=TIME_COLUMN))
            elif latest is None or time > latest[0]:
                latest = (time, row[at])
        rows.append(row)
        times.append(time)
        values.append(numbers)
    if problems:
        raise _rejected(source, problems)
    names = [name for name in header if name != TIME_COLUMN]
    matrix = np.array(values, dtype=np.float64).reshape(len(rows), len(names))
    columns = {name: matrix[:, number].copy() for number, name in enumerate(names)}
    return Table(header, rows, np.array(times, dtype="datetime64[s]"), columns)


def _no_rule(rule_set: RuleSet, code: str, source: str) -> str:
    close = difflib.get_close_matches(code, rule_set.parameters(), n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"no rule for parameter {code!r} in {source}{hint}"


def select_checks(
    rule_set: RuleSet,
    columns: Sequence[str],
    *,
    parameter: str | None = None,
    element: str | None = None,
    point_kind: PointKind | str | None = None,
    source: str = "<rules>",
) -> dict[str, tuple[str, list[CheckRule]]]:
    """Return ``column → (parameter, checks)`` by the order in the module docstring.

    Raises
    ------
    ValidationError
        If ``element`` is unknown, or a column has no rule or needs a multi-input check
        (every such column is named).
    """
    if element is not None and element not in ELEMENTS:
        msg = f"element {element!r} is not one of {', '.join(sorted(ELEMENTS))}"
        raise ValidationError(msg)
    if parameter is not None and not find_rule(
        rule_set, parameter, element, point_kind=point_kind
    ):
        raise ValidationError(_no_rule(rule_set, parameter, source))
    chosen: dict[str, tuple[str, list[CheckRule]]] = {}
    problems: list[Problem] = []
    for column in columns:
        mapped = rule_set.columns.get(column) if parameter is None else None
        code = parameter or (mapped.parameter if mapped else column)
        narrowed = (mapped.element if mapped else None) or element
        kind = (mapped.point_kind if mapped else None) or point_kind
        rule = find_rule(rule_set, code, narrowed, point_kind=kind)
        if rule is None:
            problems.append(Problem(_no_rule(rule_set, code, source), field=column))
            continue
        single, cross = split_checks(rule.checks)
        others = [c for c in rule.checks if c not in single and c not in cross]
        try:
            require_single_series(others)
        except ValueError as err:
            problems.append(Problem(f"rule for {code!r}: {err}", field=column))
            continue
        chosen[column] = (code, single + cross)
    if problems:
        msg = (
            f"cannot choose QC rules for {len(problems)} column(s): name a column by its "
            "parameter code, map it under 'columns:' in the rules, or give one parameter"
        )
        raise ValidationError(msg, problems)
    return chosen


def qc_table(
    times: npt.NDArray[np.datetime64],
    columns: Mapping[str, FloatArray],
    checks: Mapping[str, tuple[str, list[CheckRule]]],
    *,
    rules_version: str = "",
) -> dict[str, ColumnResult]:
    """Run each column's checks over the whole column (batch QC).

    Returns
    -------
    dict of str to ColumnResult
        Per column in ``checks``: its parameter, the flags and, per value, the names of
        the checks that set SUSPECT or FAIL joined by ``;`` (``""`` if none).
    """
    results = {}
    by_code = {code: columns[column] for column, (code, _) in checks.items()}
    for column, (parameter, rules) in checks.items():
        single, cross = split_checks(rules)
        flags, history = batch_qc(
            times, columns[column], single, rules_version=rules_version
        )
        for rule in cross:  # where the table has the partner parameters
            if set(PARTNER_CODES[rule.check].values()) <= set(by_code):
                column_flags = cross_flags(rule, columns[column], times, by_code)
                meta = rule.spec.history_meta(rule.params, rules_version=rules_version)
                history.append(column_flags, meta)
        flags = history.flags()
        names, mask = history.flagged()
        joined = [""] * flags.size
        for row in np.flatnonzero(mask.any(axis=0)).tolist():
            hits = [name for name, hit in zip(names, mask[:, row], strict=True) if hit]
            joined[row] = ";".join(dict.fromkeys(hits))
        results[column] = ColumnResult(parameter, flags, joined)
    return results


def format_table(table: Table, results: Mapping[str, ColumnResult]) -> str:
    """Return the table as CSV with ``__flag`` and ``__checks`` after each QC'd column."""
    header: list[str] = []
    for name in table.header:
        header.append(name)
        if name in results:
            header += [f"{name}__flag", f"{name}__checks"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number, row in enumerate(table.rows):
        cells: list[str | int] = []
        for name, cell in zip(table.header, row, strict=True):
            cells.append(cell)
            if name in results:
                result = results[name]
                cells += [int(result.flags[number]), result.checks[number]]
        writer.writerow(cells)
    return out.getvalue()
