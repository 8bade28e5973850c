"""The ``envmon`` command: one Typer app with a sub-command per domain."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from envmon import __version__
from envmon.cli import accountability as accountability_cli
from envmon.cli import bench as bench_cli
from envmon.cli import db as db_cli
from envmon.cli import demo as demo_cli
from envmon.cli import gateway as gateway_cli
from envmon.cli import hj212 as hj212_cli
from envmon.cli import indices as indices_cli
from envmon.cli import ledger as ledger_cli
from envmon.cli import measurements as measurements_cli
from envmon.cli import quality as quality_cli
from envmon.cli import registry as registry_cli
from envmon.cli import serve as serve_cli
from envmon.cli import simulate as simulate_cli
from envmon.cli import users as users_cli

__all__ = ["app"]

app = typer.Typer(
    name="envmon",
    help="envmon 生态环境监测监管平台 — ecological-environment monitoring platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(hj212_cli.app, name="hj212")
app.add_typer(bench_cli.app, name="bench")
app.add_typer(accountability_cli.interference_app, name="interference")
app.add_typer(accountability_cli.lab_app, name="lab")
app.add_typer(users_cli.app, name="user")
app.add_typer(indices_cli.evaluate_app, name="evaluate")
app.add_typer(measurements_cli.app, name="measurements")
app.add_typer(quality_cli.app, name="qc")
app.command("serve")(serve_cli.serve)
app.command("demo")(demo_cli.demo)
app.command("gateway")(gateway_cli.gateway)
app.command("simulate")(simulate_cli.simulate)
app.command("aqi")(indices_cli.aqi)
app.command("water-class")(indices_cli.water_class)
app.command("noise")(indices_cli.noise)


@app.command("version")
def version() -> None:
    """Print the envmon version."""
    Console().print(f"envmon {__version__}")


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """envmon command line."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
