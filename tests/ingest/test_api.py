"""Refused frames are visible through the API with their reason and their exact bytes."""

from __future__ import annotations

import base64

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from envmon.hj212.codec import FrameDecoder
from envmon.ingest.writer import Received, load_points, parameter_codes, write_batch
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.factories import auth_headers, document
from tests.ingest.frames import upload

pytestmark = pytest.mark.db


def test_quarantined_frames_are_visible_with_reason_and_bytes(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    wrong_pw = upload(pw="000000", qn="42")
    with session_factory() as session:
        apply_document(
            session=session,
            actor="seed",
            source="seed",
            now=NOW,
            document=parse_yaml(yaml.safe_dump(document()), "seed.yaml"),
        )
        for name, role in (("centre", Role.MONITORING_CENTRE), ("firm", Role.VIEWER)):
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
        items = FrameDecoder().feed(b"\x00\x01junk" + wrong_pw)
        write_batch(
            session=session,
            received=[Received(i, "10.0.0.9:4000", NOW) for i in items],
            points=load_points(session=session),
            parameters=parameter_codes(session=session),
            now=NOW,
        )
        session.commit()

    def headers(name: str) -> dict[str, str]:
        return auth_headers(app_client, name, "long password")

    entries = app_client.get("/api/v1/quarantine", headers=headers("centre")).json()
    by_reason = {e["reason"]: e for e in entries}
    assert set(by_reason) == {"garbage", "wrong_password"}
    frame_id = by_reason["wrong_password"]["raw_frame_id"]
    frame = app_client.get(
        f"/api/v1/raw-frames/{frame_id}", headers=headers("centre")
    ).json()
    assert base64.b64decode(frame["raw_base64"]) == wrong_pw.rstrip(b"\r\n")
    assert frame["status"] == "quarantined" and frame["peer"] == "10.0.0.9:4000"
    assert (
        app_client.get(
            f"/api/v1/raw-frames/{frame_id}", headers=headers("firm")
        ).status_code
        == 403
    )
