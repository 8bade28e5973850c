"""``envmon qc run``: QC flags for a CSV table through the pure QC core."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.bootstrap import open_database
from envmon.cli.common import err_console, handle_errors
from envmon.config import get_settings
from envmon.errors import NotFoundError
from envmon.measurements.models import DataKind
from envmon.quality.flags import Flag
from envmon.quality.live import LiveQC
from envmon.quality.models import ReviewAction
from envmon.quality.reading import review_json
from envmon.quality.reviews import REASON_CODES, requalify, review
from envmon.quality.rules import DEFAULT_RULES, parse_rules
from envmon.quality.run import (
    ColumnResult,
    format_table,
    parse_table,
    qc_table,
    select_checks,
)
from envmon.quality.stats import validity
from envmon.registry.enums import PointKind
from envmon.registry.models import Point
from envmon.storage.db import session_scope
from envmon.timeutil import parse_instant

__all__ = ["app"]

app = typer.Typer(
    help="Quality control (QC, 质控) of monitoring data.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        err_console.print(f"error: cannot read {path}: {reason}", markup=False)
        raise typer.Exit(1) from error


def _summary(results: Mapping[str, ColumnResult]) -> dict[str, dict[str, object]]:
    """Per column: the parameter whose rule ran and how many values got each flag."""
    summary: dict[str, dict[str, object]] = {}
    for column, result in results.items():
        counts = Counter(result.flags.tolist())
        summary[column] = {"parameter": result.parameter} | {
            Flag(code).name.lower(): counts[code] for code in sorted(counts)
        }
    return summary


@app.command("run")
@handle_errors
def run(
    source: Path = typer.Argument(
        ..., metavar="INPUT.csv", exists=True, dir_okay=False, help="table to check"
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", "--out", dir_okay=False, help="CSV file to write"
    ),
    rules: Path | None = typer.Option(
        None, "--rules", exists=True, dir_okay=False, help="QC rules (YAML or JSON)"
    ),
    parameter: str | None = typer.Option(
        None, "--parameter", "-p", help="HJ 212 code whose rule every column uses"
    ),
    element: str | None = typer.Option(
        None, help="element: air, surface_water, flue_gas, wastewater, noise …"
    ),
    point_kind: PointKind | None = typer.Option(None, help="station or outlet"),
) -> None:
    """Flag every value of INPUT.csv and write the table with its flags.

    \b
    INPUT.csv: a header line, a 'time' column (ISO 8601; without a zone it is
    Beijing time) and value columns (empty, nan, na, null = missing), sorted by time.
    OUTPUT.csv repeats every column and adds, after each value column C,
    C__flag (QARTOD: 1 good, 2 not evaluated, 3 suspect, 4 fail, 9 missing) and
    C__checks (the checks that flagged the value, joined by ';').

    \b
    Which rule a column uses (rules: --rules file, else the default rules of the
    HJ 212 catalogue), first match wins:
      1. --parameter CODE: that parameter's rule for every column;
      2. the rules file's 'columns:' mapping, e.g.
           columns: {pm25: a34004, so2: {parameter: a21026, element: flue_gas}}
      3. the column name as the parameter code (a34004, w01018 …).
    --element and --point-kind pick the more specific rules (e.g. flue_gas SO2).

    \b
    Rules file (YAML or JSON; ioos_qc 'qartod:' configurations are accepted too):
      version: "site-2025.1"
      rules:
        - parameter: a34004
          checks:
            - {check: gross_range, params: {fail_span: [0, 1000], suspect_span: [0, 600]}}
            - {check: spike, params: {suspect_threshold: 150}}
            - {check: flat_line, params: {tolerance: 0, suspect_seconds: 21600,
                                          fail_seconds: 86400}}

    Bad input (no time column, a time or number that does not parse, a column
    without a rule) exits with 1 and names the row and column.
    """
    rule_set = DEFAULT_RULES if rules is None else parse_rules(_read(rules), str(rules))
    table = parse_table(_read(source), str(source))
    chosen = select_checks(
        rule_set,
        list(table.columns),
        parameter=parameter,
        element=element,
        point_kind=point_kind,
        source=str(rules) if rules else "the default rules",
    )
    results = qc_table(
        table.times, table.columns, chosen, rules_version=rule_set.version
    )
    try:
        output.write_text(format_table(table, results), encoding="utf-8")
    except OSError as error:
        err_console.print(f"error: cannot write {output}: {error}", markup=False)
        raise typer.Exit(1) from error
    report = {"rows": len(table.rows), "rules_version": rule_set.version}
    report |= {"output": str(output), "columns": _summary(results)}
    typer.echo(json.dumps(report, ensure_ascii=False))


def _point(session: Session, mn: str) -> Point:
    point = session.scalar(select(Point).where(Point.mn == mn))
    if point is None:
        msg = f"no station or outlet with MN {mn!r}"
        raise NotFoundError(msg)
    return point


def _when(text: str, name: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as err:
        msg = f"{name}: {err}"
        raise typer.BadParameter(msg) from err


@app.command("pending")
@handle_errors
def pending(
    days: int = typer.Option(3, min=1, help="look back this many days for new values"),
) -> None:
    """QC the stored values that have no QC verdict yet (cron beside `envmon gateway`)."""
    _engine, factory = open_database(get_settings())
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        summary = LiveQC(actor="cli").process(
            session=session, now=now, since=now - timedelta(days=days)
        )
    typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))


@app.command("requalify")
@handle_errors
def requalify_command(
    mn: str = typer.Argument(..., help="the point's HJ 212 MN"),
    start: str = typer.Option(..., "--from", help="ISO 8601 start (Beijing time)"),
    end: str | None = typer.Option(None, "--to", help="ISO 8601 end (exclusive)"),
    parameters: list[str] | None = typer.Option(
        None, "--parameter", "-p", help="HJ 212 code (repeatable; default all)"
    ),
    rules: Path | None = typer.Option(
        None, "--rules", exists=True, dir_okay=False, help="QC rules (YAML or JSON)"
    ),
    reason: str = typer.Option(..., help="why QC runs again (kept with the run)"),
    actor: str = typer.Option("cli", help="who runs it"),
) -> None:
    """QC a point's stored values again (a new batch run; changed verdicts keep the old
    one in their history and mark their days for recomputation)."""
    rule_set = None if rules is None else parse_rules(_read(rules), str(rules))
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        summary = requalify(
            session=session,
            point_id=_point(session, mn).id,
            start=_when(start, "--from"),
            end=None if end is None else _when(end, "--to"),
            rules=rule_set,
            actor=actor,
            now=datetime.now(UTC),
            reason=reason,
            parameters=parameters or None,
        )
    typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))


@app.command("review")
@handle_errors
def review_command(
    mn: str = typer.Argument(..., help="the point's HJ 212 MN"),
    parameter: str = typer.Option(..., "--parameter", "-p", help="HJ 212 code"),
    kind: DataKind = typer.Option(DataKind.HOUR, help="minute, hour or day"),
    start: str = typer.Option(..., "--from", help="ISO 8601 start (Beijing time)"),
    end: str = typer.Option(..., "--to", help="ISO 8601 end (exclusive)"),
    action: ReviewAction = typer.Option(..., help="confirm or overrule"),
    flag: int | None = typer.Option(None, help="overrule: 1 good, 3 suspect, 4 fail"),
    reason_code: str = typer.Option(
        ..., "--reason", help=f"one of: {', '.join(REASON_CODES)}"
    ),
    comment: str = typer.Option("", help="free text (required for --reason other)"),
    overrule_device: bool = typer.Option(
        False, help="allow clearing an instrument's own FAIL flag"
    ),
    actor: str = typer.Option(..., help="the reviewer (kept in the ledger)"),
) -> None:
    """Confirm or overrule the QC flags of one series over a time range."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        row, summary = review(
            session=session,
            point=_point(session, mn),
            parameter=parameter,
            kind=kind,
            start=_when(start, "--from"),
            end=_when(end, "--to"),
            action=action,
            flag=flag,
            reason_code=reason_code,
            comment=comment,
            reviewer=actor,
            now=datetime.now(UTC),
            overrule_device=overrule_device,
        )
        shown = {"review": review_json(row), "applied": summary.as_json()}
    typer.echo(json.dumps(shown, ensure_ascii=False))


@app.command("validity")
@handle_errors
def validity_command(
    mn: str = typer.Argument(..., help="the point's HJ 212 MN"),
    first: datetime = typer.Option(
        ..., "--from", formats=["%Y-%m-%d"], help="first Beijing day"
    ),
    last: datetime = typer.Option(
        ..., "--to", formats=["%Y-%m-%d"], help="last Beijing day"
    ),
) -> None:
    """Validity and capture rates per parameter and day, one JSON object per line."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        days = validity(
            session=session,
            point_id=_point(session, mn).id,
            first_day=first.date(),
            last_day=last.date(),
        )
        for day in days:
            typer.echo(json.dumps(day.as_json(), ensure_ascii=False))
