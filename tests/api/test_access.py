"""Authentication on every route, and what each role and region may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.factories import AGENCY, ENTERPRISE_A, ENTERPRISE_B, document

pytestmark = pytest.mark.db

PUBLIC = {
    ("GET", "/health"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/parameters"),
    ("GET", "/api/v1/ledger/tree-head"),
    ("GET", "/api/v1/ledger/tree-heads"),
    ("GET", "/api/v1/ledger/public-keys"),
    ("GET", "/api/v1/public/air/latest"),
    ("GET", "/api/v1/public/regions/{code}/aqi"),
}
PASSWORD = "correct horse battery"


@pytest.fixture()
def seeded(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        text = yaml.safe_dump(document(), allow_unicode=True)
        apply_document(
            session=session,
            document=parse_yaml(text, "seed.yaml"),
            actor="seed",
            source="seed",
            now=NOW,
        )
        for username, role, region, enterprise, agency in (
            ("admin", Role.ADMIN, None, None, None),
            ("centre", Role.MONITORING_CENTRE, "110000", None, None),
            ("chaoyang", Role.TOWNSHIP, "110105", None, None),
            ("haidian", Role.ENFORCEMENT, "110108", None, None),
            ("firm_a", Role.ENTERPRISE, None, ENTERPRISE_A, None),
            ("agency", Role.AGENCY, None, None, AGENCY),
        ):
            users.create(
                session=session,
                now=NOW,
                user_in=UserCreate(
                    username=username,
                    display_name=username,
                    password=PASSWORD,
                    role=role,
                    region=region,
                    enterprise=enterprise,
                    agency=agency,
                ),
            )
        session.commit()


Login = Callable[[str], dict[str, str]]


@pytest.fixture()
def login(app_client: TestClient, seeded: None) -> Login:
    def headers(username: str) -> dict[str, str]:
        response = app_client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers


def test_every_route_but_the_public_ones_needs_a_token(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method in operations:
            url = path.replace("{key}", "x").replace("{entity}", "station")
            url = url.replace("{seq}", "0").replace("{batch_id}", "1")
            url = url.replace("{record_id}", "1")
            url = url.replace("{", "").replace("}", "")
            response = app_client.request(method.upper(), url)
            if (method.upper(), path) in PUBLIC:
                assert response.status_code != 401, path
                continue
            checked += 1
            assert response.status_code == 401, (
                f"{method} {path}: {response.status_code}"
            )
            body = response.json()["error"]
            assert body["type"] == "AuthenticationError"
            assert "Bearer" in body["message"]
    assert checked >= 25


def test_wrong_password_and_bad_token_are_401(
    app_client: TestClient, seeded: None
) -> None:
    response = app_client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "wrong username or password"
    response = app_client.get(
        "/api/v1/stations", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert "log in again" in response.json()["error"]["message"]


def test_logout_revokes_the_token(app_client: TestClient, login: Login) -> None:
    headers = login("admin")
    assert app_client.get("/api/v1/auth/me", headers=headers).json()["role"] == "admin"
    assert app_client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert app_client.get("/api/v1/auth/me", headers=headers).status_code == 401


def codes(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


def test_enterprise_user_sees_only_its_own_records(
    app_client: TestClient, login: Login
) -> None:
    headers = login("firm_a")
    assert codes(
        app_client.get("/api/v1/enterprises", headers=headers), "credit_code"
    ) == [ENTERPRISE_A]
    own = app_client.get(f"/api/v1/enterprises/{ENTERPRISE_A}", headers=headers)
    assert own.status_code == 200
    other = app_client.get(f"/api/v1/enterprises/{ENTERPRISE_B}", headers=headers)
    assert other.status_code == 404
    assert (
        other.json()["error"]["message"]
        == f"no enterprise with credit code {ENTERPRISE_B!r}"
    )
    assert (
        app_client.get(
            f"/api/v1/enterprises/{ENTERPRISE_B}/outlets/DA001", headers=headers
        ).status_code
        == 404
    )
    assert codes(app_client.get("/api/v1/outlets", headers=headers), "enterprise") == [
        ENTERPRISE_A
    ]
    assert codes(app_client.get("/api/v1/devices", headers=headers), "serial") == [
        "DEV-A-1"
    ]
    assert app_client.get("/api/v1/devices/DEV-B-1", headers=headers).status_code == 404
    assert (
        app_client.get(
            f"/api/v1/history/enterprise/{ENTERPRISE_B}", headers=headers
        ).status_code
        == 404
    )
    # Enterprises cannot change the registry, not even their own record.
    body = app_client.get(f"/api/v1/enterprises/{ENTERPRISE_A}", headers=headers).json()
    body.pop("outlets")
    response = app_client.put(
        f"/api/v1/enterprises/{ENTERPRISE_A}", json=body, headers=headers
    )
    assert response.status_code == 403


def test_county_user_sees_only_its_county(app_client: TestClient, login: Login) -> None:
    chaoyang = login("chaoyang")
    assert codes(app_client.get("/api/v1/stations", headers=chaoyang), "code") == [
        "T001A"
    ]
    assert app_client.get("/api/v1/stations/T002A", headers=chaoyang).status_code == 404
    assert codes(
        app_client.get("/api/v1/enterprises", headers=chaoyang), "credit_code"
    ) == [ENTERPRISE_A]
    haidian = login("haidian")
    assert app_client.get("/api/v1/stations/T001A", headers=haidian).status_code == 404
    assert codes(app_client.get("/api/v1/stations", headers=haidian), "code") == [
        "T002A"
    ]
    assert codes(app_client.get("/api/v1/regions", headers=haidian), "code") == [
        "110108"
    ]


def test_agency_user_sees_what_it_operates(
    app_client: TestClient, login: Login
) -> None:
    headers = login("agency")
    assert codes(app_client.get("/api/v1/devices", headers=headers), "serial") == [
        "DEV-A-1",
        "DEV-B-1",
    ]
    assert codes(app_client.get("/api/v1/stations", headers=headers), "code") == [
        "T001A",
        "T002A",
    ]


def test_city_staff_filter_and_page(app_client: TestClient, login: Login) -> None:
    headers = login("centre")
    page = app_client.get("/api/v1/stations?size=1&page=2", headers=headers).json()
    assert page["total"] == 2 and [s["code"] for s in page["items"]] == ["T002A"]
    assert "password" not in page["items"][0]
    assert codes(
        app_client.get("/api/v1/stations?region=110105", headers=headers), "code"
    ) == ["T001A"]
    assert codes(
        app_client.get("/api/v1/stations?q=T002", headers=headers), "code"
    ) == ["T002A"]
    assert (
        codes(
            app_client.get("/api/v1/enterprises?key_category=water", headers=headers),
            "credit_code",
        )
        == []
    )
    response = app_client.get("/api/v1/stations?element=weather", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["field"] == "query.element"
    response = app_client.get("/api/v1/stations?size=0", headers=headers)
    assert (
        response.status_code == 422
        and "query.size" in response.json()["error"]["message"]
    )


def test_writers_create_and_update_with_history(
    app_client: TestClient, login: Login
) -> None:
    headers = login("centre")
    station = app_client.get("/api/v1/stations/T001A", headers=headers).json()
    station.update(name="东四新站", password="654321")
    response = app_client.put("/api/v1/stations/T001A", json=station, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"stations": {"updated": 1}}
    history = app_client.get("/api/v1/history/station/T001A", headers=headers).json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["actor"] == "centre" and history[1]["data"]["name"] == "东四新站"
    station["code"] = "T009A"
    station["mn"] = "11000000T009A00000000001"
    response = app_client.post("/api/v1/stations", json=station, headers=headers)
    assert response.status_code == 201
    again = app_client.post("/api/v1/stations", json=station, headers=headers)
    assert (
        again.status_code == 409
        and "already exists" in again.json()["error"]["message"]
    )


def test_bad_requests_get_4xx_naming_the_field(
    app_client: TestClient, login: Login
) -> None:
    headers = login("admin")
    station = app_client.get("/api/v1/stations/T001A", headers=headers).json()
    station.update(code="T010A", mn="11000000T002A00000000001", lat=95)
    response = app_client.post("/api/v1/stations", json=station, headers=headers)
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert [p["field"] for p in problems] == ["body.lat"]
    station["lat"] = 39.9
    response = app_client.post("/api/v1/stations", json=station, headers=headers)
    assert response.status_code == 422
    assert (
        "MN 11000000T002A00000000001 is already used by station T002A"
        in (response.json()["error"]["problems"][0]["message"])
    )
    enterprise = app_client.get(
        f"/api/v1/enterprises/{ENTERPRISE_A}", headers=headers
    ).json()
    enterprise.pop("outlets")
    enterprise["credit_code"] = ENTERPRISE_A[:-1] + "Z"
    response = app_client.post("/api/v1/enterprises", json=enterprise, headers=headers)
    assert response.status_code == 422
    assert "character 'Z' at position 18 is not allowed" in response.text
    response = app_client.put(
        "/api/v1/stations/T001A",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    response = app_client.get("/api/v1/stations/NOPE", headers=headers)
    assert (
        response.status_code == 404
        and response.json()["error"]["type"] == "NotFoundError"
    )


def test_file_import_is_all_or_nothing_and_refusals_are_quarantined(
    app_client: TestClient, login: Login
) -> None:
    headers = login("admin")
    good = "code,name,level,parent\n110106,丰台区,county,110100\n"
    response = app_client.post(
        "/api/v1/registry/import",
        headers=headers,
        files={"file": ("regions.csv", good.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"regions": {"created": 1}}
    bad = "code,name,level,parent\n110107,石景山区,county,110100\n110199,x,county,119900\n"
    response = app_client.post(
        "/api/v1/registry/import",
        headers=headers,
        files={"file": ("regions.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 422
    problem = response.json()["error"]["problems"][0]
    assert problem == {
        "source": "regions.csv",
        "row": 3,
        "line": None,
        "field": "regions[1].parent",
        "message": "parent region 119900 does not exist",
    }
    assert app_client.get("/api/v1/regions/110107", headers=headers).status_code == 404
    quarantined = app_client.get("/api/v1/quarantine", headers=headers).json()
    assert quarantined[0]["reason"] == "registry_import_rejected"
    assert (
        quarantined[0]["problems"][0]["message"]
        == "parent region 119900 does not exist"
    )
    assert quarantined[0]["raw_file_id"] is not None
    export = app_client.get("/api/v1/registry/export", headers=headers)
    assert "110106" in export.text and "110107" not in export.text


def test_public_catalogue_and_health(app_client: TestClient) -> None:
    health = app_client.get("/health").json()
    assert health["status"] == "ok"
    catalogue = app_client.get("/api/v1/parameters").json()
    pm25 = next(p for p in catalogue if p["code"] == "a34004")
    assert pm25["unit"] == "ug/m3"
    assert next(p for p in catalogue if p["code"] == "w01018")["code_2005"] == "011"
