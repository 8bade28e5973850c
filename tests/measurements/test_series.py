from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envmon.measurements.models import DataKind
from envmon.measurements.service import add_many
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import Station
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.factories import document

pytestmark = pytest.mark.db


def test_series_labels_hours_by_their_end_in_beijing_time(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        apply_document(
            session=session,
            actor="t",
            source="t",
            now=NOW,
            document=parse_yaml(yaml.safe_dump(document()), "t.yaml"),
        )
        station = session.scalars(select(Station).where(Station.code == "T001A")).one()
        add_many(
            session=session,
            rows=[
                {
                    "point_id": station.id,
                    "parameter_code": "a34004",
                    "kind": DataKind.HOUR,
                    "measured_at": datetime(2016, 2, 29, 16 + h, tzinfo=UTC),
                    "value": 10.0 + h,
                    "device_flag": "N",
                    "raw_file_id": None,
                }
                for h in range(3)
            ],
        )
        users.create(
            session=session,
            now=NOW,
            user_in=UserCreate(
                username="viewer",
                display_name="v",
                password="12345678",
                role=Role.VIEWER,
            ),
        )
        session.commit()
    token = app_client.post(
        "/api/v1/auth/token", data={"username": "viewer", "password": "12345678"}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    # 2016-03-01T01:00 Beijing = 2016-02-29T17:00 UTC: the second and third hours.
    response = app_client.get(
        "/api/v1/stations/T001A/series?parameter=a34004&start=2016-03-01T01:00",
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["unit"], body["parameter_name"], body["kind"]) == (
        "ug/m3",
        "细颗粒物",
        "hour",
    )
    assert [(v["start"], v["label"], v["value"]) for v in body["values"]] == [
        ("2016-02-29T17:00:00+00:00", "2016-03-01T02:00:00+08:00", 11.0),
        ("2016-02-29T18:00:00+00:00", "2016-03-01T03:00:00+08:00", 12.0),
    ]
    bad = app_client.get(
        "/api/v1/stations/T001A/series?parameter=a34004&start=yesterday",
        headers=headers,
    )
    assert bad.status_code == 422 and "start: not an ISO 8601 time" in bad.text
    unknown = app_client.get(
        "/api/v1/stations/T001A/series?parameter=zz", headers=headers
    )
    assert unknown.status_code == 404
