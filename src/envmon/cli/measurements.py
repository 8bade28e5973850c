"""``envmon measurements``: import measurement files (kept as evidence, bad rows quarantined)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select

from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.demo.build import DATA as DEMO_DATA
from envmon.errors import ValidationError
from envmon.ingest.imports import import_prsa
from envmon.registry.models import Station

app = typer.Typer(help="Measurement files: import.", no_args_is_help=True)


def _station_map(path: Path | None) -> dict[str, str]:
    """Station names of the files → station codes (CSV columns ``station, station_code``);
    by default the 12 Beijing stations of the demo."""
    text = (
        path.read_text("utf-8")
        if path is not None
        else DEMO_DATA.joinpath("data/stations.csv").read_text("utf-8")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    name = "station" if rows and "station" in rows[0] else "name_en"
    return {row[name]: row["station_code"] for row in rows}


@app.command("import-prsa")
@handle_errors
def import_prsa_command(
    files: list[Path] = typer.Argument(
        ...,
        help="PRSA_Data_*.csv files (UCI Beijing Multi-Site Air-Quality Data)",
        exists=True,
        dir_okay=False,
    ),
    station_map: Path | None = typer.Option(
        None,
        help="CSV 'station,station_code' (default: the demo's Beijing stations)",
        exists=True,
        dir_okay=False,
    ),
    actor: str = typer.Option("cli", help="who imports (kept with the raw file)"),
) -> None:
    """Import hourly air data; afterwards run `envmon evaluate pending`."""
    _engine, factory = open_database(get_settings())
    names = _station_map(station_map)
    with factory() as session:
        codes: dict[str, int] = dict(
            session.execute(select(Station.code, Station.id)).all()
        )
    unknown = sorted({code for code in names.values() if code not in codes})
    if unknown and len(unknown) == len(set(names.values())):
        msg = f"none of the mapped stations is registered: {', '.join(unknown)}"
        raise ValidationError(msg)
    stations = {name: codes[code] for name, code in names.items() if code in codes}
    for path in files:
        report = import_prsa(
            session_factory=factory,
            name=path.name,
            content=path.read_bytes(),
            stations=stations,
            actor=actor,
            now=datetime.now(UTC),
        )
        console.print(json.dumps(report.as_json(), ensure_ascii=False), markup=False)
