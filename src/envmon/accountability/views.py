"""Interference records and laboratory sign-off over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from envmon.accountability import service
from envmon.accountability.models import InterferenceRecord, SignStep
from envmon.api.deps import CurrentUser, NowDep, SessionDep
from envmon.ingest.service import keep_raw_file
from envmon.users.models import Role
from envmon.users.service import require_role

__all__ = ["router"]

router = APIRouter(tags=["accountability 留痕与签字"])

RECORDERS = frozenset(Role) - {Role.ENTERPRISE, Role.VIEWER}
READERS = frozenset({Role.ADMIN, Role.DISCIPLINE_INSPECTION})
LAB_STAFF = frozenset({Role.ADMIN, Role.MONITORING_CENTRE, Role.AGENCY})


def _record_json(row: InterferenceRecord, intact: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        **service.interference_content(row),
        "content_sha256": row.content_sha256,
        "intact": intact,
    }


@router.post("/interference", status_code=201)
def record_interference(
    session: SessionDep, user: CurrentUser, now: NowDep, record: service.InterferenceIn
) -> dict[str, Any]:
    """Records an attempt to influence monitoring; sealed into the ledger at once."""
    require_role(user, RECORDERS, "record interference")
    row = service.record_interference(
        session=session, record=record, recorded_by=user.username, now=now
    )
    return {"id": row.id, "content_sha256": row.content_sha256, "sealed": True}


@router.get("/interference")
def list_interference(
    session: SessionDep, user: CurrentUser, now: NowDep
) -> list[dict[str, Any]]:
    """Every interference record (discipline inspection and admins; the read is logged)."""
    require_role(user, READERS, "read interference records")
    rows = service.list_interference(session=session, reader=user.username, now=now)
    return [_record_json(row, intact) for row, intact in rows]


@router.get("/interference/{record_id}")
def get_interference(
    session: SessionDep, user: CurrentUser, now: NowDep, record_id: int
) -> dict[str, Any]:
    """One interference record (the read is logged)."""
    require_role(user, READERS, "read interference records")
    rows = service.list_interference(
        session=session, reader=user.username, now=now, record_id=record_id
    )
    return _record_json(*rows[0])


def _status_json(status: service.BatchStatus) -> dict[str, Any]:
    return {
        "id": status.batch.id,
        "name": status.batch.name,
        "rows": status.batch.row_count,
        "data_sha256": status.batch.data_sha256,
        "released": status.released,
        "next_step": status.next_step.value if status.next_step else None,
        "signatures": [
            {
                "step": s.step.value,
                "signer": s.signer,
                "key_id": s.key_id,
                "signed_at": s.signed_at.isoformat(),
                "signature": s.signature,
            }
            for s in status.signatures
        ],
        "problems": status.problems,
        "results": [
            {
                "row": r.row_no,
                "point": r.point_label,
                "parameter": r.parameter_code,
                "sampled_at": r.sampled_at.isoformat(),
                "value": r.value,
                "unit": r.unit,
                "method": r.method,
            }
            for r in status.results
        ],
    }


@router.post("/lab/batches", status_code=201)
def import_lab_batch(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    file: Annotated[
        UploadFile,
        File(
            description="CSV: station|outlet, parameter, sampled_at, value, unit, method"
        ),
    ],
) -> dict[str, Any]:
    """Imports laboratory or manual results as a batch awaiting sign-off."""
    require_role(user, LAB_STAFF, "import laboratory results")
    content = file.file.read()
    raw = keep_raw_file(
        session=session,
        name=file.filename or "lab.csv",
        content=content,
        media_type="text/csv",
        source="api:/lab/batches",
        actor=user.username,
        now=now,
    )
    batch = service.import_lab_batch(
        session=session,
        raw_file=raw,
        content=content,
        created_by=user.username,
        now=now,
    )
    return _status_json(service.batch_status(session=session, batch_id=batch.id))


class SignRequest(BaseModel):
    """A sign-off step, with the signer's password to unseal their private key."""

    step: SignStep
    password: str


@router.post("/lab/batches/{batch_id}/signatures", status_code=201)
def sign_batch(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    batch_id: int,
    body: SignRequest,
) -> dict[str, Any]:
    """Signs the next step of a batch with your own key."""
    require_role(user, LAB_STAFF, "sign laboratory results")
    service.sign_batch(
        session=session,
        batch_id=batch_id,
        step=body.step,
        username=user.username,
        password=body.password,
        now=now,
    )
    return _status_json(service.batch_status(session=session, batch_id=batch_id))


@router.get("/lab/batches/{batch_id}")
def get_batch(session: SessionDep, user: CurrentUser, batch_id: int) -> dict[str, Any]:
    """A batch with its results, signatures, release state and verification."""
    require_role(user, LAB_STAFF | READERS, "read laboratory batches")
    return _status_json(service.batch_status(session=session, batch_id=batch_id))
