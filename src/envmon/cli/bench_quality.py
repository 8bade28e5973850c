"""``envmon bench quality``: QC speed, flag agreement and fault detection against ioos_qc and
SaQC, measured in one run (see :mod:`envmon.bench.quality`).

Registered in :mod:`envmon.cli.bench` with ``app.command("quality")(quality_command)``.
ioos_qc and SaQC are optional: without them their rows say "not installed".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from envmon.cli.common import console, handle_errors

if TYPE_CHECKING:
    from envmon.bench.quality import (
        Agreement,
        ImplementationResult,
        QcParams,
        QualityBench,
    )

__all__ = ["quality_command"]

_PAIR_LIMIT = 6


@handle_errors
def quality_command(
    points: int = typer.Option(
        1_000_000,
        min=20_000,
        help="points of the minute series for speed and agreement",
    ),
    repeats: int = typer.Option(
        5, min=1, help="timed runs of each implementation (median reported)"
    ),
    default_points: int = typer.Option(
        10_000_000, min=0, help="points for the all-default-checks timing (0: skip)"
    ),
    faults: int = typer.Option(
        40, min=1, help="injected faults of each kind (fewer if the series is short)"
    ),
    seed: int = typer.Option(0, help="seed of the noise and of the fault injection"),
) -> None:
    """Time range + spike + flat line against ioos_qc and SaQC; agreement; detection."""
    from envmon.bench.quality import run_quality_bench

    with console.status("QC benchmark") as status:
        result = run_quality_bench(
            points=points,
            repeats=repeats,
            seed=seed,
            default_points=default_points,
            faults_per_type=faults,
            progress=lambda message: status.update(f"QC benchmark: {message}"),
        )
    console.print(_speed_table(result))
    console.print(_causes_table(result))
    console.print(_detection_table(result))
    if result.default_checks is not None:
        console.print(_default_table(result))


def _params_caption(params: QcParams) -> str:
    return (
        f"gross range: fail outside {params.fail_span}, suspect outside "
        f"{params.suspect_span} µg/m³; spike: suspect > {params.spike_suspect:g}, fail > "
        f"{params.spike_fail:g} µg/m³; flat line: within {params.flat_tolerance:g} µg/m³ "
        f"for {params.flat_suspect_seconds} s → suspect, {params.flat_fail_seconds} s → fail"
    )


def _share(value: Agreement | None) -> str:
    if value is None:
        return "—"
    return f"{value.share:.4%} ({value.total - value.equal:,} differ)"


def _status(item: ImplementationResult) -> str | None:
    if item.version is None:
        return "not installed"
    if item.error is not None:
        return f"failed: {item.error}"
    return None


def _speed_table(result: QualityBench) -> Table:
    table = Table(
        title=f"QC speed: gross range + spike + flat line on {result.points:,} minute "
        f"points (median of {result.repeats}, same run)",
        caption=_params_caption(result.params),
    )
    table.add_column("implementation")
    table.add_column("version")
    table.add_column("median", justify="right")
    table.add_column("best", justify="right")
    table.add_column("runs [s]")
    table.add_column("speed vs faster of ioos_qc/SaQC: median (best)", justify="right")
    table.add_column("flags equal to envmon: clean series", justify="right")
    table.add_column("faulted series", justify="right")
    baseline = result.baseline
    for name, item in result.implementations.items():
        status = _status(item)
        if status is not None:
            table.add_row(name, status, "—", "—", "—", "—", "—", "—")
            continue
        ratio = result.speedup(name)
        ratio_text = "—"
        if not math.isnan(ratio):
            ratio_text = f"{ratio:,.1f}× ({result.speedup(name, best=True):,.1f}×)"
        if baseline is not None and baseline.name == name:
            ratio_text = "baseline"
        table.add_row(
            name,
            item.version or "",
            f"{item.median_seconds:.3f} s",
            f"{item.best_seconds:.3f} s",
            ", ".join(f"{t:.3f}" for t in item.timings),
            ratio_text,
            "—" if name == "envmon" else _share(item.agreement_clean),
            "—" if name == "envmon" else _share(item.agreement_faulted),
        )
    return table


def _pairs(value: Agreement | None) -> str:
    if value is None:
        return "—"
    pairs = list(value.disagreements().items())
    text = ", ".join(f"{a}→{b}: {count:,}" for (a, b), count in pairs[:_PAIR_LIMIT])
    return text or "none"


def _causes_table(result: QualityBench) -> Table:
    table = Table(
        title="Flag disagreements with envmon (envmon flag → other flag) and their causes",
        caption="causes: see envmon.bench.quality (module docstring and explain())",
    )
    for column in ("implementation", "series", "disagreeing points", "causes"):
        table.add_column(column)
    for name, item in result.implementations.items():
        if name == "envmon":
            continue
        status = _status(item)
        if status is not None:
            table.add_row(name, "—", status, "—")
            continue
        for series, value, causes in (
            ("clean", item.agreement_clean, item.explained_clean),
            ("faulted", item.agreement_faulted, item.explained_faulted),
        ):
            table.add_row(
                name,
                series,
                _pairs(value),
                ", ".join(f"{cause}: {count:,}" for cause, count in causes.items())
                or "none",
            )
    return table


def _ratio(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def _detection_table(result: QualityBench) -> Table:
    from envmon.bench.quality import FAULT_KINDS

    table = Table(
        title=f"Detection of injected faults ({result.faults_per_type} of each kind in the "
        f"{result.points:,}-point Beijing series): recall (detected/faults) · precision",
        caption="recall: a fault counts if any value inside it is SUSPECT or FAIL; "
        "precision: flagged values in or next to faults of the kind / (those + flagged "
        "values away from every fault)",
    )
    table.add_column("fault kind")
    names = list(result.implementations)
    for name in names:
        table.add_column(f"{name} recall", justify="right")
        table.add_column(f"{name} precision", justify="right")
    for kind in (*FAULT_KINDS, "all"):
        row = [kind]
        for name in names:
            item = result.implementations[name]
            score = item.scores.get(kind)
            if score is None:
                row += [_status(item) or "—", "—"]
                continue
            row += [
                f"{_ratio(score.recall)} ({score.detected}/{score.events})",
                f"{_ratio(score.precision)} ({score.true_points:,}/"
                f"{score.true_points + score.false_points:,})",
            ]
        table.add_row(*row)
    return table


def _default_table(result: QualityBench) -> Table:
    timing = result.default_checks
    assert timing is not None
    table = Table(
        title=f"envmon: all default checks of one parameter (minute PM2.5) on "
        f"{timing.points:,} points (median of {timing.repeats})"
    )
    table.add_column("check")
    table.add_column("seconds", justify="right")
    for name, seconds in timing.per_check.items():
        table.add_row(name, f"{seconds:.3f}")
    table.add_row("total", f"{timing.seconds:.3f}")
    return table


@handle_errors
def qc_stream_command(
    stations: int = typer.Option(1000, min=2, help="stations for the engine timing"),
    minutes: int = typer.Option(
        30, min=1, help="timed minutes (one frame per station)"
    ),
    platform_stations: int = typer.Option(
        200, min=0, help="stations for the database timing (0: skip)"
    ),
    database_url: str | None = typer.Option(
        None, help="an empty database for the platform timing (default: SQLite file)"
    ),
) -> None:
    """What streaming QC adds to ingest per HJ 212 frame (six pollutants a frame)."""
    import tempfile
    from pathlib import Path

    from envmon.bench.quality_stream import run_stream_bench

    with (
        tempfile.TemporaryDirectory(prefix="envmon-qc-stream-") as folder,
        console.status("streaming QC benchmark") as status,
    ):
        result = run_stream_bench(
            stations=stations,
            minutes=minutes,
            platform_stations=platform_stations,
            database_url=database_url,
            workdir=Path(folder),
            progress=lambda message: status.update(f"streaming QC: {message}"),
        )
    table = Table(title="streaming QC per frame (median µs over the timed minutes)")
    table.add_column("measurement")
    table.add_column("µs / frame", justify="right")
    table.add_row(
        f"engine, {result.stations} stations fed together (feed_each)",
        f"{result.engine_together_us:.1f}",
    )
    table.add_row(
        "engine, the same fed one series at a time (baseline)",
        f"{result.engine_alone_us:.1f}",
    )
    ratio = result.engine_alone_us / result.engine_together_us
    table.add_row("  speed-up; same flags", f"{ratio:.1f}×; {result.engine_equal}")
    if result.platform_stations:
        table.add_row(
            f"platform QC pass ({result.backend}, {result.platform_stations} stations: "
            "find new values, check, write verdicts)",
            f"{result.platform_us:.1f}",
        )
        table.add_row(
            "  for comparison: writing the frame's measurements",
            f"{result.platform_write_us:.1f}",
        )
    console.print(table)
