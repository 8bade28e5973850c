"""Interference records and the laboratory sign-off chain: writes, reads, verification."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.accountability.models import (
    SIGN_ORDER,
    InterferenceMethod,
    InterferenceRecord,
    LabBatch,
    LabResult,
    LabSignature,
    SignStep,
    UserKey,
)
from envmon.accountability.signoff import (
    ChainLink,
    check_chain,
    data_digest,
    signing_message,
)
from envmon.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    Problem,
    ValidationError,
)
from envmon.ingest.models import RawFile
from envmon.ledger import service as ledger
from envmon.ledger.chain import canonical_json, format_time
from envmon.ledger.signing import (
    SealedKey,
    SigningError,
    generate_key_pair,
    seal_private_key,
    sign_with_sealed,
)
from envmon.registry.models import Enterprise, Outlet, Parameter, Station
from envmon.timeutil import parse_instant
from envmon.users.models import User
from envmon.users.service import authenticate

__all__ = [
    "BatchStatus",
    "InterferenceIn",
    "batch_status",
    "import_lab_batch",
    "list_interference",
    "record_interference",
    "sign_batch",
]

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
]


class Attachment(BaseModel):
    """A file attached to an interference record, by name and SHA-256."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class InterferenceIn(BaseModel):
    """What a staff member records about an attempt to influence monitoring."""

    model_config = ConfigDict(extra="forbid")
    intervener_name: Text
    intervener_position: Text
    intervener_unit: str | None = None
    method: InterferenceMethod
    request: Text = Field(description="what was asked, as precisely as possible")
    occurred_at: datetime
    witnesses: list[str] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)


def record_interference(
    *, session: Session, record: InterferenceIn, recorded_by: str, now: datetime
) -> InterferenceRecord:
    """Stores an interference record and seals its hash into the ledger at once."""
    if record.occurred_at.tzinfo is None:
        msg = "occurred_at needs a time zone (or use +08:00 for Beijing time)"
        raise ValidationError(msg, [Problem(msg, "occurred_at")])
    content = {
        **record.model_dump(mode="json"),
        "occurred_at": format_time(record.occurred_at),
        "recorded_by": recorded_by,
        "recorded_at": format_time(now),
    }
    digest = hashlib.sha256(canonical_json(content).encode()).hexdigest()
    row = InterferenceRecord(
        recorded_by=recorded_by,
        intervener_name=record.intervener_name,
        intervener_position=record.intervener_position,
        intervener_unit=record.intervener_unit,
        method=record.method,
        request=record.request,
        occurred_at=record.occurred_at,
        witnesses=list(record.witnesses),
        attachments=[a.model_dump() for a in record.attachments],
        recorded_at=now,
        content_sha256=digest,
        ledger_seq=ledger.size(session=session),
    )
    session.add(row)
    session.flush()
    ledger.append(
        session=session,
        kind="interference.recorded",
        subject=f"interference:{row.id}",
        payload={"id": row.id, "content_sha256": digest},
        actor=recorded_by,
        now=now,
    )
    return row


def interference_content(row: InterferenceRecord) -> dict[str, Any]:
    """Returns the record's content as sealed (its hash is in the ledger)."""
    return {
        "intervener_name": row.intervener_name,
        "intervener_position": row.intervener_position,
        "intervener_unit": row.intervener_unit,
        "method": row.method.value,
        "request": row.request,
        "occurred_at": format_time(row.occurred_at),
        "witnesses": list(row.witnesses),
        "attachments": list(row.attachments),
        "recorded_by": row.recorded_by,
        "recorded_at": format_time(row.recorded_at),
    }


def list_interference(
    *, session: Session, reader: str, now: datetime, record_id: int | None = None
) -> list[tuple[InterferenceRecord, bool]]:
    """Returns records (with whether each still matches its sealed hash); logs the read."""
    query = select(InterferenceRecord).order_by(InterferenceRecord.id)
    if record_id is not None:
        query = query.where(InterferenceRecord.id == record_id)
    rows = list(session.scalars(query))
    if record_id is not None and not rows:
        msg = f"no interference record {record_id}"
        raise NotFoundError(msg)
    ledger.append(
        session=session,
        kind="interference.read",
        subject="interference:" + (str(record_id) if record_id is not None else "*"),
        payload={"reader": reader, "ids": [r.id for r in rows]},
        actor=reader,
        now=now,
    )
    return [
        (
            row,
            hashlib.sha256(
                canonical_json(interference_content(row)).encode()
            ).hexdigest()
            == row.content_sha256,
        )
        for row in rows
    ]


# --- laboratory batches ------------------------------------------------------------------

LAB_COLUMNS = (
    "station",
    "outlet",
    "parameter",
    "sampled_at",
    "value",
    "unit",
    "method",
)


