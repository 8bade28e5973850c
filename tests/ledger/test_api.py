"""Ledger over HTTP: public tree heads and keys, proofs for auditors only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from envmon.ledger.proofs import check_bundle
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.factories import auth_headers, document

pytestmark = pytest.mark.db


@pytest.fixture()
def client(
    app_client: TestClient, session_factory: sessionmaker[Session], tmp_path: Path
) -> TestClient:
    settings = app_client.app.state.settings  # type: ignore[attr-defined]
    settings.ledger_key_path = tmp_path / "key.pem"
    settings.ledger_witness_path = tmp_path / "tree-heads.jsonl"
    with session_factory() as session:
        apply_document(
            session=session,
            actor="seed",
            source="seed",
            now=NOW,
            document=parse_yaml(yaml.safe_dump(document()), "seed.yaml"),
        )
        for name, role in (
            ("auditor", Role.DISCIPLINE_INSPECTION),
            ("viewer", Role.VIEWER),
        ):
            users.create(
                session=session,
                now=NOW,
                user_in=UserCreate(
                    username=name,
                    display_name=name,
                    password="long password",
                    role=role,
                ),
            )
        session.commit()
    return app_client


def headers(client: TestClient, name: str) -> dict[str, str]:
    return auth_headers(client, name, "long password")


def test_proof_over_http_checks_with_the_published_key(
    client: TestClient, tmp_path: Path
) -> None:
    assert client.get("/api/v1/ledger/tree-head").status_code == 404
    viewer = client.get(
        "/api/v1/ledger/entries/3/proof", headers=headers(client, "viewer")
    )
    assert viewer.status_code == 403
    response = client.get(
        "/api/v1/ledger/entries/3/proof", headers=headers(client, "auditor")
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    # Asking for a proof signed a head that covers the entry; it is now public.
    head = client.get("/api/v1/ledger/tree-head").json()
    assert head["tree_size"] == bundle["tree_size"] >= 4
    keys = client.get("/api/v1/ledger/public-keys").json()
    assert [k["key_id"] for k in keys] == [head["key_id"]]
    verdict = check_bundle(bundle, keys[0]["public_pem"].encode())
    assert verdict.ok, verdict.message
    report = client.get(
        "/api/v1/ledger/verify", headers=headers(client, "auditor")
    ).json()
    assert report["ok"] is True and report["tree_heads"] == 1
    # The head signed for the proof was also published to the witness file.
    witness = (tmp_path / "tree-heads.jsonl").read_text().splitlines()
    assert (
        len(witness) == 1 and json.loads(witness[0])["root_hash"] == head["root_hash"]
    )
    missing = client.get(
        "/api/v1/ledger/entries/99999/proof", headers=headers(client, "auditor")
    )
    assert missing.status_code == 404 and "no ledger entry 99999" in missing.text
