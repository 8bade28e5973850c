"""``envmon registry``: import and export registry files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.registry.documents import SECTIONS, document_to_csv, document_to_yaml
from envmon.registry.flows import import_file
from envmon.registry.service import export_sections
from envmon.storage.db import session_scope

app = typer.Typer(
    help="Registry files: import (all or nothing) and export.", no_args_is_help=True
)


@app.command("import")
@handle_errors
def import_command(
    files: list[Path] = typer.Argument(
        ..., help="YAML documents or CSV lists", exists=True, dir_okay=False
    ),
    kind: str | None = typer.Option(
        None, help=f"section of CSV files: {', '.join(SECTIONS)}"
    ),
    actor: str = typer.Option("cli", help="who makes the change (kept in the history)"),
) -> None:
    """Import registry files; each file is applied whole or not at all."""
    _engine, factory = open_database(get_settings())
    for path in files:
        outcome = import_file(
            session_factory=factory,
            name=path.name,
            content=path.read_bytes(),
            actor=actor,
            source=f"cli:{path.resolve()}",
            now=datetime.now(UTC),
            section=kind,
        )
        table = Table(title=f"{path.name} imported (raw file #{outcome.raw_file_id})")
        for column in ("section", "created", "updated", "unchanged"):
            table.add_column(column, justify="right" if column != "section" else "left")
        for section, counts in outcome.report.as_dict().items():
            table.add_row(
                section,
                *(str(counts.get(k, 0)) for k in ("created", "updated", "unchanged")),
            )
        console.print(table)


@app.command("export")
@handle_errors
def export_command(
    output: Path | None = typer.Option(
        None, "--out", "-o", help="YAML file, or a directory for CSV; default stdout"
    ),
    format_: str = typer.Option("yaml", "--format", "-f", help="yaml or csv"),
) -> None:
    """Export the whole registry as YAML (one document) or CSV (one file per section)."""
    if format_ not in ("yaml", "csv"):
        msg = "format must be yaml or csv"
        raise typer.BadParameter(msg, param_hint="--format")
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        sections = export_sections(session=session)
    if format_ == "yaml":
        text = document_to_yaml(sections)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
        return
    if output is None:
        msg = "CSV export needs --out DIRECTORY"
        raise typer.BadParameter(msg, param_hint="--out")
    output.mkdir(parents=True, exist_ok=True)
    for section, records in sections.items():
        (output / f"{section}.csv").write_text(
            document_to_csv(section, records), encoding="utf-8"
        )
    console.print(f"wrote {len(sections)} CSV files to {output}", markup=False)
