"""Interference records and the laboratory sign-off chain, through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, sessionmaker

from envmon.accountability import service
from envmon.ledger.models import LedgerEntry
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.factories import ENTERPRISE_A, document
from tests.ledger.tamper import unguarded

pytestmark = pytest.mark.db

PASSWORD = "correct horse battery"
STAFF = {
    "admin": Role.ADMIN,
    "inspector": Role.DISCIPLINE_INSPECTION,
    "officer": Role.ENFORCEMENT,
    "sampler": Role.MONITORING_CENTRE,
    "analyst": Role.MONITORING_CENTRE,
    "reviewer": Role.MONITORING_CENTRE,
    "signatory": Role.MONITORING_CENTRE,
}
Login = Callable[[str], dict[str, str]]


@pytest.fixture()
def login(app_client: TestClient, session_factory: sessionmaker[Session]) -> Login:
    with session_factory() as session:
        apply_document(
            session=session,
            actor="seed",
            source="seed",
            now=NOW,
            document=parse_yaml(yaml.safe_dump(document()), "seed.yaml"),
        )
        for username, role in STAFF.items():
            users.create(
                session=session,
                now=NOW,
                user_in=UserCreate(
                    username=username,
                    display_name=username,
                    password=PASSWORD,
                    role=role,
                ),
            )
        session.commit()

    def headers(username: str) -> dict[str, str]:
        token = app_client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        ).json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    return headers


RECORD = {
    "intervener_name": "王某",
    "intervener_position": "某县副县长",
    "intervener_unit": "某县人民政府",
    "method": "oral",
    "request": "要求将10月3日的超标小时数据标记为仪器故障",
    "occurred_at": "2026-10-04T09:30:00+08:00",
    "witnesses": ["李某"],
    "attachments": [{"name": "note.jpg", "sha256": "ab" * 32}],
}


def test_interference_is_sealed_and_read_only_by_inspectors(
    app_client: TestClient, login: Login, session: Session
) -> None:
    response = app_client.post(
        "/api/v1/interference", json=RECORD, headers=login("officer")
    )
    assert response.status_code == 201, response.text
    record_id = response.json()["id"]
    sealed = session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "interference.recorded")
    ).one()
    # The ledger holds the hash, never the content.
    assert (
        "王某" not in sealed.payload
        and response.json()["content_sha256"] in sealed.payload
    )
    for reader in ("officer", "sampler"):
        denied = app_client.get("/api/v1/interference", headers=login(reader))
        assert denied.status_code == 403
        assert "may not read interference records" in denied.json()["error"]["message"]
    records = app_client.get("/api/v1/interference", headers=login("inspector")).json()
    assert [(r["id"], r["intervener_name"], r["intact"]) for r in records] == [
        (record_id, "王某", True)
    ]
    one = app_client.get(
        f"/api/v1/interference/{record_id}", headers=login("admin")
    ).json()
    assert one["request"] == RECORD["request"] and one["recorded_by"] == "officer"
    reads = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.kind == "interference.read")
        .order_by(LedgerEntry.seq)
    ).all()
    assert [r.actor for r in reads] == ["inspector", "admin"]
    # No route edits or deletes a record.
    paths = app_client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if path.startswith("/api/v1/interference"):
            assert set(operations) <= {"get", "post"}
    assert (
        app_client.delete(
            f"/api/v1/interference/{record_id}", headers=login("admin")
        ).status_code
        == 405
    )


def test_interference_changed_in_the_database_shows_as_not_intact(
    app_client: TestClient, login: Login, connection: Connection
) -> None:
    app_client.post("/api/v1/interference", json=RECORD, headers=login("officer"))
    with unguarded(connection, "interference_records"):
        connection.execute(text("UPDATE interference_records SET request = 'nothing'"))
    records = app_client.get("/api/v1/interference", headers=login("inspector")).json()
    assert records[0]["intact"] is False


def test_interference_needs_what_and_when(app_client: TestClient, login: Login) -> None:
    bad = {**RECORD, "method": "phone call", "request": ""}
    response = app_client.post(
        "/api/v1/interference", json=bad, headers=login("officer")
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert fields == {"body.method", "body.request"}


LAB_CSV = (
    "station,outlet,parameter,sampled_at,value,unit,method\n"
    "T001A,,a34004,2026-10-03T10:00,35.2,ug/m3,HJ 618-2011\n"
    f",{ENTERPRISE_A}/DA001,a21026,2026-10-03T11:00,12.5,mg/m3,HJ 57-2017\n"
)


def upload(app_client: TestClient, headers: dict[str, str], content: str) -> object:
    return app_client.post(
        "/api/v1/lab/batches",
        headers=headers,
        files={"file": ("lab.csv", content.encode(), "text/csv")},
    )


def sign(
    app_client: TestClient, login: Login, batch: int, step: str, user: str
) -> object:
    return app_client.post(
        f"/api/v1/lab/batches/{batch}/signatures",
        headers=login(user),
        json={"step": step, "password": PASSWORD},
    )


def test_sign_off_chain_in_order_by_four_people(
    app_client: TestClient, login: Login
) -> None:
    response = upload(app_client, login("sampler"), LAB_CSV)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["rows"], batch["released"], batch["next_step"]) == (
        2,
        False,
        "sampler",
    )
    out_of_order = sign(app_client, login, batch["id"], "reviewer", "reviewer")
    assert out_of_order.status_code == 409
    assert "needs the sampler signature next" in out_of_order.json()["error"]["message"]
    assert sign(app_client, login, batch["id"], "sampler", "sampler").status_code == 201
    twice = sign(app_client, login, batch["id"], "analyst", "sampler")
    assert twice.status_code == 403 and "another person" in twice.text
    assert sign(app_client, login, batch["id"], "analyst", "analyst").status_code == 201
    assert (
        sign(app_client, login, batch["id"], "reviewer", "reviewer").status_code == 201
    )
    state = app_client.get(
        f"/api/v1/lab/batches/{batch['id']}", headers=login("admin")
    ).json()
    assert state["released"] is False and state["next_step"] == "signatory"
    final = sign(app_client, login, batch["id"], "signatory", "signatory").json()
    assert final["released"] is True and final["problems"] == []
    assert [s["signer"] for s in final["signatures"]] == [
        "sampler",
        "analyst",
        "reviewer",
        "signatory",
    ]


def test_changing_signed_data_breaks_verification(
    app_client: TestClient, login: Login, connection: Connection, session: Session
) -> None:
    batch = upload(app_client, login("sampler"), LAB_CSV).json()["id"]
    for user in ("sampler", "analyst", "reviewer", "signatory"):
        assert sign(app_client, login, batch, user, user).status_code == 201
    with unguarded(connection, "lab_results"):
        connection.execute(text("UPDATE lab_results SET value = 3.52 WHERE row_no = 2"))
    status = service.batch_status(session=session, batch_id=batch)
    assert status.released is False
    assert (
        "the results differ from those imported (data hash mismatch)" in status.problems
    )
    assert any("sampler (sampler) signed different data" in p for p in status.problems)


def test_wrong_password_cannot_sign(app_client: TestClient, login: Login) -> None:
    batch = upload(app_client, login("sampler"), LAB_CSV).json()["id"]
    response = app_client.post(
        f"/api/v1/lab/batches/{batch}/signatures",
        headers=login("sampler"),
        json={"step": "sampler", "password": "guess"},
    )
    assert response.status_code == 401


def test_a_bad_lab_file_is_refused_whole(app_client: TestClient, login: Login) -> None:
    bad = (
        LAB_CSV
        + "T404A,,a34004,2026-10-03T12:00,1,ug/m3,x\nT001A,,zz,yesterday,n,u,m\n"
    )
    response = upload(app_client, login("sampler"), bad)
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert {(p["row"], p["field"]) for p in problems} == {
        (4, "station/outlet"),
        (5, "value"),
    }
    assert any(p["message"] == "station T404A does not exist" for p in problems)
