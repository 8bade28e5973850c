"""``envmon bench``: speed benchmarks with figures and a same-run baseline."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from envmon.bench.ledger import run_ledger_bench
from envmon.cli.common import console, handle_errors
from envmon.storage.db import create_engine_for

app = typer.Typer(
    help="Benchmarks (figures for the notes; never timed assertions).",
    no_args_is_help=True,
)


@app.command("ledger")
@handle_errors
def ledger_command(
    entries: int = typer.Option(100_000, min=1, help="entries to append"),
    batch: int = typer.Option(1_000, min=1, help="entries per transaction"),
    database_url: str | None = typer.Option(
        None, help="an EMPTY database to use (default: a temporary SQLite file)"
    ),
) -> None:
    """Append, verify and prove on an empty ledger; print rates and proof latency."""
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        engine = create_engine_for(url)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            result = run_ledger_bench(
                engine, entries=entries, batch=batch, progress=progress
            )
        engine.dispose()
    table = Table(
        title=f"ledger benchmark ({result.backend}, {result.entries:,} entries, "
        f"batches of {result.batch:,})"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("append (overall)", f"{result.append_per_s:,.0f} entries/s")
    table.add_row(
        "append (median batch)", f"{result.append_batch_median_per_s:,.0f} entries/s"
    )
    table.add_row(
        "baseline: plain bulk insert", f"{result.baseline_insert_per_s:,.0f} rows/s"
    )
    table.add_row(
        "append / baseline", f"{result.append_per_s / result.baseline_insert_per_s:.2f}"
    )
    table.add_row("verify", f"{result.verify_per_s:,.0f} entries/s")
    table.add_row("inclusion proof median", f"{result.proof_median_ms:.2f} ms")
    table.add_row("inclusion proof p95", f"{result.proof_p95_ms:.2f} ms")
    table.add_row("verification", "OK" if result.ok else "FAILED")
    console.print(table)
    if not result.ok:
        raise typer.Exit(1)
