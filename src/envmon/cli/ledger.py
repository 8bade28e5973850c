"""``envmon ledger``: verify, sign, prove, check proofs offline, export the public key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from envmon.bootstrap import open_database
from envmon.cli.common import console, err_console, handle_errors
from envmon.config import get_settings
from envmon.ledger import service
from envmon.ledger.flows import (
    consistency_bundle,
    inclusion_bundle,
    publish_line,
    sign_tree_head,
    tree_head_json,
)
from envmon.ledger.keystore import load_or_create_key
from envmon.ledger.proofs import check_bundle
from envmon.storage.db import session_scope

app = typer.Typer(help="The tamper-evident ledger (全程留痕).", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify_command() -> None:
    """Recompute every entry, chain link, Merkle node and signed head; exit 1 on any problem."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        report = service.verify(session=session)
    if report.ok:
        console.print(
            f"ledger OK: {report.entries} entries, {report.nodes} Merkle nodes, "
            f"{report.tree_heads} signed tree heads; root {report.root}",
            markup=False,
        )
        return
    err_console.print(
        f"ledger BROKEN: first bad entry {report.first_bad_seq}; "
        f"{len(report.problems)} problem(s):",
        markup=False,
    )
    for problem in report.problems:
        err_console.print(f"  - {problem}", markup=False)
    raise typer.Exit(1)


@app.command("sign")
@handle_errors
def sign_command(
    force: bool = typer.Option(False, help="sign even if the tree did not grow"),
) -> None:
    """Sign a tree head over the current ledger and append it to the witness file."""
    settings = get_settings()
    _engine, factory = open_database(settings)
    key = load_or_create_key(settings.resolved_ledger_key_path)
    with session_scope(factory) as session:
        head = sign_tree_head(
            session=session, key=key, now=datetime.now(UTC), force=force
        )
        if head is None:
            console.print(
                "the newest signed tree head already covers the ledger", markup=False
            )
            return
        published = tree_head_json(head)
        publish_line(settings.resolved_ledger_witness_path, head)
    typer.echo(json.dumps(published, ensure_ascii=False))


@app.command("prove")
@handle_errors
def prove_command(
    entry: int = typer.Argument(..., help="sequence number of the entry"),
    output: Path | None = typer.Option(
        None, "--out", "-o", help="write the proof here"
    ),
) -> None:
    """Print an inclusion proof of ENTRY against the latest signed tree head."""
    settings = get_settings()
    _engine, factory = open_database(settings)
    with session_scope(factory) as session:
        bundle = inclusion_bundle(
            session=session,
            seq=entry,
            key=lambda: load_or_create_key(settings.resolved_ledger_key_path),
            witness=settings.resolved_ledger_witness_path,
            now=datetime.now(UTC),
        )
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


@app.command("consistency")
@handle_errors
def consistency_command(
    first: int = typer.Argument(..., help="id of the older signed tree head"),
    second: int = typer.Argument(..., help="id of the newer signed tree head"),
) -> None:
    """Print a consistency proof between two signed tree heads."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        bundle = consistency_bundle(session=session, first=first, second=second)
    typer.echo(json.dumps(bundle, ensure_ascii=False, indent=2))


@app.command("check-proof")
def check_proof_command(
    proof: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="proof JSON file"
    ),
    public_key: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="public key PEM"
    ),
) -> None:
    """Check an inclusion or consistency proof with only the public key (no database)."""
    try:
        bundle = json.loads(proof.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        err_console.print(f"error: cannot read proof {proof}: {err}", markup=False)
        raise typer.Exit(1) from err
    if not isinstance(bundle, dict):
        err_console.print("error: a proof file holds one JSON object", markup=False)
        raise typer.Exit(1)
    verdict = check_bundle(bundle, public_key.read_bytes())
    if verdict.ok:
        console.print(f"valid: {verdict.message}", markup=False)
        return
    err_console.print(f"INVALID: {verdict.message}", markup=False)
    raise typer.Exit(1)


@app.command("public-key")
@handle_errors
def public_key_command(
    output: Path | None = typer.Option(None, "--out", "-o", help="write the PEM here"),
) -> None:
    """Export the public key that signs tree heads (generates the key pair if needed)."""
    key = load_or_create_key(get_settings().resolved_ledger_key_path)
    if output is None:
        typer.echo(key.public_pem.decode(), nl=False)
    else:
        output.write_bytes(key.public_pem)
        console.print(f"public key {key.key_id} written to {output}", markup=False)
