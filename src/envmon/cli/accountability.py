"""``envmon interference`` and ``envmon lab``: interference records and lab sign-off."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from envmon.accountability import service
from envmon.accountability.models import InterferenceMethod, SignStep
from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.errors import NotFoundError, PermissionDenied
from envmon.ingest.service import keep_raw_file
from envmon.storage.db import session_scope
from envmon.timeutil import parse_instant
from envmon.users.models import Role
from envmon.users.service import get_by_username

interference_app = typer.Typer(
    help="Interference records (干预留痕): record; read (logged).", no_args_is_help=True
)
lab_app = typer.Typer(
    help="Laboratory results and their sign-off chain (谁签字谁负责).",
    no_args_is_help=True,
)

READERS = {Role.ADMIN, Role.DISCIPLINE_INSPECTION}


def _user_with(session: Session, username: str, roles: set[Role] | None = None) -> None:
    user = get_by_username(session=session, username=username)
    if user is None:
        msg = f"no user {username!r}"
        raise NotFoundError(msg)
    if roles is not None and user.role not in roles:
        msg = f"{username} ({user.role.value}) may not do this"
        raise PermissionDenied(msg)


@interference_app.command("record")
@handle_errors
def record_command(
    by: str = typer.Option(..., help="username of the staff member recording"),
    intervener: str = typer.Option(..., help="who intervened (name)"),
    position: str = typer.Option(..., help="their position"),
    unit: str | None = typer.Option(None, help="their unit"),
    method: InterferenceMethod = typer.Option(..., help="how"),
    request: str = typer.Option(..., help="what was asked"),
    occurred_at: str = typer.Option(
        ..., help="when (ISO 8601; no zone = Beijing time)"
    ),
    witness: list[str] = typer.Option([], help="a witness (repeatable)"),
    attachment: list[Path] = typer.Option(
        [],
        exists=True,
        dir_okay=False,
        help="a file whose SHA-256 is sealed (repeatable)",
    ),
) -> None:
    """Record an attempt to influence monitoring; it is sealed into the ledger at once."""
    _engine, factory = open_database(get_settings())
    record = service.InterferenceIn(
        intervener_name=intervener,
        intervener_position=position,
        intervener_unit=unit,
        method=method,
        request=request,
        occurred_at=parse_instant(occurred_at),
        witnesses=witness,
        attachments=[
            {"name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for path in attachment
        ],
    )
    with session_scope(factory) as session:
        _user_with(session, by)
        row = service.record_interference(
            session=session, record=record, recorded_by=by, now=datetime.now(UTC)
        )
        console.print(f"interference record {row.id} sealed ({row.content_sha256})")


@interference_app.command("list")
@handle_errors
def list_command(
    reader: str = typer.Option(
        ..., help="username of the reader (admin or discipline)"
    ),
) -> None:
    """Print every interference record as JSON lines; the read is itself recorded."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        _user_with(session, reader, READERS)
        rows = service.list_interference(
            session=session, reader=reader, now=datetime.now(UTC)
        )
        for row, intact in rows:
            content = service.interference_content(row)
            typer.echo(
                json.dumps(
                    {"id": row.id, **content, "intact": intact}, ensure_ascii=False
                )
            )


@lab_app.command("import")
@handle_errors
def lab_import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="results CSV"),
    by: str = typer.Option(..., help="username importing the batch"),
) -> None:
    """Import a results CSV (station|outlet, parameter, sampled_at, value, unit, method)."""
    _engine, factory = open_database(get_settings())
    content = file.read_bytes()
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        _user_with(session, by)
        raw = keep_raw_file(
            session=session,
            name=file.name,
            content=content,
            media_type="text/csv",
            source=f"cli:{file.resolve()}",
            actor=by,
            now=now,
        )
        batch = service.import_lab_batch(
            session=session, raw_file=raw, content=content, created_by=by, now=now
        )
        console.print(
            f"batch {batch.id}: {batch.row_count} results, data {batch.data_sha256}"
        )


@lab_app.command("sign")
@handle_errors
def lab_sign_command(
    batch: int = typer.Argument(..., help="batch id"),
    step: SignStep = typer.Option(..., help="the step you sign"),
    user: str = typer.Option(..., help="your username"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        envvar="ENVMON_SIGNER_PASSWORD",
        help="your password (unseals your signing key)",
    ),
) -> None:
    """Sign the next step of a batch with your own key."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        row = service.sign_batch(
            session=session,
            batch_id=batch,
            step=step,
            username=user,
            password=password,
            now=datetime.now(UTC),
        )
        console.print(
            f"batch {batch}: {row.step.value} signed by {row.signer} ({row.key_id})"
        )


@lab_app.command("status")
@handle_errors
def lab_status_command(batch: int = typer.Argument(..., help="batch id")) -> None:
    """Show a batch's signatures and verify its chain; exit 1 if it does not verify."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        status = service.batch_status(session=session, batch_id=batch)
        for signature in status.signatures:
            console.print(
                f"  {signature.step.value:<10} {signature.signer} {signature.signed_at}"
            )
        state = "released" if status.released else f"waiting for {status.next_step}"
        console.print(f"batch {batch}: {state}")
        for problem in status.problems:
            console.print(f"  PROBLEM: {problem}")
    if status.problems:
        raise typer.Exit(1)