class _LabRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    station: str | None = None
    outlet: str | None = None
    parameter: Annotated[str, StringConstraints(min_length=1)]
    sampled_at: str
    value: float
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    method: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _point_of(session: Session, row: _LabRow) -> tuple[int, str] | str:
    if bool(row.station) == bool(row.outlet):
        return "give exactly one of station or outlet"
    if row.station:
        station = session.scalar(select(Station).where(Station.code == row.station))
        return (
            (station.id, row.station)
            if station
            else f"station {row.station} does not exist"
        )
    credit_code, _, code = (row.outlet or "").partition("/")
    outlet = session.scalar(
        select(Outlet)
        .join(Enterprise, Enterprise.id == Outlet.enterprise_id)
        .where(Enterprise.credit_code == credit_code, Outlet.code == code)
    )
    return (
        (outlet.id, row.outlet or "")
        if outlet
        else f"outlet {row.outlet} does not exist"
    )


def _parse_lab_rows(
    session: Session, name: str, content: bytes
) -> tuple[list[dict[str, Any]], list[Problem]]:
    problems: list[Problem] = []
    try:
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        fields = reader.fieldnames or []
    except UnicodeDecodeError as err:
        return [], [Problem(f"not UTF-8 text: {err}", source=name)]
    unknown = [f for f in fields if f not in LAB_COLUMNS]
    if unknown:
        problems.append(
            Problem(f"unknown column(s) {', '.join(unknown)}", source=name, row=1)
        )
        return [], problems
    parameters = set(session.scalars(select(Parameter.code)))
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        try:
            row = _LabRow.model_validate(
                {k: v for k, v in raw.items() if v not in (None, "")}
            )
            sampled_at = parse_instant(row.sampled_at)
        except PydanticValidationError as err:
            for error in err.errors():
                problems.append(
                    Problem(
                        error["msg"], ".".join(map(str, error["loc"])), number, name
                    )
                )
            continue
        except ValueError as err:
            problems.append(Problem(str(err), "sampled_at", number, name))
            continue
        point = _point_of(session, row)
        if isinstance(point, str):
            problems.append(Problem(point, "station/outlet", number, name))
            continue
        if row.parameter not in parameters:
            problems.append(
                Problem(
                    f"unknown parameter code {row.parameter}", "parameter", number, name
                )
            )
            continue
        rows.append(
            {
                "row_no": number,
                "point_id": point[0],
                "point_label": point[1],
                "parameter_code": row.parameter,
                "sampled_at": format_time(sampled_at),
                "value": row.value,
                "unit": row.unit,
                "method": row.method,
            }
        )
    if not rows and not problems:
        problems.append(Problem("the file holds no result rows", source=name))
    return rows, problems


def _digest_rows(results: Sequence[LabResult]) -> str:
    return data_digest(
        [
            {
                "row_no": r.row_no,
                "point": r.point_label,
                "parameter": r.parameter_code,
                "sampled_at": format_time(r.sampled_at),
                "value": r.value,
                "unit": r.unit,
                "method": r.method,
            }
            for r in sorted(results, key=lambda r: r.row_no)
        ]
    )


def import_lab_batch(
    *,
    session: Session,
    raw_file: RawFile,
    content: bytes,
    created_by: str,
    now: datetime,
) -> LabBatch:
    """Creates a batch from a results CSV (all rows valid or none kept)."""
    rows, problems = _parse_lab_rows(session, raw_file.name, content)
    if problems:
        msg = f"laboratory file refused, nothing was kept: {len(problems)} problem(s)"
        raise ValidationError(msg, problems)
    batch = LabBatch(
        name=raw_file.name,
        raw_file_id=raw_file.id,
        data_sha256="",
        row_count=len(rows),
        created_by=created_by,
        created_at=now,
    )
    results = [
        LabResult(**{**row, "sampled_at": parse_instant(row["sampled_at"])})
        for row in rows
    ]
    batch.data_sha256 = _digest_rows(results)
    session.add(batch)
    session.flush()
    for result in results:
        result.batch_id = batch.id
    session.add_all(results)
    session.flush()
    ledger.append(
        session=session,
        kind="lab.batch_imported",
        subject=f"lab_batch:{batch.id}",
        payload={
            "id": batch.id,
            "raw_file_id": raw_file.id,
            "rows": len(rows),
            "data_sha256": batch.data_sha256,
        },
        actor=created_by,
        now=now,
    )
    return batch


