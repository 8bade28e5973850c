"""Registry file import as a multi-step flow: keep the file, apply it, or quarantine it.

The received file is committed as evidence first, in its own transaction, so that a refused
import still leaves the file and the reasons on record (quarantine) while nothing of its
content reaches the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from sqlalchemy.orm import Session, sessionmaker

from envmon.errors import ImportRejected, Problem
from envmon.ingest import service as ingest
from envmon.registry.apply import ApplyReport, apply_document
from envmon.registry.documents import Document, parse_csv, parse_yaml
from envmon.storage.db import session_scope

__all__ = ["ImportOutcome", "import_file", "parse_file"]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an accepted import did and the id of the raw file kept as evidence."""

    raw_file_id: int
    report: ApplyReport


def parse_file(name: str, content: bytes, section: str | None = None) -> Document:
    """Parses a registry file's bytes: YAML by extension, otherwise CSV of ``section``."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        document = Document()
        document.problems.append(Problem(message=f"not UTF-8 text: {err}", source=name))
        return document
    suffix = PurePath(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, name)
    if suffix == ".csv" or section:
        return parse_csv(text, section or PurePath(name).stem.lower(), name)
    document = Document()
    document.problems.append(
        Problem(message="unknown file type: use .yaml, .yml or .csv", source=name)
    )
    return document


def import_file(
    *,
    session_factory: sessionmaker[Session],
    name: str,
    content: bytes,
    actor: str,
    source: str,
    now: datetime,
    section: str | None = None,
) -> ImportOutcome:
    """Keeps the file, then applies it all or nothing.

    Raises
    ------
    ImportRejected
        With every problem; the file and the problems are then in quarantine.
    """
    with session_scope(session_factory) as session:
        raw = ingest.keep_raw_file(
            session=session,
            name=name,
            content=content,
            media_type="application/yaml"
            if name.endswith((".yaml", ".yml"))
            else "text/csv",
            source=source,
            actor=actor,
            now=now,
        )
        raw_id = raw.id
    document = parse_file(name, content, section)
    try:
        with session_scope(session_factory) as session:
            report = apply_document(
                session=session,
                document=document,
                actor=actor,
                source=f"{source} raw_file:{raw_id} {PurePath(name).name}",
                now=now,
            )
    except ImportRejected as rejected:
        with session_scope(session_factory) as session:
            ingest.quarantine(
                session=session,
                reason="registry_import_rejected",
                message=str(rejected.args[0]),
                problems=rejected.problems,
                source=source,
                now=now,
                raw_file=session.get(ingest.RawFile, raw_id),
            )
        raise
    return ImportOutcome(raw_file_id=raw_id, report=report)
