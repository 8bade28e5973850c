"""QC over HTTP: layers of a point's values, reviews with roles, device windows,
validity statistics, a value's history and runs."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from envmon.quality.live import LiveQC
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.evaluation.conftest import PM25, Registry, add_hours, bj
from tests.factories import ENTERPRISE_A, auth_headers

pytestmark = pytest.mark.db

PASSWORD = "correct horse battery"
MN = "11000000EV01A00000000001"
BASE = f"/api/v1/quality/points/{MN}"
VALUES = [30.0 + (h % 7) * 3 for h in range(24)]
VALUES[10] = 400.0


@pytest.fixture()
def checked(session: Session, registry: Registry) -> Registry:
    add_hours(session, registry.station_a, PM25, date(2016, 3, 1), VALUES)
    LiveQC().process(session=session, now=NOW, since=bj(2016, 3, 1))
    for username, role, enterprise in (
        ("centre", Role.MONITORING_CENTRE, None),
        ("firm_a", Role.ENTERPRISE, ENTERPRISE_A),
    ):
        users.create(
            session=session,
            now=NOW,
            user_in=UserCreate(
                username=username,
                display_name=username,
                password=PASSWORD,
                role=role,
                enterprise=enterprise,
            ),
        )
    session.commit()
    return registry


def test_review_through_the_api(app_client: TestClient, checked: Registry) -> None:
    centre = auth_headers(app_client, "centre", PASSWORD)
    vocabulary = app_client.get("/api/v1/quality/vocabulary", headers=centre).json()
    assert {"code": 3, "zh": "可疑", "en": "suspect"} in vocabulary["flags"]
    assert "real_event" in [r["code"] for r in vocabulary["reasons"]]
    params = {"parameter": PM25, "start": "2016-03-01T10:00", "end": "2016-03-01T12:00"}
    before = app_client.get(f"{BASE}/values", params=params, headers=centre).json()
    assert [(v["qc_flag"], v["checks"], v["valid"]) for v in before["values"]] == [
        (3, ["spike"], False),
        (3, ["spike"], False),  # 11:00 compares itself with the spike before it
    ]
    body = {
        "parameter": PM25,
        "start": "2016-03-01T10:00",
        "end": "2016-03-01T11:00",
        "action": "overrule",
        "flag": 1,
        "reason_code": "real_event",
        "comment": "元宵节烟花",
    }
    firm = auth_headers(app_client, "firm_a", PASSWORD)
    assert (
        app_client.post(f"{BASE}/reviews", json=body, headers=firm).status_code == 403
    )
    created = app_client.post(f"{BASE}/reviews", json=body, headers=centre)
    assert created.status_code == 201, created.text
    review = created.json()["review"]
    assert (review["reviewer"], review["reason_zh"], review["values"]) == (
        "centre",
        "确认真实污染过程",
        1,
    )
    after = app_client.get(f"{BASE}/values", params=params, headers=centre).json()
    first = after["values"][0]
    assert (first["auto_flag"], first["review_flag"], first["qc_flag"]) == (3, 1, 1)
    assert first["valid"] is True and first["review_id"] == review["id"]
    history = app_client.get(
        f"{BASE}/values/2016-03-01T10:00/history",
        params={"parameter": PM25},
        headers=centre,
    ).json()
    assert history["current"]["automatic"] == 3
    assert history["current"]["run"]["rules_version"] == "envmon-defaults-2025.1"
    assert [r["id"] for r in history["reviews"]] == [review["id"]]
    run = app_client.get(
        f"/api/v1/quality/runs/{history['current']['run']['id']}",
        params={"rules": True},
        headers=centre,
    ).json()
    assert run["mode"] == "live" and run["rules"]["version"] == "envmon-defaults-2025.1"
    listed = app_client.get(f"{BASE}/reviews", headers=centre).json()
    assert [r["id"] for r in listed] == [review["id"]]
    bad = app_client.post(
        f"{BASE}/reviews", json={**body, "reason_code": "because"}, headers=centre
    )
    assert bad.status_code == 422 and "unknown reason code 'because'" in bad.text


def test_windows_validity_and_requalify(
    app_client: TestClient, checked: Registry
) -> None:
    centre = auth_headers(app_client, "centre", PASSWORD)
    window = app_client.post(
        f"{BASE}/device-windows",
        json={
            "start": "2016-03-01T02:00",
            "end": "2016-03-01T04:00",
            "state": "maintenance",
            "parameters": [PM25],
            "note": "更换切割器",
        },
        headers=centre,
    )
    assert window.status_code == 201, window.text
    assert window.json()["requalified"]["failed"] == 2
    assert len(app_client.get(f"{BASE}/device-windows", headers=centre).json()) == 1
    days = app_client.get(
        f"{BASE}/validity",
        params={"from": "2016-03-01", "to": "2016-03-02"},
        headers=centre,
    ).json()["days"]
    assert [
        (d["day"], d["received"], d["failed"], d["capture_rate"]) for d in days
    ] == [
        ("2016-03-01", 24, 2, 1.0),
        ("2016-03-02", 0, 0, 0.0),
    ]
    again = app_client.post(
        f"{BASE}/requalify",
        json={"start": "2016-03-01T00:00", "reason": "规则更新"},
        headers=centre,
    )
    assert again.status_code == 200 and again.json()["changed"] == 0
    unknown = app_client.get(
        "/api/v1/quality/points/NOPE/validity",
        params={"from": "2016-03-01", "to": "2016-03-01"},
        headers=centre,
    )
    assert unknown.status_code == 404