def _user_key(session: Session, user: User, password: str, now: datetime) -> UserKey:
    key = session.scalar(
        select(UserKey)
        .where(UserKey.user_id == user.id)
        .order_by(UserKey.id.desc())
        .limit(1)
    )
    if key is not None:
        return key
    # First signature: the user's key is made now and sealed with their password.
    pair = generate_key_pair()
    sealed = seal_private_key(
        pair.private_pem,
        password,
        salt=secrets.token_bytes(16),
        nonce=secrets.token_bytes(12),
    )
    key = UserKey(
        user_id=user.id,
        key_id=pair.key_id,
        public_pem=pair.public_pem.decode(),
        sealed=sealed.to_json(),
        created_at=now,
    )
    session.add(key)
    session.flush()
    ledger.append(
        session=session,
        kind="user.key_created",
        subject=f"user:{user.username}",
        payload={"key_id": pair.key_id, "public_pem": pair.public_pem.decode()},
        actor=user.username,
        now=now,
    )
    return key


def get_batch_or_raise(*, session: Session, batch_id: int) -> LabBatch:
    """Returns the laboratory batch with the given id."""
    batch = session.get(LabBatch, batch_id)
    if batch is None:
        msg = f"no laboratory batch {batch_id}"
        raise NotFoundError(msg)
    return batch


def _signatures(session: Session, batch_id: int) -> list[LabSignature]:
    return list(
        session.scalars(
            select(LabSignature)
            .where(LabSignature.batch_id == batch_id)
            .order_by(LabSignature.id)
        )
    )


def sign_batch(
    *,
    session: Session,
    batch_id: int,
    step: SignStep,
    username: str,
    password: str,
    now: datetime,
) -> LabSignature:
    """Signs the next step of a batch with the user's own key (password re-entered)."""
    user = authenticate(session=session, username=username, password=password)
    batch = get_batch_or_raise(session=session, batch_id=batch_id)
    signatures = _signatures(session, batch_id)
    if len(signatures) == len(SIGN_ORDER):
        msg = f"batch {batch_id} is already released"
        raise ConflictError(msg)
    expected = SIGN_ORDER[len(signatures)]
    if step is not expected:
        msg = f"batch {batch_id} needs the {expected.value} signature next, not {step.value}"
        raise ConflictError(msg)
    if any(s.signer == username for s in signatures):
        msg = f"{username} already signed batch {batch_id}; each step needs another person"
        raise PermissionDenied(msg)
    current = _digest_rows(
        session.scalars(select(LabResult).where(LabResult.batch_id == batch_id)).all()
    )
    if current != batch.data_sha256:
        msg = (
            f"batch {batch_id} results no longer match their hash; it cannot be signed"
        )
        raise ConflictError(msg)
    key = _user_key(session, user, password, now)
    message = signing_message(
        batch=batch_id,
        data_sha256=batch.data_sha256,
        step=step,
        signer=username,
        previous=signatures[-1].signature if signatures else "",
        signed_at=format_time(now),
    )
    try:
        signature = sign_with_sealed(
            SealedKey.from_json(key.sealed), password, message.encode()
        )
    except SigningError as err:
        msg = f"cannot sign with the key of {username}: {err}"
        raise PermissionDenied(msg) from err
    row = LabSignature(
        batch_id=batch_id,
        step=step,
        signer=username,
        key_id=key.key_id,
        message=message,
        signature=signature,
        signed_at=now,
    )
    session.add(row)
    session.flush()
    ledger.append(
        session=session,
        kind="lab.signed",
        subject=f"lab_batch:{batch_id}",
        payload={"step": step.value, "key_id": key.key_id, "signature": signature},
        actor=username,
        now=now,
    )
    return row


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """Where a batch stands: signed steps, whether released, and every problem."""

    batch: LabBatch
    results: list[LabResult]
    signatures: list[LabSignature]
    problems: list[str]

    @property
    def released(self) -> bool:
        """A batch is released when all four steps signed and the chain verifies."""
        return len(self.signatures) == len(SIGN_ORDER) and not self.problems

    @property
    def next_step(self) -> SignStep | None:
        """Returns the step that must sign next, if any."""
        return (
            SIGN_ORDER[len(self.signatures)]
            if len(self.signatures) < len(SIGN_ORDER)
            else None
        )


def batch_status(*, session: Session, batch_id: int) -> BatchStatus:
    """Recomputes the batch's data hash and checks its signature chain."""
    batch = get_batch_or_raise(session=session, batch_id=batch_id)
    results = list(
        session.scalars(
            select(LabResult)
            .where(LabResult.batch_id == batch_id)
            .order_by(LabResult.row_no)
        )
    )
    signatures = _signatures(session, batch_id)
    problems: list[str] = []
    digest = _digest_rows(results)
    if digest != batch.data_sha256:
        problems.append("the results differ from those imported (data hash mismatch)")
    keys = {k.key_id: k.public_pem.encode() for k in session.scalars(select(UserKey))}
    links = [
        ChainLink(s.step, s.signer, s.message, s.signature, keys.get(s.key_id, b""))
        for s in signatures
    ]
    problems.extend(check_chain(batch_id, digest, links))
    return BatchStatus(batch, results, signatures, problems)
